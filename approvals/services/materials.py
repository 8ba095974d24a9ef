"""The materials of a draft: uploads checked by content, held files kept,
deferrals, completeness."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from approvals import (
    audit,
    clock,
    prefill,
)
from approvals.errors import busy_is_retryable
from approvals.models import (
    DEFERRED_DELIVERY_STATUSES,
    Application,
    ApplicationMaterial,
    AuditAction,
    SatisfiedBy,
)
from approvals.services.guards import require_owner
from approvals.services.values import require_editable
from approvals.uploads import sniff_content_type


def _material_row(application: Application, material_code: str) -> ApplicationMaterial:
    row = (
        application.materials.select_related("material")
        .filter(material__code=material_code)
        .first()
    )
    if row is None:
        raise ValidationError({"material": _("This service requires no such material.")})
    return row


def is_deliverable(application: Application, row: ApplicationMaterial) -> bool:
    """May this deferred material be handed in now, after acceptance?"""
    return (
        row.satisfied_by == SatisfiedBy.DEFERRAL
        and row.received_at is None
        and application.status in DEFERRED_DELIVERY_STATUSES
    )


def _is_same_upload(row: ApplicationMaterial, upload: UploadedFile) -> bool:
    """Is this upload the very file the material already holds (same name, same bytes)?"""
    if row.satisfied_by != SatisfiedBy.UPLOAD or not row.file or row.size != upload.size:
        return False
    if row.original_name != (upload.name or "")[-255:]:
        return False
    try:
        with row.file.open("rb") as stored:
            held = stored.read()
    except OSError:  # the stored file is gone: take the new one
        return False
    upload.seek(0)
    same = b"".join(upload.chunks()) == held
    upload.seek(0)
    return same


@busy_is_retryable
def material_upload(
    *, actor, application: Application, material_code: str, upload: UploadedFile
) -> ApplicationMaterial:
    require_owner(actor, application)
    row = _material_row(application, material_code)
    if _is_same_upload(row, upload):
        # The same file again (a retried request, a late delivery's among them,
        # which no longer finds the material deferred): nothing changes.
        return row
    delivering_deferred = is_deliverable(application, row)
    if not delivering_deferred:
        require_editable(application)
    if not row.material.allow_upload:
        raise ValidationError({"file": _("This material cannot be uploaded.")})
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            }
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        raise ValidationError(
            {"file": _("Only PDF, JPEG or PNG files are accepted; this file is none of them.")}
        )
    with transaction.atomic():
        old = row.file.name if row.file else ""
        row.file.save(row.upload_name(content_type), upload, save=False)
        row.original_name = (upload.name or "")[-255:]
        row.content_type, row.size = content_type, upload.size
        row.satisfied_by = SatisfiedBy.UPLOAD
        row.commitment_text, row.reuse_reference = "", ""
        if delivering_deferred:
            row.received_at = clock.now()
        row.save()
        audit.record(
            actor=actor,
            application=application,
            action=AuditAction.MATERIAL_UPLOADED,
            material=material_code,
            content_type=content_type,
            size=upload.size,
            late_delivery=delivering_deferred,
        )
        if old:
            transaction.on_commit(lambda: row.file.storage.delete(old))
    return row


@busy_is_retryable
def material_commit(
    *, actor, application: Application, material_code: str, text: str
) -> ApplicationMaterial:
    """Replace proof by a signed commitment (告知承诺制) where the service allows it."""
    require_owner(actor, application)
    require_editable(application)
    row = _material_row(application, material_code)
    if not row.material.allow_commitment:
        raise ValidationError(
            {"commitment": _("This material cannot be replaced by a commitment.")}
        )
    text = (text or "").strip()
    if len(text) < 10:
        raise ValidationError(
            {"commitment": _("Write the commitment out in full (at least 10 characters).")}
        )
    if row.satisfied_by == SatisfiedBy.COMMITMENT and row.commitment_text == text[:4000]:
        return row  # the same commitment again (a retried request): nothing changes
    row.satisfied_by, row.commitment_text = SatisfiedBy.COMMITMENT, text[:4000]
    with transaction.atomic():
        row.save(update_fields=["satisfied_by", "commitment_text", "updated_at"])
        audit.record(
            actor=actor,
            application=application,
            action=AuditAction.MATERIAL_COMMITTED,
            material=material_code,
        )
    return row


@busy_is_retryable
def material_defer(*, actor, application: Application, material_code: str) -> ApplicationMaterial:
    """Ask to hand a minor material in after acceptance (容缺受理)."""
    require_owner(actor, application)
    require_editable(application)
    row = _material_row(application, material_code)
    if not row.material.allow_deferral:
        raise ValidationError({"material": _("This material cannot be handed in later.")})
    if row.satisfied_by == SatisfiedBy.DEFERRAL:
        return row  # deferred already (a retried request): nothing changes
    if row.satisfied_by == SatisfiedBy.UPLOAD:
        raise ValidationError(
            {"material": _("This material is already uploaded: there is nothing to hand in later.")}
        )
    if row.satisfied_by == SatisfiedBy.REUSE:
        raise ValidationError(
            {
                "material": _(
                    "This material is reused from what the government holds: nothing to hand in."
                )
            }
        )
    row.satisfied_by = SatisfiedBy.DEFERRAL
    with transaction.atomic():
        row.save(update_fields=["satisfied_by", "updated_at"])
        audit.record(
            actor=actor,
            application=application,
            action=AuditAction.MATERIAL_DEFERRED,
            material=material_code,
        )
    return row


def application_completeness_errors(application: Application) -> dict[str, list[str]]:
    """Everything still missing, in one list, so the applicant fixes it in one go."""
    errors: dict[str, list[str]] = {}
    specs = prefill.field_specs()
    for row in application.values.all():
        spec = specs.get(row.field, (None,))[0]
        if spec is not None and spec.required and not row.value.strip():
            errors.setdefault(row.field, []).append(
                _("%(label)s is required.") % {"label": spec.label}
            )
    for row in application.materials.select_related("material"):
        if row.satisfied_by == SatisfiedBy.MISSING:
            errors.setdefault(f"material:{row.material.code}", []).append(
                _("%(name)s is missing.") % {"name": row.material.name}
            )
    return errors

"""Writes: every change to an application goes through a function here.

Each service checks the acting user's right itself (viewflow's transitions
do not), validates before it writes, and writes in one transaction, so a
rejected call leaves nothing half-written. The flow's nodes call back into
the functions at the bottom; views and the API call the ones at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import (
    audit,
    background,
    clock,
    establishment,
    mail,
    prefill,
    printable,
    remedies,
    representation,
    roles,
    timekeeping,
)
from approvals.errors import busy_is_retryable, raise_busy_if_contention
from approvals.identifiers import (
    mask_document_number,
    normalize_resident_id,
    normalize_uscc,
    validate_resident_id,
    validate_uscc,
)
from approvals.models import (
    OPEN_STATUSES,
    ActingAs,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    AuditAction,
    ClockHolder,
    ClockInterval,
    CorrectionRequest,
    DepartmentReview,
    Enterprise,
    Escalation,
    FiledAs,
    Licence,
    Permit,
    PrefilledValue,
    ReviewDecision,
    SatisfiedBy,
    Service,
    ServiceDepartment,
    Step,
    StepKind,
    ValueState,
)
from approvals.models.permits import PERMIT_FACTS, registry_facts


def _require_owner(actor, application: Application, *, basis_needed: bool = True) -> None:
    """The applicant, still acting for the enterprise: a mandate that ended or was
    revoked stops every change (withdrawing excepted: `basis_needed=False`)."""
    if not (actor and actor.is_authenticated and application.applicant_id == actor.pk):
        raise PermissionDenied(_("Only the applicant may change this application."))
    if basis_needed and not representation.still_acts_for(actor, application):
        raise PermissionDenied(representation.no_basis_message())


def _require_clerk(actor) -> None:
    if not roles.is_clerk(actor):
        raise PermissionDenied(_("Only window clerks may accept or return applications."))


# --- drafts and prefill ---------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """What asking for a draft gave: a new one, or the one already opened."""

    application: Application
    created: bool
    # Not created because the applicant already has a draft of this service
    # for this enterprise (a replayed idempotency key is not counted here).
    open_draft: bool = False


def application_create(
    *,
    applicant,
    service: Service,
    uscc: str = "",
    idempotency_key: str = "",
    reservation_number: str = "",
) -> Application:
    """Open a draft for an enterprise and prefill it from every shared-data source.

    Repeating the call with the same idempotency key returns the first draft.
    Scripts that play many investors with one account (the simulator, the
    tests) call this; the portal and the API call :func:`application_open`,
    which also sends an investor to the draft they already have open.
    """
    return application_open(
        applicant=applicant,
        service=service,
        uscc=uscc,
        idempotency_key=idempotency_key,
        reuse_open_draft=False,
        reservation_number=reservation_number,
    ).application


def _replayed(
    applicant, idempotency_key: str, service: Service, uscc: str, reservation=None
) -> Application | None:
    """The draft this key opened before, if any; refused if it was opened for something else."""
    existing = Application.objects.filter(
        applicant=applicant, idempotency_key=idempotency_key
    ).first()
    asked = (service.pk, uscc, reservation.pk if reservation else None)
    if (
        existing is not None
        and (
            existing.service_id,
            "" if existing.name_reservation_id else existing.uscc,
            existing.name_reservation_id,
        )
        != asked
    ):
        raise ValidationError(
            {
                "idempotency_key": _(
                    "This key already opened %(ref)s, for another service or "
                    "enterprise. Use a new key for a new application."
                )
                % {"ref": existing.reference}
            }
        )
    return existing


def application_open(
    *,
    applicant,
    service: Service,
    uscc: str,
    idempotency_key: str = "",
    reuse_open_draft: bool = True,
    reservation_number: str = "",
) -> Opened:
    """Open a draft, or give back the one the applicant already has.

    The code is normalised first (full-width, spaces, dashes, lower case), so
    every way of typing one enterprise's code names the same enterprise. The
    same idempotency key gives back the draft it opened, whichever of two
    racing requests won; a key that opened a draft for another service or
    enterprise is refused, on either path. With `reuse_open_draft`, an open
    draft of the same service for the same enterprise is given back instead
    of a second one.

    A service that establishes an enterprise is opened with a name
    reservation number instead (``approvals.establishment``): only the
    verified person who declared the name may, and the code stays empty
    until registration assigns one.
    """
    if not (applicant and applicant.is_authenticated):
        raise PermissionDenied(_("Log in to apply."))
    if roles.is_official(applicant):
        raise PermissionDenied(
            _("Officials cannot apply: use an investor's or an agent's account to apply.")
        )
    reservation = None
    if service.establishes_enterprise:
        # The enterprise does not exist: nobody acts for it. Its founder is the
        # verified person who declared its name (approvals.establishment).
        reservation = establishment.reservation_for_opening(
            applicant=applicant, number=reservation_number
        )
        uscc = ""
        basis = representation.Basis(ActingAs.FOUNDER)
    elif reservation_number:
        raise ValidationError(
            {
                "reservation_number": _(
                    "This service is for an enterprise that exists: give its unified social "
                    "credit code, not a name reservation."
                )
            }
        )
    else:
        uscc = normalize_uscc(uscc)
        try:
            validate_uscc(uscc)
        except ValidationError as exc:
            raise ValidationError({"uscc": exc.messages}) from exc
        # Before anything is read or written: a stranger learns nothing, not even
        # whether the code is registered (the message is the same either way).
        basis = representation.require_basis(applicant, service, uscc)
    if not service.is_active:
        raise ValidationError({"service": _("This service is not open for applications.")})
    # Who files follows from the ground checked above, not from a box ticked: an
    # agent acts under a mandate, the investor as legal representative or founder.
    filed_as = FiledAs.AGENT if basis.mandate is not None else FiledAs.INVESTOR
    idempotency_key = (idempotency_key or "").strip()[:80]
    if idempotency_key:
        existing = _replayed(applicant, idempotency_key, service, uscc, reservation)
        if existing is not None:
            return Opened(existing, created=False)
    if reuse_open_draft:
        same = {"name_reservation": reservation} if reservation else {"uscc": uscc}
        draft = (
            Application.objects.filter(
                applicant=applicant, service=service, status=ApplicationStatus.DRAFT, **same
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if draft is not None:
            return Opened(draft, created=False, open_draft=True)
        _require_within_draft_limit(applicant)
    if reservation is not None:
        under_way = establishment.open_elsewhere(reservation)
        if under_way is not None:
            raise ValidationError(
                {
                    "reservation_number": _(
                        "Application %(ref)s for this name reservation is already under way: "
                        "follow it there rather than applying twice."
                    )
                    % {"ref": under_way.reference}
                }
            )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                service=service,
                uscc=uscc,
                enterprise=Enterprise.objects.filter(uscc=uscc).first() if uscc else None,
                name_reservation=reservation,
                applicant=applicant,
                filed_as=filed_as,
                acting_as=basis.acting_as,
                mandate=basis.mandate,
                idempotency_key=idempotency_key,
            )
            ApplicationMaterial.objects.bulk_create(
                ApplicationMaterial(application=application, material=m)
                for m in service.materials.all()
            )
            outcomes = application_prefill(application=application)
            audit.record(
                actor=applicant,
                application=application,
                action=AuditAction.CREATED,
                service=service.code,
                uscc=uscc,
                **({"name_reservation": reservation.number} if reservation else {}),
                filed_as=filed_as,
                sources_failed=[o.source.name for o in outcomes if o.error],
            )
            if basis.mandate is not None:
                audit.record(
                    actor=applicant,
                    application=application,
                    action=AuditAction.MANDATE_USED,
                    mandate=str(basis.mandate.public_id),
                )
    except IntegrityError:
        # Two requests with the same key raced and the other one won: its
        # draft is the answer, if it was opened for what this one asks.
        existing = (
            _replayed(applicant, idempotency_key, service, uscc, reservation)
            if idempotency_key
            else None
        )
        if existing is None:
            raise
        return Opened(existing, created=False)
    return Opened(application, created=True)


def _require_within_draft_limit(applicant) -> None:
    """At most settings.DRAFTS_PER_HOUR new drafts an account an hour, counted in the
    database (so every worker counts the same); scripts that play many investors
    (application_create) are not limited."""
    limit = settings.DRAFTS_PER_HOUR
    if not limit:
        return
    since = clock.now() - timedelta(hours=1)
    opened = Application.objects.filter(applicant=applicant, created_at__gte=since).count()
    if opened >= limit:
        raise ValidationError(
            ngettext(
                "You opened %(count)d draft in the last hour, the most an account may. "
                "Carry on with the drafts you have, or try again later.",
                "You opened %(count)d drafts in the last hour, the most an account may. "
                "Carry on with the drafts you have, or try again later.",
                opened,
            )
            % {"count": opened},
            code="draft_limit",
        )


def application_prefill(*, application: Application) -> list[prefill.SourceOutcome]:
    """Fill a draft from every source, keeping each value's provenance.

    Values the applicant already confirmed or typed are kept; a source that
    failed before is asked again, so this also serves as "retry".
    """
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(_("Only a draft or a returned application can be prefilled."))
    outcomes = prefill.read_all(
        establishment.subject_of(application), application.service.prefill_sources
    )
    existing = {v.field: v for v in application.values.all()}
    documents: dict[str, str] = {}
    to_create, to_update = [], []
    claimed: set[str] = set()  # a field two of the service's sources fill: the first one's
    for outcome in outcomes:
        fetched = outcome.fetched
        if fetched is not None and fetched.found:
            documents.update(fetched.documents)
        for spec in outcome.source.fields:
            if spec.key in claimed:
                continue
            claimed.add(spec.key)
            if outcome.error:
                state, source_value, record_ref = ValueState.UNAVAILABLE, "", ""
            elif fetched.found:
                state = ValueState.PREFILLED
                source_value, record_ref = fetched.values.get(spec.key, ""), fetched.record_ref
            else:
                state, source_value, record_ref = ValueState.NOT_FOUND, "", ""
            current = existing.get(spec.key)
            if current is None:
                to_create.append(
                    PrefilledValue(
                        application=application,
                        field=spec.key,
                        source=outcome.source.name,
                        record_ref=record_ref,
                        read_at=outcome.read_at,
                        state=state,
                        source_error=outcome.error,
                        source_value=source_value,
                        value=source_value,
                    )
                )
            elif current.confirmed_at is None or current.state == ValueState.UNAVAILABLE:
                if state == ValueState.UNAVAILABLE and current.state == ValueState.PREFILLED:
                    continue  # keep what an earlier read gave rather than blank it
                current.state, current.record_ref = state, record_ref
                current.read_at, current.source_error = outcome.read_at, outcome.error
                current.source_value = source_value
                if current.confirmed_at is None or not current.value:
                    current.value = source_value
                to_update.append(current)
    PrefilledValue.objects.bulk_create(to_create)
    if to_update:
        PrefilledValue.objects.bulk_update(
            to_update,
            ["state", "record_ref", "read_at", "source_error", "source_value", "value"],
        )
    reusable = [
        am
        for am in application.materials.select_related("material")
        if am.material.reuse_key in documents
        and am.satisfied_by in (SatisfiedBy.MISSING, SatisfiedBy.REUSE)
    ]
    for am in reusable:
        am.satisfied_by = SatisfiedBy.REUSE
        am.reuse_reference = documents[am.material.reuse_key]
    ApplicationMaterial.objects.bulk_update(reusable, ["satisfied_by", "reuse_reference"])
    return outcomes


# In 10,000 CNY: a trillion yuan is beyond any registered capital or project.
MAX_AMOUNT = Decimal("1e8")


# A count of people: more than any enterprise employs.
MAX_COUNT = 10_000_000
_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)} | {0xFF0C: ","}


def _validate_field_value(key: str, value: str) -> str:
    """The value as stored, or a ValidationError saying how to write it.

    The field's kind (approvals.prefill.FieldSpec.kind) decides the check, so
    every amount, count and date is read the same strict way.
    """
    value = value.strip()
    spec = prefill.field_specs().get(key, (None,))[0]
    kind = spec.kind if spec is not None else prefill.FieldKind.TEXT
    if not value:
        return value
    if kind == prefill.FieldKind.AMOUNT:
        return _validate_amount(value)
    if kind == prefill.FieldKind.INTEGER:
        return _validate_count(value)
    if kind == prefill.FieldKind.RESIDENT_ID:
        value = normalize_resident_id(value)
        validate_resident_id(value)
        return value
    if kind == prefill.FieldKind.DATE:
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if len(value) > 2000:
        raise ValidationError(_("Keep this under 2,000 characters."))
    return value


def _validate_amount(value: str) -> str:
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError(
            _("Enter an amount in 10,000 CNY, for example 500 or 1200.50.")
        ) from exc
    # Decimal also reads "NaN", "Infinity" and "1e999999999" (a billion
    # digits once written out): none of them is an amount.
    if not amount.is_finite():
        raise ValidationError(_("Enter an amount in 10,000 CNY, for example 500 or 1200.50."))
    if amount <= 0:
        raise ValidationError(_("The amount must be greater than zero."))
    if amount >= MAX_AMOUNT:
        raise ValidationError(
            _("Enter the amount in 10,000 CNY: %(amount)s is more than any enterprise holds.")
            % {"amount": value}
        )
    if amount.as_tuple().exponent < -4:
        raise ValidationError(_("Give at most 4 decimal places (10,000 CNY)."))
    return format(amount, "f")


def _validate_count(value: str) -> str:
    # Full-width digits (from a Chinese input method) are read as digits;
    # anything else that int() or Decimal() would accept ("NaN", "-3", "1e3",
    # "٣", "²", "3.0") is not a count of people.
    digits = value.translate(_FULL_WIDTH_DIGITS).replace(",", "")
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("Enter a whole number of 0 or more, for example 12."))
    count = int(digits)
    if count >= MAX_COUNT:
        raise ValidationError(
            _("%(count)s is more than any enterprise employs: check the number.") % {"count": value}
        )
    return str(count)


@busy_is_retryable
def application_values_update(*, actor, application: Application, values: dict[str, str]) -> None:
    """Confirm or correct prefilled values, or fill the ones no source could give.

    A value that differs from what the government holds is kept as a
    correction and shown to the reviewers.
    """
    _require_owner(actor, application)
    _require_editable(application)
    rows = {v.field: v for v in application.values.all()}
    specs = prefill.field_specs()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for key, raw in values.items():
        if key not in rows:
            errors.setdefault(key, []).append(_("This application has no such field."))
            continue
        held = rows[key].value
        if specs[key][0].sensitive and held and raw == mask_document_number(held) != held:
            # The masked number an agent was shown, sent back: "unchanged".
            cleaned[key] = held
            continue
        try:
            cleaned[key] = _validate_field_value(key, str(raw or ""))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
            continue
        # Refused here rather than printed as a box on the permit.
        missing = printable.unprintable(cleaned[key])
        if missing:
            errors.setdefault(key, []).append(printable.unprintable_message(missing))
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    changed = []
    for key, value in cleaned.items():
        row = rows[key]
        # Sending the same values again (a retried request) changes nothing.
        if row.value == value and row.confirmed_at is not None:
            continue
        row.value, row.confirmed_at = value, now
        changed.append(row)
    if not changed:
        return
    with transaction.atomic():
        PrefilledValue.objects.bulk_update(changed, ["value", "confirmed_at"])
        audit.record(
            actor=actor,
            application=application,
            action=AuditAction.VALUES_UPDATED,
            fields=sorted(row.field for row in changed),
            corrected=sorted(row.field for row in changed if row.corrected),
        )


def _require_editable(application: Application) -> None:
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ValidationError(
            _("This application can no longer be changed (status: %(status)s).")
            % {"status": application.get_status_display()}
        )


# File types are told from the content, never from the name or the
# client's declared type.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def _material_row(application: Application, material_code: str) -> ApplicationMaterial:
    row = (
        application.materials.select_related("material")
        .filter(material__code=material_code)
        .first()
    )
    if row is None:
        raise ValidationError({"material": _("This service requires no such material.")})
    return row


# A deferred material is handed in after acceptance, until it is received:
# while the departments review and after the approval too (the permit does not
# wait for it). A rejected or withdrawn case needs nothing more.
DEFERRED_DELIVERY_STATUSES = (
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.APPROVED,
)


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
    _require_owner(actor, application)
    row = _material_row(application, material_code)
    if _is_same_upload(row, upload):
        # The same file again (a retried request, a late delivery's among them,
        # which no longer finds the material deferred): nothing changes.
        return row
    delivering_deferred = is_deliverable(application, row)
    if not delivering_deferred:
        _require_editable(application)
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
    _require_owner(actor, application)
    _require_editable(application)
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
    _require_owner(actor, application)
    _require_editable(application)
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


# --- submission and the window --------------------------------------------


def _locked(application: Application) -> Application:
    """Re-read the application under a row lock (PostgreSQL) or the write lock (SQLite)."""
    return Application.objects.select_for_update().get(pk=application.pk)


def application_submit(*, actor, application: Application) -> Application:
    """Submit a draft. Submitting again (double click, back button, two tabs) changes nothing."""
    from approvals.flows import SingleWindowFlow

    _require_owner(actor, application)
    try:
        with transaction.atomic():
            application = _locked(application)
            if application.status != ApplicationStatus.DRAFT:
                return application
            errors = application_completeness_errors(application)
            if errors:
                raise ValidationError(errors)
            now = clock.now()
            application.status = ApplicationStatus.SUBMITTED
            application.submitted_at = now
            application.language = mail.mail_language(translation.get_language())
            application.save(update_fields=["status", "submitted_at", "language"])
            step = Step.objects.create(
                application=application,
                kind=StepKind.SUBMISSION,
                holder=ClockHolder.INVESTOR,
                actor=actor,
                created_at=application.created_at,
                assigned_at=application.created_at,
            )
            _step_finish(step, actor=actor, at=now)
            _clock_switch(application, ClockHolder.GOVERNMENT, at=now)
            audit.record(actor=actor, application=application, action=AuditAction.SUBMITTED)
            SingleWindowFlow.start.run(application=application)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)
    return application


@dataclass(frozen=True)
class Deferral:
    material_code: str
    due: date | None = None


def _open_task(application: Application, node) -> Task:
    # The caller's object may be stale (another request moved the case on).
    application.refresh_from_db(fields=["status", "process"])
    task = (
        Task.objects.filter(process_id=application.process_id, flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )
    if task is None:
        raise ValidationError(
            _("There is nothing to do on this application at this stage (status: %(status)s).")
            % {"status": application.get_status_display()}
        )
    return task


def _audit_task(actor, task: Task, action: AuditAction) -> None:
    review = DepartmentReview.objects.select_related("department").get(task=task)
    audit.record(
        actor=actor,
        application=review.application_id,
        action=action,
        department=review.department.code,
    )


def _take_and_start(activation, actor) -> None:
    """Assign the task to the actor if it is free and allowed, then start it."""
    task = activation.task
    if activation.assign.can_proceed():
        if not task.flow_task.can_assign(actor, task):
            raise PermissionDenied(_("You may not take this task."))
        activation.assign(actor)
        Step.objects.filter(task=task).update(assigned_at=clock.now(), actor=actor)
    if not task.flow_task.can_execute(actor, task):
        raise PermissionDenied(_("This task is assigned to someone else."))
    activation.start(None)


def task_assign(*, actor, task: Task) -> None:
    """Take a task into one's own inbox (records the assignment time viewflow does not)."""
    try:
        with task.activation() as activation:
            if not activation.assign.can_proceed():
                held = activation.task
                if held.owner_id == actor.pk and held.status in (STATUS.ASSIGNED, STATUS.STARTED):
                    return  # taken by this very user already (a retry): nothing changes
                raise ValidationError(_("This task has already been taken."))
            if not task.flow_task.can_assign(actor, activation.task):
                raise PermissionDenied(_("You may not take this task."))
            activation.assign(actor)
            Step.objects.filter(task=task).update(assigned_at=clock.now(), actor=actor)
            _audit_task(actor, task, AuditAction.TASK_ASSIGNED)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)


def _run_task(task: Task, actor, write, after=None) -> None:
    """Run `write`, complete the task, then run `after` (with what the flow did
    next), all under the flow lock, in one transaction."""
    try:
        with task.activation() as activation:
            if activation.task.status in (STATUS.DONE, STATUS.CANCELED):
                raise ValidationError(_("This task has already been completed."))
            _take_and_start(activation, actor)
            write(activation)
            activation.execute()
            if after is not None:
                after()
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)


def _last_task(application: Application, node) -> Task | None:
    return (
        Task.objects.filter(process_id=application.process_id, flow_task=node)
        .order_by("-created", "-pk")
        .first()
    )


def _accepted_already(application: Application, actor, requested: dict) -> bool:
    """Did this clerk accept this application already, with these deferrals?

    Lets a client retry an acceptance whose answer it never heard (a 503, a
    lost connection): the same clerk, the same deferrals, and the answer is
    the one the first request earned. Anything else is refused as before.
    """
    # flows imports this module (its nodes call the services): imported when used.
    from approvals.flows import SingleWindowFlow

    application.refresh_from_db(fields=["status", "process"])
    if application.status not in (
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
    ):
        return False
    task = _last_task(application, SingleWindowFlow.accept)
    if task is None or task.status != STATUS.DONE or task.owner_id != actor.pk:
        return False
    rows = {
        r.material.code: r
        for r in application.materials.select_related("material").filter(
            material__code__in=list(requested)
        )
    }
    return all(
        code in rows
        and rows[code].satisfied_by == SatisfiedBy.DEFERRAL
        and (due is None or rows[code].due_date == due)
        for code, due in requested.items()
    )


def application_accept(
    *, actor, application: Application, deferrals: list[Deferral] | None = None
) -> Application:
    """Accept at the window, possibly with minor materials still to come (容缺受理).

    A deferred material gets a due date (by default its deferral period in
    working days from now); the clock runs from acceptance all the same.
    """
    from approvals.flows import SingleWindowFlow

    _require_clerk(actor)
    requested = {d.material_code: d.due for d in deferrals or []}
    try:
        task = _open_task(application, SingleWindowFlow.accept)
    except ValidationError:
        if _accepted_already(application, actor, requested):
            return application  # a retry of an acceptance that went through: nothing changes
        raise

    def write(activation):
        app = _locked(application)
        rows = list(app.materials.select_related("material"))
        by_code = {r.material.code: r for r in rows}
        errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        for code, due in requested.items():
            row = by_code.get(code)
            if row is None:
                errors.setdefault(f"material:{code}", []).append(_("No such material."))
            elif not row.material.allow_deferral:
                errors.setdefault(f"material:{code}", []).append(
                    _("%(name)s cannot be handed in later.") % {"name": row.material.name}
                )
            elif due is not None and due <= today:
                errors.setdefault(f"material:{code}", []).append(
                    _("The due date must be in the future.")
                )
        now = clock.now()
        for row in rows:
            if row.material.code in requested and row.satisfied_by in (
                SatisfiedBy.MISSING,
                SatisfiedBy.DEFERRAL,
            ):
                row.satisfied_by = SatisfiedBy.DEFERRAL
                row.due_date = requested[row.material.code]
            if row.satisfied_by == SatisfiedBy.MISSING:
                errors.setdefault(f"material:{row.material.code}", []).append(
                    _("%(name)s is missing: defer it or return the application.")
                    % {"name": row.material.name}
                )
            if row.satisfied_by == SatisfiedBy.DEFERRAL:
                default = timekeeping.deadline_after(now, row.material.deferral_days)
                if row.due_date is None:
                    row.due_date = default.date()
                # The default date (the window's form offers it too) rests on
                # the weekday fallback when its days are not official yet.
                row.due_estimated = row.due_date == default.date() and (
                    timekeeping.spans_unofficial_days(now, default)
                )
        if errors:
            raise ValidationError(errors)
        ApplicationMaterial.objects.bulk_update(rows, ["satisfied_by", "due_date", "due_estimated"])
        app.status, app.accepted_at = ApplicationStatus.ACCEPTED, now
        app.save(update_fields=["status", "accepted_at"])
        _step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(
            actor=actor,
            application=app,
            action=AuditAction.ACCEPTED,
            deferred=sorted(
                r.material.code for r in rows if r.satisfied_by == SatisfiedBy.DEFERRAL
            ),
        )

    def reviews_started():
        # The split has created the department reviews by now; in the same
        # transaction, so no crash can leave the case "accepted" under review.
        Application.objects.filter(pk=application.pk, status=ApplicationStatus.ACCEPTED).update(
            status=ApplicationStatus.IN_REVIEW
        )
        # The mail is written with the action (and lists the reviews just made).
        _notify_on_commit(_for_mail(application), "accepted")

    _run_task(task, actor, write, after=reviews_started)
    application.refresh_from_db()
    return application


def application_return(
    *, actor, application: Application, items: list[str], note: str = ""
) -> CorrectionRequest:
    """Return the case for correction, listing everything missing in one notice."""
    from approvals.flows import SingleWindowFlow

    _require_clerk(actor)
    items = [i.strip() for i in items or [] if i and i.strip()]
    if not items:
        raise ValidationError({"items": _("List at least one thing the investor must correct.")})
    try:
        task = _open_task(application, SingleWindowFlow.accept)
    except ValidationError:
        open_request = (
            application.corrections.filter(answered_at__isnull=True).last()
            if application.status == ApplicationStatus.RETURNED
            else None
        )
        if (
            open_request is not None
            and open_request.requested_by_id == actor.pk
            and open_request.items == items[:50]
            and open_request.note == (note or "")[:4000]
        ):
            return open_request  # a retry of this very return: nothing changes
        raise
    result = {}

    def write(activation):
        app = _locked(application)
        now = clock.now()
        result["request"] = CorrectionRequest.objects.create(
            application=app, items=items[:50], note=(note or "")[:4000], requested_by=actor
        )
        app.status = ApplicationStatus.RETURNED
        app.save(update_fields=["status"])
        _step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(actor=actor, application=app, action=AuditAction.RETURNED, items=len(items))
        _clock_switch(app, ClockHolder.INVESTOR, at=now)

    _run_task(
        task, actor, write, after=lambda: _notify_on_commit(_for_mail(application), "returned")
    )
    application.refresh_from_db()
    return result["request"]


def application_resubmit(*, actor, application: Application, answer: str = "") -> Application:
    """The investor's corrected application goes back to the window."""
    from approvals.flows import SingleWindowFlow

    _require_owner(actor, application)
    if application.status != ApplicationStatus.RETURNED:
        last = application.corrections.last()
        if (
            application.status in OPEN_STATUSES
            and last is not None
            and last.answered_at is not None
            and last.answer == (answer or "")[:4000]
        ):
            return application  # a retry of the resubmission that went through
        raise ValidationError(_("Only an application returned for correction can be resubmitted."))
    errors = application_completeness_errors(application)
    if errors:
        raise ValidationError(errors)
    task = _open_task(application, SingleWindowFlow.correct)

    def write(activation):
        app = _locked(application)
        now = clock.now()
        CorrectionRequest.objects.filter(application=app, answered_at__isnull=True).update(
            answered_at=now, answer=(answer or "")[:4000]
        )
        app.status = ApplicationStatus.SUBMITTED
        app.save(update_fields=["status"])
        _step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(actor=actor, application=app, action=AuditAction.RESUBMITTED)
        _clock_switch(app, ClockHolder.GOVERNMENT, at=now)

    _run_task(task, actor, write)
    application.refresh_from_db()
    return application


def compose_reasons(reasons, further: str = "") -> str:
    """Reasons as stored and sent: catalogue reasons in both languages, then the free text."""
    lines = [f"- {reason.text_zh} / {reason.text_en}" for reason in reasons]
    further = (further or "").strip()
    if further:
        lines.append(further)
    return "\n".join(lines)


def review_complete(
    *, actor, review: DepartmentReview, approve: bool, reasons: str = ""
) -> DepartmentReview:
    """A department's decision on its part of the case."""
    reasons = (reasons or "").strip()
    if not approve and not reasons:
        raise ValidationError({"reasons": _("Give the reasons for rejecting.")})
    if not roles.is_department_reviewer(actor, review.department.code):
        raise PermissionDenied(
            _("Only reviewers of %(dept)s may decide this review.")
            % {"dept": review.department.name}
        )
    if review.task_id is None:
        raise ValidationError(_("This review has no open task."))

    def write(activation):
        now = clock.now()
        locked = DepartmentReview.objects.select_for_update().get(pk=review.pk)
        if locked.decision != ReviewDecision.PENDING:
            raise ValidationError(_("This review has already been decided."))
        locked.decision = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
        locked.reasons, locked.reviewer, locked.decided_at = reasons[:4000], actor, now
        locked.save(update_fields=["decision", "reasons", "reviewer", "decided_at"])
        _step_finish_for_task(activation.task, actor=actor, at=now)
        audit.record(
            actor=actor,
            application=locked.application_id,
            action=AuditAction.REVIEW_APPROVED if approve else AuditAction.REVIEW_REJECTED,
            department=review.department.code,
        )

    try:
        _run_task(review.task, actor, write)
    except ValidationError:
        held = DepartmentReview.objects.values("decision", "reasons", "reviewer_id").get(
            pk=review.pk
        )
        if held["decision"] == ReviewDecision.PENDING:
            raise
        decision = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
        if (
            held["reviewer_id"] != actor.pk
            or held["decision"] != decision
            or held["reasons"] != reasons[:4000]
        ):
            raise ValidationError(_("This review has already been decided.")) from None
        # A retry of this very decision (its answer was lost): nothing changes.
    review.refresh_from_db()
    return review


def application_withdraw(*, actor, application: Application) -> Application:
    from approvals.flows import SingleWindowFlow

    _require_owner(actor, application, basis_needed=False)
    if application.status == ApplicationStatus.DRAFT:
        try:
            with transaction.atomic():
                # Only while it is still a draft: a submission racing this one wins.
                withdrawn = Application.objects.filter(
                    pk=application.pk, status=ApplicationStatus.DRAFT
                ).update(status=ApplicationStatus.WITHDRAWN)
                if withdrawn:
                    audit.record(actor=actor, application=application, action=AuditAction.WITHDRAWN)
        except OperationalError as exc:
            raise_busy_if_contention(exc)
        application.refresh_from_db()
        if not withdrawn:  # it was submitted meanwhile: withdraw the submitted case
            return application_withdraw(actor=actor, application=application)
        return application
    if application.status not in OPEN_STATUSES:
        raise ValidationError(_("A decided application cannot be withdrawn."))
    try:
        with SingleWindowFlow.lock(application.process_id), transaction.atomic():
            app = _locked(application)
            if app.status not in OPEN_STATUSES:
                raise ValidationError(_("A decided application cannot be withdrawn."))
            now = clock.now()
            SingleWindowFlow.instance.cancel(app.process)
            Step.objects.filter(application=app, finished_at__isnull=True).update(finished_at=now)
            app.status, app.decided_at = ApplicationStatus.WITHDRAWN, now
            app.save(update_fields=["status", "decided_at"])
            _clock_switch(app, None, at=now)
            audit.record(actor=actor, application=app, action=AuditAction.WITHDRAWN)
    except (FlowLockFailed, OperationalError) as exc:
        raise_busy_if_contention(exc)
    application.refresh_from_db()
    return application


# --- callbacks from the flow's nodes --------------------------------------


def process_started(*, activation, application: Application):
    # The process must exist before the first task is created, because the
    # task's hooks find the application through it.
    activation.process.save()
    application.process = activation.process
    application.save(update_fields=["process"])
    return activation.process


def review_departments(process) -> list[str]:
    """The departments that review this application: those of its service, and only those."""
    return list(
        ServiceDepartment.objects.filter(service__applications__process=process)
        .order_by("department__code")
        .values_list("department__code", flat=True)
    )


_STEP_OF_NODE = {
    "accept": (StepKind.ACCEPTANCE, ClockHolder.GOVERNMENT),
    "correct": (StepKind.CORRECTION, ClockHolder.INVESTOR),
    "review": (StepKind.REVIEW, ClockHolder.GOVERNMENT),
}


def step_opened(*, task: Task) -> None:
    """Open the ledger entry (and, for a review, its record and deadline) of a new task."""
    kind, holder = _STEP_OF_NODE[task.flow_task.name]
    application = task.process.application
    department = None
    if kind == StepKind.REVIEW:
        part = ServiceDepartment.objects.select_related("department").get(
            service_id=application.service_id, department__code=task.data["department"]
        )
        department = part.department
        due_at = timekeeping.deadline_after(task.created, float(part.review_limit_days))
        DepartmentReview.objects.create(
            application=application,
            department=department,
            task=task,
            due_at=due_at,
            due_estimated=timekeeping.spans_unofficial_days(task.created, due_at),
        )
    Step.objects.create(
        application=application,
        kind=kind,
        department=department,
        task=task,
        holder=holder,
        created_at=task.created,
        assigned_at=task.created if task.owner_id else None,
        actor=task.owner,
    )


def is_accepted(application: Application) -> bool:
    return application.status == ApplicationStatus.ACCEPTED


def review_deadline(*, host_task: Task) -> datetime:
    return host_task.review.due_at


def escalation_record(*, host_task: Task) -> Escalation | None:
    """Raise an overdue review to the supervisors, once; the review itself goes on."""
    review = DepartmentReview.objects.select_related("application", "department").get(
        task=host_task
    )
    escalation, created = Escalation.objects.get_or_create(
        review=review,
        defaults={
            "application": review.application,
            "department": review.department,
            "due_at": review.due_at,
        },
    )
    if created:
        audit.record(
            actor=None,
            application=review.application,
            action=AuditAction.ESCALATED,
            department=review.department.code,
            due_at=review.due_at.isoformat() if review.due_at else None,
        )
        _notify_supervisors_on_commit(escalation)
    return escalation


def application_decide(*, application: Application) -> Application:
    """One decision from all the departments: approved only if every one approved."""
    now = clock.now()
    reviews = list(application.reviews.select_related("department"))
    rejected = [r for r in reviews if r.decision == ReviewDecision.REJECTED]
    application.status = ApplicationStatus.REJECTED if rejected else ApplicationStatus.APPROVED
    application.decision_reasons = "\n".join(
        f"{r.department.name_zh} / {r.department.name_en}: {r.reasons}" for r in rejected
    )
    application.decided_at = now
    application.save(update_fields=["status", "decision_reasons", "decided_at"])
    step = Step.objects.create(
        application=application,
        kind=StepKind.DECISION,
        holder=ClockHolder.GOVERNMENT,
        created_at=max(r.decided_at for r in reviews) if reviews else now,
    )
    _step_finish(step, actor=None, at=now)
    _clock_switch(application, None, at=now)
    audit.record(
        actor=None,
        application=application,
        action=AuditAction.DECIDED,
        status=application.status,
        rejected_by=[r.department.code for r in rejected],
    )
    _notify_on_commit(application, "decided", reviews)
    return application


def is_approved(application: Application) -> bool:
    return application.status == ApplicationStatus.APPROVED


def permit_number(application: Application) -> str:
    issued = timezone.localdate()
    return f"HNSW-{issued:%Y}-{application.service_id:03d}-{application.pk:08d}"


def _enterprise_for_permit(application: Application) -> Enterprise:
    """The holder: the registry record; for an establishment, the enterprise market
    regulation registers now, with a new credit code (approvals.establishment).

    Nothing else enters the registry here: an application for an existing
    enterprise is opened only on a basis the registry holds
    (approvals.representation), so its enterprise is there."""
    if application.name_reservation_id:
        return establishment.register_enterprise(application)
    return application.enterprise


def decided_facts(application: Application, holder: Enterprise) -> tuple[dict[str, str], str]:
    """What the permit states: each value as the application held it at the decision
    (confirmed or corrected), the registry's where the application has none; and the scope."""
    values = {
        field: value.strip()
        for field, value in application.values.values_list("field", "value")
        if value and value.strip()
    }
    registry = registry_facts(holder)
    facts = {key: values.get(field, registry[key]) for key, field, _attr in PERMIT_FACTS}
    scope = values.get("enterprise.business_scope") or holder.business_scope
    return facts, scope


def permit_issue(*, application: Application) -> Permit:
    """Issue the permit record and put it into the licence library, once."""
    existing = Permit.objects.filter(application=application).first()
    if existing is not None:
        return existing
    service = application.service
    holder = _enterprise_for_permit(application)
    now = clock.now()
    today = timezone.localdate(now)
    valid_until = None
    if service.permit_valid_years:
        try:
            valid_until = today.replace(year=today.year + service.permit_valid_years)
        except ValueError:  # 29 February
            valid_until = today.replace(year=today.year + service.permit_valid_years, day=28)
    number = permit_number(application)
    departments = ", ".join(
        service.service_departments.order_by("department__code").values_list(
            "department__name_zh", flat=True
        )
    )
    licence = Licence.objects.create(
        # A business licence is numbered by the enterprise's credit code.
        number=holder.uscc if service.establishes_enterprise else number,
        licence_type=service.permit_licence_type,
        name_zh=service.permit_name_zh,
        name_en=service.permit_name_en,
        holder=holder,
        issuer=departments or _("Single window"),
        issued_on=today,
        valid_until=valid_until,
    )
    facts, scope = decided_facts(application, holder)
    permit = Permit.objects.create(
        number=number,
        application=application,
        holder=holder,
        scope=scope,
        facts=facts,
        issued_at=now,
        valid_from=today,
        valid_until=valid_until,
        licence=licence,
    )
    step = Step.objects.create(
        application=application,
        kind=StepKind.PERMIT,
        holder=ClockHolder.GOVERNMENT,
        created_at=application.decided_at or now,
    )
    _step_finish(step, actor=None, at=now)
    audit.record(
        actor=None, application=application, action=AuditAction.PERMIT_ISSUED, permit=number
    )
    # The PDF is made after the decision has committed and outside its
    # transaction: a renderer failure marks the permit for a retry
    # (manage.py render_permits) and never undoes the approval.
    from approvals import permits

    transaction.on_commit(lambda: permits.render_soon(permit.pk))
    return permit


# --- the ledger -----------------------------------------------------------


def _days(start: datetime, end: datetime) -> tuple[float, float, bool]:
    return (
        timekeeping.calendar_days_between(start, end),
        timekeeping.working_days_between(start, end),
        timekeeping.spans_unofficial_days(start, end),
    )


def _step_finish(step: Step, *, actor, at: datetime) -> None:
    step.finished_at = at
    if actor is not None:
        step.actor = actor
    step.calendar_days, step.working_days, step.estimated = _days(step.created_at, at)
    step.save()


def _step_finish_for_task(task: Task, *, actor, at: datetime) -> None:
    step = Step.objects.get(task=task)
    if step.assigned_at is None:
        step.assigned_at = at
    _step_finish(step, actor=actor, at=at)


def _clock_switch(application: Application, holder: str | None, *, at: datetime) -> None:
    """Close the open clock interval, and open one for `holder` (None: the clock stops)."""
    current = ClockInterval.objects.filter(application=application, ended_at__isnull=True).first()
    if current is not None:
        current.ended_at = at
        current.calendar_days, current.working_days, current.estimated = _days(
            current.started_at, at
        )
        current.save(update_fields=["ended_at", "calendar_days", "working_days", "estimated"])
    if holder is not None:
        ClockInterval.objects.create(application=application, holder=holder, started_at=at)


# --- notifications --------------------------------------------------------


def _for_mail(application: Application) -> Application:
    """The application as just written, with what every mail names."""
    return Application.objects.select_related("service", "applicant").get(pk=application.pk)


def _application_mail_context(application: Application, event: str, reviews=None) -> dict:
    """What the mail about ``event`` lists: read now, inside the action's transaction.

    ``reviews``: the application's reviews with their departments, if the caller has them.
    """
    if reviews is None:
        reviews = list(application.reviews.select_related("department"))
    context = {
        "event": event,
        "application": application,
        "reference": application.reference,
        "service": application.service,
        "url": mail.absolute_url(
            reverse("portal:application", kwargs={"public_id": application.public_id})
        ),
        "reviews": reviews,
    }
    if event == "accepted":
        context["deferrals"] = list(
            application.materials.filter(satisfied_by=SatisfiedBy.DEFERRAL)
            .select_related("material")
            .order_by("due_date", "material__order")
        )
    elif event == "returned":
        context["correction"] = application.corrections.order_by("-requested_at", "-pk").first()
    elif event == "decided":
        context["rejections"] = [r for r in reviews if r.decision == ReviewDecision.REJECTED]
        context["remedies"] = remedies.remedies_for(application, reviews)
    return context


def _notify_on_commit(application: Application, event: str, reviews=None) -> None:
    email = application.applicant.email
    if not email:
        return
    message = mail.compose(
        f"application_{event}",
        _application_mail_context(application, event, reviews),
        language=application.language or settings.LANGUAGE_CODE,
    )
    background.notify(
        application=application,
        event=event,
        recipients=[email],
        subject=message.subject,
        body=message.text,
        html_body=message.html,
    )


def _notify_supervisors_on_commit(escalation: Escalation) -> None:
    emails = list(roles.supervisors().exclude(email="").values_list("email", flat=True))
    if not emails:
        return
    application = escalation.application
    message = mail.compose(
        "escalated",
        {
            "escalation": escalation,
            "application": application,
            "reference": application.reference,
            "service": application.service,
            "department": escalation.department,
            "review": escalation.review,
            "url": mail.absolute_url(
                reverse("review:application", kwargs={"public_id": application.public_id})
            ),
        },
        # Officials read Chinese first; English follows for everyone else.
        language=mail.CHINESE,
    )
    background.notify(
        application=application,
        event="escalated",
        recipients=emails,
        subject=message.subject,
        body=message.text,
        html_body=message.html,
    )


# --- revocation -------------------------------------------------------------


def permit_revoke(*, actor, permit: Permit, reason: str) -> Permit:
    """Revoke a permit, for example when a commitment (告知承诺) proves false.

    Supervisors only, with a reason. The permit then verifies as revoked, and
    its licence leaves the licence library, so no later application reuses it.
    """
    from approvals.models import LicenceStatus, PermitStatus

    if not roles.is_supervisor(actor):
        raise PermissionDenied(_("Only supervisors may revoke a permit."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for revoking this permit.")})
    try:
        with transaction.atomic():
            locked = Permit.objects.select_for_update().get(pk=permit.pk)
            if locked.status == PermitStatus.REVOKED:
                raise ValidationError(
                    _("This permit was already revoked on %(date)s.")
                    % {"date": timezone.localdate(locked.revoked_at).isoformat()}
                )
            locked.status = PermitStatus.REVOKED
            locked.revoked_at = clock.now()
            locked.revoked_by = actor
            locked.revocation_reason = reason[:4000]
            locked.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
            if locked.licence_id:
                Licence.objects.filter(pk=locked.licence_id).update(status=LicenceStatus.REVOKED)
            audit.record(
                actor=actor,
                application=locked.application_id,
                action=AuditAction.PERMIT_REVOKED,
                permit=locked.number,
                reason=locked.revocation_reason,
            )
    except OperationalError as exc:
        raise_busy_if_contention(exc)
    permit.refresh_from_db()
    return permit

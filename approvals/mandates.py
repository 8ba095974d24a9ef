"""Granting, registering and revoking mandates (授权委托): the writes.

A legal representative grants a mandate in the portal; a window clerk
registers a paper one with its scan; the legal representative (or a clerk,
on the enterprise's written request) revokes it, with effect at once. Each
is one transaction with its audit entry. Who holds a mandate, and what it
lets them do, is read in approvals.representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from approvals import audit, clock, representation
from approvals.identifiers import (
    DocumentType,
    normalize_document_number,
    normalize_uscc,
    validate_uscc,
)
from approvals.models import (
    Agency,
    AuditAction,
    Enterprise,
    Identity,
    IdentityStatus,
    Mandate,
    MandateOrigin,
    Service,
)
from approvals.realname import same_name
from approvals.roles import is_clerk
from approvals.uploads import sniff_content_type

# A mandate longer than this is refused: the enterprise renews it instead.
MAX_MANDATE_DAYS = 3 * 366


@dataclass(frozen=True)
class Grantee:
    """To whom: a person (by their identity document and name) or an agency (by its code)."""

    document_type: str = ""
    document_number: str = ""
    name: str = ""
    agency_uscc: str = ""


def _resolve_grantee(grantee: Grantee) -> dict:
    if grantee.agency_uscc:
        code = normalize_uscc(grantee.agency_uscc)
        try:
            validate_uscc(code)
        except ValidationError as exc:
            raise ValidationError({"agency_uscc": exc.messages}) from exc
        agency = Agency.objects.filter(uscc=code).first()
        if agency is None:
            raise ValidationError(
                {
                    "agency_uscc": [
                        _("No agency with this credit code is registered with the single window.")
                    ]
                }
            )
        return {"grantee_agency": agency}
    if grantee.document_type not in DocumentType.values:
        raise ValidationError({"document_type": [_("Choose the type of identity document.")]})
    identity = (
        Identity.objects.filter(
            status=IdentityStatus.VERIFIED,
            document_type=grantee.document_type,
            document_number=normalize_document_number(grantee.document_number),
        )
        .select_related("user")
        .first()
    )
    if identity is None or not same_name(identity.name, grantee.name):
        raise ValidationError(
            {
                "document_number": [
                    _(
                        "No verified account holds this name and document. The person must "
                        "sign up and verify their identity before you can authorise them."
                    )
                ]
            }
        )
    return {"grantee_user": identity.user}


def _check_period(valid_from: datetime, valid_until: datetime) -> None:
    if valid_until <= valid_from:
        raise ValidationError({"valid_until": [_("The end must come after the start.")]})
    if valid_until <= clock.now():
        raise ValidationError({"valid_until": [_("The end must be in the future.")]})
    if valid_until - valid_from > timedelta(days=MAX_MANDATE_DAYS):
        raise ValidationError(
            {"valid_until": [_("A mandate lasts at most three years; renew it when it ends.")]}
        )


def _check_services(services) -> list[Service]:
    chosen = list(services)
    if not chosen:
        raise ValidationError({"services": [_("Choose at least one service.")]})
    if any(s.establishes_enterprise for s in chosen):
        raise ValidationError(
            {
                "services": [
                    _(
                        "An enterprise cannot authorise its own establishment: that is "
                        "applied for by the investor who declared its name."
                    )
                ]
            }
        )
    return chosen


def _enterprise(uscc: str) -> Enterprise:
    enterprise = Enterprise.objects.filter(uscc=normalize_uscc(uscc)).first()
    if enterprise is None:
        raise ValidationError({"uscc": [_("No enterprise with this credit code is registered.")]})
    return enterprise


def _record(actor, mandate: Mandate, action: AuditAction, **detail) -> None:
    grantee = mandate.grantee
    audit.record(
        actor=actor,
        application=None,
        action=action,
        enterprise_uscc=mandate.enterprise.uscc,
        mandate=str(mandate.public_id),
        grantee=grantee.uscc if mandate.grantee_agency_id else grantee.get_username(),
        services=sorted(s.code for s in mandate.services.all()),
        valid_until=mandate.valid_until.isoformat(),
        **detail,
    )


def mandate_grant(
    *,
    actor,
    uscc: str,
    grantee: Grantee,
    services,
    valid_from: datetime | None = None,
    valid_until: datetime,
) -> Mandate:
    """The legal representative authorises a person or an agency for some services."""
    enterprise = _enterprise(uscc)
    if not representation.enterprises_represented(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(
            _("Only the enterprise's legal representative may grant its mandates.")
        )
    target = _resolve_grantee(grantee)
    if target.get("grantee_user") == actor:
        raise ValidationError(
            {"document_number": [_("You act for this enterprise already: authorise someone else.")]}
        )
    valid_from = valid_from or clock.now()
    _check_period(valid_from, valid_until)
    chosen = _check_services(services)
    with transaction.atomic():
        mandate = Mandate(
            enterprise=enterprise,
            valid_from=valid_from,
            valid_until=valid_until,
            origin=MandateOrigin.PORTAL,
            granted_by=actor,
            **target,
        )
        mandate.full_clean()
        mandate.save()
        mandate.services.set(chosen)
        _record(actor, mandate, AuditAction.MANDATE_GRANTED)
    return mandate


def _check_scan(document: UploadedFile) -> str:
    if document is None or not document.size:
        raise ValidationError({"document": [_("Attach the scan of the signed mandate.")]})
    if document.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            {
                "document": [
                    _("The file is %(size)s; the limit is %(limit)s.")
                    % {
                        "size": filesizeformat(document.size),
                        "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
                    }
                ]
            }
        )
    document.seek(0)
    content_type = sniff_content_type(document.read(16))
    document.seek(0)
    if content_type is None:
        raise ValidationError(
            {
                "document": [
                    _("Only PDF, JPEG or PNG files are accepted; this file is none of them.")
                ]
            }
        )
    return content_type


def mandate_register_paper(
    *,
    actor,
    uscc: str,
    grantee: Grantee,
    services,
    valid_from: datetime | None = None,
    valid_until: datetime,
    document: UploadedFile,
) -> Mandate:
    """A window clerk registers a signed paper mandate, with its scan."""
    if not is_clerk(actor):
        raise PermissionDenied(_("Only window clerks may register paper mandates."))
    enterprise = _enterprise(uscc)
    target = _resolve_grantee(grantee)
    valid_from = valid_from or clock.now()
    _check_period(valid_from, valid_until)
    chosen = _check_services(services)
    _check_scan(document)
    with transaction.atomic():
        mandate = Mandate(
            enterprise=enterprise,
            valid_from=valid_from,
            valid_until=valid_until,
            origin=MandateOrigin.PAPER,
            registered_by=actor,
            **target,
        )
        mandate.full_clean(exclude=["document"])
        name = f"{mandate.public_id}-{document.name or 'mandate'}"[-120:]
        mandate.document.save(name, document, save=False)
        mandate.save()
        mandate.services.set(chosen)
        _record(actor, mandate, AuditAction.MANDATE_REGISTERED)
    return mandate


def mandate_revoke(*, actor, mandate: Mandate, reason: str = "") -> Mandate:
    """End a mandate now. Drafts its holder has not submitted stop being theirs to work on."""
    own = representation.enterprises_represented(actor).filter(pk=mandate.enterprise_id).exists()
    if not (own or is_clerk(actor)):
        raise PermissionDenied(
            _("Only the enterprise's legal representative or a window clerk may revoke it.")
        )
    with transaction.atomic():
        mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.revoked_at is not None:
            return mandate  # a retry: revoked already
        mandate.revoked_at = clock.now()
        mandate.revoked_by = actor
        mandate.revocation_reason = (reason or "").strip()[:500]
        mandate.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
        _record(actor, mandate, AuditAction.MANDATE_REVOKED, reason=mandate.revocation_reason)
    return mandate

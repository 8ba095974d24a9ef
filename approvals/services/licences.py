"""Revoking an issued permit (its licence in the library follows)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import (
    audit,
    clock,
    roles,
)
from approvals.errors import raise_busy_if_contention
from approvals.models import (
    AuditAction,
    Licence,
    LicenceStatus,
    Permit,
    PermitStatus,
)

# --- revocation -------------------------------------------------------------


def permit_revoke(*, actor, permit: Permit, reason: str) -> Permit:
    """Revoke a permit, for example when a commitment (告知承诺) proves false.

    Supervisors only, with a reason. The permit then verifies as revoked, and
    its licence leaves the licence library, so no later application reuses it.
    """
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

"""Who may change an application: the applicant still acting for the
enterprise, or a window clerk."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from approvals import (
    representation,
    roles,
)
from approvals.models import (
    Application,
)


def require_owner(actor, application: Application, *, basis_needed: bool = True) -> None:
    """The applicant, still acting for the enterprise: a mandate that ended or was
    revoked stops every change (withdrawing excepted: `basis_needed=False`)."""
    if not (actor and actor.is_authenticated and application.applicant_id == actor.pk):
        raise PermissionDenied(_("Only the applicant may change this application."))
    if basis_needed and not representation.still_acts_for(actor, application):
        raise PermissionDenied(representation.no_basis_message())


def require_clerk(actor) -> None:
    if not roles.is_clerk(actor):
        raise PermissionDenied(_("Only window clerks may accept or return applications."))

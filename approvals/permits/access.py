"""Who may download a permit's PDF."""

from __future__ import annotations

from approvals import roles
from approvals.models import Department, Permit


def can_download(user, permit: Permit) -> bool:
    """The PDF goes to the applicant, the officials of the permit's departments,
    window clerks and supervisors; to no one else."""
    if not (user and user.is_authenticated):
        return False
    if permit.application.applicant_id == user.pk:
        return True
    if roles.is_clerk(user) or roles.is_supervisor(user):
        return True
    return Department.objects.filter(
        service_departments__service_id=permit.application.service_id,
        reviewer_group__user=user,
    ).exists()

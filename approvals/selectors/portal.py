"""Reads for the investor portal: an applicant's own applications and their parts.

Someone else's application is treated as absent, so a guessed or leaked URL
tells nobody that it exists.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from approvals import representation
from approvals.models import (
    Application,
    ApplicationMaterial,
    ClockInterval,
    CorrectionRequest,
    DepartmentReview,
    Step,
)
from approvals.selectors.values import typed_value


def applications_of(user) -> QuerySet[Application]:
    """An investor's or agent's own applications, ready for a list page: every one
    submitted, and the drafts of enterprises they still act for (a revoked or ended
    mandate hides its drafts; see approvals.representation)."""
    if not (user is not None and user.is_authenticated):
        return Application.objects.none()
    return (
        Application.objects.filter(applicant=user)
        .filter(representation.visible_to_applicant_q(user))
        .select_related("service", "enterprise")
    )


def application_of(user, public_id) -> Application | None:
    """One of the user's own applications, or None.

    Someone else's application is treated as absent, so a guessed or leaked
    URL tells nobody that it exists.
    """
    return applications_of(user).filter(public_id=public_id).first()


def represents_enterprise(user, uscc: str) -> bool:
    """Whether the user acts for this enterprise now, in at least one service: its
    legal representative, or the holder of a mandate in force (approvals.representation).
    Having filed for it once is not enough."""
    return representation.acts_for_any_service(user, uscc)


def applications_for_list(user, *, status: str = "") -> QuerySet[Application]:
    """The user's applications, newest first, each with who holds its clock now.

    The holder comes from the open clock interval as a subquery of the same
    SELECT, and the name an applicant typed (for an enterprise the registry
    does not hold yet) likewise, so a page costs one query whatever its size.
    """
    open_interval = ClockInterval.objects.filter(
        application=OuterRef("pk"), ended_at__isnull=True
    ).values("holder")[:1]

    applications = applications_of(user).annotate(
        clock_holder=Subquery(open_interval),
        typed_name_zh=typed_value("enterprise.name_zh"),
        typed_name_en=typed_value("enterprise.name_en"),
    )
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("-created_at", "-pk")


def application_materials(application: Application) -> QuerySet[ApplicationMaterial]:
    return application.materials.select_related("material__department")


def application_timeline(application: Application) -> QuerySet[Step]:
    """Every step of the ledger in the order it happened, with its department: one query."""
    return application.steps.select_related("department").order_by("created_at", "pk")


def application_reviews(application: Application) -> QuerySet[DepartmentReview]:
    return application.reviews.select_related("department").order_by("department__code")


def application_corrections(application: Application) -> QuerySet[CorrectionRequest]:
    return application.corrections.order_by("requested_at", "pk")

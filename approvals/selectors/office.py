"""Reads for the officials: the window's queue, the departments' reviews, the supervisors' lists.

Every list or object an official may see comes from one of these querysets,
so scoping is decided here once; views look objects up *in* them and a miss
is a 404, whatever the object's id.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from viewflow.workflow.status import STATUS

from approvals.models import (
    DEFERRED_DELIVERY_STATUSES,
    Application,
    ApplicationMaterial,
    ApplicationMatter,
    ApplicationStatus,
    AuditEntry,
    ClockInterval,
    CorrectionRequest,
    Department,
    DepartmentReview,
    Escalation,
    ReviewDecision,
    SatisfiedBy,
)
from approvals.roles import is_clerk, is_supervisor
from approvals.selectors.portal import applications_of
from approvals.selectors.values import typed_value, typed_value_of_application

_OPEN_TASK = ~Q(task__status__in=[STATUS.DONE, STATUS.CANCELED])


def departments_reviewed_by(user) -> QuerySet[Department]:
    """The departments whose reviewer group the user belongs to."""
    if not (user and user.is_authenticated):
        return Department.objects.none()
    return Department.objects.filter(reviewer_group__user=user).order_by("code")


def applications_for_official(user) -> QuerySet[Application]:
    """The applications an official may open; never a draft.

    Clerks and supervisors: every submitted application. A department
    reviewer: only applications whose service involves one of their
    departments. Anyone else (investors included): none; investors see their
    own through the portal's selectors.
    """
    if not (user and user.is_authenticated):
        return Application.objects.none()
    submitted = Application.objects.exclude(status=ApplicationStatus.DRAFT)
    if is_clerk(user) or is_supervisor(user):
        return submitted
    return submitted.filter(
        Exists(
            ApplicationMatter.objects.filter(
                application=OuterRef("pk"), matter__department__reviewer_group__user=user
            )
        )
    )


def window_queue() -> QuerySet[Application]:
    """Submitted applications waiting at the window, oldest submission first.

    `waiting_since` is when the case last reached the window (its resubmission
    after a correction, else its submission): the start of the open clock
    interval. `corrections_count` is how many times it was returned so far.
    Both are subqueries of the one SELECT, so a page costs one query.
    """
    waiting_since = ClockInterval.objects.filter(
        application=OuterRef("pk"), ended_at__isnull=True
    ).values("started_at")[:1]
    corrections = (
        CorrectionRequest.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED)
        .select_related("service")
        .annotate(
            waiting_since=Coalesce(Subquery(waiting_since), F("submitted_at")),
            corrections_count=Coalesce(Subquery(corrections, output_field=IntegerField()), 0),
            typed_name_zh=typed_value("enterprise.name_zh"),
            typed_name_en=typed_value("enterprise.name_en"),
        )
        .order_by("submitted_at", "pk")
    )


def department_reviews_for(user) -> QuerySet[DepartmentReview]:
    """Pending reviews of the departments the user reviews for, and only those."""
    return (
        DepartmentReview.objects.filter(
            department__reviewer_group__user=user, decision=ReviewDecision.PENDING
        )
        .exclude(task__isnull=True)
        .select_related("application__service", "department", "task")
        .order_by("due_at", "pk")
    )


def reviews_for_reviewer(user) -> QuerySet[DepartmentReview]:
    """Every review, whatever its decision, of the departments the user reviews for."""
    if not (user and user.is_authenticated):
        return DepartmentReview.objects.none()
    return DepartmentReview.objects.filter(department__reviewer_group__user=user).select_related(
        "application__service",
        "application__enterprise",
        "application__applicant",
        "department",
        "matter__matter",
        "task__owner",
    )


def _review_rows(reviews: QuerySet[DepartmentReview]) -> QuerySet[DepartmentReview]:
    return reviews.select_related(
        "application__service", "department", "matter__matter", "escalation"
    ).annotate(
        typed_name_zh=typed_value_of_application("enterprise.name_zh"),
        typed_name_en=typed_value_of_application("enterprise.name_en"),
    )


def review_inbox(user) -> QuerySet[DepartmentReview]:
    """Pending reviews of the user's departments that the user has taken, earliest due first."""
    return _review_rows(department_reviews_for(user).filter(_OPEN_TASK, task__owner=user))


def review_queue(user) -> QuerySet[DepartmentReview]:
    """Pending reviews of the user's departments that nobody has taken yet, earliest due first."""
    return _review_rows(department_reviews_for(user).filter(_OPEN_TASK, task__owner__isnull=True))


def overdue_reviews(*, now: datetime, department_code: str = "") -> QuerySet[DepartmentReview]:
    """Pending reviews past their due time, across departments, the longest overdue first."""
    reviews = (
        DepartmentReview.objects.filter(decision=ReviewDecision.PENDING, due_at__lt=now)
        .exclude(task__isnull=True)
        .filter(_OPEN_TASK)
    )
    if department_code:
        reviews = reviews.filter(department__code=department_code)
    return _review_rows(reviews).select_related("task__owner").order_by("due_at", "pk")


def overdue_deferred_materials(
    *, today: date, department_code: str = ""
) -> QuerySet[ApplicationMaterial]:
    """Deferred materials not handed in by their due date, the longest overdue first.

    Only of applications that still expect them (accepted, in review or
    approved: approvals.models.DEFERRED_DELIVERY_STATUSES). A department filter keeps
    the materials that department asks for.
    """
    rows = ApplicationMaterial.objects.filter(
        satisfied_by=SatisfiedBy.DEFERRAL,
        received_at__isnull=True,
        due_date__lt=today,
        application__status__in=DEFERRED_DELIVERY_STATUSES,
    )
    if department_code:
        rows = rows.filter(material__department__code=department_code)
    return rows.select_related("application__service", "material__department").order_by(
        "due_date", "pk"
    )


def escalations(*, department_code: str = "") -> QuerySet[Escalation]:
    """Reviews raised to the supervisors for outrunning their limit, latest first."""
    rows = Escalation.objects.select_related("application__service", "department", "review")
    if department_code:
        rows = rows.filter(department__code=department_code)
    return rows.order_by("-fired_at", "-pk")


def material_file_for(user, *, public_id, material_code: str) -> ApplicationMaterial | None:
    """An uploaded material, if the user may read it: the applicant (of a draft only
    while they still act for the enterprise), or an official who may open the
    application. Anyone else gets None, as if it did not exist."""
    if not (user and user.is_authenticated):
        return None
    visible = Q(application__in=applications_of(user).values("pk")) | Q(
        application__in=applications_for_official(user).values("pk")
    )
    return (
        ApplicationMaterial.objects.filter(
            visible,
            application__public_id=public_id,
            material__code=material_code,
            satisfied_by=SatisfiedBy.UPLOAD,
        )
        .exclude(file="")
        .select_related("material")
        .first()
    )


def audit_trail() -> QuerySet[AuditEntry]:
    """Every recorded action, latest first, with its application: one query a page."""
    return AuditEntry.objects.select_related("application__service").order_by("-at", "-pk")

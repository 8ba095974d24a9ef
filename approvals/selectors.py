"""Reads: tuned querysets and the figures derived from the ledger.

Figures are counted from the ledger's rows (steps, clock intervals,
materials), never taken from constants, so "materials avoided" or "days
held by the government" are what actually happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from viewflow.workflow.status import STATUS

from approvals import clock, prefill, representation, timekeeping
from approvals.models import (
    DEFERRED_DELIVERY_STATUSES,
    INVESTOR_STEPS,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    AuditEntry,
    ClockHolder,
    ClockInterval,
    CorrectionRequest,
    Department,
    DepartmentReview,
    Escalation,
    Material,
    PrefilledValue,
    RejectionReason,
    ReviewDecision,
    SatisfiedBy,
    Service,
    ServiceDepartment,
    Step,
)
from approvals.roles import is_clerk, is_supervisor

SUBMITTED_WAYS = (SatisfiedBy.UPLOAD, SatisfiedBy.COMMITMENT, SatisfiedBy.DEFERRAL)


@dataclass(frozen=True)
class MaterialsSummary:
    required: int
    reused: int
    submitted: int

    @property
    def avoided_share(self) -> float:
        """Share of the required materials the investor did not have to hand in."""
        return self.reused / self.required if self.required else 0.0


def _materials_counts() -> dict:
    return {
        "required": Count("pk"),
        "reused": Count("pk", filter=Q(satisfied_by=SatisfiedBy.REUSE)),
        "submitted": Count("pk", filter=Q(satisfied_by__in=SUBMITTED_WAYS)),
    }


def application_materials_summary(application: Application) -> MaterialsSummary:
    return MaterialsSummary(**application.materials.aggregate(**_materials_counts()))


def materials_avoided_by_service(*, include_simulated: bool = False) -> dict[str, MaterialsSummary]:
    """Per service code: materials required, reused and submitted, over submitted applications."""
    applications = Q(applications__submitted_at__isnull=False)
    if not include_simulated:
        applications &= Q(applications__is_simulated=False)
    rows = Service.objects.values("code").annotate(
        required=Count("applications__materials", filter=applications),
        reused=Count(
            "applications__materials",
            filter=applications & Q(applications__materials__satisfied_by=SatisfiedBy.REUSE),
        ),
        submitted=Count(
            "applications__materials",
            filter=applications & Q(applications__materials__satisfied_by__in=SUBMITTED_WAYS),
        ),
    )
    return {r["code"]: MaterialsSummary(r["required"], r["reused"], r["submitted"]) for r in rows}


@dataclass(frozen=True)
class ClockSummary:
    holder_now: str | None
    government_calendar_days: float
    government_working_days: float
    investor_calendar_days: float
    investor_working_days: float
    end_to_end_calendar_days: float
    end_to_end_working_days: float
    statutory_working_days: float
    statutory_limit_days: int
    promised_limit_days: int
    target_days: float
    baseline_days: float
    investor_steps: int
    government_steps: int

    @property
    def within_target(self) -> bool:
        return self.end_to_end_calendar_days <= self.target_days

    @property
    def within_statute(self) -> bool:
        return self.statutory_working_days <= self.statutory_limit_days


def application_clock(application: Application, *, now: datetime | None = None) -> ClockSummary:
    """Who holds the clock and how long each party has held it.

    Statutory compliance counts government-held working days from acceptance
    (time the case waits on the investor is not the government's); the
    end-to-end time investors feel runs from submission and includes it.
    """
    now = now or clock.now()
    held = {ClockHolder.GOVERNMENT: [0.0, 0.0], ClockHolder.INVESTOR: [0.0, 0.0]}
    statutory = 0.0
    holder_now = None
    for interval in application.clock_intervals.all():
        end = interval.ended_at or now
        if interval.ended_at is None:
            holder_now = interval.holder
            calendar = timekeeping.calendar_days_between(interval.started_at, end)
            working = timekeeping.working_days_between(interval.started_at, end)
        else:
            calendar, working = interval.calendar_days, interval.working_days
        held[interval.holder][0] += calendar
        held[interval.holder][1] += working
        if (
            interval.holder == ClockHolder.GOVERNMENT
            and application.accepted_at is not None
            and end > application.accepted_at
        ):
            start = max(interval.started_at, application.accepted_at)
            statutory += timekeeping.working_days_between(start, end)
    start = application.submitted_at
    finish = application.decided_at or now
    steps = application.steps.aggregate(
        investor=Count("pk", filter=Q(kind__in=INVESTOR_STEPS)),
        government=Count("pk", filter=~Q(kind__in=INVESTOR_STEPS)),
    )
    service = application.service
    return ClockSummary(
        holder_now=holder_now,
        government_calendar_days=round(held[ClockHolder.GOVERNMENT][0], 6),
        government_working_days=round(held[ClockHolder.GOVERNMENT][1], 6),
        investor_calendar_days=round(held[ClockHolder.INVESTOR][0], 6),
        investor_working_days=round(held[ClockHolder.INVESTOR][1], 6),
        end_to_end_calendar_days=timekeeping.calendar_days_between(start, finish) if start else 0.0,
        end_to_end_working_days=timekeeping.working_days_between(start, finish) if start else 0.0,
        statutory_working_days=round(statutory, 6),
        statutory_limit_days=service.statutory_limit_days,
        promised_limit_days=service.promised_limit_days,
        target_days=timekeeping.benchmark_target_days(),
        baseline_days=timekeeping.benchmark_baseline_days(),
        investor_steps=steps["investor"],
        government_steps=steps["government"],
    )


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


def service_guide() -> QuerySet[Service]:
    """Open services with their departments and materials, for the public guide."""
    return (
        Service.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch(
                "service_departments",
                queryset=ServiceDepartment.objects.select_related("department").order_by(
                    "department__code"
                ),
            ),
            Prefetch("materials", queryset=Material.objects.select_related("department")),
        )
        .order_by("code")
    )


def median_decision_days(service: Service) -> float | None:
    """Median calendar days from submission to decision of the service's real applications.

    Computed in the database (order by the duration, read the middle one or
    two rows), so it costs two queries whatever the number of applications.
    """
    durations = (
        Application.objects.filter(
            service=service,
            decided_at__isnull=False,
            submitted_at__isnull=False,
            is_simulated=False,
        )
        .annotate(
            took=ExpressionWrapper(
                F("decided_at") - F("submitted_at"), output_field=DurationField()
            )
        )
        .order_by("took")
    )
    n = durations.count()
    if n == 0:
        return None
    middle = list(durations.values_list("took", flat=True)[(n - 1) // 2 : n // 2 + 1])
    seconds = sum(d.total_seconds() for d in middle) / len(middle)
    return round(seconds / 86400, 2)


# --- the investor portal ----------------------------------------------------


def application_of(user, public_id) -> Application | None:
    """One of the user's own applications, or None.

    Someone else's application is treated as absent, so a guessed or leaked
    URL tells nobody that it exists.
    """
    return applications_of(user).select_related("permit").filter(public_id=public_id).first()


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
        typed_name_zh=_typed_value("enterprise.name_zh"),
        typed_name_en=_typed_value("enterprise.name_en"),
    )
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("-created_at", "-pk")


def application_values(application: Application) -> list[PrefilledValue]:
    """The application's fields in the order the sources define them."""
    order = {key: i for i, key in enumerate(prefill.field_specs())}
    return sorted(application.values.all(), key=lambda v: (order.get(v.field, len(order)), v.pk))


def application_materials(application: Application) -> QuerySet[ApplicationMaterial]:
    return application.materials.select_related("material__department")


def application_timeline(application: Application) -> QuerySet[Step]:
    """Every step of the ledger in the order it happened, with its department: one query."""
    return application.steps.select_related("department").order_by("created_at", "pk")


def application_reviews(application: Application) -> QuerySet[DepartmentReview]:
    return application.reviews.select_related("department").order_by("department__code")


def application_corrections(application: Application) -> QuerySet[CorrectionRequest]:
    return application.corrections.order_by("requested_at", "pk")


def application_expected_completion(
    application: Application, clock: ClockSummary
) -> datetime | None:
    """When the promise falls due: the promised working days from submission,
    pushed back by the working days the application has waited on the investor.

    None for a draft (no clock yet) and once a decision is made.
    """
    if application.submitted_at is None or application.decided_at is not None:
        return None
    return timekeeping.deadline_after(
        application.submitted_at, clock.promised_limit_days + clock.investor_working_days
    )


# --- official screens -------------------------------------------------------
#
# Every list or object an official may see comes from one of these querysets,
# so scoping is decided here once; views look objects up *in* them and a miss
# is a 404, whatever the object's id.

_OPEN_TASK = ~Q(task__status__in=[STATUS.DONE, STATUS.CANCELED])


def _typed_value(field: str) -> Subquery:
    return Subquery(
        PrefilledValue.objects.filter(application=OuterRef("pk"), field=field)
        .order_by()
        .values("value")[:1]
    )


def _typed_value_of_application(field: str) -> Subquery:
    return Subquery(
        PrefilledValue.objects.filter(application=OuterRef("application_id"), field=field)
        .order_by()
        .values("value")[:1]
    )


def departments_reviewed_by(user) -> QuerySet[Department]:
    """The departments whose reviewer group the user belongs to."""
    if not (user and user.is_authenticated):
        return Department.objects.none()
    return Department.objects.filter(reviewer_group__user=user).order_by("code")


def departments_all() -> QuerySet[Department]:
    return Department.objects.order_by("code")


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
    involving = Service.objects.filter(service_departments__department__reviewer_group__user=user)
    return submitted.filter(service__in=involving)


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
            typed_name_zh=_typed_value("enterprise.name_zh"),
            typed_name_en=_typed_value("enterprise.name_en"),
        )
        .order_by("submitted_at", "pk")
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
        "task__owner",
    )


def _review_rows(reviews: QuerySet[DepartmentReview]) -> QuerySet[DepartmentReview]:
    return reviews.select_related("application__service", "department", "escalation").annotate(
        typed_name_zh=_typed_value_of_application("enterprise.name_zh"),
        typed_name_en=_typed_value_of_application("enterprise.name_en"),
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


def rejection_reasons_for(department: Department) -> QuerySet[RejectionReason]:
    """The catalogue reasons a department may give: its own first, then the general ones."""
    return RejectionReason.objects.filter(
        Q(department__isnull=True) | Q(department=department), is_active=True
    ).order_by(F("department_id").asc(nulls_last=True), "code")


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


@dataclass(frozen=True)
class ApplicationScreen:
    """What every official screen shows about one application."""

    application: Application
    values: list[PrefilledValue]
    materials: list[ApplicationMaterial]
    corrections: list[CorrectionRequest]
    reviews: list[DepartmentReview]
    clock: ClockSummary
    materials_summary: MaterialsSummary

    @property
    def corrected_values(self) -> list[PrefilledValue]:
        return [v for v in self.values if v.corrected]

    @property
    def deferred_materials(self) -> list[ApplicationMaterial]:
        return [m for m in self.materials if m.satisfied_by == SatisfiedBy.DEFERRAL or m.due_date]

    @property
    def overdue_materials(self) -> list[ApplicationMaterial]:
        """Deferred, still expected, and past the due date (as overdue_deferred_materials)."""
        today = timezone.localdate()
        return [
            m
            for m in self.materials
            if m.satisfied_by == SatisfiedBy.DEFERRAL
            and m.received_at is None
            and m.due_date is not None
            and m.due_date < today
            and self.application.status in DEFERRED_DELIVERY_STATUSES
        ]


def application_screen(application: Application, *, viewer=None) -> ApplicationScreen:
    """The application's values with their provenance, its materials, its
    correction history, the departments' progress and its clock, as `viewer`
    may see them: identity numbers masked unless the viewer needs them (no
    viewer: masked), an unmasked view by an official audited (approvals.privacy).

    A fixed number of queries: one per list, two for the clock (plus the
    viewer's role check and the audit entry when identity numbers are held).
    """
    from approvals import privacy

    specs = prefill.field_specs()
    source_labels = {src.name: src.label for src in prefill.sources()}
    values = privacy.present_values(
        application_values(application), viewer=viewer, application=application
    )
    for value in values:
        spec = specs.get(value.field)
        value.label = spec[0].label if spec else value.field
        value.source_label = source_labels.get(value.source, value.source)
    materials = list(application_materials(application))
    return ApplicationScreen(
        application=application,
        values=values,
        materials=materials,
        corrections=list(application_corrections(application)),
        reviews=list(application_reviews(application)),
        clock=application_clock(application),
        materials_summary=MaterialsSummary(
            required=len(materials),
            reused=sum(m.satisfied_by == SatisfiedBy.REUSE for m in materials),
            submitted=sum(m.satisfied_by in SUBMITTED_WAYS for m in materials),
        ),
    )


def audit_trail() -> QuerySet[AuditEntry]:
    """Every recorded action, latest first, with its application: one query a page."""
    return AuditEntry.objects.select_related("application__service").order_by("-at", "-pk")

"""Approval-time figures against the reform's benchmark, computed in the database.

This module computes the supervisor's report: per service, department, step and
month of decision, how many applications were decided, how long they took
(median, 90th percentile and mean, in calendar and in working days), who held
the clock, the share decided within the 2-day target and within the 7-day
baseline, steps per application against the steps an investor made before
the reform, materials avoided by reuse, statutory-limit compliance and
escalations. Every figure is an aggregate over the ledger's rows; nothing
walks the rows in Python, and the number of queries does not depend on the
number of applications.

Which applications count. Applications with a decision (approved or
rejected: a withdrawal is not a decision), from submission to decision,
grouped by the local month (``TIME_ZONE``) of their decision. Simulated
applications count only when asked for. ``Population`` holds the
filters (``approvals.reports.filters`` builds it from the page's query
string or the command's options), so the page, the CSV, the PDF, the API and
``manage.py approval_report`` count the same applications.

How each figure is measured.

* End to end, calendar days: ``decided_at - submitted_at``, in the database.
* End to end, working days: there is no stored column. It is the sum of
  the application's closed clock intervals' ``working_days``: from
  submission the clock is always held by exactly one party (the services
  switch it, never leave a gap or an overlap) until the decision stops it,
  so the intervals tile ``[submitted_at, decided_at)`` and their working
  days add up to the working days of that span.
* Government-held and investor-held time: sums of the clock intervals by
  holder, shown per application and as the government's share.
* Statutory compliance: the government-held working days *from acceptance*
  must not exceed ``Service.statutory_limit_days``. Nothing stores them, so
  they are derived from what is stored: the government's intervals minus its
  time at the window before acceptance, which is exactly the acceptance
  steps (each runs from a submission, when the government's interval opens,
  to the clerk's acceptance or return). The result is exact up to the
  milliseconds between a submission and the creation of its acceptance task.
* Department and step breakdowns use the ``Step`` rows' stored
  ``calendar_days`` and ``working_days``; a department's figures are its
  review steps.
* Investor steps (:data:`STEPS_DEFINITION`, printed beside the figure): each
  occasion on which the investor must hand something in. Counted from the
  records: the submissions and correction rounds (``Step`` rows of the kinds
  in ``INVESTOR_STEPS``; the sequential simulator records one submission per
  department), plus every required material the investor supplied rather
  than the government reusing it: uploaded, a signed commitment, or deferred
  (one later delivery, whether made yet or still owed). A reused material
  costs the investor no step. The government's steps are the other kinds.
* Baseline steps: the same application without the single window, one
  submission for each matter of the service
  (``ThingMatter`` rows) and every required material handed in,
  including those reused now. "Steps avoided" is 1 - investor steps /
  baseline steps, over all the applications counted. (``Service.legacy_steps``,
  a figure typed into the catalogue, is no longer used here.)
* Materials avoided: of the applications' required materials, the share
  reused from shared data.
* Deferred materials (容缺受理): overdue, a material of an approved
  application still deferred, not received, after its due date (as of
  today); handed in late, one received on a local day after its due date.

Percentiles: ``approvals.reports.percentiles``; the columns and how each
output writes them: ``approvals.reports.columns``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals import clock, timekeeping
from approvals.models import (
    GRANTED_STATUSES,
    INVESTOR_STEPS,
    ApplicationMaterial,
    ClockHolder,
    ClockInterval,
    Department,
    Escalation,
    Matter,
    SatisfiedBy,
    Service,
    Step,
    StepKind,
)
from approvals.reports.breakdowns import (
    Yardstick,
    application_row,
    department_rows,
    matter_rows,
    month_rows,
    service_rows,
    slowest,
    step_rows,
)
from approvals.reports.expressions import (
    decision_month,
    end_to_end_days,
    end_to_end_working_days,
    statutory_working_days,
)
from approvals.reports.percentiles import Key, grouped, grouped_with_percentiles
from approvals.reports.population import Population
from approvals.reports.rows import Report

# The ways of meeting a material that cost the investor a hand-in.
HANDED_IN = (SatisfiedBy.UPLOAD, SatisfiedBy.COMMITMENT, SatisfiedBy.DEFERRAL)


def approval_report(population: Population | None = None) -> Report:
    """The figures over the applications of `population` (by default: every real one).

    A department filter also narrows the department table to that
    department, and the step table to its reviews and the steps without a
    department.
    """
    population = population or Population()
    yardstick = Yardstick(
        target=timekeeping.benchmark_target_days(),
        baseline=timekeeping.benchmark_baseline_days(),
    )
    applications = population.applications()
    additive = _additive_figures(population, applications, yardstick)
    measures = {"days": end_to_end_days(), "working_days": end_to_end_working_days()}
    by_app = _by_application()
    pct_overall = grouped_with_percentiles(applications, {}, {}, measures)
    pct_service = grouped_with_percentiles(
        applications, {"service": by_app["service"]}, {}, measures
    )
    pct_month = grouped_with_percentiles(applications, {"month": by_app["month"]}, {}, measures)
    kinds, departments, department_escalations, matters = _step_figures(population, yardstick)

    service_ids = {key[0] for key in additive.counted}
    # Each service with the number of departments it involves: the baseline's trips.
    catalogue = (
        Service.objects.annotate(department_count=Count("thing_matters")).in_bulk(service_ids)
        if service_ids
        else {}
    )
    department_ids = {key[0] for key in departments}
    if population.department is not None:
        department_ids.add(population.department.pk)
    department_names = Department.objects.in_bulk(department_ids) if department_ids else {}
    matter_ids = {key[0] for key in matters if key[0] is not None}
    matter_names = Matter.objects.in_bulk(matter_ids) if matter_ids else {}

    overall = application_row(
        yardstick,
        "overall",
        "all",
        str(_("All applications")),
        additive.rolled_up(catalogue, None).get((), {}),
        pct_overall.get((), {}),
    )
    services = service_rows(yardstick, additive.rolled_up(catalogue, 0), pct_service, catalogue)
    months = month_rows(yardstick, additive.rolled_up(catalogue, 1), pct_month)
    departments = department_rows(yardstick, departments, department_escalations, department_names)
    steps = step_rows(yardstick, kinds)
    return Report(
        matters=matter_rows(yardstick, matters, matter_names),
        baseline_days=yardstick.baseline,
        target_days=yardstick.target,
        include_simulated=population.include_simulated or population.simulated_only,
        overall=overall,
        services=services,
        months=months,
        departments=departments,
        steps=steps,
        slowest_step=slowest(steps, departments),
        generated_at=clock.now(),
        filters=population.described(),
        demo_history=sum(row["demo_history"] for row in additive.counted.values()),
    )


def _by_application() -> dict:
    return {"service": F("service_id"), "month": decision_month()}


@dataclass(frozen=True)
class _PerServiceMonth:
    """The additive figures per (service, month): the applications' own
    ("counted"), and those of their clock intervals, steps, materials and
    escalations."""

    counted: dict[Key, dict]
    children: tuple[dict[Key, dict], ...]

    def rolled_up(self, catalogue: dict, level: int | None) -> dict[Key, dict]:
        """Summed up to one level (0 service, 1 month, None all)."""
        totals: dict[Key, dict] = defaultdict(lambda: defaultdict(float))

        def bucket(key: Key) -> dict:
            return totals[() if level is None else (key[level],)]

        for source in (self.counted, *self.children):
            for key, row in source.items():
                for name, value in row.items():
                    bucket(key)[name] += value or 0
        # The baseline's trips: one submission per department, per application.
        for key, row in self.counted.items():
            trips = catalogue[key[0]].department_count * row["applications"]
            bucket(key)["baseline_trips"] += trips
        return totals


def _additive_figures(
    population: Population, applications: QuerySet, yardstick: Yardstick
) -> _PerServiceMonth:
    """Figures that add up, per (service, month): the other levels are their sums.

    Child rows are filtered through their own join to the application (which
    also gives the group keys), not through "application_id IN (...)".
    """
    of_population = population.q("application__")
    by_child = {"service": F("application__service_id"), "month": decision_month("application__")}
    target, baseline = yardstick.target, yardstick.baseline
    counted = grouped(
        applications,
        _by_application(),
        {
            "applications": Count("pk"),
            "days": Sum(end_to_end_days()),
            "within_target": Count("pk", filter=LessThanOrEqual(end_to_end_days(), target)),
            "within_baseline": Count("pk", filter=LessThanOrEqual(end_to_end_days(), baseline)),
            "demo_history": Count("pk", filter=Q(is_demo_history=True)),
            "compliant": Count(
                "pk",
                filter=LessThanOrEqual(
                    statutory_working_days(), F("service__statutory_limit_days")
                ),
            ),
        },
    )
    held = grouped(
        ClockInterval.objects.filter(of_population, ended_at__isnull=False),
        by_child,
        {
            "working_days": Sum("working_days"),
            "government_days": Sum("calendar_days", filter=Q(holder=ClockHolder.GOVERNMENT)),
            "investor_days": Sum("calendar_days", filter=Q(holder=ClockHolder.INVESTOR)),
            "government_working_days": Sum("working_days", filter=Q(holder=ClockHolder.GOVERNMENT)),
            "investor_working_days": Sum("working_days", filter=Q(holder=ClockHolder.INVESTOR)),
        },
    )
    stepped = grouped(
        Step.objects.filter(of_population),
        by_child,
        {
            "investor_steps": Count("pk", filter=Q(kind__in=INVESTOR_STEPS)),
            "government_steps": Count("pk", filter=~Q(kind__in=INVESTOR_STEPS)),
        },
    )
    materials = grouped(
        ApplicationMaterial.objects.filter(of_population),
        by_child,
        {
            "materials_required": Count("pk"),
            "materials_reused": Count("pk", filter=Q(satisfied_by=SatisfiedBy.REUSE)),
            **_deferred_counts(),
            # Each one a hand-in by the investor: see STEPS_DEFINITION.
            "materials_handed_in": Count("pk", filter=Q(satisfied_by__in=HANDED_IN)),
        },
    )
    escalated = grouped(
        Escalation.objects.filter(of_population), by_child, {"escalations": Count("pk")}
    )
    return _PerServiceMonth(counted, (held, stepped, materials, escalated))


def _step_figures(population: Population, yardstick: Yardstick) -> tuple[dict[Key, dict], ...]:
    """Per step kind, per department's reviews and per matter's reviews, from the Step rows'
    stored days; and the escalations per department."""
    of_population = population.q("application__")
    department = population.department
    steps = Step.objects.filter(of_population, finished_at__isnull=False)
    if department is not None:
        steps = steps.filter(Q(department__isnull=True) | Q(department=department))
    reviews = Step.objects.filter(of_population, finished_at__isnull=False, kind=StepKind.REVIEW)
    if department is not None:
        reviews = reviews.filter(department=department)
    step_aggregates = {
        "steps": Count("pk"),
        "applications": Count("application", distinct=True),
        "days": Sum("calendar_days"),
        "working_days": Sum("working_days"),
        "within_target": Count("pk", filter=Q(calendar_days__lte=yardstick.target)),
        "within_baseline": Count("pk", filter=Q(calendar_days__lte=yardstick.baseline)),
    }
    step_measures = {"days": F("calendar_days"), "working_days": F("working_days")}
    kinds = grouped_with_percentiles(steps, {"kind": F("kind")}, step_aggregates, step_measures)
    departments = grouped_with_percentiles(
        reviews, {"department": F("department_id")}, step_aggregates, step_measures
    )
    department_escalations = grouped(
        Escalation.objects.filter(of_population),
        {"department": F("department_id")},
        {"n": Count("pk")},
    )
    matters = grouped_with_percentiles(
        reviews, {"matter": F("matter__matter_id")}, step_aggregates, step_measures
    )
    return kinds, departments, department_escalations, matters


def _deferred_counts() -> dict[str, Count]:
    """Deferred materials overdue (still expected after the due date, on an approved
    application) and handed in late (received on a local day after the due date)."""
    today = timezone.localdate()
    return {
        "deferred_overdue": Count(
            "pk",
            filter=Q(
                satisfied_by=SatisfiedBy.DEFERRAL,
                received_at__isnull=True,
                due_date__lt=today,
                application__status__in=GRANTED_STATUSES,
            ),
        ),
        "deferred_late": Count(
            "pk",
            filter=Q(
                received_at__isnull=False,
                due_date__isnull=False,
                received_at__date__gt=F("due_date"),
            ),
        ),
    }

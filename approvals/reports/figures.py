"""Approval-time figures against the reform's benchmark, computed in the database.

This module owns the supervisor's report: per service, department, step and
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
applications count only when asked for. :class:`Population` holds the
filters (``approvals.reporting.filters`` builds it from the page's query
string or the command's options), so the page, the CSV, the PDF and
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
  submission at each department the service involves
  (``ServiceDepartment`` rows) and every required material handed in,
  including those reused now. "Steps avoided" is 1 - investor steps /
  baseline steps, over all the applications counted. (``Service.legacy_steps``,
  a figure typed into the catalogue, is no longer used here.)
* Materials avoided: of the applications' required materials, the share
  reused from shared data.
* Deferred materials (容缺受理): overdue, a material of an approved
  application still deferred, not received, after its due date (as of
  today); handed in late, one received on a local day after its due date.

Percentiles are continuous (linear interpolation between the two nearest
ranks, PostgreSQL's ``percentile_cont``). On PostgreSQL they are that
ordered-set aggregate (:class:`PercentileCont`); on SQLite, which has no
such aggregate, each row is ranked with ``ROW_NUMBER()`` and ``COUNT()``
window functions per group, only the rows at the one or two ranks each
percentile needs are read, and the interpolation is done on those
(:func:`_window_percentiles`), so the two databases give the same figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import NotSupportedError, connection
from django.db.models import (
    Aggregate,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Ceil, Coalesce, Floor, TruncMonth
from django.db.models.functions.window import RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals import clock, timekeeping
from approvals.models import (
    INVESTOR_STEPS,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    ClockHolder,
    ClockInterval,
    Department,
    Escalation,
    SatisfiedBy,
    Service,
    ServiceDepartment,
    Step,
    StepKind,
)

DECIDED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
# The ways of meeting a material that cost the investor a hand-in.
HANDED_IN = (SatisfiedBy.UPLOAD, SatisfiedBy.COMMITMENT, SatisfiedBy.DEFERRAL)
FRACTIONS = (0.5, 0.9)
# Figures are rounded once, here, so the page, the CSV, the JSON and the PDF
# print the very same numbers (well under a second for days).
DECIMALS = 6
# What a step is, in the words printed beside the figure (page, PDF, help).
STEPS_DEFINITION = _(
    "An investor step is each occasion on which the investor must hand something in: "
    "the submission, each correction round, and each material the investor supplies "
    "(uploaded, a signed commitment, or deferred and delivered later); a material "
    "reused from government data costs no step. The baseline is the same application "
    "without the single window: one submission at each department involved, and every "
    "required material handed in, reused ones included."
)
STEPS_SHORT_DEFINITION = _(
    "Step: each hand-in by the investor (submission, correction, each material not reused). "
    "Without the single window: one submission per department and every material."
)


# --- database expressions -----------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont``: continuous percentiles of an expression.

    Several fractions give an array in one pass over the group, e.g.
    ``PercentileCont("x", fractions=(0.5, 0.9))`` -> ``[median, p90]``.
    """

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fractions)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False
    empty_result_set_value = None

    def __init__(self, expression, *, fractions: Iterable[float], **extra):
        self.fractions = tuple(float(f) for f in fractions)
        if not self.fractions or not all(0 <= f <= 1 for f in self.fractions):
            raise ValueError("fractions must lie between 0 and 1")
        from django.contrib.postgres.fields import ArrayField

        super().__init__(
            Cast(expression, FloatField()),
            output_field=ArrayField(FloatField()),
            **extra,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont needs PostgreSQL; see _window_percentiles")
        # Literal floats we produced ourselves, never user input.
        fractions = ", ".join(repr(f) for f in self.fractions)
        extra_context["fractions"] = f"ARRAY[{fractions}]::double precision[]"
        return super().as_sql(compiler, connection, **extra_context)


class DaysBetween(Func):
    """``end - start`` in (fractional) days, as a float."""

    arity = 2
    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"DaysBetween is not written for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)::double precision",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores datetimes on SQLite as UTC text, which julianday() reads.
        return super().as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def _sum_per_application(queryset: QuerySet, column: str) -> Subquery:
    """A correlated subquery: the sum of `column` over the outer application's rows.

    SUM is spelled as a plain function, so Django adds no GROUP BY to the
    subquery (it is one aggregate over the application's few rows).
    """
    return Subquery(
        queryset.filter(application=OuterRef("pk"))
        .order_by()
        .values(total=Func(F(column), function="SUM", output_field=FloatField())),
        output_field=FloatField(),
    )


def _end_to_end_days() -> Expression:
    return DaysBetween(F("decided_at"), F("submitted_at"))


def _end_to_end_working_days() -> Expression:
    # The closed clock intervals tile [submitted_at, decided_at): see the module docstring.
    return _sum_per_application(
        ClockInterval.objects.filter(ended_at__isnull=False), "working_days"
    )


def _statutory_working_days() -> Expression:
    government = _sum_per_application(
        ClockInterval.objects.filter(ended_at__isnull=False, holder=ClockHolder.GOVERNMENT),
        "working_days",
    )
    at_the_window = _sum_per_application(
        Step.objects.filter(kind=StepKind.ACCEPTANCE, finished_at__isnull=False), "working_days"
    )
    return Coalesce(government, Value(0.0)) - Coalesce(at_the_window, Value(0.0))


def _month(prefix: str = "") -> Expression:
    return TruncMonth(f"{prefix}decided_at", tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- grouping and percentiles -------------------------------------------------

Key = tuple


def _grouped(queryset: QuerySet, keys: dict[str, Expression], aggregates: dict) -> dict[Key, dict]:
    """One query: the aggregates per group of `keys` (one group, (), without keys).

    Aliases are prefixed in SQL so that no name clashes with a model field
    ("working_days", "kind"...); the dicts returned use the plain names.
    """
    queryset = queryset.order_by()
    aliased = {f"_a_{name}": aggregate for name, aggregate in aggregates.items()}
    if not keys:
        row = queryset.aggregate(**aliased)
        return {(): {name: row[f"_a_{name}"] for name in aggregates}}
    rows = queryset.values(**{f"_g_{k}": expr for k, expr in keys.items()}).annotate(**aliased)
    return {
        tuple(row[f"_g_{k}"] for k in keys): {name: row[f"_a_{name}"] for name in aggregates}
        for row in rows
    }


def _grouped_with_percentiles(
    queryset: QuerySet,
    keys: dict[str, Expression],
    aggregates: dict,
    measures: dict[str, Expression],
) -> dict[Key, dict]:
    """`aggregates` per group, and for each measure "<measure>_pct": its percentiles
    at FRACTIONS (NULLs ignored). One query on PostgreSQL, two elsewhere."""
    empty = (None,) * len(FRACTIONS)
    if connection.vendor == "postgresql":
        pct = {
            f"{name}_pct": PercentileCont(expr, fractions=FRACTIONS)
            for name, expr in measures.items()
        }
        rows = _grouped(queryset, keys, {**aggregates, **pct})
        for row in rows.values():
            for name in pct:
                row[name] = tuple(row[name] or empty)
        return rows
    rows = _grouped(queryset, keys, aggregates) if aggregates else {}
    for key, values in _window_percentiles(queryset, keys, measures).items():
        row = rows.setdefault(key, {})
        for name, percentiles in values.items():
            row[f"{name}_pct"] = percentiles
    return rows


def _window_percentiles(
    queryset: QuerySet, keys: dict[str, Expression], measures: dict[str, Expression]
) -> dict[Key, dict[str, tuple[float | None, ...]]]:
    """The same figures as percentile_cont, from window functions (SQLite).

    Each row gets, per measure, its rank in its group (NULLs last) and the
    group's count of non-NULL values; the query returns only the rows whose
    rank is the floor or the ceiling of a percentile's position
    ``1 + p * (n - 1)``: at most two rows per percentile, measure and group.
    """
    partition = list(keys.values()) or None
    annotations: dict[str, Expression] = {f"_key_{k}": expr for k, expr in keys.items()}
    wanted = Q()
    for name, expr in measures.items():
        annotations[f"_x_{name}"] = expr
        annotations[f"_rn_{name}"] = Window(
            RowNumber(), partition_by=partition, order_by=OrderBy(expr, nulls_last=True)
        )
        annotations[f"_n_{name}"] = Window(Count(expr), partition_by=partition)
        for p in FRACTIONS:
            position = 1 + p * (F(f"_n_{name}") - 1)
            wanted |= Q(**{f"_rn_{name}__gte": Floor(position), f"_rn_{name}__lte": Ceil(position)})
    rows = queryset.order_by().annotate(**annotations).filter(wanted).values(*annotations)
    # Per group and measure: the group's count, and the values at the ranks read.
    ranked: dict[Key, dict[str, tuple[int, dict[int, float]]]] = defaultdict(dict)
    for row in rows:
        key = tuple(row[f"_key_{k}"] for k in keys)
        for name in measures:
            n, at = ranked[key].setdefault(name, (row[f"_n_{name}"], {}))
            if row[f"_x_{name}"] is not None:
                at[row[f"_rn_{name}"]] = row[f"_x_{name}"]
    result = {}
    for key, per_measure in ranked.items():
        result[key] = {
            name: tuple(_interpolate(n, at, p) for p in FRACTIONS)
            for name, (n, at) in per_measure.items()
        }
    return result


def _interpolate(n: int, at: dict[int, float], p: float) -> float | None:
    """percentile_cont's interpolation between the ranks around 1 + p(n-1)."""
    if not n:
        return None
    position = 1 + p * (n - 1)
    low, high = math.floor(position), math.ceil(position)
    lower = at[low]
    # The same arithmetic, in the same order, as PostgreSQL's float8 version.
    return lower + (at[high] - lower) * (position - low)


# --- the report's rows ---------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One group's figures; a figure that does not apply to the group is None."""

    table: str
    key: str
    label: str
    applications: int
    steps: int | None = None
    median_days: float | None = None
    p90_days: float | None = None
    mean_days: float | None = None
    median_working_days: float | None = None
    p90_working_days: float | None = None
    mean_working_days: float | None = None
    within_target: float | None = None
    within_baseline: float | None = None
    median_vs_baseline: float | None = None
    median_vs_target: float | None = None
    government_days: float | None = None
    investor_days: float | None = None
    government_working_days: float | None = None
    investor_working_days: float | None = None
    government_share: float | None = None
    investor_steps: float | None = None
    government_steps: float | None = None
    legacy_steps: float | None = None
    steps_avoided: float | None = None
    materials_required: int | None = None
    materials_reused: int | None = None
    materials_avoided: float | None = None
    statutory_compliance: float | None = None
    escalations: int | None = None
    # Deferred materials (容缺受理) of approved applications still not handed
    # in after their due date, and those handed in after it.
    deferred_overdue: int | None = None
    deferred_late: int | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float):
                object.__setattr__(self, f.name, round(value, DECIMALS))

    def as_dict(self) -> dict:
        return asdict(self)


# Column name -> header, in the order of the CSV and of the command's table.
COLUMNS: dict[str, object] = {
    "table": _("table"),
    "key": _("group"),
    "label": _("name"),
    "applications": _("applications"),
    "steps": _("steps"),
    "median_days": _("median days"),
    "p90_days": _("90th percentile days"),
    "mean_days": _("mean days"),
    "median_working_days": _("median working days"),
    "p90_working_days": _("90th percentile working days"),
    "mean_working_days": _("mean working days"),
    "within_target": _("share within the target"),
    "within_baseline": _("share within the baseline"),
    "median_vs_baseline": _("median below the baseline (share)"),
    "median_vs_target": _("median minus the target (days)"),
    "government_days": _("government-held days per application"),
    "investor_days": _("investor-held days per application"),
    "government_working_days": _("government-held working days per application"),
    "investor_working_days": _("investor-held working days per application"),
    "government_share": _("government's share of the time"),
    "investor_steps": _("investor steps per application"),
    "government_steps": _("government steps per application"),
    "legacy_steps": _("investor steps per application without the single window"),
    "steps_avoided": _("investor steps avoided (share)"),
    "materials_required": _("materials required"),
    "materials_reused": _("materials reused"),
    "materials_avoided": _("materials avoided by reuse (share)"),
    "statutory_compliance": _("share within the statutory limit"),
    "escalations": _("escalations"),
    "deferred_overdue": _("deferred materials overdue"),
    "deferred_late": _("deferred materials handed in late"),
}
TABLES = ("overall", "service", "month", "department", "step")


@dataclass(frozen=True)
class Report:
    baseline_days: float
    target_days: float
    include_simulated: bool
    overall: Row
    services: list[Row]
    months: list[Row]
    departments: list[Row]
    steps: list[Row]
    slowest_step: Row | None
    generated_at: datetime
    filters: dict = field(default_factory=dict)
    # How many of the decided applications are the demo's history (seed_demo).
    demo_history: int = 0

    def rows(self) -> Iterator[Row]:
        """Every group, table by table: what the CSV holds, one line each."""
        yield self.overall
        yield from self.services
        yield from self.months
        yield from self.departments
        yield from self.steps

    def as_dict(self) -> dict:
        return {
            "baseline_days": self.baseline_days,
            "target_days": self.target_days,
            "include_simulated": self.include_simulated,
            "generated_at": self.generated_at.isoformat(),
            "filters": self.filters,
            "overall": self.overall.as_dict(),
            "services": [r.as_dict() for r in self.services],
            "months": [r.as_dict() for r in self.months],
            "departments": [r.as_dict() for r in self.departments],
            "steps": [r.as_dict() for r in self.steps],
            "slowest_step": self.slowest_step.as_dict() if self.slowest_step else None,
        }


def csv_header() -> list[str]:
    return list(COLUMNS)


def csv_rows(report: Report) -> Iterator[list[str]]:
    """One row per group; an empty cell where a figure does not apply."""
    for row in report.rows():
        values = row.as_dict()
        yield ["" if values[c] is None else str(values[c]) for c in COLUMNS]


# --- the report -----------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """Which applications the report counts.

    Always: submitted and decided (approved or rejected). Then the filters:
    a service, the services a department takes part in, a range of local
    decision days (both ends included), simulated applications or not, and
    an inclusive range of application ids (one simulator run).
    """

    service: Service | None = None
    department: Department | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    include_simulated: bool = False
    simulated_only: bool = False
    ids: tuple[int, int] | None = None

    def q(self, prefix: str = "") -> Q:
        """The condition on applications, or on rows reached through `prefix` ("application__")."""

        def lookup(**kwargs) -> Q:
            return Q(**{f"{prefix}{name}": value for name, value in kwargs.items()})

        q = lookup(
            status__in=DECIDED_STATUSES, submitted_at__isnull=False, decided_at__isnull=False
        )
        if self.simulated_only:
            q &= lookup(is_simulated=True)
        elif not self.include_simulated:
            q &= lookup(is_simulated=False)
        if self.service is not None:
            q &= lookup(service_id=self.service.pk)
        if self.department is not None:
            q &= lookup(
                service_id__in=ServiceDepartment.objects.filter(department=self.department).values(
                    "service_id"
                )
            )
        if self.decided_from is not None:
            q &= lookup(decided_at__gte=_local_midnight(self.decided_from))
        if self.decided_to is not None:
            q &= lookup(decided_at__lt=_local_midnight(self.decided_to + timedelta(days=1)))
        if self.ids is not None:
            q &= lookup(pk__gte=self.ids[0], pk__lte=self.ids[1])
        return q

    def applications(self) -> QuerySet[Application]:
        return Application.objects.filter(self.q()).order_by()

    def described(self) -> dict:
        """The filters as plain values, to print beside the figures."""
        return {
            "service": self.service.code if self.service else None,
            "department": self.department.code if self.department else None,
            "decided_from": self.decided_from.isoformat() if self.decided_from else None,
            "decided_to": self.decided_to.isoformat() if self.decided_to else None,
            "include_simulated": self.include_simulated or self.simulated_only,
        }


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _share(part, whole) -> float | None:
    return part / whole if whole else None


def _mean(total, count) -> float | None:
    return total / count if count and total is not None else None


def approval_report(population: Population | None = None) -> Report:
    """The figures over the applications of `population` (by default: every real one).

    A department filter also narrows the department table to that
    department, and the step table to its reviews and the steps without a
    department.
    """
    population = population or Population()
    department = population.department
    target = timekeeping.benchmark_target_days()
    baseline = timekeeping.benchmark_baseline_days()
    applications = population.applications()
    # Child rows are filtered through their own join to the application (which
    # also gives the group keys), not through "application_id IN (...)".
    of_population = population.q("application__")
    by_app = {"service": F("service_id"), "month": _month()}
    by_child = {"service": F("application__service_id"), "month": _month("application__")}

    # Additive figures per (service, month); the other levels are their sums.
    counted = _grouped(
        applications,
        by_app,
        {
            "applications": Count("pk"),
            "days": Sum(_end_to_end_days()),
            "within_target": Count("pk", filter=LessThanOrEqual(_end_to_end_days(), target)),
            "within_baseline": Count("pk", filter=LessThanOrEqual(_end_to_end_days(), baseline)),
            "demo_history": Count("pk", filter=Q(is_demo_history=True)),
            "compliant": Count(
                "pk",
                filter=LessThanOrEqual(
                    _statutory_working_days(), F("service__statutory_limit_days")
                ),
            ),
        },
    )
    held = _grouped(
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
    stepped = _grouped(
        Step.objects.filter(of_population),
        by_child,
        {
            "investor_steps": Count("pk", filter=Q(kind__in=INVESTOR_STEPS)),
            "government_steps": Count("pk", filter=~Q(kind__in=INVESTOR_STEPS)),
        },
    )
    materials = _grouped(
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
    escalated = _grouped(
        Escalation.objects.filter(of_population), by_child, {"escalations": Count("pk")}
    )
    measures = {"days": _end_to_end_days(), "working_days": _end_to_end_working_days()}
    pct_overall = _grouped_with_percentiles(applications, {}, {}, measures)
    pct_service = _grouped_with_percentiles(
        applications, {"service": by_app["service"]}, {}, measures
    )
    pct_month = _grouped_with_percentiles(applications, {"month": by_app["month"]}, {}, measures)

    # Steps and departments, from the Step rows' stored days.
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
        "within_target": Count("pk", filter=Q(calendar_days__lte=target)),
        "within_baseline": Count("pk", filter=Q(calendar_days__lte=baseline)),
    }
    step_measures = {"days": F("calendar_days"), "working_days": F("working_days")}
    kinds = _grouped_with_percentiles(steps, {"kind": F("kind")}, step_aggregates, step_measures)
    departments = _grouped_with_percentiles(
        reviews, {"department": F("department_id")}, step_aggregates, step_measures
    )
    department_escalations = _grouped(
        Escalation.objects.filter(of_population),
        {"department": F("department_id")},
        {"n": Count("pk")},
    )

    service_ids = {key[0] for key in counted}
    # Each service with the number of departments it involves: the baseline's trips.
    catalogue = (
        Service.objects.annotate(department_count=Count("service_departments")).in_bulk(service_ids)
        if service_ids
        else {}
    )
    department_ids = {key[0] for key in departments}
    if department is not None:
        department_ids.add(department.pk)
    department_names = Department.objects.in_bulk(department_ids) if department_ids else {}

    def rolled_up(level: int | None) -> dict[Key, dict]:
        """Sum the (service, month) figures up to one level (0 service, 1 month, None all)."""
        totals: dict[Key, dict] = defaultdict(lambda: defaultdict(float))

        def bucket(key: Key) -> dict:
            return totals[() if level is None else (key[level],)]

        for source in (counted, held, stepped, materials, escalated):
            for key, row in source.items():
                for name, value in row.items():
                    bucket(key)[name] += value or 0
        # The baseline's trips: one submission per department, per application.
        for key, row in counted.items():
            bucket(key)["baseline_trips"] += (
                catalogue[key[0]].department_count * row["applications"]
            )
        return totals

    def application_row(table: str, key: str, label: str, t: dict, pct: dict) -> Row:
        n = int(t.get("applications", 0))
        days = pct.get("days_pct", (None, None))
        working = pct.get("working_days_pct", (None, None))
        held_total = t.get("government_days", 0) + t.get("investor_days", 0)
        # See STEPS_DEFINITION: visits and corrections plus hand-ins, against
        # one trip per department plus every required material.
        investor_steps = t.get("investor_steps", 0) + t.get("materials_handed_in", 0)
        baseline_steps = t.get("baseline_trips", 0) + t.get("materials_required", 0)
        median = days[0]
        return Row(
            table=table,
            key=key,
            label=label,
            applications=n,
            median_days=median,
            p90_days=days[1],
            mean_days=_mean(t.get("days"), n),
            median_working_days=working[0],
            p90_working_days=working[1],
            mean_working_days=_mean(t.get("working_days"), n),
            within_target=_share(t.get("within_target", 0), n),
            within_baseline=_share(t.get("within_baseline", 0), n),
            median_vs_baseline=None if median is None else 1 - median / baseline,
            median_vs_target=None if median is None else median - target,
            government_days=_mean(t.get("government_days", 0), n),
            investor_days=_mean(t.get("investor_days", 0), n),
            government_working_days=_mean(t.get("government_working_days", 0), n),
            investor_working_days=_mean(t.get("investor_working_days", 0), n),
            government_share=_share(t.get("government_days", 0), held_total),
            investor_steps=_mean(investor_steps, n),
            government_steps=_mean(t.get("government_steps", 0), n),
            legacy_steps=_mean(baseline_steps, n),
            steps_avoided=1 - investor_steps / baseline_steps if baseline_steps else None,
            materials_required=int(t.get("materials_required", 0)) if n else None,
            materials_reused=int(t.get("materials_reused", 0)) if n else None,
            materials_avoided=_share(t.get("materials_reused", 0), t.get("materials_required", 0)),
            statutory_compliance=_share(t.get("compliant", 0), n),
            escalations=int(t.get("escalations", 0)) if n else None,
            deferred_overdue=int(t.get("deferred_overdue", 0)) if n else None,
            deferred_late=int(t.get("deferred_late", 0)) if n else None,
        )

    def step_row(table: str, key: str, label: str, t: dict, escalations=None) -> Row:
        n = t["steps"]
        days = t.get("days_pct", (None, None))
        working = t.get("working_days_pct", (None, None))
        median = days[0]
        return Row(
            table=table,
            key=key,
            label=label,
            applications=t["applications"],
            steps=n,
            median_days=median,
            p90_days=days[1],
            mean_days=_mean(t["days"], n),
            median_working_days=working[0],
            p90_working_days=working[1],
            mean_working_days=_mean(t["working_days"], n),
            within_target=_share(t["within_target"], n),
            within_baseline=_share(t["within_baseline"], n),
            median_vs_baseline=None if median is None else 1 - median / baseline,
            median_vs_target=None if median is None else median - target,
            escalations=escalations,
        )

    overall_totals = rolled_up(None).get((), {})
    overall = application_row(
        "overall", "all", str(_("All applications")), overall_totals, pct_overall.get((), {})
    )
    service_rows = [
        application_row(
            "service",
            catalogue[service_id].code,
            catalogue[service_id].name,
            totals,
            pct_service.get((service_id,), {}),
        )
        for (service_id,), totals in sorted(
            rolled_up(0).items(), key=lambda item: catalogue[item[0][0]].code
        )
    ]
    month_rows = [
        application_row(
            "month", f"{month:%Y-%m}", f"{month:%Y-%m}", totals, pct_month.get((month,), {})
        )
        for (month,), totals in sorted(rolled_up(1).items())
    ]
    escalations_of = {key[0]: row["n"] for key, row in department_escalations.items()}
    department_rows = [
        step_row(
            "department",
            department_names[department_id].code,
            department_names[department_id].name,
            totals,
            escalations=escalations_of.get(department_id, 0),
        )
        for (department_id,), totals in sorted(
            departments.items(), key=lambda item: department_names[item[0][0]].code
        )
    ]
    order = {kind: i for i, kind in enumerate(StepKind.values)}
    step_rows = [
        step_row("step", kind, str(StepKind(kind).label), totals)
        for (kind,), totals in sorted(kinds.items(), key=lambda item: order[item[0][0]])
    ]
    return Report(
        baseline_days=baseline,
        target_days=target,
        include_simulated=population.include_simulated or population.simulated_only,
        overall=overall,
        services=service_rows,
        months=month_rows,
        departments=department_rows,
        steps=step_rows,
        slowest_step=_slowest(step_rows, department_rows),
        generated_at=clock.now(),
        filters=population.described(),
        demo_history=sum(row["demo_history"] for row in counted.values()),
    )


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
                application__status=ApplicationStatus.APPROVED,
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


def _slowest(step_rows: list[Row], department_rows: list[Row]) -> Row | None:
    """The step kind, or the department for reviews, with the highest median days."""
    candidates = [r for r in step_rows if r.key != StepKind.REVIEW] + [
        replace(r, label=f"{StepKind.REVIEW.label}: {r.label}") for r in department_rows
    ]
    candidates = [r for r in candidates if r.median_days is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.median_days, r.median_working_days or 0))

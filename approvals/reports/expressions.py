"""The database expressions the figures are made of: durations and per-application sums.

Each is one SQL expression over an application (or a row reached through
``application__``), so a figure is an aggregate in the database and never a
walk over rows in Python. What each measures is said in
``approvals.reports.figures``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Expression, F, FloatField, Func, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth

from approvals.models import ClockHolder, ClockInterval, Step, StepKind


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


def sum_per_application(queryset: QuerySet, column: str) -> Subquery:
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


def end_to_end_days() -> Expression:
    return DaysBetween(F("decided_at"), F("submitted_at"))


def end_to_end_working_days() -> Expression:
    # The closed clock intervals tile [submitted_at, decided_at): see approvals.reports.figures.
    return sum_per_application(ClockInterval.objects.filter(ended_at__isnull=False), "working_days")


def statutory_working_days() -> Expression:
    government = sum_per_application(
        ClockInterval.objects.filter(ended_at__isnull=False, holder=ClockHolder.GOVERNMENT),
        "working_days",
    )
    at_the_window = sum_per_application(
        Step.objects.filter(kind=StepKind.ACCEPTANCE, finished_at__isnull=False), "working_days"
    )
    return Coalesce(government, Value(0.0)) - Coalesce(at_the_window, Value(0.0))


def decision_month(prefix: str = "") -> Expression:
    return TruncMonth(f"{prefix}decided_at", tzinfo=ZoneInfo(settings.TIME_ZONE))

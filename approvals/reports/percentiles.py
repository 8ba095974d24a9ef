"""Percentiles per group, the same figures on PostgreSQL and on SQLite.

Percentiles are continuous (linear interpolation between the two nearest
ranks, PostgreSQL's ``percentile_cont``). On PostgreSQL they are that
ordered-set aggregate (:class:`PercentileCont`); on SQLite, which has no
such aggregate, each row is ranked with ``ROW_NUMBER()`` and ``COUNT()``
window functions per group, only the rows at the one or two ranks each
percentile needs are read, and the interpolation is done on those
(:func:`window_percentiles`), so the two databases give the same figures.

:func:`grouped` is the one query shape every figure uses: aggregates per
group of keys, with the SQL aliases prefixed so that none clashes with a
model field.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.postgres.fields import ArrayField
from django.db import NotSupportedError, connection
from django.db.models import (
    Aggregate,
    Count,
    Expression,
    F,
    FloatField,
    OrderBy,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Cast, Ceil, Floor
from django.db.models.functions.window import RowNumber

FRACTIONS = (0.5, 0.9)

Key = tuple


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
        super().__init__(
            Cast(expression, FloatField()),
            output_field=ArrayField(FloatField()),
            **extra,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont needs PostgreSQL; see window_percentiles")
        # Literal floats we produced ourselves, never user input.
        fractions = ", ".join(repr(f) for f in self.fractions)
        extra_context["fractions"] = f"ARRAY[{fractions}]::double precision[]"
        return super().as_sql(compiler, connection, **extra_context)


def grouped(queryset: QuerySet, keys: dict[str, Expression], aggregates: dict) -> dict[Key, dict]:
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


def grouped_with_percentiles(
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
        rows = grouped(queryset, keys, {**aggregates, **pct})
        for row in rows.values():
            for name in pct:
                row[name] = tuple(row[name] or empty)
        return rows
    rows = grouped(queryset, keys, aggregates) if aggregates else {}
    for key, values in window_percentiles(queryset, keys, measures).items():
        row = rows.setdefault(key, {})
        for name, percentiles in values.items():
            row[f"{name}_pct"] = percentiles
    return rows


def window_percentiles(
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

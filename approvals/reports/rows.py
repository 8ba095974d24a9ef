"""The report's data: one :class:`Row` per group, and the :class:`Report` that holds them.

A row's fields are the registry's columns (``approvals.reports.columns``),
one for one; its JSON, the command's and the API's, is written from the
registry too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.utils import timezone

from approvals.reports.columns import COLUMNS

# Figures are rounded once, here, so the page, the CSV, the JSON and the PDF
# print the very same numbers (well under a second for days).
DECIMALS = 6
# The databases sum floats in the order they read the rows, which follows the rows'
# places on disk, not only the data: the same figures come back a few units in the
# 15th digit apart. A figure exactly halfway between two shown values (a percentile
# interpolated between two ranks often is) would then round up in one run and down
# in the next. Rounding first to DECIMALS + 3 places, far above that noise and far
# below what is shown, settles such a figure the same way every time.
_SETTLE = DECIMALS + 3


def rounded(value: float) -> float:
    """A figure as the report shows it, whatever order the database summed it in."""
    return round(round(value, _SETTLE), DECIMALS)


TABLES = ("overall", "service", "month", "department", "step")


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
                object.__setattr__(self, f.name, rounded(value))

    def as_dict(self) -> dict:
        return {c.key: c.machine(self) for c in COLUMNS}


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
    # Per matter: its reviews (a bundled application is counted once in every table
    # above, and each of its matters here).
    matters: list[Row] = field(default_factory=list)

    def rows(self) -> Iterator[Row]:
        """Every group, table by table: what the CSV holds, one line each."""
        yield self.overall
        yield from self.services
        yield from self.months
        yield from self.departments
        yield from self.matters
        yield from self.steps

    def as_dict(self) -> dict:
        return {
            "baseline_days": self.baseline_days,
            "target_days": self.target_days,
            "include_simulated": self.include_simulated,
            # In local time, as the page prints it, wherever the JSON is read.
            "generated_at": timezone.localtime(self.generated_at).isoformat(),
            "filters": self.filters,
            "overall": self.overall.as_dict(),
            "services": [r.as_dict() for r in self.services],
            "months": [r.as_dict() for r in self.months],
            "departments": [r.as_dict() for r in self.departments],
            "matters": [r.as_dict() for r in self.matters],
            "steps": [r.as_dict() for r in self.steps],
            "slowest_step": self.slowest_step.as_dict() if self.slowest_step else None,
        }

"""THE registry of the report's columns: every output renders from it.

Each figure of a report row is declared once here: its key (the CSV header,
the JSON and API field), its label (both languages, through gettext), its
kind (which says how it is written for people and for machines) and the
tables of the human outputs that show it. The page and the PDF
(``approvals.reporting.tables``), the CSV, the JSON and the API
(``approvals.reports.export``, ``Report.as_dict``, the API's serializer) and
``manage.py approval_report`` read it; none keeps a list of its own.

Two audiences, one rule each:

* machines (CSV, JSON, API) get every column, in this order, with the
  figure as computed (rounded once, in ``Row``); an empty CSV cell or a JSON
  ``null`` where the figure does not apply to the group;
* people (page, PDF, terminal) get the tables of :data:`SECTIONS`, each
  listing the columns that name it in ``shown_in``, in this order, written
  by :func:`human` (days to two decimals, shares as percentages, "—" for
  a figure that does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Kinds: how a figure reads. TEXT names the group; COUNT is a whole number;
# DAYS a duration in days (or a difference of days); SHARE a fraction of 1;
# PER_APPLICATION a mean per application (days or steps).
TEXT, COUNT, DAYS, SHARE, PER_APPLICATION = "text", "count", "days", "share", "per_application"
# The tables people read: two per group of applications (service, month),
# with the overall figures as their total; one per step kind and department.
TIME, EFFORT, STEP, REVIEW = "time", "effort", "step", "review"
NOT_APPLICABLE = "—"

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


@dataclass(frozen=True)
class Column:
    """One figure of ``approvals.reports.rows.Row``, read by attribute (rows.py
    imports this registry to write its JSON; this module imports no row)."""

    key: str
    label: object  # a lazy translation
    kind: str
    shown_in: frozenset[str] = frozenset()
    # Only the group's count of applications is always there, for every group.
    nullable: bool = True

    def value(self, row):
        return getattr(row, self.key)

    def machine(self, row):
        """The figure for JSON and the API: the number itself, or None."""
        return self.value(row)

    def cell(self, row) -> str:
        """The figure as a CSV cell (and the page's ``data-value``): empty for None."""
        value = self.value(row)
        return "" if value is None else str(value)

    def human(self, row) -> str:
        return human(self.value(row), self.kind)


def human(value, kind: str) -> str:
    """A figure as people read it, on the page, in the PDF and in the terminal."""
    if value is None:
        return NOT_APPLICABLE
    if kind == SHARE:
        return f"{value * 100:.1f} %"
    if kind == COUNT:
        return f"{value:d}" if isinstance(value, int) else f"{value:g}"
    if kind == TEXT:
        return str(value)
    return f"{value:.2f}"


def _c(key, label, kind, *shown_in, nullable=True) -> Column:
    return Column(key, label, kind, frozenset(shown_in), nullable)


# Durations: end to end for groups of applications, each step's own for steps.
DURATIONS = (TIME, STEP, REVIEW)

COLUMNS: tuple[Column, ...] = (
    # The group: which table of the report, its key and its name.
    _c("table", _("table"), TEXT, nullable=False),
    _c("key", _("group"), TEXT, nullable=False),
    _c("label", _("name"), TEXT, nullable=False),
    _c("applications", _("Applications"), COUNT, TIME, EFFORT, STEP, REVIEW, nullable=False),
    _c("steps", _("Steps"), COUNT, STEP, REVIEW),
    # End to end for groups of applications; each step's own duration for steps.
    _c("median_days", _("Median days"), DAYS, *DURATIONS),
    _c("p90_days", _("90th percentile days"), DAYS, *DURATIONS),
    _c("mean_days", _("Mean days"), DAYS, *DURATIONS),
    _c("median_working_days", _("Median working days"), DAYS, *DURATIONS),
    _c("p90_working_days", _("90th percentile working days"), DAYS, *DURATIONS),
    _c("mean_working_days", _("mean working days"), DAYS),
    _c("within_target", _("Within the target"), SHARE, *DURATIONS),
    _c("within_baseline", _("Within the baseline"), SHARE, *DURATIONS),
    _c("median_vs_baseline", _("median below the baseline (share)"), SHARE),
    _c("median_vs_target", _("median minus the target (days)"), DAYS),
    # Who held the clock, per application.
    _c("government_days", _("Government-held days"), PER_APPLICATION, TIME),
    _c("investor_days", _("Investor-held days"), PER_APPLICATION, TIME),
    _c(
        "government_working_days",
        _("government-held working days per application"),
        PER_APPLICATION,
    ),
    _c("investor_working_days", _("investor-held working days per application"), PER_APPLICATION),
    _c("government_share", _("Government's share of the time"), SHARE, TIME),
    # Effort: steps (see STEPS_DEFINITION), materials, the statute, escalations.
    _c("investor_steps", _("Investor steps per application"), PER_APPLICATION, EFFORT),
    _c("government_steps", _("Government steps per application"), PER_APPLICATION, EFFORT),
    _c(
        "legacy_steps",
        _("Investor steps without the single window"),
        PER_APPLICATION,
        EFFORT,
    ),
    _c("steps_avoided", _("Investor steps avoided"), SHARE, EFFORT),
    _c("materials_required", _("Materials required"), COUNT, EFFORT),
    _c("materials_reused", _("Materials reused"), COUNT, EFFORT),
    _c("materials_avoided", _("Materials avoided by reuse"), SHARE, EFFORT),
    _c("statutory_compliance", _("Within the statutory limit"), SHARE, EFFORT),
    _c("escalations", _("Escalations"), COUNT, EFFORT, REVIEW),
    _c("deferred_overdue", _("Deferred materials overdue"), COUNT, EFFORT),
    _c("deferred_late", _("Deferred materials handed in late"), COUNT, EFFORT),
)
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}


def column(key: str) -> Column:
    return BY_KEY[key]


def shown_in(section: str) -> tuple[Column, ...]:
    """The columns people read in one kind of table, in the registry's order."""
    return tuple(c for c in COLUMNS if section in c.shown_in)


@dataclass(frozen=True)
class Section:
    """One table people read: which rows of the report, which columns, a total or not."""

    id: str
    rows: str  # the Report attribute holding the rows
    columns: str  # TIME, EFFORT, STEP or REVIEW
    total: bool = False

    def body(self, report) -> list:
        rows = list(getattr(report, self.rows))
        if self.total and rows:
            rows.append(report.overall)
        return rows

    def shown(self) -> tuple[Column, ...]:
        return shown_in(self.columns)


# In reading order; the page and the PDF title them, the command prints them.
SECTIONS: tuple[Section, ...] = (
    Section("table-service-time", "services", TIME, total=True),
    Section("table-service-effort", "services", EFFORT, total=True),
    Section("table-month-time", "months", TIME, total=True),
    Section("table-month-effort", "months", EFFORT, total=True),
    Section("table-department", "departments", REVIEW),
    Section("table-matter", "matters", REVIEW),
    Section("table-step", "steps", STEP),
)

"""The report's tables and headline figures, shaped for the page and the PDF.

The templates only print what is prepared here: each cell carries the
figure as the CSV and JSON give it (``data-value``) and as people read it
(days to two decimals, shares as percentages), so the three can be checked
against each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.reports import STEPS_SHORT_DEFINITION, Report, Row

DAYS, SHARE, COUNT, PER_APPLICATION = "days", "share", "count", "per_application"


@dataclass(frozen=True)
class Column:
    name: str
    header: object
    kind: str


@dataclass(frozen=True)
class Cell:
    column: str
    raw: str
    text: str


@dataclass(frozen=True)
class TableRow:
    table: str
    key: str
    label: str
    cells: list[Cell]
    total: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    caption: str
    group_header: str
    columns: list[Column]
    rows: list[TableRow]


TIME_COLUMNS = [
    Column("applications", gettext_lazy("Applications"), COUNT),
    Column("median_days", gettext_lazy("Median days"), DAYS),
    Column("p90_days", gettext_lazy("90th percentile days"), DAYS),
    Column("mean_days", gettext_lazy("Mean days"), DAYS),
    Column("median_working_days", gettext_lazy("Median working days"), DAYS),
    Column("p90_working_days", gettext_lazy("90th percentile working days"), DAYS),
    Column("within_target", gettext_lazy("Within the target"), SHARE),
    Column("within_baseline", gettext_lazy("Within the baseline"), SHARE),
    Column("government_days", gettext_lazy("Government-held days"), PER_APPLICATION),
    Column("investor_days", gettext_lazy("Investor-held days"), PER_APPLICATION),
    Column("government_share", gettext_lazy("Government's share of the time"), SHARE),
]
EFFORT_COLUMNS = [
    Column("applications", gettext_lazy("Applications"), COUNT),
    Column("investor_steps", gettext_lazy("Investor steps per application"), PER_APPLICATION),
    Column("government_steps", gettext_lazy("Government steps per application"), PER_APPLICATION),
    Column(
        "legacy_steps",
        gettext_lazy("Investor steps without the single window"),
        PER_APPLICATION,
    ),
    Column("steps_avoided", gettext_lazy("Investor steps avoided"), SHARE),
    Column("materials_required", gettext_lazy("Materials required"), COUNT),
    Column("materials_reused", gettext_lazy("Materials reused"), COUNT),
    Column("materials_avoided", gettext_lazy("Materials avoided by reuse"), SHARE),
    Column("statutory_compliance", gettext_lazy("Within the statutory limit"), SHARE),
    Column("escalations", gettext_lazy("Escalations"), COUNT),
    Column("deferred_overdue", gettext_lazy("Deferred materials overdue"), COUNT),
    Column("deferred_late", gettext_lazy("Deferred materials handed in late"), COUNT),
]
STEP_COLUMNS = [
    Column("steps", gettext_lazy("Steps"), COUNT),
    Column("applications", gettext_lazy("Applications"), COUNT),
    Column("median_days", gettext_lazy("Median days"), DAYS),
    Column("p90_days", gettext_lazy("90th percentile days"), DAYS),
    Column("mean_days", gettext_lazy("Mean days"), DAYS),
    Column("median_working_days", gettext_lazy("Median working days"), DAYS),
    Column("p90_working_days", gettext_lazy("90th percentile working days"), DAYS),
    Column("within_target", gettext_lazy("Within the target"), SHARE),
    Column("within_baseline", gettext_lazy("Within the baseline"), SHARE),
]
DEPARTMENT_COLUMNS = [*STEP_COLUMNS, Column("escalations", gettext_lazy("Escalations"), COUNT)]


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{value * 100:.1f} %"
    if kind == COUNT:
        return f"{value:d}" if isinstance(value, int) else f"{value:g}"
    return f"{value:.2f}"


def _row(row: Row, columns: Sequence[Column], *, total: bool = False) -> TableRow:
    values = row.as_dict()
    cells = [
        Cell(
            c.name,
            "" if values[c.name] is None else str(values[c.name]),
            display(values[c.name], c.kind),
        )
        for c in columns
    ]
    return TableRow(row.table, row.key, str(row.label), cells, total)


def _table(
    table_id: str,
    title: str,
    caption: str,
    group_header: str,
    rows: Sequence[Row],
    columns,
    total=None,
) -> Table:
    body = [_row(r, columns) for r in rows]
    if total is not None and rows:
        body.append(_row(total, columns, total=True))
    return Table(table_id, title, caption, group_header, list(columns), body)


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in reading order."""
    target, baseline = f"{report.target_days:g}", f"{report.baseline_days:g}"
    window = _(
        "Days from submission to decision; target %(target)s days, baseline %(baseline)s days."
    ) % {"target": target, "baseline": baseline}
    effort = _(
        "Steps the investor and the government took per application, against the steps an "
        "investor made before the reform; materials reused from shared data; decisions "
        "within the statutory limit (government-held working days from acceptance)."
    )
    step_caption = _(
        "Each step's own duration, from when it opened to when it finished; "
        "target %(target)s days, baseline %(baseline)s days."
    ) % {"target": target, "baseline": baseline}
    return [
        _table(
            "table-service-time",
            _("Time by service"),
            window,
            _("Service"),
            report.services,
            TIME_COLUMNS,
            total=report.overall,
        ),
        _table(
            "table-service-effort",
            _("Steps, materials and compliance by service"),
            effort,
            _("Service"),
            report.services,
            EFFORT_COLUMNS,
            total=report.overall,
        ),
        _table(
            "table-month-time",
            _("Time by month of decision"),
            window,
            _("Month"),
            report.months,
            TIME_COLUMNS,
            total=report.overall,
        ),
        _table(
            "table-month-effort",
            _("Steps, materials and compliance by month of decision"),
            effort,
            _("Month"),
            report.months,
            EFFORT_COLUMNS,
            total=report.overall,
        ),
        _table(
            "table-department",
            _("Department reviews"),
            step_caption,
            _("Department"),
            report.departments,
            DEPARTMENT_COLUMNS,
        ),
        _table("table-step", _("Steps"), step_caption, _("Step"), report.steps, STEP_COLUMNS),
    ]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str
    raw: str
    note: str
    status: str = ""  # "ok", "warn", "bad" or ""
    # What the figure counts, printed beside it (e.g. what an investor step is).
    definition: str = ""


def headline(report: Report) -> list[Headline]:
    """The figures the reform promised, each beside its yardstick."""
    o = report.overall
    target, baseline = report.target_days, report.baseline_days

    def against(days: float | None) -> tuple[str, str]:
        if days is None:
            return "", ""
        values = {
            "target": f"{target:g}",
            "baseline": f"{baseline:g}",
            "over": f"{days - target:.2f}",
            "share": display(abs(1 - days / baseline), SHARE),
        }
        if days <= target:
            text = _(
                "within the %(target)s-day target; %(share)s below the %(baseline)s-day baseline"
            )
            return text % values, "ok"
        if days <= baseline:
            text = _(
                "%(over)s days over the %(target)s-day target; %(share)s below the "
                "%(baseline)s-day baseline"
            )
            return text % values, "warn"
        text = _(
            "%(over)s days over the %(target)s-day target; %(share)s above the "
            "%(baseline)s-day baseline"
        )
        return text % values, "bad"

    def card(key, label, kind, note="", status="", definition=""):
        value = getattr(o, key)
        return Headline(
            key,
            label,
            display(value, kind),
            "" if value is None else str(value),
            note,
            status,
            definition,
        )

    median_note, median_status = against(o.median_days)
    mean_note, mean_status = against(o.mean_days)
    cards = [
        card("applications", _("Applications decided"), COUNT),
        card(
            "median_days",
            _("Median days, submission to decision"),
            DAYS,
            median_note,
            median_status,
        ),
        card("p90_days", _("90th percentile days"), DAYS, *against(o.p90_days)),
        card("mean_days", _("Mean days (the baseline is a mean)"), DAYS, mean_note, mean_status),
        card(
            "within_target",
            _("Decided within %(days)s days") % {"days": f"{target:g}"},
            SHARE,
        ),
        card(
            "within_baseline",
            _("Decided within %(days)s days") % {"days": f"{baseline:g}"},
            SHARE,
        ),
        card("median_working_days", _("Median working days"), DAYS),
        card(
            "government_share",
            _("Government's share of the time"),
            SHARE,
            _("%(gov)s days government-held, %(inv)s days investor-held per application")
            % {
                "gov": display(o.government_days, DAYS),
                "inv": display(o.investor_days, DAYS),
            },
        ),
        card(
            "steps_avoided",
            _("Investor steps avoided"),
            SHARE,
            _(
                "%(now)s steps per application against %(before)s without the single "
                "window; promise: %(promise)s fewer"
            )
            % {
                "now": display(o.investor_steps, DAYS),
                "before": display(o.legacy_steps, DAYS),
                "promise": "~70 %",
            },
            _status(o.steps_avoided, 0.7),
            str(STEPS_SHORT_DEFINITION),
        ),
        card(
            "materials_avoided",
            _("Materials avoided by reuse"),
            SHARE,
            _("promise: up to %(promise)s fewer") % {"promise": "55 %"},
            _status(o.materials_avoided, 0.55),
        ),
        card(
            "statutory_compliance",
            _("Within the statutory limit"),
            SHARE,
            status=_status(o.statutory_compliance, 1.0),
        ),
        card("escalations", _("Escalations"), COUNT),
        card(
            "deferred_overdue",
            _("Deferred materials overdue"),
            COUNT,
            _("%(late)s more were handed in after their due date")
            % {"late": display(o.deferred_late, COUNT)},
            "" if o.deferred_overdue is None else ("warn" if o.deferred_overdue else "ok"),
        ),
    ]
    return cards


def _status(value: float | None, goal: float) -> str:
    if value is None:
        return ""
    return "ok" if value >= goal - 1e-9 else "warn"

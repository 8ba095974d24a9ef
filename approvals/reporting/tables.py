"""The report's tables and headline figures, shaped for the page and the PDF.

Which tables, which columns and how each figure is written all come from the
column registry (``approvals.reports.columns``), which the CSV, the JSON,
the API and the command read too; this module adds only what the page
says around them (titles, captions, the headline's notes). Each cell carries
the figure as the CSV and JSON give it (``data-value``) and as people read it,
so the outputs can be checked against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from approvals.reports.columns import (
    SECTIONS,
    SHARE,
    STEPS_SHORT_DEFINITION,
    Column,
    Section,
    column,
)
from approvals.reports.columns import human as display
from approvals.reports.rows import Report, Row


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


def _row(row: Row, columns: tuple[Column, ...], *, total: bool = False) -> TableRow:
    cells = [Cell(c.key, c.cell(row), c.human(row)) for c in columns]
    return TableRow(row.table, row.key, str(row.label), cells, total)


def _table(section: Section, report: Report, title: str, caption: str, group_header: str) -> Table:
    columns = section.shown()
    rows = section.body(report)
    body = [_row(r, columns, total=section.total and r is report.overall) for r in rows]
    return Table(section.id, title, caption, group_header, list(columns), body)


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
    service, month = _("Service"), _("Month")
    words = {
        "table-service-time": (_("Time by service"), window, service),
        "table-service-effort": (_("Steps, materials and compliance by service"), effort, service),
        "table-month-time": (_("Time by month of decision"), window, month),
        "table-month-effort": (
            _("Steps, materials and compliance by month of decision"),
            effort,
            month,
        ),
        "table-department": (_("Department reviews"), step_caption, _("Department")),
        "table-matter": (_("Reviews by matter"), step_caption, _("Matter")),
        "table-step": (_("Steps"), step_caption, _("Step")),
    }
    return [_table(section, report, *words[section.id]) for section in SECTIONS]


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

    def card(key, label, note="", status="", definition=""):
        # Written as the tables write the same figure: the registry says how.
        figure = column(key)
        return Headline(
            key,
            label,
            figure.human(o),
            figure.cell(o),
            note,
            status,
            definition,
        )

    median_note, median_status = against(o.median_days)
    mean_note, mean_status = against(o.mean_days)
    cards = [
        card("applications", _("Applications decided")),
        card(
            "median_days",
            _("Median days, submission to decision"),
            median_note,
            median_status,
        ),
        card("p90_days", _("90th percentile days"), *against(o.p90_days)),
        card("mean_days", _("Mean days (the baseline is a mean)"), mean_note, mean_status),
        card(
            "within_target",
            _("Decided within %(days)s days") % {"days": f"{target:g}"},
        ),
        card(
            "within_baseline",
            _("Decided within %(days)s days") % {"days": f"{baseline:g}"},
        ),
        card("median_working_days", _("Median working days")),
        card(
            "government_share",
            _("Government's share of the time"),
            _("%(gov)s days government-held, %(inv)s days investor-held per application")
            % {
                "gov": column("government_days").human(o),
                "inv": column("investor_days").human(o),
            },
        ),
        card(
            "steps_avoided",
            _("Investor steps avoided"),
            _(
                "%(now)s steps per application against %(before)s without the single "
                "window; promise: %(promise)s fewer"
            )
            % {
                "now": column("investor_steps").human(o),
                "before": column("legacy_steps").human(o),
                "promise": "~70 %",
            },
            _status(o.steps_avoided, 0.7),
            str(STEPS_SHORT_DEFINITION),
        ),
        card(
            "materials_avoided",
            _("Materials avoided by reuse"),
            _("promise: up to %(promise)s fewer") % {"promise": "55 %"},
            _status(o.materials_avoided, 0.55),
        ),
        card(
            "statutory_compliance",
            _("Within the statutory limit"),
            status=_status(o.statutory_compliance, 1.0),
        ),
        card("escalations", _("Escalations")),
        card(
            "deferred_overdue",
            _("Deferred materials overdue"),
            _("%(late)s more were handed in after their due date")
            % {"late": column("deferred_late").human(o)},
            "" if o.deferred_overdue is None else ("warn" if o.deferred_overdue else "ok"),
        ),
    ]
    return cards


def _status(value: float | None, goal: float) -> str:
    if value is None:
        return ""
    return "ok" if value >= goal - 1e-9 else "warn"

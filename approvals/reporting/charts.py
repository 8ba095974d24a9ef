"""Bar charts of the report, laid out here and drawn as inline SVG by a template.

Server-side and self-contained: no script, nothing fetched, the same markup
in the page and in the PDF. Each chart is a picture of a table printed next
to it (the table is the source of truth); its <title> and <desc> say in
words what the bars show, for screen readers and for anyone who cannot see
the colours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from approvals.reports import Row

WIDTH = 640
LABEL_WIDTH = 230
RIGHT_MARGIN = 50
TOP = 38
BAR_HEIGHT = 18  # also in templates/reports/includes/chart.html
BAR_GAP = 10
AXIS_HEIGHT = 26
LABEL_CHARS = 27


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    median: float
    p90: float | None
    y: float
    width: float
    p90_x: float | None
    p90_top: float
    p90_bottom: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Line:
    x: float
    label: str
    kind: str  # "target" or "baseline"
    label_y: int
    colour: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: float
    label_x: int
    tick_label_y: float
    bars: list[Bar]
    lines: list[Line]
    ticks: list[Tick]


def _nice_step(top: float) -> float:
    """A tick spacing of 1, 2 or 5 times a power of ten giving about six ticks."""
    raw = top / 6
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _shared_prefix(labels: list[str]) -> str:
    """Whole words every label starts with ("Hainan Provincial "), dropped from the
    bars so that they show what tells the labels apart; the full names stay in
    the chart's description and the table."""
    if len(labels) < 2:
        return ""
    first = labels[0]
    length = 0
    for i, ch in enumerate(first):
        if any(len(label) <= i or label[i] != ch for label in labels[1:]):
            break
        if ch == " ":
            length = i + 1
    return first[:length]


def _number(value: float) -> str:
    return f"{value:.1f}"


def median_days_chart(
    chart_id: str, title: str, rows: Sequence[Row], *, target: float, baseline: float
) -> Chart | None:
    """Median calendar days per group as bars, the 90th percentile as a tick on
    each bar, and the target and the baseline as vertical lines."""
    rows = [r for r in rows if r.median_days is not None]
    if not rows:
        return None
    top = max([baseline, target, *(r.p90_days or r.median_days for r in rows)]) * 1.08
    step = _nice_step(top)
    top = math.ceil(top / step) * step
    plot_left, plot_right = LABEL_WIDTH, WIDTH - RIGHT_MARGIN
    span = plot_right - plot_left

    def x(value: float) -> float:
        return round(plot_left + span * min(value, top) / top, 2)

    labels = [str(r.label) for r in rows]
    shared = _shared_prefix(labels)
    bars = []
    for i, row in enumerate(rows):
        y = TOP + i * (BAR_HEIGHT + BAR_GAP)
        label = labels[i]
        short = label[len(shared) :]
        short = short if len(short) <= LABEL_CHARS else short[: LABEL_CHARS - 1] + "…"
        end = x(row.median_days)
        bars.append(
            Bar(
                label=label,
                short_label=short,
                median=row.median_days,
                p90=row.p90_days,
                y=y,
                width=round(end - plot_left, 2),
                p90_x=x(row.p90_days) if row.p90_days is not None else None,
                p90_top=y - 3,
                p90_bottom=y + BAR_HEIGHT + 3,
                text_x=round(max(end, x(row.p90_days or 0)) + 6, 2),
                text_y=y + BAR_HEIGHT - 4,
            )
        )
    plot_bottom = TOP + len(rows) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP / 2
    count = int(round(top / step))
    ticks = [Tick(x(i * step), f"{i * step:g}") for i in range(count + 1)]
    lines = [
        Line(x(target), _("target %(days)s d") % {"days": f"{target:g}"}, "target", 13, "#1e6b3a"),
        Line(
            x(baseline),
            _("baseline %(days)s d") % {"days": f"{baseline:g}"},
            "baseline",
            27,
            "#b3261e",
        ),
    ]
    parts = [
        _("%(label)s: median %(median)s days, 90th percentile %(p90)s days")
        % {
            "label": b.label,
            "median": _number(b.median),
            "p90": _number(b.p90) if b.p90 is not None else "-",
        }
        for b in bars
    ]
    description = _(
        "Bars show the median days; a thin mark shows the 90th percentile. "
        "Target %(target)s days, baseline %(baseline)s days. %(values)s."
    ) % {"target": f"{target:g}", "baseline": f"{baseline:g}", "values": "; ".join(parts)}
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        width=WIDTH,
        height=int(plot_bottom + AXIS_HEIGHT),
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=TOP - 8,
        plot_bottom=plot_bottom,
        label_x=plot_left - 8,
        tick_label_y=plot_bottom + 16,
        bars=bars,
        lines=lines,
        ticks=ticks,
    )

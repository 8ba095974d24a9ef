"""The report for machines: the CSV's header and rows, from the column registry.

The page's CSV download and ``manage.py approval_report --format csv`` write
these rows through ``approvals.reporting.csvfile`` (which neutralises
formula cells); the JSON is ``Report.as_dict``. Every column, every group.
"""

from __future__ import annotations

from collections.abc import Iterator

from approvals.reports.columns import COLUMNS
from approvals.reports.rows import Report


def csv_header() -> list[str]:
    return [c.key for c in COLUMNS]


def csv_rows(report: Report) -> Iterator[list[str]]:
    """One row per group; an empty cell where a figure does not apply."""
    for row in report.rows():
        yield [c.cell(row) for c in COLUMNS]

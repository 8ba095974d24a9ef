"""The supervisor's approval-time report: figures, columns, filters and exports.

    columns.py      THE registry of columns: what every output shows, and how
    figures.py      approval_report(): the figures, computed in the database
    expressions.py  durations and per-application sums, as SQL expressions
    percentiles.py  grouped aggregates and percentiles (PostgreSQL and SQLite)
    population.py   which applications count
    rows.py         Row and Report, the data every output renders
    export.py       the CSV's header and rows
    filters.py      ReportFilterSet: query string or options -> Population

Callers use ``from approvals import reports`` and the names below; inside the
package, modules import each other directly.
"""

from approvals.reports.columns import (
    COLUMNS,
    COUNT,
    STEPS_DEFINITION,
    STEPS_SHORT_DEFINITION,
    TEXT,
    Column,
)
from approvals.reports.export import csv_header, csv_rows
from approvals.reports.figures import approval_report
from approvals.reports.population import DECIDED_STATUSES, Population
from approvals.reports.rows import TABLES, Report, Row

__all__ = [
    "COLUMNS",
    "COUNT",
    "DECIDED_STATUSES",
    "STEPS_DEFINITION",
    "STEPS_SHORT_DEFINITION",
    "TABLES",
    "TEXT",
    "Column",
    "Population",
    "Report",
    "Row",
    "approval_report",
    "csv_header",
    "csv_rows",
]

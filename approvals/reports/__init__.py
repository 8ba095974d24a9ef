"""The supervisor's approval-time report: figures, columns, filters and exports.

Callers use ``from approvals import reports`` and the names below; inside the
package, modules import each other directly.
"""

from approvals.reports.figures import (
    COLUMNS,
    DECIDED_STATUSES,
    STEPS_DEFINITION,
    STEPS_SHORT_DEFINITION,
    TABLES,
    Population,
    Report,
    Row,
    approval_report,
    csv_header,
    csv_rows,
)

__all__ = [
    "COLUMNS",
    "DECIDED_STATUSES",
    "STEPS_DEFINITION",
    "STEPS_SHORT_DEFINITION",
    "TABLES",
    "Population",
    "Report",
    "Row",
    "approval_report",
    "csv_header",
    "csv_rows",
]

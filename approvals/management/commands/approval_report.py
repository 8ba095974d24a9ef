"""``manage.py approval_report``: the supervisor's figures, in the terminal.

    python manage.py approval_report [--service CODE] [--department CODE]
        [--from DATE] [--to DATE] [--include-simulated] [--format table|json|csv]

The same figures as /reports/ (``approvals.reports``), filtered through the
same FilterSet, so a date means the same day here as on the page. ``table``
(the default) prints the headline and the page's tables, with the same
columns (headed by their CSV keys) and the same figures as the page writes
them; ``json`` the whole report, as the API gives it; ``csv`` one row per
group, exactly the page's CSV export. All three read the column registry
(``approvals.reports.columns``).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import reports
from approvals.models import Department, Service
from approvals.reporting import csvfile
from approvals.reports.columns import SECTIONS, SHARE, Column, column, human
from approvals.reports.filters import ReportFilterSet

FORMATS = ("table", "json", "csv")

# The page's tables, titled in the terminal's words; their columns, headed by
# the keys the CSV and the JSON use, and their cells come from the registry.
SECTION_TITLES = {
    "table-service-time": "By service",
    "table-service-effort": "By service: steps, materials and compliance",
    "table-month-time": "By month of decision",
    "table-month-effort": "By month of decision: steps, materials and compliance",
    "table-department": "By department (reviews)",
    "table-matter": "By matter (reviews)",
    "table-step": "By step",
}


def _text(key: str, row: reports.Row) -> str:
    return column(key).human(row)


class Command(BaseCommand):
    help = "Print the approval-time figures against the 7-day baseline and the 2-day target."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", metavar="CODE", help="only this service")
        parser.add_argument(
            "--department",
            metavar="CODE",
            help="only the services this department takes part in, and its reviews",
        )
        parser.add_argument(
            "--from", dest="decided_from", metavar="DATE", help="decided on or after (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--to", dest="decided_to", metavar="DATE", help="decided on or before (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--include-simulated",
            action="store_true",
            help="count the simulator's applications too",
        )
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, **options):
        data = {
            "service": options["service"] or "",
            "department": options["department"] or "",
            "decided_from": options["decided_from"] or "",
            "decided_to": options["decided_to"] or "",
        }
        if options["include_simulated"]:
            data["include_simulated"] = "on"
        filterset = ReportFilterSet(data)
        if not filterset.is_valid():
            raise CommandError(self._errors(filterset, options))
        report = filterset.report()
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        elif options["format"] == "csv":
            writer = csvfile.writer(self.stdout, lineterminator="\n")
            writer.writerow(reports.csv_header())
            writer.writerows(reports.csv_rows(report))
        else:
            self._table(report)

    def _errors(self, filterset: ReportFilterSet, options: dict) -> str:
        """The form's errors, said in the command's own terms."""
        option = {
            "service": "--service",
            "department": "--department",
            "decided_from": "--from",
            "decided_to": "--to",
            "__all__": "--from/--to",
        }
        lines = []
        for name, messages in filterset.errors.items():
            if name == "service":
                known = ", ".join(Service.objects.order_by("code").values_list("code", flat=True))
                messages = [f"no service {options['service']!r}; known: {known or 'none'}"]
            elif name == "department":
                known = ", ".join(
                    Department.objects.order_by("code").values_list("code", flat=True)
                )
                messages = [f"no department {options['department']!r}; known: {known or 'none'}"]
            elif name in ("decided_from", "decided_to"):
                messages = [f"{options[name]!r} is not a date; write it as YYYY-MM-DD"]
            lines.append(f"{option.get(name, name)}: {' '.join(str(m) for m in messages)}")
        return "; ".join(lines)

    def _table(self, report: reports.Report) -> None:
        out = self.stdout.write
        filters = ", ".join(f"{k}={v}" for k, v in report.filters.items() if v) or "none"
        out(
            f"Approval times against the benchmark: baseline {report.baseline_days:g} days, "
            f"target {report.target_days:g} days (filters: {filters})"
        )
        o = report.overall
        if not o.applications:
            out("No decided application matches these filters.")
            return
        out(
            f"{o.applications} applications decided: median {_text('median_days', o)} days "
            f"(p90 {_text('p90_days', o)}, mean {_text('mean_days', o)}); "
            f"within {report.target_days:g} days {_text('within_target', o)}, "
            f"within {report.baseline_days:g} days {_text('within_baseline', o)}; "
            f"median {human(abs(o.median_vs_baseline), SHARE)} "
            f"{'below' if o.median_vs_baseline >= 0 else 'above'} the baseline."
        )
        out(
            f"Investor steps {_text('investor_steps', o)} per application against "
            f"{_text('legacy_steps', o)} without the single window "
            f"({_text('steps_avoided', o)} fewer); materials avoided by reuse "
            f"{_text('materials_avoided', o)}; within the statutory limit "
            f"{_text('statutory_compliance', o)}; escalations {_text('escalations', o)}."
        )
        if report.slowest_step:
            s = report.slowest_step
            out(f"Slowest step: {s.label} (median {_text('median_days', s)} days).")
        for section in SECTIONS:
            rows = section.body(report)
            out("")
            out(SECTION_TITLES[section.id])
            if rows:
                self._print_rows(rows, section.shown())
            else:
                out("No decided application matches these filters.")

    def _print_rows(self, rows: list[reports.Row], columns: tuple[Column, ...]) -> None:
        header = ["group", *(c.key for c in columns)]
        body = [[row.key, *(c.human(row) for c in columns)] for row in rows]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [header, ["-" * w for w in widths], *body]
        for line in lines:
            cells = [line[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
            self.stdout.write("  ".join(cells).rstrip())

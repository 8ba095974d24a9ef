"""``manage.py approval_report``: the supervisor's figures, in the terminal.

    python manage.py approval_report [--service CODE] [--department CODE]
        [--from DATE] [--to DATE] [--include-simulated] [--format table|json|csv]

The same figures as /reports/ (``approvals.reports``), filtered through the
same FilterSet, so a date means the same day here as on the page. ``table``
(the default) prints the headline and one table per breakdown; ``json`` the
whole report; ``csv`` one row per group, exactly the page's CSV export.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import reports
from approvals.models import Department, Service
from approvals.reporting import csvfile
from approvals.reports.filters import ReportFilterSet

FORMATS = ("table", "json", "csv")

# (column, header, format) of the terminal tables: the essentials; the CSV has every column.
TABLE_COLUMNS = {
    "applications": [
        ("applications", "apps", "count"),
        ("median_days", "median d", "days"),
        ("p90_days", "p90 d", "days"),
        ("mean_days", "mean d", "days"),
        ("median_working_days", "median wd", "days"),
        ("p90_working_days", "p90 wd", "days"),
        ("within_target", "<=target", "share"),
        ("within_baseline", "<=baseline", "share"),
        ("government_days", "gov d/app", "days"),
        ("investor_days", "inv d/app", "days"),
        ("investor_steps", "inv steps", "days"),
        ("government_steps", "gov steps", "days"),
        ("steps_avoided", "steps avoided", "share"),
        ("materials_avoided", "materials avoided", "share"),
        ("statutory_compliance", "statutory ok", "share"),
        ("escalations", "escalations", "count"),
    ],
    "steps": [
        ("steps", "steps", "count"),
        ("applications", "apps", "count"),
        ("median_days", "median d", "days"),
        ("p90_days", "p90 d", "days"),
        ("mean_days", "mean d", "days"),
        ("median_working_days", "median wd", "days"),
        ("p90_working_days", "p90 wd", "days"),
        ("within_target", "<=target", "share"),
        ("within_baseline", "<=baseline", "share"),
        ("escalations", "escalations", "count"),
    ],
}


def _cell(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "days":
        return f"{value:.2f}"
    return str(value)


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
            f"{o.applications} applications decided: median {_cell(o.median_days, 'days')} days "
            f"(p90 {_cell(o.p90_days, 'days')}, mean {_cell(o.mean_days, 'days')}); "
            f"within {report.target_days:g} days {_cell(o.within_target, 'share')}, "
            f"within {report.baseline_days:g} days {_cell(o.within_baseline, 'share')}; "
            f"median {_cell(abs(o.median_vs_baseline), 'share')} "
            f"{'below' if o.median_vs_baseline >= 0 else 'above'} the baseline."
        )
        out(
            f"Investor steps {_cell(o.investor_steps, 'days')} per application against "
            f"{_cell(o.legacy_steps, 'days')} without the single window "
            f"({_cell(o.steps_avoided, 'share')} fewer); materials avoided by reuse "
            f"{_cell(o.materials_avoided, 'share')}; within the statutory limit "
            f"{_cell(o.statutory_compliance, 'share')}; escalations {o.escalations}."
        )
        if report.slowest_step:
            s = report.slowest_step
            out(f"Slowest step: {s.label} (median {_cell(s.median_days, 'days')} days).")
        sections = (
            ("By service", [*report.services, report.overall], "applications"),
            ("By month of decision", report.months, "applications"),
            ("By department (reviews)", report.departments, "steps"),
            ("By step", report.steps, "steps"),
        )
        for title, rows, kind in sections:
            out("")
            out(title)
            self._print_rows(rows, TABLE_COLUMNS[kind])

    def _print_rows(self, rows: list[reports.Row], columns) -> None:
        header = ["group", *(h for _c, h, _k in columns)]
        body = [[row.key, *(_cell(getattr(row, c), k) for c, _h, k in columns)] for row in rows]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [header, ["-" * w for w in widths], *body]
        for line in lines:
            cells = [line[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
            self.stdout.write("  ".join(cells).rstrip())

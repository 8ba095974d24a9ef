"""The report page and its CSV and PDF exports (supervisors only).

One view, three renderings of the same ``reports.Report``: the page
(``/reports/``), ``?format=csv`` (one row per group) and ``?format=pdf``.
The figures cost a fixed number of queries whatever the number of
applications; the page adds the filter form's two lists.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from approvals import reports, roles
from approvals.pdf import SANS_CJK, html_to_pdf, url_fetcher
from approvals.reporting import csvfile
from approvals.reporting.charts import median_days_chart
from approvals.reporting.tables import headline, report_tables
from approvals.reports.filters import ReportFilterSet

FORMATS = ("html", "csv", "pdf")


@login_required
@require_GET
def report(request):
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    output = request.GET.get("format") or "html"
    if output not in FORMATS:
        return HttpResponseBadRequest(
            _("Unknown format %(format)s: use html, csv or pdf.") % {"format": output},
            content_type="text/plain; charset=utf-8",
        )
    filterset = ReportFilterSet(request.GET)
    if not filterset.is_valid():
        if output != "html":
            errors = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()
            )
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        return render(
            request, "reports/report.html", {"filter": filterset, "report": None}, status=400
        )
    figures = filterset.report()
    if output == "csv":
        return _csv_response(figures)
    context = _context(request, filterset, figures)
    if output == "pdf":
        return _pdf_response(request, context)
    return render(request, "reports/report.html", context)


def _context(request, filterset: ReportFilterSet, figures: reports.Report) -> dict:
    query = request.GET.copy()
    query.pop("format", None)

    def chart(chart_id: str, title: str, rows):
        return median_days_chart(
            chart_id,
            title,
            rows,
            target=figures.target_days,
            baseline=figures.baseline_days,
        )

    return {
        "filter": filterset,
        "report": figures,
        "headline": headline(figures),
        "tables": report_tables(figures),
        "steps_definition": reports.STEPS_DEFINITION,
        "query": query.urlencode(),
        "charts": [
            c
            for c in (
                chart("chart-services", _("Median days by service"), figures.services),
                chart("chart-months", _("Median days by month of decision"), figures.months),
                chart(
                    "chart-departments",
                    _("Median days of review by department"),
                    figures.departments,
                ),
                chart("chart-steps", _("Median days by step"), figures.steps),
            )
            if c is not None
        ],
    }


def _filename(extension: str) -> str:
    return f"approval-report-{timezone.localtime():%Y%m%d-%H%M}.{extension}"


def _csv_response(figures: reports.Report) -> HttpResponse:
    buffer = io.StringIO()
    # A byte-order mark, so that spreadsheet programs read the Chinese names right.
    buffer.write("\ufeff")
    writer = csvfile.writer(buffer)
    writer.writerow(reports.csv_header())
    writer.writerows(reports.csv_rows(figures))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


# The one set-up of every PDF (approvals.pdf), nothing fetched; under its old name,
# which tests/test_reports.py checks.
_url_fetcher = url_fetcher


def render_pdf(request, context: dict) -> bytes:
    """The report as PDF bytes, in a family that covers Chinese and Latin."""
    html = render_to_string(
        "reports/report_pdf.html", {**context, "pdf_font": SANS_CJK}, request=request
    )
    return html_to_pdf(html)


def _pdf_response(request, context: dict) -> HttpResponse:
    response = HttpResponse(render_pdf(request, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename("pdf")}"'
    return response

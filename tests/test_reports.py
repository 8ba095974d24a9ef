"""The supervisor's report: figures worked out by hand, on both databases, and its faces.

Three applications go through the real services on a frozen clock (as in
test_engine.py), Monday 3 November 2025 onwards, an ordinary fortnight of
the official calendar:

    A  submitted Mon 09:00, accepted 15:00, approved Tue 15:00
       1.25 days, 1.25 working days, statutory 1.0 (accepted Mon 15:00)
    B  submitted Mon 09:00, returned 11:00, corrected Wed 11:00, accepted
       12:00, approved Thu 13:00 (escalated: due Thu 12:00)
       3 d 4 h = 3.166667 days and working days, of which 2.0 investor-held;
       statutory 25 h = 1.041667 working days
    C  submitted Fri 7th 10:00, accepted 11:00, approved Mon 10th 10:00
       3.0 days over a weekend, 1.0 working day; statutory 23 h = 0.958333

Calendar days sorted 1.25, 3.0, 3.166667: median 3.0, p90 (position
1 + 0.9 x 2 = 2.8) 3.0 + 0.8 x 0.166667 = 3.133333. Working days 1.0, 1.25,
3.166667: median 1.25, p90 1.25 + 0.8 x 1.916667 = 2.783333.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from viewflow.workflow.timers import fire_due_timers

from approvals import models as m
from approvals import reports, services, tasks
from approvals.management.commands.approval_report import SECTION_TITLES
from approvals.reporting import views as report_views
from approvals.reports.columns import COLUMNS, SECTIONS
from approvals.reports.filters import ReportFilterSet
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def decided_at(world, submitted, accepted, approved, *, returned=None, corrected=None, late=None):
    """One application through the services; each time is a tuple for datetime()."""
    with at(*submitted):
        app = journey.submitted(world)
    if returned:
        with at(*returned):
            services.application_return(actor=world.clerk, application=app, items=["lease"])
        with at(*corrected):
            app = services.application_resubmit(actor=world.investor, application=app)
    with at(*accepted):
        services.application_accept(actor=world.clerk, application=app)
    if late:
        with at(*late):
            assert fire_due_timers() == len(world.departments)
    with at(*approved):
        app = journey.approve_all(world, app)
    assert app.status == m.ApplicationStatus.APPROVED
    return app


@pytest.fixture
def three(world):
    # Limit 1 working day, so that B (1.041667 from acceptance) is out of it.
    m.Service.objects.filter(pk=world.service.pk).update(
        statutory_limit_days=1, promised_limit_days=1
    )
    a = decided_at(world, (2025, 11, 3, 9), (2025, 11, 3, 15), (2025, 11, 4, 15))
    b = decided_at(
        world,
        (2025, 11, 3, 9),
        (2025, 11, 5, 12),
        (2025, 11, 6, 13),
        returned=(2025, 11, 3, 11),
        corrected=(2025, 11, 5, 11),
        late=(2025, 11, 6, 12, 30),
    )
    c = decided_at(world, (2025, 11, 7, 10), (2025, 11, 7, 11), (2025, 11, 10, 10))
    return a, b, c


def figures(**data) -> reports.Report:
    filterset = ReportFilterSet(data)
    assert filterset.is_valid(), filterset.errors
    return filterset.report()


def close(value, expected):
    return value == pytest.approx(expected, abs=1e-6)


@pytest.mark.django_db
def test_the_report_equals_the_figures_worked_out_by_hand(world, three):
    report = figures()
    o = report.overall
    assert o.applications == 3
    assert close(o.median_days, 3.0) and close(o.p90_days, 3.133333)
    assert close(o.mean_days, (1.25 + 3 + 3 + 4 / 24) / 3)
    assert close(o.median_working_days, 1.25) and close(o.p90_working_days, 2.783333)
    assert close(o.mean_working_days, (1.0 + 1.25 + 3 + 4 / 24) / 3)
    # Only A was decided within 2 days; all within 7.
    assert close(o.within_target, 1 / 3) and close(o.within_baseline, 1.0)
    assert close(o.median_vs_baseline, 1 - 3 / 7) and close(o.median_vs_target, 1.0)
    # Held: government 1.25 + 1.166667 + 3.0 calendar days, investor 2.0 (B's correction).
    assert close(o.government_days, (1.25 + 28 / 24 + 3.0) / 3)
    assert close(o.investor_days, 2 / 3)
    assert close(o.government_working_days, (1.25 + 28 / 24 + 1.0) / 3)
    assert close(o.investor_working_days, 2 / 3)
    assert close(o.government_share, (1.25 + 28 / 24 + 3) / (1.25 + 28 / 24 + 3 + 2))
    # Investor steps: the visits (A 1, B 2: submission and correction, C 1) plus
    # the four materials each investor handed in (prior licence and form
    # uploaded, lease committed, seal deferred): A 5, B 6, C 5. Government A 8,
    # B 9, C 8 (acceptance, 3 reviews, the decision, 3 outcomes; B accepted twice).
    # Without the single window: 3 matters + 6 materials = 9 each.
    assert close(o.investor_steps, 16 / 3) and close(o.government_steps, 25 / 3)
    assert close(o.legacy_steps, 9) and close(o.steps_avoided, 1 - 16 / 27)
    # Two of six materials reused by prefill in each application.
    assert (o.materials_required, o.materials_reused) == (18, 6)
    assert close(o.materials_avoided, 1 / 3)
    # B held 1.041667 government working days from acceptance: over the limit of 1.
    assert close(o.statutory_compliance, 2 / 3)
    assert o.escalations == 3
    assert [r.key for r in report.services] == ["fie"]
    assert report.services[0].median_days == o.median_days
    assert [(r.key, r.applications) for r in report.months] == [("2025-11", 3)]
    assert report.months[0].p90_working_days == o.p90_working_days


@pytest.mark.django_db
def test_median_and_p90_of_an_even_count(world, three):
    # Decided up to Thursday 6th: A and B only.
    o = figures(decided_to="2025-11-06").overall
    assert o.applications == 2
    assert close(o.median_days, (1.25 + 3 + 4 / 24) / 2)
    assert close(o.p90_days, 1.25 + 0.9 * (3 + 4 / 24 - 1.25))
    assert close(o.median_working_days, (1.25 + 3 + 4 / 24) / 2)
    # And a single application: every percentile is its value.
    o = figures(decided_from="2025-11-07").overall
    assert o.applications == 1 and close(o.median_days, 3.0) and close(o.p90_days, 3.0)
    assert close(o.median_working_days, 1.0)


@pytest.mark.django_db
def test_departments_steps_and_the_slowest_step(world, three):
    report = figures()
    reviews = {r.key: r for r in report.departments}
    assert set(reviews) == {"market", "commerce", "tax"}
    market = reviews["market"]
    # Each review runs from acceptance: A 1.0, B 1.041667, C 2.958333 (0.958333 working).
    assert (market.steps, market.applications, market.escalations) == (3, 3, 1)
    assert close(market.median_days, 25 / 24)
    assert close(market.p90_days, 25 / 24 + 0.8 * (71 / 24 - 25 / 24))
    assert close(market.median_working_days, 1.0)
    steps = {r.key: r for r in report.steps}
    assert list(steps) == ["submission", "acceptance", "correction", "review", "decision", "permit"]
    assert (steps["acceptance"].steps, steps["acceptance"].applications) == (4, 3)
    assert steps["review"].steps == 9
    assert close(steps["correction"].median_days, 2.0)
    # B's correction (2 days) is the step with the highest median.
    assert report.slowest_step.key == "correction"


@pytest.mark.django_db
def test_simulated_applications_are_left_out_unless_asked_for(world, three):
    _a, _b, c = three
    m.Application.objects.filter(pk=c.pk).update(is_simulated=True)
    assert figures().overall.applications == 2
    assert figures().overall.median_days == pytest.approx((1.25 + 3 + 4 / 24) / 2)
    assert figures(include_simulated="on").overall.applications == 3


@pytest.mark.django_db
def test_filters_by_service_and_department(world, three):
    other = f.ServiceFactory(code="other")
    assert figures(service="fie").overall.applications == 3
    assert figures(service=other.code).overall.applications == 0
    report = figures(department="market")
    assert report.overall.applications == 3
    assert [r.key for r in report.departments] == ["market"]
    assert figures(department="customs").overall.applications == 0


@pytest.mark.django_db
def test_no_decided_application_gives_empty_figures(world):
    report = figures()
    assert report.overall.applications == 0
    assert report.overall.median_days is None
    assert report.services == report.months == report.departments == report.steps == []
    assert report.slowest_step is None


# --- the page, the exports and the command ------------------------------------


class _Cells(HTMLParser):
    """The report tables' cells: (table, key, column) -> data-value, and the headline."""

    def __init__(self):
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.headline: dict[str, str] = {}
        self._row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-table" in a:
            self._row = (a["data-table"], a["data-key"])
        elif tag == "td" and self._row and "data-column" in a:
            self.cells[(*self._row, a["data-column"])] = a["data-value"]
        elif tag == "div" and "data-key" in a and "data-value" in a:
            self.headline[a["data-key"]] = a["data-value"]

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None


def _number(text: str):
    return None if text in ("", None) else float(text)


@pytest.mark.django_db
def test_the_page_the_csv_and_the_json_agree(world, three, client):
    client.force_login(world.supervisor)
    page = client.get(reverse("reporting:report"))
    assert page.status_code == 200
    parser = _Cells()
    parser.feed(page.content.decode())
    assert parser.cells, "the page has no table cells"

    exported = client.get(reverse("reporting:report"), {"format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))

    out = io.StringIO()
    call_command("approval_report", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    by_group = {
        (r["table"], r["key"]): r
        for r in [data["overall"], *data["services"], *data["months"]]
        + data["departments"]
        + data["matters"]
        + data["steps"]
    }
    assert {(r["table"], r["key"]) for r in rows} == set(by_group)

    compared = 0
    for row in rows:
        group = (row["table"], row["key"])
        for column, text in row.items():
            if column in ("table", "key", "label"):
                continue
            assert _number(text) == by_group[group][column], (group, column)
            on_page = parser.cells.get((*group, column))
            if on_page is not None:
                assert _number(on_page) == _number(text), (group, column)
                compared += 1
    assert compared > 100
    assert _number(parser.headline["median_days"]) == data["overall"]["median_days"]
    assert parser.headline["slowest_step"] == data["slowest_step"]["key"] == "correction"

    out = io.StringIO()
    call_command("approval_report", "--format", "csv", stdout=out)
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == rows

    # The API gives the same figures, group by group.
    api = client.get("/api/reports/approval-times/")
    assert api.status_code == 200
    body = api.json()
    for table in ("services", "months", "departments", "steps"):
        assert body[table] == data[table], table
    assert body["overall"] == data["overall"]
    assert body["slowest_step"] == data["slowest_step"]


@pytest.mark.django_db
def test_the_page_has_charts_with_text_and_takes_filters(world, three, client):
    client.force_login(world.supervisor)
    page = client.get(reverse("reporting:report"), {"decided_to": "2025-11-06"})
    html = page.content.decode()
    assert html.count("<svg") == 4
    assert 'role="img"' in html and "<desc" in html
    assert "http://" not in html.split("<svg", 1)[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    parser = _Cells()
    parser.feed(html)
    assert parser.cells[("overall", "all", "applications")] == "2"


@pytest.mark.django_db
def test_bad_filters_are_explained_not_a_500(world, client):
    client.force_login(world.supervisor)
    url = reverse("reporting:report")
    page = client.get(url, {"decided_from": "2025-11-10", "decided_to": "2025-11-01"})
    assert page.status_code == 400
    assert "after the last day" in page.content.decode()
    assert client.get(url, {"service": "nope"}).status_code == 400
    assert client.get(url, {"format": "xml"}).status_code == 400
    assert client.get(url, {"decided_from": "yesterday", "format": "csv"}).status_code == 400


@pytest.mark.django_db
def test_only_supervisors_see_the_report(world, client):
    url = reverse("reporting:report")
    assert client.get(url).status_code == 302  # to the log-in page
    for user in (world.investor, world.clerk, world.reviewers["market"]):
        client.force_login(user)
        for fmt in ("html", "csv", "pdf"):
            assert client.get(url, {"format": fmt}).status_code == 403
    client.force_login(world.supervisor)
    assert client.get(url).status_code == 200
    # The supervisors' menu links to it.
    assert url in client.get(reverse("review:overdue")).content.decode()


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_at_two_sizes(world, client):
    client.force_login(world.supervisor)
    url = reverse("reporting:report")
    decided_at(world, (2025, 11, 3, 9), (2025, 11, 3, 15), (2025, 11, 4, 15))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for day in (4, 5, 6):
        decided_at(world, (2025, 11, day, 9), (2025, 11, day, 10), (2025, 11, day + 1, 16))
    decided_at(world, (2025, 12, 1, 9), (2025, 12, 1, 10), (2025, 12, 2, 11))
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert "applications" in page.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    parser = _Cells()
    parser.feed(page.content.decode())
    assert parser.cells[("overall", "all", "applications")] == "5"


@pytest.mark.django_db
def test_the_pdf_is_rendered_offline(world, three, client):
    client.force_login(world.supervisor)
    response = client.get(reverse("reporting:report"), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    # What a step is, printed in the document too.
    assert "An investor step is each occasion" in " ".join(text.split())
    fetcher = report_views._url_fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("https://example.com/logo.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--service", "nope"],
        ["--department", "nope"],
        ["--from", "2025-02-30"],
        ["--to", "tomorrow"],
        ["--from", "2025-11-10", "--to", "2025-11-01"],
        ["--format", "xml"],
        ["--bogus"],
    ],
)
def test_bad_command_arguments_give_a_command_error(world, args):
    with pytest.raises(CommandError):
        call_command("approval_report", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_command_prints_a_table_by_default(world, three):
    out = io.StringIO()
    call_command("approval_report", "--service", "fie", stdout=out)
    text = out.getvalue()
    assert "3 applications decided: median 3.00 days (p90 3.13" in text
    assert "By department (reviews)" in text and "market" in text


@pytest.mark.django_db
def test_investor_steps_and_their_baseline_are_counted_from_the_records(world, three, client):
    """The steps figure on a worked example (numbers by hand, not by the code).

    fie (3 departments, 6 materials; registry and tax-info reused, prior
    licence and form uploaded, lease committed, seal deferred):
        A  1 submission            + 4 hand-ins = 5   baseline 3 + 6 = 9
        B  submission, correction  + 4 hand-ins = 6   baseline 9
        C  1 submission            + 4 hand-ins = 5   baseline 9
    filing (1 department, 2 materials; registry reused, plan uploaded):
        D  1 submission            + 1 hand-in  = 2   baseline 1 + 2 = 3
    All: 18 steps against 30, per application 4.5 against 7.5, 40 % avoided.
    The catalogue's typed-in legacy_steps (99 here) plays no part.
    """
    filing = f.ServiceFactory(code="filing", legacy_steps=99)
    customs = m.Department.objects.get(code="customs")
    f.thing_part(filing, customs, review_limit_days=1)
    f.MaterialFactory(service=filing, code="registry-2", reuse_key="enterprise_registry", order=1)
    f.MaterialFactory(service=filing, code="plan", order=2)
    with at(2025, 11, 4, 9):
        d = services.application_create(
            applicant=world.investor, service=filing, uscc=world.enterprise.uscc
        )
        journey.complete(world, d)
        d = services.application_submit(actor=world.investor, application=d)
    with at(2025, 11, 4, 10):
        services.application_accept(actor=world.clerk, application=d)
    with at(2025, 11, 4, 11):
        services.review_complete(
            actor=world.reviewers["customs"], review=d.reviews.get(), approve=True
        )
    d.refresh_from_db()
    assert d.status == m.ApplicationStatus.APPROVED

    report = figures()
    o = report.overall
    assert o.applications == 4
    assert close(o.investor_steps, 18 / 4) and close(o.legacy_steps, 30 / 4)
    assert close(o.steps_avoided, 1 - 18 / 30)
    by_service = {r.key: r for r in report.services}
    assert close(by_service["fie"].investor_steps, 16 / 3)
    assert close(by_service["fie"].legacy_steps, 9)
    assert close(by_service["fie"].steps_avoided, 1 - 16 / 27)
    assert close(by_service["filing"].investor_steps, 2)
    assert close(by_service["filing"].legacy_steps, 3)
    assert close(by_service["filing"].steps_avoided, 1 - 2 / 3)
    # One month holds all four: the same figures as overall.
    assert close(report.months[0].steps_avoided, 1 - 18 / 30)

    # The definition is printed beside the figure and under the tables, in both languages.
    client.force_login(world.supervisor)
    english = client.get(reverse("reporting:report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="definition-steps_avoided"' in english
    assert "Step: each hand-in by the investor" in english
    assert "An investor step is each occasion on which the investor must hand something in" in (
        english
    )
    assert "4.50 steps per application against 7.50 without the single window" in english
    chinese = client.get(
        reverse("reporting:report"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "环节：投资者的每一次提交" in chinese
    assert "投资者环节指投资者每一次必须提交材料或办理的事项" in chinese
    assert "Step: each hand-in" not in chinese


# --- one registry of columns, every output ---------------------------------------


class _Tables(HTMLParser):
    """The page's tables as people read them: per table id, its column keys and
    headers, and per row key the cells' (data-value, text)."""

    def __init__(self):
        super().__init__()
        self.columns: dict[str, list[str]] = {}
        self.headers: dict[str, list[str]] = {}
        self.rows: dict[str, dict[str, dict[str, tuple[str, str]]]] = {}
        self._table = self._row = self._cell = self._header = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "id" in a:
            self._table = a["id"]
            self.columns[self._table], self.headers[self._table] = [], []
            self.rows[self._table] = {}
        elif tag == "th" and self._table and a.get("class") == "num":
            self._header, self._text = True, []
        elif tag == "tr" and self._table and "data-key" in a:
            self._row = a["data-key"]
            self.rows[self._table][self._row] = {}
        elif tag == "td" and self._row is not None:
            self._cell, self._text = (a["data-column"], a["data-value"]), []

    def handle_data(self, data):
        if self._cell is not None or self._header:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "th" and self._header:
            self.headers[self._table].append("".join(self._text).strip())
            self._header = None
        elif tag == "td" and self._cell is not None:
            column, raw = self._cell
            cells = self.rows[self._table][self._row]
            if len(self.rows[self._table]) == 1:
                self.columns[self._table].append(column)
            cells[column] = (raw, "".join(self._text).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None


def _terminal_tables(text: str) -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    """The command's tables: title -> (column keys, row key -> cells)."""
    tables, lines = {}, text.splitlines()
    titles = set(SECTION_TITLES.values())
    for i, line in enumerate(lines):
        if line not in titles or i + 1 >= len(lines) or not lines[i + 1].startswith("group"):
            continue
        header = lines[i + 1].split()
        body = {}
        for row in lines[i + 3 :]:
            if not row.strip():
                break
            cells = re.split(r"\s{2,}", row.strip())
            body[cells[0]] = cells[1:]
        tables[line] = (header[1:], body)
    return tables


@pytest.mark.django_db
def test_every_output_lists_the_registrys_columns_with_the_same_figures(world, three, client):
    """The page, the PDF, the command's tables (people), and the CSV from the page and
    the command, the command's JSON, the API and the task (machines), for one data set."""
    report = figures()
    client.force_login(world.supervisor)
    keys = [c.key for c in COLUMNS]
    assert keys == [f.name for f in dataclasses.fields(reports.Row)]

    # Machines: every column, in the registry's order, the same values.
    page_csv = client.get(reverse("reporting:report"), {"format": "csv"}).content.decode(
        "utf-8-sig"
    )
    out = io.StringIO()
    call_command("approval_report", "--format", "csv", stdout=out)
    assert out.getvalue().splitlines() == page_csv.splitlines()
    csv_rows = list(csv.reader(io.StringIO(page_csv)))
    assert csv_rows[0] == keys
    by_group = {(r[0], r[1]): dict(zip(keys, r, strict=True)) for r in csv_rows[1:]}
    # overall, services, months, 3 departments, their 3 matters, 6 steps
    assert len(by_group) == 1 + len(report.services) + len(report.months) + 3 + 3 + 6

    out = io.StringIO()
    call_command("approval_report", "--format", "json", stdout=out)
    command_json = json.loads(out.getvalue())
    api_json = client.get("/api/reports/approval-times/").json()
    task_json = tasks.approval_report.apply(args=[{}]).get()
    for data in (command_json, api_json, task_json):
        groups = [data["overall"], *data["services"], *data["months"]]
        groups += data["departments"] + data["matters"] + data["steps"]
        assert len(groups) == len(by_group)
        for group in groups:
            assert list(group) == keys
            cells = by_group[(group["table"], group["key"])]
            for key, value in group.items():
                assert ("" if value is None else str(value)) == cells[key], (group["key"], key)
    # The same instant, written in local time by each.
    assert command_json["generated_at"].endswith("+08:00")
    assert api_json["generated_at"].endswith("+08:00")

    # People: the same tables, columns, headers and text on the page, in the PDF and
    # in the terminal; each cell's data-value is the CSV's.
    page = _Tables()
    page.feed(client.get(reverse("reporting:report"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    pdf = client.get(reverse("reporting:report"), {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="en")
    pdf_text = " ".join(
        " ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    )
    out = io.StringIO()
    call_command("approval_report", stdout=out)
    terminal = _terminal_tables(out.getvalue())
    assert [s.id for s in SECTIONS] == list(page.columns) == list(SECTION_TITLES)
    assert list(terminal) == list(SECTION_TITLES.values())
    for section in SECTIONS:
        shown = [c.key for c in section.shown()]
        assert page.columns[section.id] == shown, section.id
        with translation.override("en"):
            labels = [str(c.label) for c in section.shown()]
        assert page.headers[section.id] == labels
        assert " ".join(labels) in pdf_text, section.id
        columns, body = terminal[SECTION_TITLES[section.id]]
        assert columns == shown
        rows = section.body(report)
        assert list(page.rows[section.id]) == list(body) == [r.key for r in rows]
        for row in rows:
            cells = page.rows[section.id][row.key]
            texts = [cells[key][1] for key in shown]
            assert [cells[key][0] for key in shown] == [
                by_group[(row.table, row.key)][key] for key in shown
            ]
            assert body[row.key] == texts, (section.id, row.key)
            assert " ".join(texts) in pdf_text, (section.id, row.key)

    # investor_steps, once for all: a mean per application, two decimals for people.
    effort = page.rows["table-service-effort"]["fie"]
    assert effort["investor_steps"] == (str(round(16 / 3, 6)), "5.33")
    assert terminal[SECTION_TITLES["table-service-effort"]][1]["fie"][1] == "5.33"
    assert effort["steps_avoided"][1] == "40.7 %"
    assert page.rows["table-step"]["correction"]["steps"][1] == "1"
    assert "escalations" not in page.columns["table-step"]
    assert "escalations" in page.columns["table-department"]


def test_a_figure_halfway_between_two_shown_values_rounds_the_same_in_any_summing_order():
    # One application's working days, summed by the database in two orders, and the median
    # with another application's: exactly halfway between two shown values, a unit in the
    # 16th digit apart. Rounded as they are, the two runs would print different figures.
    intervals, other = (0.006318, 1.336162, 2.16462), 0.686287
    one_order = ((intervals[0] + intervals[1]) + intervals[2] + other) / 2
    another = (intervals[0] + (intervals[1] + intervals[2]) + other) / 2
    assert one_order != another and round(one_order, 6) != round(another, 6)

    def median_shown(value):
        return reports.Row(table="overall", key="", label="", applications=2, median_days=value)

    assert median_shown(one_order).median_days == median_shown(another).median_days == 2.096694

"""The supervisor's audit trail on the seeded demo: its pages, the details in
words, the CSV export of the filtered trail and who may have it.

Every CSV the product writes (this export, the report's and the
``approval_report`` command's) neutralises cells a spreadsheet would run as
a formula.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from approvals import audit, roles, selectors, services
from approvals import models as m
from approvals.reporting.csvfile import safe_cell
from tests import demo_data
from tests import factories as f

pytestmark = pytest.mark.django_db
A = m.AuditAction

demo = pytest.fixture(scope="module")(demo_data.seeded)


def returned_application():
    """The demo's returned application (seed_demo's own, not one of its history)."""
    return m.Application.objects.get(
        status=m.ApplicationStatus.RETURNED, is_demo_history=False, is_simulated=False
    )


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def page_holding(entry: m.AuditEntry) -> int:
    """The page of the whole trail (latest first) on which `entry` is listed."""
    newer = (
        selectors.audit_trail().filter(Q(at__gt=entry.at) | Q(at=entry.at, pk__gt=entry.pk)).count()
    )
    return newer // settings.PAGE_SIZE + 1


def test_the_supervisors_trail_pages_open_with_details_in_words(client, demo):
    client.force_login(demo["supervisor"])
    returned = returned_application()
    # The return is some pages back in the trail: later demo work is listed above it.
    page_of_return = page_holding(returned.audit_entries.get(action=A.RETURNED))
    assert page_of_return >= 2
    for url, query in (
        (reverse("review:audit"), {}),
        (reverse("review:audit"), {"page": str(page_of_return)}),
        (reverse("review:audit"), {"action": A.RETURNED}),
        (reverse("review:application", args=[returned.public_id]), {"trail": "1"}),
    ):
        page = client.get(url, query)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert query == {} or "correction items: 1" in text, url
        assert "dict_items" not in text and "['" not in text and "{'" not in text, url
    # Lists are joined, choices read as their label, booleans as words.
    page = client.get(reverse("review:audit"), {"action": A.CREATED}).content.decode()
    assert "filed as: the investor" in page
    assert "data sources unavailable: —" in page
    page = client.get(reverse("review:audit"), {"action": A.DECIDED}).content.decode()
    assert "outcome: approved; rejected by: —" in page


def test_the_details_are_in_chinese_on_a_chinese_page(client, demo):
    client.force_login(demo["supervisor"])
    page = client.get(
        reverse("review:audit"), {"action": A.RETURNED}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "退回补正事项: 1" in page
    assert "来源" in page  # the column: where an action came from
    assert "起始日期" in page  # the filter: the first day of the range


def test_the_export_holds_every_entry_the_filter_keeps_not_one_page(client, demo, settings):
    settings.PAGE_SIZE = 5
    client.force_login(demo["supervisor"])
    url = reverse("review:audit_export")
    rows = csv_rows(client.get(url))
    assert rows[0][:5] == ["When", "Application", "Service", "Who", "What"]
    assert len(rows) - 1 == m.AuditEntry.objects.count() > settings.PAGE_SIZE
    returned = returned_application()
    only = csv_rows(client.get(url, {"action": A.RETURNED, "application": returned.reference}))
    assert len(only) == 2
    when, reference, service, who, what, details, address, channel = only[1]
    assert (reference, who, what, details) == (
        returned.reference,
        "clerk",
        "returned for correction",
        "correction items: 1",
    )
    assert (service, address, channel) == ("fie-establishment", "", "the system")
    # The page links to the export with the same filter, without the page number.
    page = client.get(reverse("review:audit"), {"action": A.RETURNED, "page": "1"})
    assert f'href="{url}?action=returned"' in page.content.decode()


def test_a_filter_that_does_not_validate_shows_the_page_with_its_error(client, demo):
    client.force_login(demo["supervisor"])
    page = client.get(reverse("review:audit_export"), {"since": "yesterday"})
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert "Enter a valid date." in page.content.decode()


def test_only_supervisors_may_export(client, demo):
    url = reverse("review:audit_export")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    reviewers = [u for name, u in demo.items() if name.startswith("rev-")]
    assert reviewers
    for user in [demo["investor"], demo["agent"], demo["clerk"], *reviewers]:
        client.force_login(user)
        assert client.get(url).status_code == 403, user.username


# --- CSV injection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-0.25e3", "-0.25e3"),
        ("a=b", "a=b"),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_a_spreadsheet_would_evaluate_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_the_audit_export_neutralises_a_formula_typed_by_a_user(client, demo):
    boss = f.UserFactory(username="@boss")
    boss.groups.add(Group.objects.get(name=roles.SUPERVISOR_GROUP))
    # The demo's approved establishment's business licence (its other outcomes are alike).
    permit = m.Permit.objects.get(
        application__is_demo_history=False,
        application__status=m.ApplicationStatus.APPROVED,
        matter__matter__code="company-registration",
    )
    services.permit_revoke(actor=boss, permit=permit, reason='=HYPERLINK("http://evil")')
    client.force_login(boss)
    rows = csv_rows(client.get(reverse("review:audit_export"), {"action": A.PERMIT_REVOKED}))
    assert rows[1][3] == "'@boss"
    assert rows[1][5] == f'permit: {permit.number}; reason: =HYPERLINK("http://evil")'


def test_the_report_csv_and_the_command_neutralise_a_formula_in_a_name(client, demo):
    service = m.Service.objects.get(code="fie-establishment")
    service.name_en = service.name_zh = "=1+1"
    service.save()
    client.force_login(demo["supervisor"])
    exported = client.get(reverse("reporting:report"), {"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    labels = {r["label"] for r in rows if r["key"] == "fie-establishment"}
    assert labels == {"'=1+1"}
    out = io.StringIO()
    call_command("approval_report", "--format", "csv", stdout=out)
    labels = {r["label"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert "'=1+1" in labels and "=1+1" not in labels


def _queries(client, url, query=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_the_page_and_the_export_cost_the_same_queries_whatever_the_rows(client, demo):
    client.force_login(demo["supervisor"])
    page, export = reverse("review:audit"), reverse("review:audit_export")
    returned = returned_application()
    few = {"application": returned.reference, "action": A.RETURNED}
    counts = (_queries(client, page, few), _queries(client, export, few))
    assert m.AuditEntry.objects.filter(application=returned, action=A.RETURNED).count() == 1
    many = m.AuditEntry.objects.count()
    assert many > 40
    # Both: session, user, the supervisor's roles (one read, approvals.roles: the
    # header's menu reuses it), the rows. The page also: the count. (7, 5) before,
    # with two permission reads and the header's own groups read.
    assert counts == (_queries(client, page), _queries(client, export)) == (5, 4)


def test_a_drafts_entries_name_it_without_a_link_no_official_may_follow(client, demo):
    draft = m.Application.objects.get(status=m.ApplicationStatus.DRAFT, is_demo_history=False)
    client.force_login(demo["supervisor"])
    page = client.get(reverse("review:audit"), {"application": draft.reference}).content.decode()
    assert draft.reference in page
    assert str(draft.public_id) not in page
    assert client.get(reverse("review:application", args=[draft.public_id])).status_code == 404


def test_details_name_fields_and_sources_as_a_reader_knows_them():
    detail = {
        "fields": ["enterprise.registered_capital", "enterprise.address"],
        "corrected": [],
        "sources_failed": ["enterprise_registry"],
        "late_delivery": True,
        "something_new": {"a": 1},
    }
    assert audit.describe(detail) == (
        "fields: Registered capital (10,000 CNY), Address; corrected by the applicant: —; "
        "data sources unavailable: Enterprise registry (market regulation); "
        "deferred material delivered: yes; something new: a: 1"
    )
    with translation.override("zh-hans"):
        described = audit.describe({"late_delivery": False, "items": 2})
    assert described == "容缺材料已补交: 否; 退回补正事项: 2"


def test_the_export_is_in_the_readers_language_to_its_last_row(client, demo):
    client.force_login(demo["supervisor"])
    response = client.get(
        reverse("review:audit_export"), {"action": A.RETURNED}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    with translation.override("en"):  # what another request in this thread might leave behind
        rows = csv_rows(response)
    assert rows[0][0] == "时间"
    assert rows[1][4:6] == ["退回补正", "退回补正事项: 1"]

"""The supervisor's pages in a real browser, on the seeded demo: the audit trail
(filtered, exported), the page of an application that was returned, the
report with its figures, and an error page with its way home; both
languages, desktop and phone width."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from approvals import models as m
from approvals import permits
from approvals.management.commands.seed_demo import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("seed_demo", "--history", "24", "--no-progress", stdout=io.StringIO())


def log_in(pages, username="supervisor"):
    page = pages.go("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def test_the_supervisor_reads_the_trail_opens_a_returned_application_and_the_report(demo, open_tab):
    returned = m.Application.objects.get(
        status=m.ApplicationStatus.RETURNED, is_demo_history=False, is_simulated=False
    )
    desk = open_tab(locale="en-US", width=1280)
    page = log_in(desk)
    page.get_by_role("link", name="Audit trail").click()
    trail = page.get_by_test_id("audit-trail")
    assert trail.is_visible()
    assert "[" not in trail.inner_text() and "{" not in trail.inner_text()

    page.fill("#id_application", returned.reference)
    page.select_option("#id_action", "returned")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    rows = page.get_by_test_id("audit-trail").locator("tbody tr")
    assert rows.count() == 1
    assert "correction items: 1" in rows.first.inner_text()
    desk.shot("supervisor-audit-returned")

    export = page.get_by_test_id("audit-export")
    assert "action=returned" in export.get_attribute("href")
    assert returned.reference in export.get_attribute("href")
    download = desk.context.request.get(desk.base + export.get_attribute("href"))
    assert download.status == 200
    cells = list(csv.reader(io.StringIO(download.text().lstrip("\ufeff"))))
    assert [row[1] for row in cells[1:]] == [returned.reference]

    rows.first.get_by_role("link", name=returned.reference).click()
    page.wait_for_load_state()
    assert returned.reference in page.locator("h1").inner_text()
    own_trail = page.get_by_test_id("audit-trail")
    assert "returned for correction" in own_trail.inner_text()
    assert "correction items: 1" in own_trail.inner_text()
    desk.shot("supervisor-application-returned")

    page.get_by_role("link", name="Approval times").click()
    page.wait_for_load_state()
    decided = page.locator("[data-testid='headline'] [data-key='applications']")
    assert float(decided.get_attribute("data-value")) >= 1
    assert page.locator("table tbody tr").count() > 1
    desk.shot("supervisor-report")


def test_the_trail_in_chinese_on_a_phone_and_an_error_page_with_its_way_home(demo, open_tab):
    phone = open_tab(locale="zh-CN", width=390, height=844)
    page = log_in(phone)
    page.goto(phone.base + "/office/audit/?action=returned")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    heads = page.get_by_test_id("audit-trail").locator("thead").inner_text()
    assert "来源" in heads
    assert "退回补正事项: 1" in page.get_by_test_id("audit-trail").inner_text()
    assert page.get_by_text("起始日期").is_visible()
    # The table scrolls in its own box; the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("supervisor-audit-phone-zh")

    page.goto(phone.base + "/office/no-such-page/")
    assert page.get_by_test_id("error-page").is_visible()
    assert "页面不存在" in page.locator("h1").inner_text()
    assert page.get_by_test_id("switch-language").is_visible()
    phone.shot("error-404-phone-zh")
    with page.expect_navigation() as went:
        page.get_by_test_id("error-home").click()
    assert went.value.ok
    # Home sends a supervisor on to their own first page.
    assert page.get_by_test_id("error-page").count() == 0
    assert page.url.startswith(phone.base + "/")


def test_no_official_list_scrolls_the_page_sideways_on_a_phone(demo, open_tab):
    """A table scrolls in its own box; its visually hidden headers must not
    widen the page (they did on the reviewer's queue: 569 px on a 390 px screen)."""
    for username, path in (
        ("rev-commerce", "/office/reviews/"),
        ("clerk", "/office/window/"),
        ("supervisor", "/office/overdue/"),
    ):
        phone = open_tab(locale="en-US", width=390, height=844)
        page = log_in(phone, username)
        page.goto(phone.base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        phone.close()

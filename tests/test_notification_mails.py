"""What the mails say: each lists what happened and its items, in the
applicant's language with the other below, as text and HTML, with a link
that opens the application."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from viewflow.workflow.timers import fire_due_timers

from approvals import background, services
from approvals import models as m
from approvals.services import Deferral
from tests import journey

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
BASE = "https://window.example.gov.cn"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_BASE_URL = BASE


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def submitted_in(world, language):
    app = journey.complete(world, journey.draft(world))
    with translation.override(language):
        return services.application_submit(actor=world.investor, application=app)


def the_mail(subject_part):
    found = [m for m in mail.outbox if subject_part in m.subject]
    assert len(found) == 1, [m.subject for m in mail.outbox]
    message = found[0]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message, message.body, html


def link_opens(client, user, text):
    [url] = set(re.findall(re.escape(BASE) + r"/\S+", text))
    client.force_login(user)
    assert client.get(url.removeprefix(BASE)).status_code == 200
    return url


def test_accepted_mail_lists_departments_and_deferrals_in_english_then_chinese(
    world, client, django_capture_on_commit_callbacks
):
    with at(2026, 11, 16, 10):
        app = submitted_in(world, "en")
        with django_capture_on_commit_callbacks(execute=True):
            services.application_accept(
                actor=world.clerk,
                application=app,
                deferrals=[Deferral("seal", datetime(2026, 11, 27).date())],
            )
    message, text, html = the_mail("accepted")
    assert message.to == [world.investor.email]
    assert message.subject == f"[{app.reference}] Your application was accepted / 您的申请已受理"
    english, chinese = text.split("-" * 60)
    assert "accepted your application" in english and "已受理您的申请" in chinese
    for part in (english, html):
        assert "Material seal: by 2026-11-27" in part
        for code in ("market", "commerce", "tax"):
            assert f"Department {code}: to decide by 2026-11-17 10:00" in part
    assert "材料seal: 须于 2026-11-27 前提交" in chinese
    assert "部门market: 办理期限 2026-11-17 10:00" in chinese
    assert html.index("accepted your application") < html.index("已受理您的申请")
    url = link_opens(client, world.investor, text)
    assert f'href="{url}"' in html


def test_accepted_mail_of_a_bundle_names_the_matters_waiting_for_another(
    world, bundle, django_capture_on_commit_callbacks
):
    app = services.application_create(
        applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc
    )
    journey.complete(world, app)
    with translation.override("zh-hans"):
        services.application_submit(actor=world.investor, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(actor=world.clerk, application=app)
    message, text, html = the_mail("已受理")
    chinese, english = text.split("-" * 60)
    # Tax registration needs the licence: reviewed after it, and the mail says so.
    assert "以下事项待其前置事项批准后审查：\n- 事项taxreg: 前置事项： 事项licence" in chinese
    assert "Reviewed once the matters they need first are approved:" in english
    assert "- Matter taxreg: Needs first: Matter licence" in english
    assert "<li>事项taxreg: 前置事项： 事项licence</li>" in html
    assert "<li>Matter taxreg: Needs first: Matter licence</li>" in html
    # The four reviews open now are listed as before; no waiting matter among them.
    assert "Department tax: to decide by" not in english
    for matter in ("report", "seal", "social"):
        assert f"Matter {matter}: Needs first" not in english


def test_returned_mail_lists_every_item_chinese_first(
    world, client, django_capture_on_commit_callbacks
):
    app = submitted_in(world, "zh-hans")
    items = ["租赁合同缺少盖章 / lease lacks its seal", "Capital differs from the articles"]
    with django_capture_on_commit_callbacks(execute=True):
        services.application_return(
            actor=world.clerk, application=app, items=items, note="Call us if unsure."
        )
    message, text, html = the_mail("correction")
    assert message.subject.startswith(f"[{app.reference}] 您的申请需要补正 / ")
    chinese, english = text.split("-" * 60)
    assert "需补正事项" in chinese and "To correct:" in english
    for part in (chinese, english):
        assert "1. 租赁合同缺少盖章 / lease lacks its seal" in part
        assert "2. Capital differs from the articles" in part
        assert "Call us if unsure." in part
    assert "<li>Capital differs from the articles</li>" in html
    link_opens(client, world.investor, text)


def test_refusal_mail_gives_reasons_deciding_body_and_remedies_in_both_languages(
    world, client, django_capture_on_commit_callbacks
):
    app = submitted_in(world, "en")
    services.application_accept(actor=world.clerk, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        for review in app.reviews.select_related("department"):
            code = review.department.code
            services.review_complete(
                actor=world.reviewers[code],
                review=review,
                approve=code != "commerce",
                reasons="The investor is on the negative list." if code == "commerce" else "",
            )
    message, text, html = the_mail("decision")
    # Commerce's matter refused, the other two approved: partly approved, reasons and remedies.
    assert "partly approved" in message.subject and "部分准予许可" in message.subject
    english, chinese = text.split("-" * 60)
    assert "- Department commerce: The investor is on the negative list." in english
    assert "- 部门commerce: The investor is on the negative list." in chinese
    assert "Decided by: Department commerce, through the single window." in english
    assert "作出决定的机关：部门commerce（经“单一窗口”）。" in chinese
    assert "administrative reconsideration within 60 days" in english
    assert "administrative lawsuit before a people's court within 6 months" in english
    assert "六十日内依法申请行政复议" in chinese and "六个月内依法向人民法院提起行政诉讼" in chinese
    assert "六十日内依法申请行政复议" in html and "within 60 days" in html
    link_opens(client, world.investor, text)


def test_approval_mail_says_so(world, django_capture_on_commit_callbacks):
    app = submitted_in(world, "en")
    services.application_accept(actor=world.clerk, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        journey.approve_all(world, app)
    message, text, _html = the_mail("decision")
    assert "approved by every department" in text and "已获各部门批准" in text
    assert "reconsideration" not in text


def test_escalation_mail_names_the_review_department_due_and_links_the_office_page(
    world, client, django_capture_on_commit_callbacks
):
    with at(2026, 11, 16, 10):
        app = journey.submitted(world)
        services.application_accept(actor=world.clerk, application=app)
    with at(2026, 11, 17, 11), django_capture_on_commit_callbacks(execute=True):
        assert fire_due_timers() == 3
    overdue = [m for m in mail.outbox if "Review overdue" in m.subject]
    assert len(overdue) == 3
    message = next(m for m in overdue if "Department market" in m.subject)
    assert message.to == [world.supervisor.email]
    assert message.subject == (
        f"[{app.reference}] 审查超时：部门market / Review overdue: Department market"
    )
    text = message.body
    assert "部门market 对申请" in text and "应于 2026-11-17 10:00 前完成" in text
    assert f"Department market on application {app.reference}" in text
    assert "was due 2026-11-17 10:00" in text
    assert "/office/applications/" in text
    link_opens(client, world.supervisor, text)


@pytest.mark.parametrize("action", ["accept", "return"])
def test_the_mail_is_written_with_its_action_or_neither_is(world, monkeypatch, action):
    app = journey.submitted(world)

    def mail_store_fails(**kwargs):
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr(background, "notify", mail_store_fails)
    with pytest.raises(RuntimeError, match="could not be written"):
        if action == "accept":
            services.application_accept(actor=world.clerk, application=app)
        else:
            services.application_return(actor=world.clerk, application=app, items=["lease"])
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert not app.reviews.exists() and not app.corrections.exists()

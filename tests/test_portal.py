"""The investor portal through its views: apply, hand in, submit, correct, follow."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import models as m
from approvals import services
from approvals.errors import ApplicationBusy
from approvals.shared_data import EnterpriseRegistrySource
from tests import factories as f
from tests import journey
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db

# Every URL of one application, with the methods it answers to.
APPLICATION_URLS = [
    ("application", {}),
    ("values", {}),
    ("prefill", {}),
    ("submit", {}),
    ("resubmit", {}),
    ("withdraw", {}),
    ("material_upload", {"material_code": "form"}),
    ("material_commit", {"material_code": "lease"}),
    ("material_defer", {"material_code": "seal"}),
]


def url(name, app=None, **kwargs):
    if app is None:
        return reverse(f"portal:{name}", kwargs=kwargs)
    return reverse(f"portal:{name}", kwargs={"public_id": app.public_id, **kwargs})


def apply_url(world):
    return reverse("portal:apply", args=[world.service.code])


def text(response) -> str:
    return response.content.decode()


def upload_field(code: str) -> str:
    return f"material-{code}-file"


def values_of(app) -> dict[str, str]:
    return dict(app.values.values_list("field", "value"))


def follow_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class BrokenRegistry(EnterpriseRegistrySource):
    def fetch(self, uscc):
        raise ConnectionError("data exchange refused the connection")


# --- the whole path -------------------------------------------------------------


def test_apply_hand_in_and_submit_through_the_pages_makes_one_application(client, world):
    client.force_login(world.investor)
    page = client.get(apply_url(world))
    assert page.status_code == 200
    key = page.context["form"]["idempotency_key"].value()
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert f'value="{key}"' in text(page)

    # A double click: the same form posted twice opens one draft. The code
    # may be typed in lower case with spaces.
    typed = " ".join(world.enterprise.uscc[i : i + 6] for i in range(0, 18, 6)).lower()
    form = {"uscc": typed, "filed_as": "agent", "idempotency_key": key}
    first = client.post(apply_url(world), form)
    second = client.post(apply_url(world), form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert m.Application.objects.count() == 1
    app = m.Application.objects.get()
    assert first["Location"] == url("application", app)
    # Posted "agent", but the applicant is the legal representative: who files is
    # read from the registry and the mandates, not from a box ticked.
    assert (app.uscc, app.filed_as, app.acting_as, app.applicant) == (
        world.enterprise.uscc,
        "investor",
        "legal_representative",
        world.investor,
    )

    # The draft arrives prefilled, each value with its source, record and time.
    draft = client.get(first["Location"])
    assert draft.status_code == 200
    body = text(draft)
    assert world.enterprise.name_zh in body
    assert "Enterprise registry (market regulation)" in body
    assert f"record enterprise:{world.enterprise.uscc}" in body
    assert "Tax registration (tax bureau)" in body
    assert "prefilled" in body and "not held, fill in" in body
    # Materials the government holds are reused, with the record reused.
    assert "reused automatically" in body
    assert f"record {world.enterprise.uscc}: nothing to hand in" in body
    assert 'accept="application/pdf,image/jpeg,image/png"' in body

    # Correct one value: it is kept, and shown as a correction.
    saved = client.post(
        url("values", app),
        {"v-enterprise-address": "海南省海口市美兰区国兴大道5号"},
    )
    assert saved.status_code == 302 and saved["Location"].endswith("#values")
    address = app.values.get(field="enterprise.address")
    assert address.value == "海南省海口市美兰区国兴大道5号" and address.corrected
    body = text(client.get(url("application", app)))
    assert "corrected" in body and world.enterprise.address in body

    for code in ("prior-licence", "form"):
        done = client.post(
            url("material_upload", app, material_code=code),
            {upload_field(code): pdf_upload(f"{code}.pdf")},
        )
        assert done.status_code == 302 and done["Location"].endswith(f"#material-{code}")
    committed = client.post(
        url("material_commit", app, material_code="lease"),
        {"material-lease-text": "本企业承诺住所真实有效 / We commit that the address is real."},
    )
    assert committed.status_code == 302
    deferred = client.post(url("material_defer", app, material_code="seal"))
    assert deferred.status_code == 302
    ways = dict(app.materials.values_list("material__code", "satisfied_by"))
    assert ways == {
        "registry": "reuse",
        "tax-info": "reuse",
        "prior-licence": "upload",
        "form": "upload",
        "lease": "commitment",
        "seal": "deferral",
    }
    body = text(client.get(url("application", app)))
    assert "form.pdf" in body and "commitment signed" in body and "to follow later" in body

    # Submitted twice (double click, back button, second tab): one submission.
    submitted = client.post(url("submit", app))
    again = client.post(url("submit", app), follow=True)
    assert submitted.status_code == 302 and submitted["Location"] == url("application", app)
    assert again.status_code == 200
    assert any("already submitted" in message for message in follow_messages(again))
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert m.Application.objects.count() == 1
    assert app.steps.filter(kind=m.StepKind.SUBMISSION).count() == 1
    assert app.clock_intervals.count() == 1
    # The corrected address went in with the submission.
    assert values_of(app)["enterprise.address"] == "海南省海口市美兰区国兴大道5号"


def test_the_back_button_then_another_enterprise_opens_a_second_draft(client, world):
    other = f.EnterpriseFactory()
    client.force_login(world.investor)
    form = {"uscc": world.enterprise.uscc, "filed_as": "investor", "idempotency_key": "k"}
    first = client.post(apply_url(world), form)
    second = client.post(apply_url(world), {**form, "uscc": other.uscc})
    assert first["Location"] != second["Location"]
    assert sorted(m.Application.objects.values_list("uscc", flat=True)) == sorted(
        [world.enterprise.uscc, other.uscc]
    )


def test_submit_saves_the_values_typed_in_the_same_page(client, world):
    app = journey.complete(world, journey.draft(world))
    client.force_login(world.investor)
    response = client.post(url("submit", app), {"v-enterprise-legal_representative": "李琼"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert values_of(app)["enterprise.legal_representative"] == "李琼"


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91460100MA0000001", "has 18 characters; this one has 17"),
        ("91460100MA000000IO", "cannot appear in a unified social credit code"),
        ("914601000000000001", "The check character (18th) does not match"),
    ],
)
def test_an_invalid_credit_code_is_explained_beside_the_field(client, world, code, message):
    client.force_login(world.investor)
    response = client.post(
        apply_url(world), {"uscc": code, "filed_as": "investor", "idempotency_key": "k1"}
    )
    assert response.status_code == 400
    body = text(response)
    errors = re.search(r'<ul class="errorlist" id="id_uscc-errors".*?</ul>', body, re.S)
    assert errors and message in errors.group(0)
    assert 'aria-invalid="true"' in body
    # What was typed and the idempotency key are kept for the next try.
    assert f'value="{code}"' in body and 'value="k1"' in body
    assert not m.Application.objects.exists()


def test_a_text_file_named_pdf_is_refused_and_the_draft_is_kept(client, world):
    app = journey.draft(world)
    before = values_of(app)
    client.force_login(world.investor)
    fake = SimpleUploadedFile("contract.pdf", b"just some text", content_type="application/pdf")
    response = client.post(
        url("material_upload", app, material_code="form"), {upload_field("form"): fake}
    )
    assert response.status_code == 400
    body = text(response)
    message = "Only PDF, JPEG or PNG files are accepted; this file is none of them."
    block = re.search(r'<div class="material has-error" id="material-form".*?</ul>', body, re.S)
    assert block and message in block.group(0)
    assert f'<a href="#material-form">{message}</a>' in body
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.DRAFT
    assert values_of(app) == before
    assert app.materials.get(material__code="form").satisfied_by == m.SatisfiedBy.MISSING
    # The page still offers everything else.
    assert 'data-testid="values-form"' in body and 'data-testid="submit-application"' in body


def test_an_oversized_file_is_refused_with_the_limit(client, world, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    app = journey.draft(world)
    client.force_login(world.investor)
    response = client.post(
        url("material_upload", app, material_code="form"),
        {upload_field("form"): pdf_upload("big.pdf", size=1024 * 1024 + 200 * 1024)},
    )
    assert response.status_code == 400
    # Sizes in the same (binary) units as the limit itself.
    assert "The file is 1.2\xa0MB; the limit is 1.0\xa0MB." in text(response)
    assert app.materials.get(material__code="form").satisfied_by == m.SatisfiedBy.MISSING


def test_a_wrong_value_is_shown_beside_its_field_and_what_was_typed_is_kept(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    response = client.post(
        url("values", app),
        {
            "v-enterprise-registered_capital": "a lot",
            "v-enterprise-address": "新地址 1 号",
        },
    )
    assert response.status_code == 400
    body = text(response)
    errors = re.search(r'id="err-v-enterprise-registered_capital".*?</ul>', body, re.S)
    assert errors and "Enter an amount in 10,000 CNY" in errors.group(0)
    assert 'value="a lot"' in body and 'value="新地址 1 号"' in body
    assert '<a href="#id_v-enterprise-registered_capital">' in body
    # Nothing was half-saved.
    assert values_of(app)["enterprise.address"] == world.enterprise.address


def test_an_incomplete_submission_lists_every_missing_item_linked_to_its_field(client, world):
    # An enterprise the registry does not hold yet: every registry field is blank.
    app = journey.unregistered_draft(world)
    missing = services.application_completeness_errors(app)
    client.force_login(world.investor)
    response = client.post(url("submit", app))
    assert response.status_code == 400
    body = text(response)
    summary = re.search(r'data-testid="error-summary">.*?</div>', body, re.S).group(0)
    for key, messages in missing.items():
        anchor = (
            f"material-{key.split(':', 1)[1]}"
            if key.startswith("material:")
            else f"id_v-{key.replace('.', '-')}"
        )
        for message in messages:
            assert f'<a href="#{anchor}">{message}</a>' in summary
    assert summary.count("<li>") == sum(len(v) for v in missing.values())
    # Each anchor lands on something on the page.
    for anchor in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{anchor}"' in body
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.DRAFT


def test_a_busy_application_asks_to_try_again(client, world, monkeypatch):
    app = journey.complete(world, journey.draft(world))

    def busy(**kwargs):
        raise ApplicationBusy()

    monkeypatch.setattr(services, "application_submit", busy)
    client.force_login(world.investor)
    response = client.post(url("submit", app))
    assert response.status_code == 409
    assert response["Retry-After"] == "2"
    assert "try again" in text(response)


def test_a_source_that_is_down_leaves_fields_to_fill_and_can_be_asked_again(
    client, world, settings
):
    settings.PREFILL_SOURCES = [
        "tests.test_portal.BrokenRegistry",
        "approvals.shared_data.TaxRegistrationSource",
    ]
    app = journey.draft(world)
    client.force_login(world.investor)
    body = text(client.get(url("application", app)))
    assert "source unavailable, fill in" in body
    assert "data exchange refused the connection" in body
    assert 'data-testid="retry-prefill"' in body
    retried = client.post(url("prefill", app), follow=True)
    assert any("Still unavailable" in message for message in follow_messages(retried))
    settings.PREFILL_SOURCES = [
        "approvals.shared_data.EnterpriseRegistrySource",
        "approvals.shared_data.TaxRegistrationSource",
    ]
    retried = client.post(url("prefill", app), follow=True)
    assert any("Every source answered" in message for message in follow_messages(retried))
    assert values_of(app)["enterprise.name_zh"] == world.enterprise.name_zh


# --- who may see what ------------------------------------------------------------


def test_someone_elses_application_does_not_exist_for_you(client, world):
    app = journey.draft(world)
    client.force_login(world.other_investor)
    for name, kwargs in APPLICATION_URLS:
        target = url(name, app, **kwargs)
        assert client.get(target).status_code == 404, target
        assert client.post(target).status_code == 404, target
    # Officials neither.
    client.force_login(world.clerk)
    assert client.get(url("application", app)).status_code == 404
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.DRAFT
    assert not client.get(url("applications")).context["page"].object_list


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    app = journey.draft(world)
    targets = [apply_url(world), url("applications")]
    targets += [url(name, app, **kwargs) for name, kwargs in APPLICATION_URLS]
    for target in targets:
        for method in (client.get, client.post):
            response = method(target)
            assert response.status_code == 302, target
            assert response["Location"].startswith(reverse("login") + "?next="), target


def test_officials_cannot_apply(client, world):
    client.force_login(world.clerk)
    response = client.get(apply_url(world))
    assert response.status_code == 403
    assert "Officials cannot apply" in text(response)


def test_a_get_on_an_action_url_leads_back_to_the_page(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    response = client.get(url("submit", app))
    assert response.status_code == 302 and response["Location"] == url("application", app)
    assert app.steps.count() == 0


# --- correction loop, status, permit --------------------------------------------------


def test_a_returned_application_is_corrected_in_place_and_resubmitted(
    client, world, django_capture_on_commit_callbacks
):
    app = journey.submitted(world)
    item = "租赁合同页面不清晰 / The lease contract scan is unreadable"
    with django_capture_on_commit_callbacks(execute=True):
        services.application_return(
            actor=world.clerk, application=app, items=[item], note="请重新上传 / Upload it again"
        )
    assert mail.outbox and world.investor.email in mail.outbox[-1].to
    client.force_login(world.investor)
    page = client.get(url("application", app))
    assert page.status_code == 200
    body = text(page)
    assert item in body and "Upload it again" in body
    assert 'data-testid="correction-notice"' in body
    assert re.search(r'data-testid="clock-holder">.*?You', body, re.S)
    assert 'data-testid="values-form"' in body and 'data-testid="resubmit"' in body
    assert f"correction request sent to {world.investor.email}" in body

    # Hand in a better file, correct a value and answer in the same submission.
    uploaded = client.post(
        url("material_upload", app, material_code="form"),
        {upload_field("form"): pdf_upload("form-v2.pdf")},
    )
    assert uploaded.status_code == 302
    # Submitting (not resubmitting) a returned application points to the notice.
    nudged = client.post(url("submit", app))
    assert nudged["Location"].endswith("#correction")
    answer = "已重新上传清晰扫描件 / Uploaded a clear scan."
    resubmitted = client.post(
        url("resubmit", app),
        {"answer": answer, "v-enterprise-address": "海南省三亚市吉阳区1号"},
    )
    assert resubmitted.status_code == 302
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    correction = app.corrections.get()
    assert correction.answered_at is not None and correction.answer == answer
    assert values_of(app)["enterprise.address"] == "海南省三亚市吉阳区1号"
    assert app.materials.get(material__code="form").original_name == "form-v2.pdf"
    assert app.clock_intervals.get(ended_at__isnull=True).holder == m.ClockHolder.GOVERNMENT

    again = client.post(url("resubmit", app), {"answer": answer}, follow=True)
    assert any("already submitted" in message for message in follow_messages(again))
    body = text(again)
    assert re.search(r'data-testid="clock-holder">.*?Government', body, re.S)
    assert "Correction by the investor" in body and answer in body


def test_resubmitting_still_incomplete_lists_what_is_missing_and_keeps_the_answer(client, world):
    app = journey.submitted(world)
    services.application_return(actor=world.clerk, application=app, items=["Address"])
    client.force_login(world.investor)
    response = client.post(url("resubmit", app), {"answer": "fixed it", "v-enterprise-address": ""})
    assert response.status_code == 400
    body = text(response)
    assert '<a href="#id_v-enterprise-address">Address is required.</a>' in body
    assert ">fixed it</textarea>" in body
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.RETURNED


def test_the_status_page_shows_the_clock_the_steps_and_then_the_permit(client, world):
    app = journey.submitted(world)
    client.force_login(world.investor)
    body = text(client.get(url("application", app)))
    assert re.search(r'data-testid="clock-holder">.*?Government', body, re.S)
    timeline = re.search(r'data-testid="timeline">.*?</ol>', body, re.S).group(0)
    assert "Submission" in timeline and "Window acceptance" in timeline
    assert "in progress" in timeline
    assert 'data-testid="expected-completion"' in body
    assert "2 of 6 materials reused" in body
    assert 'data-testid="values-form"' not in body

    services.application_accept(actor=world.clerk, application=app)
    body = text(client.get(url("application", app)))
    timeline = re.search(r'data-testid="timeline">.*?</ol>', body, re.S).group(0)
    for department in world.departments:
        assert department.name_en in timeline  # the page is in English here
    assert f"acceptance sent to {world.investor.email}" in body

    app = journey.approve_all(world, app)
    assert app.status == m.ApplicationStatus.APPROVED
    body = text(client.get(url("application", app)))
    assert f'data-testid="permit-number">{app.permit.number}<' in body
    timeline = re.search(r'data-testid="timeline">.*?</ol>', body, re.S).group(0)
    assert "Decision" in timeline and "Permit issued" in timeline
    assert "in progress" not in timeline
    assert re.search(r'data-testid="clock-holder">.*?Stopped', body, re.S)
    assert f"decision sent to {world.investor.email}" in body
    assert 'data-testid="withdraw"' not in body


def test_a_deferred_material_is_handed_in_from_the_status_page(client, world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    client.force_login(world.investor)
    body = text(client.get(url("application", app)))
    assert 'data-testid="upload-seal"' in body and "Hand in the file now" in body
    # Nothing else can be changed any more.
    assert 'data-testid="upload-form"' not in body and 'data-testid="values-form"' not in body
    response = client.post(
        url("material_upload", app, material_code="seal"),
        {upload_field("seal"): pdf_upload("seal.pdf")},
    )
    assert response.status_code == 302
    seal = app.materials.get(material__code="seal")
    assert seal.satisfied_by == m.SatisfiedBy.UPLOAD and seal.received_at is not None
    body = text(client.get(url("application", app)))
    assert 'data-testid="upload-seal"' not in body and "seal.pdf" in body
    # A material that was not deferred cannot be swapped after acceptance.
    refused = client.post(
        url("material_upload", app, material_code="form"),
        {upload_field("form"): pdf_upload("late.pdf")},
    )
    assert refused.status_code == 400
    assert "can no longer be changed" in text(refused)


def test_withdraw_asks_first_then_stops_the_application(client, world):
    app = journey.submitted(world)
    client.force_login(world.investor)
    confirm = client.get(url("withdraw", app))
    assert confirm.status_code == 200
    assert 'data-testid="confirm-withdraw"' in text(confirm)
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    done = client.post(url("withdraw", app))
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.WITHDRAWN
    again = client.get(url("withdraw", app), follow=True)
    assert any("can no longer be withdrawn" in message for message in follow_messages(again))


def test_a_draft_is_withdrawn_too_without_a_submission_time(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    done = client.post(url("withdraw", app))
    assert done.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.submitted_at) == (m.ApplicationStatus.WITHDRAWN, None)
    assert m.AuditEntry.objects.filter(application=app, action="withdrawn").count() == 1


# --- my applications --------------------------------------------------------------------


def test_my_applications_lists_newest_first_filters_and_pages(client, world, settings):
    settings.PAGE_SIZE = 2
    first = journey.draft(world)
    second = journey.submitted(world)
    third = journey.draft(world)
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    journey.draft(world, applicant=world.other_investor)
    client.force_login(world.investor)
    page1 = client.get(url("applications"))
    assert page1.status_code == 200
    assert [a.pk for a in page1.context["page"]] == [third.pk, second.pk]
    body = text(page1)
    assert 'rel="next" href="?page=2"' in body
    assert world.enterprise.name_en in body and "government" in body
    page2 = client.get(url("applications"), {"page": 2})
    assert [a.pk for a in page2.context["page"]] == [first.pk]
    assert 'rel="prev" href="?page=1"' in text(page2)
    filtered = client.get(url("applications"), {"status": "submitted"})
    assert [a.pk for a in filtered.context["page"]] == [second.pk]
    nonsense = client.get(url("applications"), {"status": "nonsense", "page": "x"})
    assert nonsense.status_code == 200
    assert len(nonsense.context["page"].object_list) == 2


# --- a fixed number of queries --------------------------------------------------------


def count_queries(client, target) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_my_applications_costs_the_same_queries_for_2_and_12_applications(client, world):
    client.force_login(world.investor)
    journey.submitted(world)
    journey.draft(world)
    few = count_queries(client, url("applications"))
    for i in range(10):
        journey.submitted(world) if i % 2 else journey.draft(world)
    assert m.Application.objects.filter(applicant=world.investor).count() == 12
    many = count_queries(client, url("applications"))
    # session, user, the reader's identity (which drafts are still theirs), count,
    # the page (clock holder and typed name in the same SELECT), the visitor's
    # roles for the menu
    assert few == many == 6


def test_the_application_page_costs_the_same_queries_with_few_and_many_steps(client, world):
    client.force_login(world.investor)
    few_steps = journey.submitted(world)
    many_steps = journey.submitted(world)
    services.application_return(actor=world.clerk, application=many_steps, items=["x"])
    services.application_resubmit(actor=world.investor, application=many_steps, answer="ok")
    services.application_accept(actor=world.clerk, application=many_steps)
    many_steps = journey.approve_all(world, many_steps)
    assert few_steps.steps.count() == 2
    # The 7 of one permit, with an outcome step for each of the other two matters.
    assert many_steps.steps.count() == 11
    few = count_queries(client, url("application", few_steps))
    many = count_queries(client, url("application", many_steps))
    draft = count_queries(client, url("application", journey.draft(world)))
    # session, user, the reader's identity, the application (with service,
    # enterprise and permit), values, the audit entry of the legal representative
    # reading their own identity number, materials, clock intervals, step counts,
    # materials summary, timeline, reviews, corrections, roles; the matters and
    # their prerequisites (the matters' table and the critical path): 14 before matters
    assert few == many == draft == 16


# --- both languages ----------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "lang"), [("en", "en"), ("zh-hans", "zh-Hans")])
def test_the_pages_render_in_both_languages(client, world, accept, lang):
    app = journey.submitted(world)
    draft = journey.draft(world)
    client.force_login(world.investor)
    for target in (
        apply_url(world),
        url("applications"),
        url("application", app),
        url("application", draft),
        url("withdraw", app),
    ):
        response = client.get(target, HTTP_ACCEPT_LANGUAGE=accept)
        assert response.status_code == 200, target
        assert f'<html lang="{lang}">' in text(response), target

"""The official screens: the window, the department reviews, supervision, material files.

Driven through Django's test client as the officials would use them; the
state behind is checked through the models the services write.
"""

from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from approvals import errors, permits, services
from approvals import models as m
from approvals.flows import SingleWindowFlow
from approvals.review.views import download_name
from approvals.workflow.task_views import TaskScreenView
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def as_user(client, user):
    client.force_login(user)
    return client


def submitted_without_deferral(world, **kwargs):
    """An application whose every material is in hand: the seal is uploaded, not deferred."""
    app = journey.draft(world, **kwargs)
    services.material_upload(
        actor=app.applicant, application=app, material_code="seal", upload=f.pdf_upload()
    )
    journey.complete(world, app)
    return services.application_submit(actor=app.applicant, application=app)


def submitted_by(world, investor):
    app = journey.complete(world, journey.draft(world, applicant=investor), applicant=investor)
    return services.application_submit(actor=investor, application=app)


def accepted(world, **kwargs):
    app = journey.submitted(world, **kwargs)
    return services.application_accept(actor=world.clerk, application=app)


def window_url(app):
    return reverse("review:window_application", kwargs={"public_id": app.public_id})


def review_url(review):
    return reverse("review:review", kwargs={"review_id": review.pk})


def app_url(app):
    return reverse("review:application", kwargs={"public_id": app.public_id})


def file_url(app, code):
    return reverse(
        "review:material_file", kwargs={"public_id": app.public_id, "material_code": code}
    )


# --- the window -------------------------------------------------------------


def test_window_queue_lists_submitted_applications_oldest_first_with_waiting_time(client, world):
    with at(2025, 11, 3, 9, 0):  # a Monday
        first = journey.submitted(world)
    with at(2025, 11, 3, 11, 0):
        f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
        second = submitted_by(world, world.other_investor)
    journey.draft(world)  # a draft is not at the window
    with at(2025, 11, 4, 15, 0):
        response = as_user(client, world.clerk).get(reverse("review:window"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [r.pk for r in rows] == [first.pk, second.pk]
    assert rows[0].working_days == pytest.approx(1.25)  # Mon 09:00 -> Tue 15:00
    assert rows[0].corrections_count == 0
    assert first.reference in response.content.decode()


def test_acceptance_screen_shows_provenance_corrections_and_how_materials_were_met(client, world):
    app = journey.draft(world)
    services.application_values_update(
        actor=world.investor, application=app, values={"enterprise.address": "三亚市新地址9号"}
    )
    journey.complete(world, app)
    services.application_submit(actor=world.investor, application=app)
    page = as_user(client, world.clerk).get(window_url(app)).content.decode()
    # provenance of a prefilled value
    assert f"enterprise:{world.enterprise.uscc}" in page
    # the correction, beside the value as held
    assert "三亚市新地址9号" in page
    assert world.enterprise.address in page
    assert "corrected-row" in page
    # materials: reused with its reference, uploaded with a link, committed, deferred
    assert f"enterprise:{world.enterprise.uscc}" in page
    assert file_url(app, "form") in page
    assert "We commit that the address is real." in page
    assert 'name="defer_seal"' in page and 'name="due_seal"' in page


def test_clerk_accepts_through_the_view(client, world):
    app = submitted_without_deferral(world)
    response = as_user(client, world.clerk).post(window_url(app), {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"] == reverse("review:window")
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.IN_REVIEW
    assert app.reviews.count() == 3


def test_clerk_accepts_with_a_deferral_and_a_due_date(client, world):
    with at(2025, 11, 3, 9, 0):
        app = journey.submitted(world)
    with at(2025, 11, 3, 10, 0):
        client = as_user(client, world.clerk)
        form = client.get(window_url(app)).context["accept_form"]
        # The default shown is the material's deferral period in working days.
        assert form["due_seal"].value() == date(2025, 11, 10)
        response = client.post(
            window_url(app), {"action": "accept", "defer_seal": "on", "due_seal": "2025-11-20"}
        )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.IN_REVIEW
    seal = app.materials.get(material__code="seal")
    assert (seal.satisfied_by, seal.due_date) == (m.SatisfiedBy.DEFERRAL, date(2025, 11, 20))


def test_accept_refuses_an_outstanding_material_the_clerk_did_not_defer(client, world):
    app = journey.submitted(world)
    response = as_user(client, world.clerk).post(window_url(app), {"action": "accept"})
    assert response.status_code == 200
    assert response.context["accept_form"].errors["defer_seal"]
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


def test_a_service_error_appears_beside_the_material_it_concerns(client, world, monkeypatch):
    app = journey.submitted(world)

    def refuse(**kwargs):
        raise ValidationError({"material:seal": ["Not this one."]})

    monkeypatch.setattr(services, "application_accept", refuse)
    response = as_user(client, world.clerk).post(
        window_url(app), {"action": "accept", "defer_seal": "on"}
    )
    assert response.status_code == 200
    assert response.context["accept_form"].errors["due_seal"] == ["Not this one."]


def test_a_busy_application_asks_to_retry_instead_of_failing(client, world, monkeypatch):
    app = submitted_without_deferral(world)

    def busy(**kwargs):
        raise errors.ApplicationBusy()

    monkeypatch.setattr(services, "application_accept", busy)
    response = as_user(client, world.clerk).post(window_url(app), {"action": "accept"})
    assert response.status_code == 409
    assert response["Retry-After"] == "2"
    assert "try again" in response.content.decode()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


def test_clerk_returns_with_items_through_the_view(client, world):
    app = journey.submitted(world)
    response = as_user(client, world.clerk).post(
        window_url(app),
        {
            "action": "return",
            "return-missing": ["form"],
            "return-items": "The lease is not signed.\n\n  The address proof is blurred.  \n",
            "return-note": "Please upload clear scans.",
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.RETURNED
    request = app.corrections.get()
    assert request.note == "Please upload clear scans."
    assert request.items[1:] == ["The lease is not signed.", "The address proof is blurred."]
    form_material = m.Material.objects.get(service=world.service, code="form")
    assert form_material.name_zh in request.items[0]
    assert form_material.name_en in request.items[0]


def test_return_without_any_item_is_refused_beside_the_items(client, world):
    app = journey.submitted(world)
    response = as_user(client, world.clerk).post(
        window_url(app), {"action": "return", "return-items": "  \n"}
    )
    assert response.status_code == 200
    assert response.context["return_form"].errors["items"]
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED


def test_window_pages_are_for_clerks_only(client, world):
    app = accepted(world)
    for user in (world.investor, world.reviewers["market"], world.supervisor):
        assert as_user(client, user).get(reverse("review:window")).status_code == 403
    # Involved but not a clerk: forbidden. Not involved at all: not found.
    assert as_user(client, world.reviewers["market"]).get(window_url(app)).status_code == 403
    assert as_user(client, world.reviewers["customs"]).get(window_url(app)).status_code == 404
    assert as_user(client, world.other_investor).get(window_url(app)).status_code == 404
    # A supervisor is sent to the read-only page.
    response = as_user(client, world.supervisor).get(window_url(app))
    assert (response.status_code, response["Location"]) == (302, app_url(app))
    client.logout()
    assert client.get(reverse("review:window")).status_code == 302  # to log in


# --- department reviews ----------------------------------------------------


def test_reviewer_lists_show_only_their_own_department(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")

    response = as_user(client, world.reviewers["market"]).get(reverse("review:reviews"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["queue"].object_list] == [market.pk]
    assert list(response.context["inbox"].object_list) == []

    response = as_user(client, world.reviewers["customs"]).get(reverse("review:reviews"))
    assert response.status_code == 200
    assert list(response.context["queue"].object_list) == []
    assert app.reference not in response.content.decode()

    assert as_user(client, world.investor).get(reverse("review:reviews")).status_code == 403


def test_taking_a_review_moves_it_to_the_reviewers_inbox(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    client = as_user(client, world.reviewers["market"])
    response = client.post(reverse("review:review_take", kwargs={"review_id": market.pk}))
    assert response.status_code == 302
    market.task.refresh_from_db()
    assert market.task.owner == world.reviewers["market"]
    lists = client.get(reverse("review:reviews")).context
    assert [r.pk for r in lists["inbox"].object_list] == [market.pk]
    assert list(lists["queue"].object_list) == []


def test_a_reviewer_cannot_open_what_does_not_involve_their_department(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    commerce = journey.review_of(app, "commerce")
    customs = as_user(client, world.reviewers["customs"])
    assert customs.get(review_url(market)).status_code == 404
    assert customs.get(window_url(app)).status_code == 404
    assert customs.get(app_url(app)).status_code == 404
    take = reverse("review:review_take", kwargs={"review_id": market.pk})
    assert customs.post(take).status_code == 404
    market.task.refresh_from_db()
    assert market.task.owner is None
    # Another department's review of an application that does involve theirs: 404 too.
    assert as_user(client, world.reviewers["market"]).get(review_url(commerce)).status_code == 404


def test_review_screen_shows_other_departments_progress_but_not_their_notes(client, world):
    with at(2025, 11, 3, 9, 0):
        app = accepted(world)
    services.review_complete(
        actor=world.reviewers["tax"],
        review=journey.review_of(app, "tax"),
        approve=True,
        reasons="internal note of the tax bureau",
    )
    response = as_user(client, world.reviewers["market"]).get(
        review_url(journey.review_of(app, "market"))
    )
    page = response.content.decode()
    others = {r.department.code: r.decision for r in response.context["others"]}
    assert others == {"commerce": "pending", "tax": "approved"}
    assert "internal note of the tax bureau" not in page
    seal = app.materials.get(material__code="seal")
    assert seal.due_date.isoformat() in page  # the deferred material and its due date


def test_reject_without_any_reason_is_refused_beside_the_reasons(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    response = as_user(client, world.reviewers["market"]).post(
        review_url(market), {"action": "reject", "reject-further": "   "}
    )
    assert response.status_code == 200
    assert response.context["reject_form"].errors["reasons"]
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.PENDING


def test_reject_with_a_catalogue_reason_rejects_the_application(client, world):
    departments = {d.code: d for d in world.departments}
    name_conflict = m.RejectionReason.objects.create(
        code="name-conflict",
        text_zh="企业名称与已登记企业名称近似",
        text_en="The name is too close to an existing enterprise's",
        department=departments["market"],
    )
    general = m.RejectionReason.objects.create(
        code="address", text_zh="住所无法核实", text_en="The address cannot be verified"
    )
    m.RejectionReason.objects.create(
        code="negative-list",
        text_zh="负面清单",
        text_en="Negative list",
        department=departments["commerce"],
    )
    m.RejectionReason.objects.create(
        code="retired", text_zh="停用", text_en="Retired", is_active=False
    )
    app = accepted(world)
    market = journey.review_of(app, "market")
    client = as_user(client, world.reviewers["market"])
    offered = client.get(review_url(market)).context["reject_form"].fields["reasons"].queryset
    assert list(offered) == [name_conflict, general]  # own first, then general; no other's

    response = client.post(
        review_url(market),
        {
            "action": "reject",
            "reject-reasons": [str(name_conflict.pk)],
            "reject-further": "See the registry entry of 海南测试有限公司.",
        },
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.REJECTED
    for code in ("commerce", "tax"):
        services.review_complete(
            actor=world.reviewers[code], review=journey.review_of(app, code), approve=True
        )
    app.refresh_from_db()
    # The market matter refused, the other two approved: partly approved, with the reasons.
    assert app.status == m.ApplicationStatus.PARTLY_APPROVED
    assert name_conflict.text_zh in app.decision_reasons
    assert name_conflict.text_en in app.decision_reasons
    assert "See the registry entry" in app.decision_reasons


def test_reviewer_approves_through_the_view(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    response = as_user(client, world.reviewers["market"]).post(
        review_url(market), {"action": "approve", "approve-remarks": ""}
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert (market.decision, market.reviewer) == (
        m.ReviewDecision.APPROVED,
        world.reviewers["market"],
    )


def test_a_review_taken_by_a_colleague_cannot_be_decided_by_another(client, world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    colleague = f.UserFactory(username="rev-market-2", groups=["reviewer:market"])
    services.task_assign(actor=colleague, task=market.task)
    response = as_user(client, world.reviewers["market"]).post(
        review_url(market), {"action": "approve"}
    )
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.decision == m.ReviewDecision.PENDING


# --- supervision -------------------------------------------------------------


def test_supervisor_sees_overdue_reviews_with_days_over_and_escalations(client, world):
    # Monday 10:00; each review is due one working day later, Tuesday 10:00
    # (from 09:00 sharp a one-day limit ends at Monday's close of office).
    with at(2025, 11, 3, 10, 0):
        app = accepted(world)
    with at(2025, 11, 4, 11, 0):  # an hour late: the timers escalate all three
        fire_due_timers()
    with at(2025, 11, 4, 15, 0):
        services.review_complete(
            actor=world.reviewers["tax"], review=journey.review_of(app, "tax"), approve=True
        )
    with at(2025, 11, 6, 10, 0):  # Thursday: two working days past Tuesday 10:00
        client = as_user(client, world.supervisor)
        response = client.get(reverse("review:overdue"))
        assert response.status_code == 200
        rows = {r.department.code: r for r in response.context["reviews"].object_list}
        assert set(rows) == {"market", "commerce"}  # tax decided (late, but decided)
        assert rows["market"].working_days == pytest.approx(2.0)
        assert app.reference in response.content.decode()
        escalated = {
            e.department.code: e.review.decision
            for e in response.context["escalations"].object_list
        }
        assert escalated == {"market": "pending", "commerce": "pending", "tax": "approved"}

        filtered = client.get(reverse("review:overdue"), {"department": "commerce"}).context
        assert [r.department.code for r in filtered["reviews"].object_list] == ["commerce"]
        assert [e.department.code for e in filtered["escalations"].object_list] == ["commerce"]

        # Supervisors open any application read-only.
        assert client.get(app_url(app)).status_code == 200
        for user in (world.clerk, world.reviewers["market"], world.investor):
            assert as_user(client, user).get(reverse("review:overdue")).status_code == 403


# --- material files ------------------------------------------------------------


def test_material_file_for_the_applicant_and_the_officials_only(client, world):
    app = journey.submitted(world)
    url = file_url(app, "form")
    for user in (world.investor, world.clerk, world.supervisor, world.reviewers["market"]):
        response = as_user(client, user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="form.pdf"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    for user in (world.other_investor, world.reviewers["customs"]):
        assert as_user(client, user).get(url).status_code == 404
    # Not uploaded (a commitment) or no such material: nothing to download.
    assert as_user(client, world.clerk).get(file_url(app, "lease")).status_code == 404
    assert as_user(client, world.clerk).get(file_url(app, "nothing")).status_code == 404


def test_a_draft_s_files_are_the_applicants_alone(client, world):
    app = journey.complete(world, journey.draft(world))
    assert as_user(client, world.investor).get(file_url(app, "form")).status_code == 200
    assert as_user(client, world.clerk).get(file_url(app, "form")).status_code == 404


def test_download_name_is_sanitised_and_matches_the_checked_type():
    def row(name, content_type):
        return SimpleNamespace(
            original_name=name, content_type=content_type, material=SimpleNamespace(code="form")
        )

    assert download_name(row('..\\..\\con"tract; x.exe', "application/pdf")) == "contract_x.pdf"
    assert download_name(row("营业执照.png", "image/png")) == "营业执照.png"
    assert download_name(row("photo.jpeg", "image/jpeg")) == "photo.jpg"
    assert download_name(row("", "application/pdf")) == "form.pdf"
    assert download_name(row("..", "application/pdf")) == "form.pdf"


# --- viewflow's task links ----------------------------------------------------------


def test_task_links_lead_to_our_screens_or_nowhere(world):
    app = accepted(world)
    market = journey.review_of(app, "market")
    view = TaskScreenView.as_view()

    def open_task(user, task):
        request = RequestFactory().get("/")
        request.user = user
        return view(request, process_pk=task.process_id, task_pk=task.pk)

    response = open_task(world.reviewers["market"], market.task)
    assert (response.status_code, response["Location"]) == (302, review_url(market))
    response = open_task(world.supervisor, market.task)
    assert response["Location"] == app_url(app)
    with pytest.raises(Http404):
        open_task(world.reviewers["customs"], market.task)
    with pytest.raises(Http404):
        open_task(world.other_investor, market.task)
    response = open_task(world.investor, market.task)  # the applicant: their portal page
    portal_page = reverse("portal:application", kwargs={"public_id": app.public_id})
    assert response["Location"] == portal_page

    waiting = journey.submitted(world)
    accept_task = Task.objects.get(process_id=waiting.process_id, flow_task=SingleWindowFlow.accept)
    assert open_task(world.clerk, accept_task)["Location"] == window_url(waiting)


# --- fixed query counts ---------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# session, user, the clerk's roles (one read, approvals.roles; the menu reuses it),
# count, page, and the count of deferred materials overdue (none here: no page of
# them is read). 8 before: two permission reads and the menu's own groups read.
WINDOW_QUEUE_QUERIES = 6


def test_window_queue_costs_the_same_queries_at_any_size(client, world):
    client = as_user(client, world.clerk)
    url = reverse("review:window")
    for _ in range(2):
        journey.submitted(world)
    small = _queries(client, url)
    for _ in range(8):
        journey.submitted(world)
    large = _queries(client, url)
    assert small == large == WINDOW_QUEUE_QUERIES


def test_review_queue_costs_the_same_queries_at_any_size(client, world):
    client = as_user(client, world.reviewers["market"])
    url = reverse("review:reviews")
    accepted(world)
    small = _queries(client, url)
    for _ in range(5):
        accepted(world)
    assert len(client.get(url).context["queue"].object_list) == 6
    large = _queries(client, url)
    assert small == large


def test_overdue_page_costs_the_same_queries_at_any_size(client, world):
    client = as_user(client, world.supervisor)
    url = reverse("review:overdue")
    with at(2025, 11, 3, 9, 0):
        accepted(world)
    with at(2025, 11, 6, 9, 0):
        fire_due_timers()
        small = _queries(client, url)
    with at(2025, 11, 3, 10, 0):
        for _ in range(3):
            accepted(world)
    with at(2025, 11, 6, 9, 0):
        fire_due_timers()
        assert len(client.get(url).context["reviews"].object_list) == 12
        large = _queries(client, url)
    assert small == large


# --- the catalogue of reasons ---------------------------------------------------------


def test_rejection_reasons_fixture_loads_and_every_reason_is_valid():
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    for name in ("catalogue", "rejection_reasons"):
        call_command("loaddata", str(fixtures / f"{name}.json"), verbosity=0)
    reasons = list(m.RejectionReason.objects.select_related("department"))
    assert len(reasons) >= 8
    for reason in reasons:
        reason.full_clean()
        assert reason.text_zh and reason.text_en
    departments = {r.department.code for r in reasons if r.department}
    assert {"market-regulation", "commerce"} <= departments
    assert any(r.department is None for r in reasons)


def test_a_supervisor_revokes_a_permit_with_a_reason_on_its_page(client, world, settings):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    journey.approve_all(world, app)
    permit = app.permit
    url = reverse("review:application", args=[app.public_id])

    # A clerk sees the permit but may not revoke it.
    client.force_login(world.clerk)
    assert "revoke-form" not in client.get(url).content.decode()
    assert client.post(url, {"reason": "x"}).status_code == 403

    client.force_login(world.supervisor)
    page = client.get(url)
    assert 'data-testid="revoke-form"' in page.content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200
    assert refused.context["revoke_form"].errors["reason"]
    permit.refresh_from_db()
    assert permit.status == m.PermitStatus.ISSUED

    done = client.post(url, {"reason": "承诺不实 / the commitment was false"}, follow=True)
    permit.refresh_from_db()
    assert permit.status == m.PermitStatus.REVOKED
    assert permit.revoked_by == world.supervisor
    assert "the commitment was false" in done.content.decode()
    assert "revoke-form" not in done.content.decode()
    assert m.AuditEntry.objects.filter(application=app, action="permit_revoked").count() == 1


def test_a_busy_permit_revocation_asks_to_retry_like_every_other_page(
    client, world, settings, monkeypatch
):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    journey.approve_all(world, app)

    def busy(**kwargs):
        raise errors.ApplicationBusy()

    monkeypatch.setattr(services, "permit_revoke", busy)
    client.force_login(world.supervisor)
    response = client.post(
        reverse("review:application", args=[app.public_id]), {"reason": "承诺不实"}
    )
    assert response.status_code == 409
    assert response["Retry-After"] == "2"
    assert "try again" in response.content.decode()
    # The reason typed is kept in the form to send again.
    assert "承诺不实" in response.content.decode()
    assert app.permit.status == m.PermitStatus.ISSUED

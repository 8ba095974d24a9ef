"""One thing, one go: a bundle of matters, each decided by its department, each with its own
outcome; matters that need another wait for it; a refusal leaves its dependents undecided."""

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from approvals import guide, permits, selectors, services, timekeeping
from approvals import models as m
from approvals.flows import SingleWindowFlow
from approvals.models.permits import RenderStatus
from tests import factories as f
from tests import journey
from tests.conftest import guide_questions

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def submitted_bundle(world, bundle, **opened):
    app = services.application_create(
        applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc, **opened
    )
    journey.complete(world, app)
    return services.application_submit(actor=world.investor, application=app)


def decide(world, app, code, *, approve=True):
    review = m.DepartmentReview.objects.get(application=app, matter__matter__code=code)
    services.review_complete(
        actor=world.reviewers[review.department.code],
        review=review,
        approve=approve,
        reasons="" if approve else "材料不符 / The documents do not match.",
    )


def states(app):
    return dict(app.matters.values_list("matter__code", "state"))


def test_five_matters_one_dependency_five_outcomes_that_verify(
    world, bundle, django_capture_on_commit_callbacks, settings
):
    settings.PERMIT_RENDER_MODE = "inline"
    # A key of the test's own: a fresh clone has no key file for the PDFs' signed codes.
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    app = submitted_bundle(world, bundle)
    assert app.matters.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(actor=world.clerk, application=app)
    # Four reviews open at once; tax registration waits for the licence.
    assert set(app.reviews.values_list("matter__matter__code", flat=True)) == {
        "licence",
        "report",
        "seal",
        "social",
    }
    assert states(app)["taxreg"] == m.MatterState.WAITING
    parked = Task.objects.filter(
        process_id=app.process_id, flow_task=SingleWindowFlow.park, status=STATUS.NEW
    )
    assert [t.data["matter"] for t in parked] == [app.matters.get(matter__code="taxreg").pk]

    with django_capture_on_commit_callbacks(execute=True):
        for code in ("report", "seal", "social"):
            decide(world, app, code)
    assert states(app)["taxreg"] == m.MatterState.WAITING
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        decide(world, app, "licence")
    # The licence is in the library before tax registration is even reviewed.
    licence = m.Licence.objects.get(licence_type="business-licence", holder=world.enterprise)
    assert licence.permit.matter.matter.code == "licence"
    assert states(app)["taxreg"] == m.MatterState.IN_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        decide(world, app, "taxreg")

    app.refresh_from_db()
    app.process.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    assert app.process.status == PROCESS.DONE
    assert set(states(app).values()) == {m.MatterState.APPROVED}
    outcomes = list(m.Permit.objects.filter(application=app).select_related("matter__matter"))
    assert sorted(p.matter.matter.code for p in outcomes) == sorted(
        ["licence", "report", "taxreg", "seal", "social"]
    )
    # Each outcome in the licence library under its matter's type, each PDF signed and verifying.
    for permit in outcomes:
        assert permit.licence.licence_type == permit.matter.matter.outcome_licence_type
        assert permit.render_status == RenderStatus.RENDERED, permit.render_error
        with permit.pdf.open("rb") as handle:
            data = handle.read()
        token = permits.token_from_pdf(data)
        assert token == permits.permit_token(permit)
        assert permits.verify_token(token).status == "valid"
        assert permits.is_issued_file(permit, data)
    # The dependent review opened only after the licence was approved.
    licence_review = app.reviews.get(matter__matter__code="licence")
    tax_review = app.reviews.get(matter__matter__code="taxreg")
    assert tax_review.task.created >= licence_review.decided_at
    # One decision for the bundle, one join, one end.
    tasks = Task.objects.filter(process_id=app.process_id)
    assert tasks.filter(flow_task=SingleWindowFlow.decide).count() == 1
    assert tasks.filter(flow_task=SingleWindowFlow.end, status=STATUS.DONE).count() == 1


def test_a_refused_matter_leaves_its_dependents_undecided_and_the_rest_issued(world, bundle):
    app = submitted_bundle(world, bundle)
    services.application_accept(actor=world.clerk, application=app)
    decide(world, app, "licence", approve=False)
    assert states(app)["taxreg"] == m.MatterState.NOT_DECIDED
    for code in ("report", "seal", "social"):
        decide(world, app, code)

    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.PARTLY_APPROVED
    assert states(app) == {
        "licence": m.MatterState.REFUSED,
        "report": m.MatterState.APPROVED,
        "taxreg": m.MatterState.NOT_DECIDED,
        "seal": m.MatterState.APPROVED,
        "social": m.MatterState.APPROVED,
    }
    taxreg = app.matters.get(matter__code="taxreg")
    assert bundle["licence"].name_en in taxreg.reason
    assert bundle["licence"].name_zh in taxreg.reason
    assert not m.DepartmentReview.objects.filter(matter=taxreg).exists()
    assert sorted(
        m.Permit.objects.filter(application=app).values_list("matter__matter__code", flat=True)
    ) == ["report", "seal", "social"]
    assert bundle["licence"].name_en in app.decision_reasons
    assert bundle["taxreg"].name_en in app.decision_reasons
    app.process.refresh_from_db()
    assert app.process.status == PROCESS.DONE

    # Applying again for the refused matter alone: one matter, the held data reused.
    again = services.application_create(
        applicant=world.investor,
        service=bundle["thing"],
        uscc=world.enterprise.uscc,
        matters=["licence"],
        replaces=app,
    )
    assert list(again.matters.values_list("matter__code", flat=True)) == ["licence"]
    assert again.replaces == app
    # Only the materials the licence needs: the staff list was for social security.
    codes = set(again.materials.values_list("material__code", flat=True))
    assert codes == {"articles", "registry"}
    assert again.materials.get(material__code="registry").satisfied_by == m.SatisfiedBy.REUSE


def test_a_material_for_three_matters_is_handed_in_once(world, bundle):
    app = services.application_create(
        applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc
    )
    assert app.materials.filter(material__code="articles").count() == 1
    decision = guide.decide(guide.service_for_guide(bundle["thing"]), {})
    articles = next(d for d in decision.materials if d.material.code == "articles")
    assert {mt.code for mt in articles.for_matters} == {"licence", "report", "taxreg"}
    # One value per field for the whole application, however many matters read it.
    fields = list(app.values.values_list("field", flat=True))
    assert fields and len(fields) == len(set(fields))
    journey.complete(world, app)
    assert app.materials.get(material__code="articles").satisfied_by == m.SatisfiedBy.UPLOAD


def test_two_sets_of_answers_give_two_lists_each_with_its_reason(world, bundle):
    food, area = guide_questions()
    thing = bundle["thing"]
    hygiene = f.thing_part(thing, world.departments[0], code="food-licence")
    m.ThingMatter.objects.filter(matter=hygiene).update(
        determinant=food, operator=m.Operator.IS, value="yes"
    )
    fire = f.thing_part(thing, world.departments[2], code="fire-check")
    m.ThingMatter.objects.filter(matter=fire).update(
        determinant=area, operator=m.Operator.ABOVE, value="300"
    )
    plan = f.MaterialFactory(service=thing, code="floor-plan", order=9)
    plan.matters.set([fire])
    menu = f.MaterialFactory(
        service=thing, code="menu", order=10, determinant=food, operator="is", value="yes"
    )
    menu.matters.set([])

    small = guide.decide(guide.service_for_guide(thing), {"food": "no", "area": 120})
    large = guide.decide(guide.service_for_guide(thing), {"food": "yes", "area": 450})
    assert "food-licence" not in small.matter_codes and "fire-check" not in small.matter_codes
    assert {"food-licence", "fire-check"} <= set(large.matter_codes)
    assert "floor-plan" not in small.material_codes and "menu" not in small.material_codes
    assert {"floor-plan", "menu"} <= set(large.material_codes)
    why = {d.matter.code: d.why.text() for d in large.matters}
    assert why["fire-check"] == (
        "Because you answered 450 m² to: Floor area of the premises? — is above 300 m²"
    )
    assert why["food-licence"] == "Because you answered Yes to: Will you handle food? — is Yes"
    assert why["licence"] == "Always part of this service."
    left_out = {d.matter.code: d.why.rule for d in small.left_out}
    assert left_out["fire-check"] == "Floor area of the premises? — is above 300 m²"
    # The draft takes the guide's answers: the large one asks for the floor plan.
    app = services.application_create(
        applicant=world.investor,
        service=thing,
        uscc=world.enterprise.uscc,
        answers={"food": "yes", "area": "450"},
    )
    assert app.answers == {"food": "yes", "area": 450}
    assert {"food-licence", "fire-check"} <= set(app.matters.values_list("matter__code", flat=True))
    assert app.materials.filter(material__code="floor-plan").exists()


def test_answers_that_cannot_be_read_are_refused_and_nothing_is_written(world, bundle):
    area = m.Determinant.objects.create(
        code="area", question_zh="面积？", question_en="Area?", kind="number"
    )
    m.ThingMatter.objects.filter(matter=bundle["seal"]).update(
        determinant=area, operator=m.Operator.AT_LEAST, value="100"
    )
    before = m.Application.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.application_create(
            applicant=world.investor,
            service=bundle["thing"],
            uscc=world.enterprise.uscc,
            answers={"area": "lots"},
        )
    assert "area" in refused.value.message_dict
    assert m.Application.objects.count() == before
    with pytest.raises(ValidationError) as none_picked:
        services.application_create(
            applicant=world.investor,
            service=bundle["thing"],
            uscc=world.enterprise.uscc,
            matters=[],
        )
    assert "matters" in none_picked.value.message_dict
    assert m.Application.objects.count() == before


def test_the_critical_path_date_and_its_move_when_a_matter_finishes_late():
    """Accepted Monday 1 December 2025 at 09:00; licence 1 day, then tax 0.5; report 0.5."""
    accepted = at(2025, 12, 1, 9, 0)
    steps = [
        timekeeping.PathStep("licence", 1.0),
        timekeeping.PathStep("taxreg", 0.5, needs=("licence",)),
        timekeeping.PathStep("report", 0.5),
    ]
    expected, path = timekeeping.expected_completion(steps, accepted)
    # Licence ends Mon 17:30; tax then needs 4 h 15 min of office time: Tue 13:15.
    assert expected == at(2025, 12, 2, 13, 15)
    assert path == ["licence", "taxreg"]
    # The licence finished late, on Wednesday at 10:00: tax now ends Wednesday 14:15.
    late = [
        timekeeping.PathStep("licence", 1.0, finished=at(2025, 12, 3, 10, 0)),
        timekeeping.PathStep("taxreg", 0.5, needs=("licence",)),
        timekeeping.PathStep("report", 0.5, finished=at(2025, 12, 1, 11, 0)),
    ]
    expected_late, path_late = timekeeping.expected_completion(late, accepted)
    assert expected_late == at(2025, 12, 3, 14, 15)
    assert path_late == ["licence", "taxreg"]


def test_the_expected_date_of_an_application_follows_its_matters(world, bundle, settings):
    # Inside office hours, with a clock that moves: the licence's review opens a moment after
    # the acceptance, and the date counts from that opening (out of hours both would round to
    # the next morning, which hid the difference until CI ran at 09:29).
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=True):
        app = submitted_bundle(world, bundle)
        assert selectors.expected_completion_of(app) == (None, [])
        services.application_accept(actor=world.clerk, application=app)
    app.refresh_from_db()
    licence = app.matters.get(matter__code="licence")
    assert licence.started_at >= app.accepted_at
    expected, path = selectors.expected_completion_of(app)
    assert path == ["licence", "taxreg"]
    assert expected == timekeeping.deadline_after(
        timekeeping.deadline_after(licence.started_at, 1.0), 1.0
    )


def test_the_api_and_the_pages_show_each_matter_to_whom_it_concerns(world, bundle, client):
    app = submitted_bundle(world, bundle)
    services.application_accept(actor=world.clerk, application=app)
    decide(world, app, "licence", approve=False)

    client.force_login(world.investor)
    body = client.get(f"/api/applications/{app.public_id}/").json()
    states_shown = {row["code"]: row["state"] for row in body["matters"]}
    assert states_shown == states(app)
    taxreg = next(row for row in body["matters"] if row["code"] == "taxreg")
    assert taxreg["requires"] == ["licence"] and bundle["licence"].name_en in taxreg["reason"]
    assert body["critical_path"] and body["matters_expected_by"] is not None
    page = client.get(
        reverse("portal:application", args=[app.public_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="matters"' in page and 'data-testid="matter-taxreg"' in page
    assert "not decided" in page
    # What a matter needs first is named, in the page's language, not by its code.
    assert f"Needs first: {html.escape(bundle['licence'].name_en)}</span>" in page
    chinese = client.get(
        reverse("portal:application", args=[app.public_id]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "未作决定" in chinese and "本申请包含 5 个事项" in chinese
    assert f"前置事项： {html.escape(bundle['licence'].name_zh)}</span>" in chinese

    # Another investor learns nothing, not even that the application exists.
    client.force_login(world.other_investor)
    assert client.get(f"/api/applications/{app.public_id}/").status_code == 404
    assert client.get(reverse("portal:application", args=[app.public_id])).status_code == 404

    # A reviewer sees the matter their review is for; another department's reviewer sees
    # none of the application's reviews outside their own.
    review = app.reviews.get(matter__matter__code="seal")
    client.force_login(world.reviewers["security"])
    page = client.get(reverse("review:review", args=[review.pk])).content.decode()
    assert 'data-testid="review-matter"' in page and bundle["seal"].name_en in page
    client.force_login(world.reviewers["customs"])
    assert client.get(reverse("review:review", args=[review.pk])).status_code == 404


def test_the_apply_page_keeps_what_was_typed_and_refuses_bad_answers_clearly(world, bundle, client):
    area = m.Determinant.objects.create(
        code="area", question_zh="面积？", question_en="Floor area?", kind="number"
    )
    m.ThingMatter.objects.filter(matter=bundle["seal"]).update(
        determinant=area, operator=m.Operator.AT_LEAST, value="100"
    )
    client.force_login(world.investor)
    url = reverse("portal:apply", args=[bundle["thing"].code])
    before = m.Application.objects.count()
    typed = {"uscc": world.enterprise.uscc, "answer-area": "lots", "action": "check"}
    page = client.post(url, typed, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    body = page.content.decode()
    assert "Enter a number." in body and 'value="lots"' in body
    assert world.enterprise.uscc in body
    # Every box unticked: refused with the reason, nothing written.
    page = client.post(
        url,
        {"uscc": world.enterprise.uscc, "answer-area": "120", "matters-shown": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400
    assert "Choose at least one matter to apply for." in page.content.decode()
    assert m.Application.objects.count() == before
    # 120 m² leaves seal filing out; ticking it in applies for it all the same, "chosen".
    page = client.post(
        url,
        {
            "uscc": world.enterprise.uscc,
            "answer-area": "120",
            "matters-shown": "1",
            "matters": ["licence", "seal"],
        },
    )
    assert page.status_code == 302
    app = m.Application.objects.latest("pk")
    assert list(app.matters.values_list("matter__code", flat=True)) == ["licence", "seal"]
    assert app.answers == {"area": 120}


def test_check_your_answers_is_the_owners_and_only_for_a_draft(world, bundle, client):
    app = services.application_create(
        applicant=world.investor, service=bundle["thing"], uscc=world.enterprise.uscc
    )
    url = reverse("portal:check", args=[app.public_id])
    client.force_login(world.other_investor)
    assert client.get(url).status_code == 404
    client.force_login(world.clerk)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(world.investor)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Check your answers before submitting" in body
    for part in app.matters.select_related("matter"):
        assert part.matter.name_en in body
    assert "materials are still missing" in body
    # Submitting from it without the materials: the application's page with the reasons.
    refused = client.post(reverse("portal:submit", args=[app.public_id]), {"action": "submit"})
    assert refused.status_code == 400
    journey.complete(world, app)
    client.post(reverse("portal:submit", args=[app.public_id]), {"action": "submit"})
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert client.get(url)["Location"].endswith(f"/applications/{app.public_id}/")


def test_the_api_opens_a_draft_of_the_matters_asked_for_and_refuses_unknown_ones(
    world, bundle, client
):
    client.force_login(world.investor)
    made = client.post(
        "/api/applications/",
        {"service": bundle["thing"].code, "uscc": world.enterprise.uscc, "matters": ["seal"]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="one-matter",
    )
    assert made.status_code == 201, made.content
    assert [row["code"] for row in made.json()["matters"]] == ["seal"]
    refused = client.post(
        "/api/applications/",
        {"service": bundle["thing"].code, "uscc": world.enterprise.uscc, "matters": ["nope"]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="unknown-matter",
    )
    assert refused.status_code == 400
    assert "nope" in refused.content.decode()
    assert m.Application.objects.filter(applicant=world.investor).count() == 1

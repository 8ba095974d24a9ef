"""A write sent again after it went through (a 503 retried, a lost answer, a double
click) by the same person with the same content succeeds and changes nothing; the same
write with different content is refused as before.

The HTTP clients of the load and fault tests (devtools/livehttp.py) retry every one of
these writes; each test here fails on code that answers a retry with a 400 or records
it twice.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from approvals import models as m
from approvals import services
from approvals.roles import CLERK_GROUP
from tests import factories as f
from tests import journey


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def entries(app, action) -> int:
    return m.AuditEntry.objects.filter(application=app, action=action).count()


def in_review(world):
    app = journey.submitted(world)
    return services.application_accept(actor=world.clerk, application=app)


# --- taking a task ---------------------------------------------------------------------


@pytest.mark.django_db
def test_taking_a_task_one_holds_already_succeeds_and_changes_nothing(world):
    app = in_review(world)
    review = journey.review_of(app, "market")
    reviewer = world.reviewers["market"]
    services.task_assign(actor=reviewer, task=review.task)
    review.task.refresh_from_db()
    assigned = review.task.assigned
    step = m.Step.objects.get(task=review.task)

    services.task_assign(actor=reviewer, task=review.task)

    review.task.refresh_from_db()
    assert (review.task.owner, review.task.status, review.task.assigned) == (
        reviewer,
        STATUS.ASSIGNED,
        assigned,
    )
    assert m.Step.objects.get(task=review.task).assigned_at == step.assigned_at
    assert entries(app, m.AuditAction.TASK_ASSIGNED) == 1


@pytest.mark.django_db
def test_taking_a_task_a_colleague_holds_is_still_refused(world):
    app = in_review(world)
    review = journey.review_of(app, "market")
    services.task_assign(actor=world.reviewers["market"], task=review.task)
    colleague = f.UserFactory(username="rev-market-2", groups=["reviewer:market"])
    with pytest.raises(ValidationError, match="already been taken"):
        services.task_assign(actor=colleague, task=review.task)


@pytest.mark.django_db
def test_api_take_twice_answers_200_both_times(world):
    app = in_review(world)
    review = journey.review_of(app, "market")
    api = client_for(world.reviewers["market"])
    first = api.post(f"/api/tasks/{review.pk}/assign/")
    again = api.post(f"/api/tasks/{review.pk}/assign/")
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json()["assigned_to"] == "rev-market"
    assert entries(app, m.AuditAction.TASK_ASSIGNED) == 1
    colleague = f.UserFactory(username="rev-market-2", groups=["reviewer:market"])
    refused = client_for(colleague).post(f"/api/tasks/{review.pk}/assign/")
    assert refused.status_code == 400
    assert "already been taken" in refused.json()["message"]


@pytest.mark.django_db
def test_page_take_twice_says_it_is_in_the_inbox_both_times(world, client):
    app = in_review(world)
    review = journey.review_of(app, "market")
    client.force_login(world.reviewers["market"])
    url = reverse("review:review_take", args=[review.pk])
    client.post(url, follow=True)
    response = client.post(url, follow=True)
    texts = [str(message) for message in response.context["messages"]]
    assert texts == ["The review is in your inbox now."]
    assert entries(app, m.AuditAction.TASK_ASSIGNED) == 1


# --- deciding a review --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_decision_again_succeeds_a_different_one_is_refused(world):
    app = in_review(world)
    review = journey.review_of(app, "market")
    reviewer = world.reviewers["market"]
    services.review_complete(actor=reviewer, review=review, approve=True, reasons="ok")
    decided_at = journey.review_of(app, "market").decided_at

    again = services.review_complete(actor=reviewer, review=review, approve=True, reasons="ok")

    assert (again.decision, again.decided_at) == (m.ReviewDecision.APPROVED, decided_at)
    assert entries(app, m.AuditAction.REVIEW_APPROVED) == 1
    with pytest.raises(ValidationError, match="already been decided"):
        services.review_complete(actor=reviewer, review=review, approve=False, reasons="no")
    with pytest.raises(ValidationError, match="already been decided"):
        services.review_complete(actor=reviewer, review=review, approve=True, reasons="other")
    colleague = f.UserFactory(username="rev-market-2", groups=["reviewer:market"])
    with pytest.raises(ValidationError, match="already been decided"):
        services.review_complete(actor=colleague, review=review, approve=True, reasons="ok")


@pytest.mark.django_db
def test_api_complete_twice_answers_200_both_times(world):
    app = in_review(world)
    review = journey.review_of(app, "market")
    api = client_for(world.reviewers["market"])
    body = {"decision": "approve"}
    assert api.post(f"/api/tasks/{review.pk}/assign/").status_code == 200
    first = api.post(f"/api/tasks/{review.pk}/complete/", body, format="json")
    again = api.post(f"/api/tasks/{review.pk}/complete/", body, format="json")
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert entries(app, m.AuditAction.REVIEW_APPROVED) == 1
    other = api.post(
        f"/api/tasks/{review.pk}/complete/", {"decision": "reject", "note": "no"}, format="json"
    )
    assert other.status_code == 400


@pytest.mark.django_db
def test_page_approve_sent_twice_is_approved_once(world, client):
    app = in_review(world)
    review = journey.review_of(app, "market")
    client.force_login(world.reviewers["market"])
    url = reverse("review:review", args=[review.pk])
    data = {"action": "approve", "approve-remarks": ""}
    client.post(url, data, follow=True)
    response = client.post(url, data, follow=True)
    texts = [str(message) for message in response.context["messages"]]
    assert texts == [f"{app.reference}: approved."]
    assert entries(app, m.AuditAction.REVIEW_APPROVED) == 1


# --- the window ------------------------------------------------------------------------


@pytest.mark.django_db
def test_accepting_again_succeeds_and_changes_nothing(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    accepted_at = m.Application.objects.get(pk=app.pk).accepted_at

    again = services.application_accept(actor=world.clerk, application=app)

    assert again.status == m.ApplicationStatus.IN_REVIEW
    assert again.accepted_at == accepted_at
    assert entries(app, m.AuditAction.ACCEPTED) == 1
    assert app.reviews.count() == 3


@pytest.mark.django_db
def test_accepting_again_with_other_deferrals_or_by_another_clerk_is_refused(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    with pytest.raises(ValidationError, match="nothing to do on this application"):
        services.application_accept(
            actor=world.clerk, application=app, deferrals=[services.Deferral("form")]
        )
    other = f.UserFactory(username="clerk2", groups=[CLERK_GROUP])
    with pytest.raises(ValidationError, match="nothing to do on this application"):
        services.application_accept(actor=other, application=app)


@pytest.mark.django_db
def test_api_accept_twice_answers_200_both_times(world):
    app = journey.submitted(world)
    api = client_for(world.clerk)
    first = api.post(f"/api/window/{app.public_id}/accept/", {}, format="json")
    again = api.post(f"/api/window/{app.public_id}/accept/", {}, format="json")
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json()["status"] == "in_review"
    assert entries(app, m.AuditAction.ACCEPTED) == 1


@pytest.mark.django_db
def test_returning_again_with_the_same_items_changes_nothing(world):
    app = journey.submitted(world)
    first = services.application_return(
        actor=world.clerk, application=app, items=["lease unsigned"], note="n"
    )
    again = services.application_return(
        actor=world.clerk, application=app, items=["lease unsigned"], note="n"
    )
    assert again.pk == first.pk
    assert app.corrections.count() == 1
    assert entries(app, m.AuditAction.RETURNED) == 1
    with pytest.raises(ValidationError, match="nothing to do on this application"):
        services.application_return(actor=world.clerk, application=app, items=["other"])


@pytest.mark.django_db
def test_api_resubmit_twice_answers_200_both_times(world):
    app = journey.submitted(world)
    services.application_return(actor=world.clerk, application=app, items=["x"])
    api = client_for(world.investor)
    url = f"/api/applications/{app.public_id}/resubmit/"
    first = api.post(url, {"answer": "fixed"}, format="json")
    again = api.post(url, {"answer": "fixed"}, format="json")
    assert (first.status_code, again.status_code) == (200, 200), again.content
    assert again.json()["status"] == "submitted"
    assert entries(app, m.AuditAction.RESUBMITTED) == 1
    assert api.post(url, {"answer": "something else"}, format="json").status_code == 400


# --- the investor's hand-ins ------------------------------------------------------------


@pytest.mark.django_db
def test_api_material_writes_sent_twice_are_recorded_once(world):
    app = journey.draft(world)
    api = client_for(world.investor)
    url = f"/api/applications/{app.public_id}/"
    text = {"text": "本企业承诺所填住所真实有效 / We commit."}
    for _ in range(2):
        assert api.post(f"{url}materials/seal/deferral/").status_code == 200
        assert api.post(f"{url}materials/lease/commitment/", text, format="json").status_code == 200
    assert entries(app, m.AuditAction.MATERIAL_DEFERRED) == 1
    assert entries(app, m.AuditAction.MATERIAL_COMMITTED) == 1
    changed = api.post(f"{url}materials/lease/commitment/", {"text": "x" * 20}, format="json")
    assert changed.status_code == 200
    assert entries(app, m.AuditAction.MATERIAL_COMMITTED) == 2


@pytest.mark.django_db
def test_the_same_upload_again_keeps_the_file_and_records_once(world):
    app = journey.draft(world)
    api = client_for(world.investor)
    url = f"/api/applications/{app.public_id}/materials/form/upload/"
    content = b"%PDF-1.4\n" + b"1" * 500
    for _ in range(2):
        upload = f.SimpleUploadedFile("form.pdf", content, content_type="application/pdf")
        assert api.post(url, {"file": upload}).status_code == 200
    row = app.materials.get(material__code="form")
    kept = row.file.name
    assert entries(app, m.AuditAction.MATERIAL_UPLOADED) == 1
    other = f.SimpleUploadedFile("form.pdf", b"%PDF-1.4\n" + b"2" * 500)
    assert api.post(url, {"file": other}).status_code == 200
    row.refresh_from_db()
    assert row.file.name != kept
    assert row.file.read() == b"%PDF-1.4\n" + b"2" * 500
    assert entries(app, m.AuditAction.MATERIAL_UPLOADED) == 2


@pytest.mark.django_db
def test_api_values_sent_twice_are_recorded_once(world):
    app = journey.draft(world)
    api = client_for(world.investor)
    url = f"/api/applications/{app.public_id}/"
    body = {"values": {"enterprise.registered_capital": "9000"}}
    for _ in range(2):
        assert api.patch(url, body, format="json").status_code == 200
    assert entries(app, m.AuditAction.VALUES_UPDATED) == 1
    body = {"values": {"enterprise.registered_capital": "9100"}}
    assert api.patch(url, body, format="json").status_code == 200
    assert entries(app, m.AuditAction.VALUES_UPDATED) == 2
    assert app.values.get(field="enterprise.registered_capital").value == "9100"


@pytest.mark.django_db
def test_a_late_delivery_sent_twice_is_received_once(world):
    app = in_review(world)
    assert app.materials.get(material__code="seal").satisfied_by == m.SatisfiedBy.DEFERRAL
    api = client_for(world.investor)
    url = f"/api/applications/{app.public_id}/materials/seal/upload/"
    content = b"%PDF-1.4\n" + b"3" * 500
    for _ in range(2):
        upload = f.SimpleUploadedFile("seal.pdf", content, content_type="application/pdf")
        response = api.post(url, {"file": upload})
        assert response.status_code == 200, response.content
    seal = app.materials.get(material__code="seal")
    assert seal.satisfied_by == m.SatisfiedBy.UPLOAD and seal.received_at is not None
    uploads = m.AuditEntry.objects.filter(
        application=app, action=m.AuditAction.MATERIAL_UPLOADED, detail__material="seal"
    )
    assert uploads.count() == 1
    # Another file once it is received: refused, as before.
    other = f.SimpleUploadedFile("seal.pdf", b"%PDF-1.4\n" + b"4" * 500)
    assert api.post(url, {"file": other}).status_code == 400

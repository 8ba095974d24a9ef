"""A deferred material (容缺受理) is handed in after acceptance until it is received,
also once approved; one past its due date shows on the clerk's and the supervisor's
screens and in the report; a late one is counted too."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals import reports, services
from tests import journey
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db


def accepted(world):
    app = journey.submitted(world)  # the scripted investor defers "seal"
    return services.application_accept(actor=world.clerk, application=app)


def approved(world):
    return journey.approve_all(world, accepted(world))


def seal_of(app):
    return app.materials.get(material__code="seal")


def make_overdue(app, days=3):
    app.materials.filter(material__code="seal").update(
        due_date=timezone.localdate() - timedelta(days=days)
    )


def page(app):
    return reverse("portal:application", args=[app.public_id])


def upload_url(app, code):
    return reverse("portal:material_upload", args=[app.public_id, code])


def test_a_deferred_material_is_handed_in_after_the_approval(client, world):
    app = approved(world)
    assert app.status == m.ApplicationStatus.APPROVED
    client.force_login(world.investor)
    body = client.get(page(app)).content.decode()
    assert 'data-testid="upload-seal"' in body and "Hand in the file now" in body
    response = client.post(upload_url(app, "seal"), {"material-seal-file": pdf_upload("s.pdf")})
    assert response.status_code == 302
    seal = seal_of(app)
    assert seal.satisfied_by == m.SatisfiedBy.UPLOAD and seal.received_at is not None
    # Received: it is not handed in twice.
    assert 'data-testid="upload-seal"' not in client.get(page(app)).content.decode()
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.material_upload(
            actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
        )


def test_another_investor_cannot_hand_in_your_deferred_material(client, world):
    app = approved(world)
    with pytest.raises(PermissionDenied):
        services.material_upload(
            actor=world.other_investor, application=app, material_code="seal", upload=pdf_upload()
        )
    client.force_login(world.other_investor)
    response = client.post(upload_url(app, "seal"), {"material-seal-file": pdf_upload()})
    assert response.status_code == 404
    assert seal_of(app).received_at is None


def test_a_material_that_was_not_deferred_cannot_be_uploaded_after_the_approval(client, world):
    app = approved(world)
    client.force_login(world.investor)
    response = client.post(upload_url(app, "form"), {"material-form-file": pdf_upload()})
    assert response.status_code == 400
    assert "can no longer be changed" in response.content.decode()
    assert app.materials.get(material__code="form").original_name != "scan.pdf"


def test_a_rejected_application_takes_no_more_materials(world):
    app = accepted(world)
    for review in app.reviews.select_related("department"):
        services.review_complete(
            actor=world.reviewers[review.department.code],
            review=review,
            approve=False,
            reasons="资料不符 / The documents do not match.",
        )
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.REJECTED
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.material_upload(
            actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
        )


def test_the_investor_sees_an_overdue_material_marked(client, world):
    app = approved(world)
    make_overdue(app)
    client.force_login(world.investor)
    assert 'data-testid="overdue-seal"' in client.get(page(app)).content.decode()


def test_the_clerk_sees_overdue_materials_in_the_window_queue_and_on_the_application(client, world):
    app = approved(world)
    on_time = accepted(world)  # deferred, not yet due: not listed
    make_overdue(app, days=4)
    client.force_login(world.clerk)
    body = client.get(reverse("review:window")).content.decode()
    assert 'data-testid="overdue-materials"' in body
    assert app.reference in body and on_time.reference not in body
    assert '<td data-testid="material-days-overdue">4</td>' in body
    detail = client.get(reverse("review:window_application", args=[app.public_id]))
    assert 'data-testid="material-overdue"' in detail.content.decode()


def test_the_supervisor_sees_overdue_materials_filtered_by_department(client, world):
    app = approved(world)
    make_overdue(app)
    market = world.departments[0]
    m.Material.objects.filter(service=world.service, code="seal").update(department=market)
    client.force_login(world.supervisor)
    url = reverse("review:overdue")
    body = client.get(url).content.decode()
    assert 'data-testid="overdue-materials"' in body and app.reference in body
    assert app.reference in client.get(url, {"department": market.code}).content.decode()
    other = client.get(url, {"department": world.departments[1].code}).content.decode()
    assert 'data-testid="overdue-materials"' not in other
    assert "No deferred material is overdue." in other


def test_a_material_handed_in_is_no_longer_overdue_but_is_counted_late(client, world):
    app = approved(world)
    make_overdue(app)
    services.material_upload(
        actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
    )
    client.force_login(world.clerk)
    assert app.reference not in client.get(reverse("review:window")).content.decode()
    detail = client.get(reverse("review:window_application", args=[app.public_id]))
    assert 'data-testid="material-late"' in detail.content.decode()


def test_the_report_counts_deferred_materials_overdue_and_handed_in_late(client, world):
    overdue, late, on_time, pending = (approved(world) for _ in range(4))
    make_overdue(overdue)
    make_overdue(late)
    for app in (late, on_time):
        services.material_upload(
            actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
        )
    report = reports.approval_report()
    assert (report.overall.deferred_overdue, report.overall.deferred_late) == (1, 1)
    service_row = next(r for r in report.services if r.key == world.service.code)
    assert (service_row.deferred_overdue, service_row.deferred_late) == (1, 1)
    assert "deferred_overdue" in reports.csv_header()
    client.force_login(world.supervisor)
    body = client.get(reverse("reporting:report")).content.decode()
    assert "Deferred materials overdue" in body


# the window queue's fixed cost, plus the overdue materials' count and page (9 before
# the clerk's roles were one read: approvals.roles)
WINDOW_QUEUE_WITH_OVERDUE_QUERIES = 7


def test_the_window_queue_costs_the_same_queries_with_few_and_many_overdue(client, world):
    client.force_login(world.clerk)
    url = reverse("review:window")
    journey.submitted(world)

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["overdue"].object_list)

    make_overdue(approved(world))
    small = cost()
    for _ in range(4):
        make_overdue(approved(world))
    large = cost()
    assert (small, large) == (
        (WINDOW_QUEUE_WITH_OVERDUE_QUERIES, 1),
        (WINDOW_QUEUE_WITH_OVERDUE_QUERIES, 5),
    )


def test_the_api_hands_in_a_deferred_material_after_the_approval_and_refuses_others(world):
    app = approved(world)
    url = f"/api/applications/{app.public_id}/materials/%s/upload/"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.investor).key}")
    refused = api.post(url % "form", {"file": pdf_upload()}, format="multipart")
    assert refused.status_code == 400, refused.content
    delivered = api.post(url % "seal", {"file": pdf_upload("seal.pdf")}, format="multipart")
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["satisfied_by"] == "upload"
    assert seal_of(app).received_at is not None


def test_the_overdue_page_costs_the_same_queries_with_few_and_many_overdue_materials(client, world):
    client.force_login(world.supervisor)
    url = reverse("review:overdue")

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["overdue_materials"].object_list)

    make_overdue(approved(world))
    small, one = cost()
    for _ in range(3):
        make_overdue(approved(world))
    large, four = cost()
    assert (one, four) == (1, 4)
    assert small == large

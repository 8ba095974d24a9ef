"""The audit trail (who, when, what, from where; append-only) and the masking
of resident identity numbers, with the log of who saw them in full."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from approvals import models as m
from approvals import services
from approvals.identifiers import mask_resident_id
from tests import factories as f
from tests import journey

pytestmark = pytest.mark.django_db

A = m.AuditAction


def trail(app) -> list[tuple[str, str]]:
    return [
        (e.actor_name, e.action)
        for e in m.AuditEntry.objects.filter(application=app).order_by("at", "pk")
    ]


def test_every_action_of_a_whole_journey_is_recorded_once_in_order(world):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    journey.approve_all(world, app)
    permit = app.permit
    services.permit_revoke(actor=world.supervisor, permit=permit, reason="承诺不实 / false")

    actions = trail(app)
    submitted = actions.index(("investor", A.SUBMITTED))
    assert actions[0] == ("investor", A.CREATED)
    hand_in = {A.MATERIAL_DEFERRED, A.MATERIAL_COMMITTED, A.MATERIAL_UPLOADED, A.VALUES_UPDATED}
    assert {a for _, a in actions[1:submitted]} <= hand_in
    assert {A.MATERIAL_DEFERRED, A.MATERIAL_COMMITTED, A.MATERIAL_UPLOADED} <= {
        a for _, a in actions[1:submitted]
    }
    assert all(who == "investor" for who, _ in actions[1:submitted])
    # Each approval issues its matter's outcome at once; the last one runs the join and
    # the decision follows it.
    assert actions[submitted:] == [
        ("investor", A.SUBMITTED),
        ("clerk", A.ACCEPTED),
        ("rev-commerce", A.REVIEW_APPROVED),
        ("", A.PERMIT_ISSUED),
        ("rev-market", A.REVIEW_APPROVED),
        ("", A.PERMIT_ISSUED),
        ("rev-tax", A.REVIEW_APPROVED),
        ("", A.PERMIT_ISSUED),
        ("", A.DECIDED),
        ("supervisor", A.PERMIT_REVOKED),
    ]


def test_a_refused_action_records_nothing(world):
    app = journey.draft(world)
    before = trail(app)
    with pytest.raises(ValidationError):
        services.application_submit(actor=world.investor, application=app)  # materials missing
    with pytest.raises(PermissionDenied):
        services.material_defer(actor=world.other_investor, application=app, material_code="seal")
    assert trail(app) == before == [("investor", A.CREATED)]


def test_the_address_and_channel_of_a_web_request_are_recorded(client, world):
    app = journey.complete(world, journey.draft(world))
    client.force_login(world.investor)
    client.post(
        reverse("portal:submit", args=[app.public_id]), REMOTE_ADDR="203.0.113.7", follow=True
    )
    entry = m.AuditEntry.objects.get(application=app, action=A.SUBMITTED)
    assert (entry.address, entry.channel, entry.actor_name) == ("203.0.113.7", "web", "investor")


def test_x_forwarded_for_is_believed_only_when_configured(client, world, settings):
    app = journey.complete(world, journey.draft(world))
    client.force_login(world.investor)
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy, at 10.0.0.2 (tests/test_client_address.py)
    client.post(
        reverse("portal:submit", args=[app.public_id]),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert m.AuditEntry.objects.get(application=app, action=A.SUBMITTED).address == "198.51.100.9"


@pytest.mark.postgres_only
def test_postgresql_itself_refuses_to_change_or_delete_audit_rows(world):
    app = journey.draft(world)
    entry = m.AuditEntry.objects.get(application=app)
    for attempt in (
        lambda: m.AuditEntry.objects.filter(pk=entry.pk).update(action=A.WITHDRAWN),
        lambda: m.AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM approvals_auditentry")
    entry.refresh_from_db()
    assert entry.action == A.CREATED


# --- the supervisors' page ------------------------------------------------------------


def test_supervisors_read_and_filter_the_trail_others_may_not(client, world):
    app = journey.submitted(world)
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    other = journey.draft(world, applicant=world.other_investor)
    url = reverse("review:audit")
    for user in (world.investor, world.clerk, world.reviewers["market"]):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(world.supervisor)
    page = client.get(url, {"application": app.reference, "action": A.SUBMITTED})
    assert page.status_code == 200
    assert page.context["entries"].paginator.count == 1
    everything = client.get(url).context["entries"].paginator.count
    assert everything == m.AuditEntry.objects.count() > 1
    mine = client.get(url, {"application": other.reference}).context["entries"]
    assert [e.action for e in mine.object_list] == [A.MANDATE_USED, A.CREATED]
    # The supervisor's view of one application carries its trail.
    detail = client.get(reverse("review:application", args=[app.public_id]))
    assert [e.action for e in detail.context["trail"]][0] == A.SUBMITTED


# --- resident identity numbers -------------------------------------------------------------


def identity_on(page, world) -> str:
    values = {v.field: v for v in page.context["screen"].values}
    return values["enterprise.legal_representative_id"].value


def test_identity_numbers_are_masked_for_reviewers_and_supervisors_and_full_for_the_clerk(
    client, world
):
    number = world.enterprise.legal_representative_id
    app = journey.submitted(world)
    masked = mask_resident_id(number)
    assert masked != number and masked.endswith(number[-4:])

    client.force_login(world.reviewers["market"])
    services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    page = client.get(reverse("review:review", args=[review.pk]))
    assert identity_on(page, world) == masked
    assert number not in page.content.decode()

    client.force_login(world.supervisor)
    page = client.get(reverse("review:application", args=[app.public_id]))
    assert identity_on(page, world) == masked
    assert number not in page.content.decode()
    assert not m.AuditEntry.objects.filter(action=A.IDENTITY_VIEWED).exists()

    client.force_login(world.clerk)
    page = client.get(reverse("review:application", args=[app.public_id]))
    assert identity_on(page, world) == number
    viewed = m.AuditEntry.objects.get(action=A.IDENTITY_VIEWED)
    assert (viewed.actor_name, viewed.application_id) == ("clerk", app.pk)
    assert viewed.detail == {"fields": ["enterprise.legal_representative_id"]}


def test_the_legal_representative_sees_their_own_number_in_full_and_the_view_is_logged(
    client, world
):
    number = world.enterprise.legal_representative_id
    app = journey.submitted(world)
    client.force_login(world.investor)
    page = client.get(reverse("portal:application", args=[app.public_id]))
    assert number in page.content.decode()
    viewed = m.AuditEntry.objects.get(action=A.IDENTITY_VIEWED)
    assert (viewed.actor_name, viewed.application_id) == ("investor", app.pk)


def test_an_agent_under_mandate_sees_the_number_masked_and_keeps_it_by_saving(client, world):
    number = world.enterprise.legal_representative_id
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    app = journey.draft(world, applicant=world.other_investor)
    client.force_login(world.other_investor)
    page = client.get(reverse("portal:application", args=[app.public_id]))
    body = page.content.decode()
    assert number not in body and mask_resident_id(number) in body
    assert not m.AuditEntry.objects.filter(action=A.IDENTITY_VIEWED).exists()
    # Saving the form sends the masked number back: it means "unchanged".
    services.application_values_update(
        actor=world.other_investor,
        application=app,
        values={"enterprise.legal_representative_id": mask_resident_id(number)},
    )
    held = app.values.get(field="enterprise.legal_representative_id")
    assert (held.value, held.corrected) == (number, False)


def test_a_typed_identity_number_is_checked(world):
    app = journey.unregistered_draft(world)
    with pytest.raises(ValidationError) as error:
        services.application_values_update(
            actor=world.investor,
            application=app,
            values={"enterprise.legal_representative_id": "46010019900101123"},
        )
    assert "enterprise.legal_representative_id" in error.value.message_dict


def test_the_api_masks_alike_and_audits_the_clerk(world):
    from rest_framework.test import APIClient

    number = world.enterprise.legal_representative_id
    app = journey.submitted(world)

    def identity(user, url):
        client = APIClient()
        client.force_authenticate(user)
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        values = body["application"]["values"] if "task" in body else body["values"]
        return next(v for v in values if v["field"] == "enterprise.legal_representative_id")

    own = identity(world.investor, f"/api/applications/{app.public_id}/")
    assert own["value"] == number  # the legal representative's own number
    viewed = m.AuditEntry.objects.filter(action=A.IDENTITY_VIEWED)
    assert [(e.actor_name, e.channel) for e in viewed] == [("investor", "api")]
    supervisor = identity(world.supervisor, f"/api/window/{app.public_id}/")
    assert supervisor["value"] == supervisor["source_value"] == mask_resident_id(number)
    assert viewed.count() == 1
    clerk = identity(world.clerk, f"/api/window/{app.public_id}/")
    assert clerk["value"] == number
    assert [(e.actor_name, e.channel) for e in viewed.order_by("pk")] == [
        ("investor", "api"),
        ("clerk", "api"),
    ]
    services.application_accept(actor=world.clerk, application=app)
    review = journey.review_of(app, "market")
    reviewer = identity(world.reviewers["market"], f"/api/tasks/{review.pk}/")
    assert reviewer["value"] == mask_resident_id(number)

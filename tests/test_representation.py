"""Who acts for whom: the access matrix of real-name accounts and mandates.

For one enterprise and one service, each kind of person asks for the things
that reveal what the government holds or act on the enterprise's behalf: the
prefill preview, opening a draft (API and page), reading and changing a draft,
following a submitted application. A refusal writes nothing (no application,
no audit entry, no mandate use) and reveals nothing (no held value in the
body). The rule itself is approvals.representation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import mandates, realname, representation, services
from approvals import models as m
from approvals.identifiers import mask_resident_id
from tests import factories as f
from tests import journey

pytestmark = pytest.mark.django_db

A = m.AuditAction


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def person(username, **identity):
    user = f.UserFactory(username=username)
    if identity.get("verified", True):
        f.verified(user, name=username, number=f.stranger_id())
    return user


@pytest.fixture
def cast(world):
    """Everyone the matrix asks, by the name the rows use."""
    other_service = f.ServiceFactory(code="other-service")
    now = timezone.now()
    people = {
        "legal_representative": world.investor,
        "stranger": world.other_investor,
        "unverified": person("unverified", verified=False),
        "mandate_this_service": person("holder"),
        "mandate_other_service": person("other-holder"),
        "mandate_expired": person("expired-holder"),
        "mandate_revoked": person("revoked-holder"),
        "mandate_not_yet": person("future-holder"),
        "agency_member": person("agency-member"),
        "clerk": world.clerk,
    }
    by = world.investor
    e = world.enterprise
    f.mandate(e, world.service, user=people["mandate_this_service"], by=by)
    f.mandate(e, other_service, user=people["mandate_other_service"], by=by)
    f.mandate(
        e,
        world.service,
        user=people["mandate_expired"],
        by=by,
        valid_from=now - timedelta(days=30),
        valid_until=now - timedelta(seconds=1),
    )
    f.mandate(
        e, world.service, user=people["mandate_revoked"], by=by, revoked_at=now, revoked_by=by
    )
    f.mandate(
        e,
        world.service,
        user=people["mandate_not_yet"],
        by=by,
        valid_from=now + timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    # An agent with several principals: the agency holds this enterprise's mandate and
    # another enterprise's.
    agency = m.Agency.objects.create(uscc=f.new_uscc(), name_zh="测试代办有限公司")
    agency.members.add(people["agency_member"])
    f.mandate(e, world.service, agency=agency, by=by)
    f.mandate(f.EnterpriseFactory(), world.service, agency=agency, by=by)
    return people


ACTS = {"legal_representative", "mandate_this_service", "agency_member"}
EVERYONE = [
    "legal_representative",
    "stranger",
    "unverified",
    "mandate_this_service",
    "mandate_other_service",
    "mandate_expired",
    "mandate_revoked",
    "mandate_not_yet",
    "agency_member",
    "clerk",
]


def held_values(world) -> list[str]:
    e = world.enterprise
    return [
        e.name_zh,
        e.address,
        e.legal_representative_id,
        mask_resident_id(e.legal_representative_id),
    ]


def reveals_nothing(body: bytes, world) -> None:
    text = body.decode()
    for value in held_values(world):
        assert value not in text, value


def writes(world) -> tuple[int, int]:
    return m.Application.objects.count(), m.AuditEntry.objects.count()


@pytest.mark.parametrize("who", EVERYONE)
def test_the_prefill_preview(world, cast, who):
    before = writes(world)
    response = api(cast[who]).get(f"/api/enterprises/{world.enterprise.uscc}/prefill/")
    if who in ACTS or who == "mandate_other_service":
        # The preview names no service: a mandate for any service opens it.
        assert response.status_code == 200, response.content
        values = {
            v["field"]: v["value"] for src in response.json()["sources"] for v in src["values"]
        }
        assert values["enterprise.name_zh"] == world.enterprise.name_zh
        number = world.enterprise.legal_representative_id
        own = who == "legal_representative"
        assert values["enterprise.legal_representative_id"] == (
            number if own else mask_resident_id(number)
        )
        viewed = m.AuditEntry.objects.filter(action=A.IDENTITY_VIEWED)
        assert viewed.count() == (1 if own else 0)
        if own:
            entry = viewed.get()
            assert (entry.uscc, entry.application_id) == (world.enterprise.uscc, None)
    else:
        assert response.status_code == 404, response.content
        reveals_nothing(response.content, world)
        assert writes(world) == before
        # The message says how to obtain a mandate.
        assert "mandate" in response.json()["message"]


def test_an_unknown_code_and_someone_elses_answer_alike(world, cast):
    stranger = api(cast["stranger"])
    known = stranger.get(f"/api/enterprises/{world.enterprise.uscc}/prefill/")
    unknown = stranger.get(f"/api/enterprises/{f.new_uscc()}/prefill/")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_a_draft_through_the_api(world, cast, who):
    before = writes(world)
    response = api(cast[who]).post(
        "/api/applications/",
        {"service": world.service.code, "uscc": world.enterprise.uscc},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"matrix-{who}",
    )
    if who in ACTS:
        assert response.status_code == 201, response.content
        app = m.Application.objects.get(public_id=response.json()["id"])
        expected = "legal_representative" if who == "legal_representative" else "mandate"
        assert app.acting_as == expected
        assert app.filed_as == ("investor" if who == "legal_representative" else "agent")
        used = m.AuditEntry.objects.filter(application=app, action=A.MANDATE_USED)
        assert used.count() == (0 if who == "legal_representative" else 1)
        assert (app.mandate is None) == (who == "legal_representative")
    else:
        assert response.status_code == 403, response.content
        reveals_nothing(response.content, world)
        assert writes(world) == before


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_a_draft_on_the_page(client, world, cast, who):
    client.force_login(cast[who])
    before = writes(world)
    response = client.post(
        reverse("portal:apply", args=[world.service.code]),
        {"uscc": world.enterprise.uscc, "filed_as": "agent", "idempotency_key": who},
    )
    if who in ACTS:
        assert response.status_code == 302, response.content[:500]
        assert m.Application.objects.filter(applicant=cast[who]).count() == 1
    else:
        assert response.status_code == 403
        reveals_nothing(response.content, world)
        assert writes(world) == before


def test_a_mandate_that_ends_stops_its_drafts_but_not_what_was_submitted(client, world, cast):
    holder = cast["mandate_this_service"]
    mandate = m.Mandate.objects.get(grantee_user=holder)
    draft = journey.draft(world, applicant=holder)
    filed = journey.complete(world, journey.draft(world, applicant=holder), applicant=holder)
    services.application_submit(actor=holder, application=filed)
    mandates.mandate_revoke(actor=world.investor, mandate=mandate, reason="agency changed")

    holder_api = api(holder)
    listed = holder_api.get("/api/applications/").json()["results"]
    assert [row["id"] for row in listed] == [str(filed.public_id)]
    assert holder_api.get(f"/api/applications/{draft.public_id}/").status_code == 404
    submitted = holder_api.get(f"/api/applications/{filed.public_id}/")
    assert submitted.status_code == 200
    # Still theirs to follow, but the identity number is masked to them, as before.
    values = {v["field"]: v["value"] for v in submitted.json()["values"]}
    number = world.enterprise.legal_representative_id
    assert values["enterprise.legal_representative_id"] == mask_resident_id(number)

    before = writes(world)
    with pytest.raises(PermissionDenied):
        services.application_values_update(
            actor=holder, application=draft, values={"enterprise.address": "新地址"}
        )
    with pytest.raises(PermissionDenied):
        journey.draft(world, applicant=holder)
    assert writes(world) == before
    client.force_login(holder)
    assert client.get(reverse("portal:application", args=[draft.public_id])).status_code == 404
    # Withdrawing what they submitted stays possible: stopping is always allowed.
    services.application_withdraw(actor=holder, application=filed)


def test_an_expired_mandate_hides_the_draft_opened_while_it_held(world, cast):
    holder = cast["mandate_this_service"]
    draft = journey.draft(world, applicant=holder)
    m.Mandate.objects.filter(grantee_user=holder).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert api(holder).get(f"/api/applications/{draft.public_id}/").status_code == 404
    assert not representation.still_acts_for(holder, draft)


def test_the_agency_member_acts_for_each_principal_and_no_other(world, cast):
    member = cast["agency_member"]
    principals = set(representation.valid_mandates(member).values_list("enterprise", flat=True))
    assert len(principals) == 2 and world.enterprise.pk in principals
    outsider = f.EnterpriseFactory(legal_representative_id=f.stranger_id())
    assert representation.basis_for(member, world.service, outsider.uscc) is None


# --- identities --------------------------------------------------------------------


def test_an_identity_is_verified_against_the_register(world):
    user = f.UserFactory(username="newcomer")
    m.Person.objects.create(
        document_type="passport", document_number="E12345678", name="Anna Müller", nationality="DEU"
    )
    with pytest.raises(ValidationError) as refused:
        realname.identity_verify(
            user=user,
            name="Anna Muller",
            document_type="passport",
            document_number="E12345678",
            nationality="DEU",
        )
    assert "does not confirm" in str(refused.value)
    identity = m.Identity.objects.get(user=user)
    assert (identity.status, identity.attempts) == ("refused", 1)
    realname.identity_verify(
        user=user,
        name=" anna   müller ",
        document_type="passport",
        document_number="e1234 5678",
        nationality="deu",
    )
    identity.refresh_from_db()
    assert (identity.status, identity.document_number) == ("verified", "E12345678")
    assert identity.verified_at is not None
    assert m.AuditEntry.objects.filter(actor=user, action=A.IDENTITY_VERIFIED).count() == 1


def test_a_malformed_claim_writes_nothing(world):
    user = f.UserFactory(username="typo")
    with pytest.raises(ValidationError) as error:
        realname.identity_verify(
            user=user,
            name="",
            document_type="resident_id",
            document_number="46010019900101123",
            nationality="USA",
        )
    assert set(error.value.message_dict) == {"name", "document_number", "nationality"}
    assert not m.Identity.objects.filter(user=user).exists()


def test_one_person_one_verified_account(world):
    number = world.enterprise.legal_representative_id
    m.Person.objects.create(
        document_type="resident_id", document_number=number, name="王海", nationality="CHN"
    )
    second = f.UserFactory(username="impostor")
    with pytest.raises(ValidationError) as error:
        realname.identity_verify(
            user=second,
            name="王海",
            document_type="resident_id",
            document_number=number,
            nationality="CHN",
        )
    assert "another account" in str(error.value)
    assert representation.enterprises_represented(second).count() == 0


def test_attempts_are_limited(world, settings):
    user = f.UserFactory(username="guesser")
    for _ in range(realname.MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            realname.identity_verify(
                user=user,
                name="王海",
                document_type="resident_id",
                document_number=f.stranger_id(),
                nationality="CHN",
            )
    with pytest.raises(ValidationError) as error:
        realname.identity_verify(
            user=user,
            name="王海",
            document_type="resident_id",
            document_number=f.stranger_id(),
            nationality="CHN",
        )
    assert "window" in str(error.value)
    assert m.Identity.objects.get(user=user).attempts == realname.MAX_ATTEMPTS


def test_an_unverified_account_cannot_open_a_draft_and_is_told_why(world):
    user = f.UserFactory(username="fresh")
    with pytest.raises(PermissionDenied) as refused:
        services.application_open(applicant=user, service=world.service, uscc=world.enterprise.uscc)
    assert "Verify your identity" in str(refused.value)
    assert not representation.is_verified(AnonymousUser())


# --- mandates -----------------------------------------------------------------------


def test_granting_and_revoking_are_the_legal_representatives_and_audited(world, cast):
    holder = cast["stranger"]
    identity = holder.identity
    grantee = mandates.Grantee(
        document_type=identity.document_type,
        document_number=identity.document_number,
        name=identity.name,
    )
    until = timezone.now() + timedelta(days=90)
    before = writes(world), m.Mandate.objects.count()
    with pytest.raises(PermissionDenied):
        mandates.mandate_grant(
            actor=cast["mandate_this_service"],
            uscc=world.enterprise.uscc,
            grantee=grantee,
            services=[world.service],
            valid_until=until,
        )
    assert (writes(world), m.Mandate.objects.count()) == before
    mandate = mandates.mandate_grant(
        actor=world.investor,
        uscc=world.enterprise.uscc,
        grantee=grantee,
        services=[world.service],
        valid_until=until,
    )
    granted = m.AuditEntry.objects.get(action=A.MANDATE_GRANTED)
    assert granted.uscc == world.enterprise.uscc
    assert granted.detail["mandate"] == str(mandate.public_id)
    assert granted.detail["services"] == [world.service.code]
    assert representation.basis_for(holder, world.service, world.enterprise.uscc).mandate == mandate
    with pytest.raises(PermissionDenied):
        mandates.mandate_revoke(actor=holder, mandate=mandate)
    mandates.mandate_revoke(actor=world.investor, mandate=mandate, reason="done")
    mandates.mandate_revoke(actor=world.investor, mandate=mandate, reason="again")
    assert m.AuditEntry.objects.filter(action=A.MANDATE_REVOKED).count() == 1
    assert representation.basis_for(holder, world.service, world.enterprise.uscc) is None


def test_a_grant_to_nobody_verified_or_for_too_long_is_refused(world):
    with pytest.raises(ValidationError) as error:
        mandates.mandate_grant(
            actor=world.investor,
            uscc=world.enterprise.uscc,
            grantee=mandates.Grantee("resident_id", f.stranger_id(), "无名"),
            services=[world.service],
            valid_until=timezone.now() + timedelta(days=30),
        )
    assert "document_number" in error.value.message_dict
    holder = world.other_investor.identity
    with pytest.raises(ValidationError) as error:
        mandates.mandate_grant(
            actor=world.investor,
            uscc=world.enterprise.uscc,
            grantee=mandates.Grantee(holder.document_type, holder.document_number, holder.name),
            services=[],
            valid_until=timezone.now() + timedelta(days=4 * 365),
        )
    assert set(error.value.message_dict) == {"valid_until"}
    assert not m.Mandate.objects.exists()


def test_a_clerk_registers_a_paper_mandate_with_its_scan(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    holder = world.other_investor.identity
    grantee = mandates.Grantee(holder.document_type, holder.document_number, holder.name)
    until = timezone.now() + timedelta(days=30)
    with pytest.raises(PermissionDenied):
        mandates.mandate_register_paper(
            actor=world.investor,
            uscc=world.enterprise.uscc,
            grantee=grantee,
            services=[world.service],
            valid_until=until,
            document=f.pdf_upload(),
        )
    mandate = mandates.mandate_register_paper(
        actor=world.clerk,
        uscc=world.enterprise.uscc,
        grantee=grantee,
        services=[world.service],
        valid_until=until,
        document=f.pdf_upload("signed.pdf"),
    )
    assert mandate.origin == "paper" and mandate.document.name.endswith("signed.pdf")
    assert m.AuditEntry.objects.get(action=A.MANDATE_REGISTERED).actor == world.clerk


# --- the limit on drafts ----------------------------------------------------------------


def test_drafts_per_hour_are_limited_with_a_message(world, settings):
    settings.DRAFTS_PER_HOUR = 3
    others = [f.ServiceFactory() for _ in range(4)]
    for service in others:
        f.thing_part(service, world.departments[0])
    for service in others[:3]:
        services.application_open(
            applicant=world.investor, service=service, uscc=world.enterprise.uscc
        )
    # Coming back to an open draft is not a new one.
    again = services.application_open(
        applicant=world.investor, service=others[0], uscc=world.enterprise.uscc
    )
    assert again.open_draft
    with pytest.raises(ValidationError) as error:
        services.application_open(
            applicant=world.investor, service=others[3], uscc=world.enterprise.uscc
        )
    assert "3 drafts in the last hour" in str(error.value)
    assert m.Application.objects.count() == 3


def test_the_admin_lists_identities_and_people_masked(client, world, cast):
    number = world.enterprise.legal_representative_id
    m.Person.objects.create(
        document_type="resident_id", document_number=number, name="王海", nationality="CHN"
    )
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for name in ("person", "identity", "mandate", "agency"):
        page = client.get(reverse(f"admin:approvals_{name}_changelist"))
        assert page.status_code == 200, name
        assert number not in page.content.decode(), name
    identity = world.investor.identity
    page = client.get(reverse("admin:approvals_identity_change", args=[identity.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert number not in body and mask_resident_id(number) in body


def test_a_revoked_mandate_also_closes_the_drafts_files(client, world, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    holder = cast["mandate_this_service"]
    draft = journey.draft(world, applicant=holder)
    services.material_upload(
        actor=holder, application=draft, material_code="form", upload=f.pdf_upload()
    )
    target = reverse("review:material_file", args=[draft.public_id, "form"])
    client.force_login(holder)
    assert client.get(target).status_code == 200
    m.Mandate.objects.filter(grantee_user=holder).update(revoked_at=timezone.now())
    assert client.get(target).status_code == 404


def test_an_enterprise_cannot_mandate_its_own_establishment(world):
    founding = f.ServiceFactory(code="founding", establishes_enterprise=True)
    holder = world.other_investor.identity
    with pytest.raises(ValidationError) as error:
        mandates.mandate_grant(
            actor=world.investor,
            uscc=world.enterprise.uscc,
            grantee=mandates.Grantee(holder.document_type, holder.document_number, holder.name),
            services=[world.service, founding],
            valid_until=timezone.now() + timedelta(days=30),
        )
    assert "establishment" in " ".join(error.value.message_dict["services"])
    assert not m.Mandate.objects.exists()

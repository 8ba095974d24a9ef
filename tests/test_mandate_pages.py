"""My enterprises (granting and revoking mandates), Mandates I hold, and the window's
register of mandates (paper mandates with their scan): who may see and do what,
forms that keep what was typed, and the lists' cost in queries."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import models as m
from approvals.roles import INVESTOR_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

ENTERPRISES = reverse("portal:enterprises")
HELD = reverse("portal:mandates")
REGISTER = reverse("review:mandates")
NEW_PAPER = reverse("review:mandate_new")
_numbers = itertools.count(1)


def person_number() -> str:
    """A valid resident identity number (born 1991-02-03) no factory enterprise names."""
    return f.resident_id(f"46010019910203{next(_numbers):03d}")


@pytest.fixture
def agent(world):
    """A verified account that acts for no enterprise of its own."""
    user = f.UserFactory(username="agent", groups=[INVESTOR_GROUP])
    return f.verified(user, name="钱七", number=person_number())


def tomorrow_plus(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def grant_data(agent, world, **changes):
    return {
        "grantee_kind": "person",
        "name": agent.identity.name,
        "document_type": "resident_id",
        "document_number": agent.identity.document_number,
        "services": [world.service.pk],
        "valid_from": "",
        "valid_until": tomorrow_plus(30),
        **changes,
    }


def grant_url(enterprise) -> str:
    return reverse("portal:mandate_grant", args=[enterprise.uscc])


def apply(client, world, enterprise):
    return client.post(
        reverse("portal:apply", args=[world.service.code]),
        {"uscc": enterprise.uscc, "filed_as": "agent"},
    )


# --- My enterprises -------------------------------------------------------------


def test_my_enterprises_lists_each_mandate_with_where_it_stands(client, world, agent):
    now = timezone.now()
    f.mandate(world.enterprise, world.service, user=agent, by=world.investor)
    f.mandate(
        world.enterprise,
        world.service,
        user=agent,
        by=world.investor,
        valid_from=now + timedelta(days=3),
        valid_until=now + timedelta(days=9),
    )
    f.mandate(
        world.enterprise,
        world.service,
        user=agent,
        by=world.investor,
        valid_from=now - timedelta(days=9),
        valid_until=now - timedelta(days=3),
    )
    f.mandate(world.enterprise, world.service, user=agent, by=world.investor, revoked_at=now)
    client.force_login(world.investor)
    page = client.get(ENTERPRISES).content.decode()
    assert world.enterprise.uscc in page
    for state in ("in force", "not in force yet", "ended", "revoked"):
        assert f'data-testid="mandate-state">{state}<' in page
    assert "钱七" in page
    assert agent.identity.document_number_masked in page
    assert agent.identity.document_number not in page
    assert page.count('data-testid="revoke-mandate"') == 2  # in force and not yet


def test_unverified_accounts_are_sent_to_verify_first(client, world):
    user = f.UserFactory(username="fresh", groups=[INVESTOR_GROUP])
    client.force_login(user)
    for url in (ENTERPRISES, HELD, grant_url(world.enterprise)):
        response = client.get(url)
        assert response.status_code == 403
        page = response.content.decode()
        assert 'data-testid="verify-first"' in page
        assert world.enterprise.name_zh not in page
    response = client.post(grant_url(world.enterprise), {"grantee_kind": "agency"})
    assert response.status_code == 403
    assert not m.Mandate.objects.exists()


def test_a_stranger_cannot_grant_for_someone_elses_enterprise(client, world, agent):
    client.force_login(world.other_investor)
    assert client.get(grant_url(world.enterprise)).status_code == 404
    response = client.post(grant_url(world.enterprise), grant_data(agent, world))
    assert response.status_code == 404
    page = response.content.decode()
    assert world.enterprise.name_zh not in page
    assert world.enterprise.legal_representative_id not in page
    assert not m.Mandate.objects.exists()
    assert not m.AuditEntry.objects.exists()
    # Their own list names no enterprise.
    page = client.get(ENTERPRISES).content.decode()
    assert 'data-testid="no-enterprises"' in page
    assert world.enterprise.uscc not in page


def test_a_stranger_cannot_revoke_someone_elses_mandate(client, world, agent):
    mandate = f.mandate(world.enterprise, world.service, user=agent, by=world.investor)
    url = reverse("portal:mandate_revoke", args=[mandate.public_id])
    for who in (world.other_investor, agent):  # nor can its holder revoke it as if they granted it
        client.force_login(who)
        assert client.get(url).status_code == 404
        response = client.post(url, {"reason": "mine now"})
        assert response.status_code == 404
        assert world.enterprise.name_zh not in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.revoked_at is None
    assert not m.AuditEntry.objects.filter(action=m.AuditAction.MANDATE_REVOKED).exists()


def test_granting_writes_the_mandate_and_its_audit_entry(client, world, agent):
    client.force_login(world.investor)
    response = client.post(grant_url(world.enterprise), grant_data(agent, world))
    assert response.status_code == 302
    mandate = m.Mandate.objects.get()
    assert mandate.grantee_user == agent
    assert list(mandate.services.all()) == [world.service]
    assert timezone.localtime(mandate.valid_until).date() == timezone.localdate() + timedelta(
        days=31
    )
    entry = m.AuditEntry.objects.get(action=m.AuditAction.MANDATE_GRANTED)
    assert entry.actor == world.investor
    assert entry.uscc == world.enterprise.uscc
    assert entry.detail["grantee"] == "agent"
    assert entry.detail["services"] == [world.service.code]
    page = client.get(response.url).content.decode()
    assert "The mandate to 钱七 is granted." in page


def test_a_refused_grant_keeps_what_was_typed_and_writes_nothing(client, world, agent):
    client.force_login(world.investor)
    data = grant_data(agent, world, name="钱八", services=[])
    response = client.post(grant_url(world.enterprise), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="钱八"' in page
    assert f'value="{agent.identity.document_number}"' in page
    assert f'value="{data["valid_until"]}"' in page
    assert "No verified account holds this name and document" in page
    assert 'href="#id_document_number"' in page
    assert not m.Mandate.objects.exists()
    # The services' rule is the service's: the wrong name fixed, no service chosen.
    response = client.post(grant_url(world.enterprise), grant_data(agent, world, services=[]))
    assert response.status_code == 400
    assert "Choose at least one service." in response.content.decode()
    response = client.post(
        grant_url(world.enterprise), grant_data(agent, world, grantee_kind="agency")
    )
    assert response.status_code == 400
    assert "Enter the agency&#x27;s credit code." in response.content.decode()
    assert not m.Mandate.objects.exists()
    assert not m.AuditEntry.objects.exists()


def test_a_mandate_to_an_agency(client, world, agent):
    agency = m.Agency.objects.create(uscc=f.new_uscc(), name_zh="海口代办服务有限公司")
    agency.members.add(agent)
    client.force_login(world.investor)
    data = grant_data(agent, world, grantee_kind="agency", agency_uscc=agency.uscc.lower())
    assert client.post(grant_url(world.enterprise), data).status_code == 302
    assert m.Mandate.objects.get().grantee_agency == agency
    client.force_login(agent)
    page = client.get(HELD).content.decode()
    assert "海口代办服务有限公司" in page
    assert 'data-testid="apply-under-mandate"' in page


def test_revoking_closes_the_holders_draft_and_refuses_their_next_write(client, world, agent):
    client.force_login(world.investor)
    client.post(grant_url(world.enterprise), grant_data(agent, world))
    mandate = m.Mandate.objects.get()
    client.force_login(agent)
    response = apply(client, world, world.enterprise)
    assert response.status_code == 302
    draft = m.Application.objects.get(applicant=agent)
    assert draft.reference in client.get(reverse("portal:applications")).content.decode()

    client.force_login(world.investor)
    url = reverse("portal:mandate_revoke", args=[mandate.public_id])
    confirm = client.get(url).content.decode()
    assert 'data-testid="revoke-form"' in confirm
    assert client.post(url, {"reason": "合作结束 / engagement over"}).status_code == 302
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None
    assert mandate.revocation_reason == "合作结束 / engagement over"
    assert m.AuditEntry.objects.filter(
        action=m.AuditAction.MANDATE_REVOKED, actor=world.investor
    ).exists()

    client.force_login(agent)
    assert draft.reference not in client.get(reverse("portal:applications")).content.decode()
    values = reverse("portal:values", args=[draft.public_id])
    assert client.post(values, {"v-enterprise-name_zh": "改名"}).status_code == 404
    assert not draft.values.filter(value="改名").exists()
    refused = apply(client, world, world.enterprise)
    assert refused.status_code == 403
    assert "grant you a mandate" in refused.content.decode()
    assert m.Application.objects.filter(applicant=agent).count() == 1


# --- Mandates I hold ------------------------------------------------------------


def test_mandates_i_hold_link_to_applying_only_while_in_force(client, world, agent):
    other = f.EnterpriseFactory()
    f.mandate(world.enterprise, world.service, user=agent, by=world.investor)
    f.mandate(other, world.service, user=agent, by=world.investor, revoked_at=timezone.now())
    client.force_login(agent)
    page = client.get(HELD).content.decode()
    assert world.enterprise.uscc in page and other.uscc in page
    apply_url = reverse("portal:apply", args=[world.service.code])
    assert f'href="{apply_url}?uscc={world.enterprise.uscc}"' in page
    assert f"?uscc={other.uscc}" not in page
    assert page.count('data-testid="apply-under-mandate"') == 1
    # Nobody else's mandates are listed.
    client.force_login(world.other_investor)
    page = client.get(HELD).content.decode()
    assert 'data-testid="no-mandates"' in page
    assert world.enterprise.uscc not in page


# --- the window's register ------------------------------------------------------


def paper_data(agent, world, **changes):
    return {
        "uscc": world.enterprise.uscc,
        **grant_data(agent, world),
        "document": f.pdf_upload(),
        **changes,
    }


def test_only_clerks_reach_the_register_of_mandates(client, world, agent):
    mandate = f.mandate(world.enterprise, world.service, user=agent, by=world.investor)
    revoke = reverse("review:mandate_revoke", args=[mandate.public_id])
    for who in (world.investor, agent, world.supervisor, world.reviewers["market"]):
        client.force_login(who)
        assert client.get(REGISTER).status_code == 403
        assert client.get(NEW_PAPER).status_code == 403
        assert client.post(NEW_PAPER, paper_data(agent, world)).status_code == 403
        assert client.post(revoke, {"reason": "x"}).status_code == 403
    assert m.Mandate.objects.count() == 1
    mandate.refresh_from_db()
    assert mandate.revoked_at is None
    assert not m.AuditEntry.objects.exists()


def test_a_clerk_registers_a_paper_mandate_with_its_scan(client, world, agent):
    client.force_login(world.clerk)
    response = client.post(NEW_PAPER, paper_data(agent, world))
    assert response.status_code == 302
    mandate = m.Mandate.objects.get()
    assert mandate.origin == m.MandateOrigin.PAPER
    assert mandate.registered_by == world.clerk
    assert mandate.document.read().startswith(b"%PDF")
    assert m.AuditEntry.objects.filter(
        action=m.AuditAction.MANDATE_REGISTERED, actor=world.clerk
    ).exists()
    page = client.get(response.url).content.decode()
    assert world.enterprise.uscc in page
    assert "paper mandate registered at the window" in page
    scan = reverse("review:mandate_scan", args=[mandate.public_id])
    assert f'href="{scan}"' in page
    download = client.get(scan)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(world.investor)
    assert client.get(scan).status_code == 403


def test_a_refused_paper_mandate_keeps_what_was_typed(client, world, agent, tmp_path):
    client.force_login(world.clerk)
    data = paper_data(agent, world, document="")
    response = client.post(NEW_PAPER, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Attach the scan of the signed mandate." in page
    assert f'value="{world.enterprise.uscc}"' in page
    assert f'value="{agent.identity.document_number}"' in page
    assert 'href="#id_document"' in page
    bad = f.SimpleUploadedFile("scan.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post(NEW_PAPER, paper_data(agent, world, document=bad))
    assert response.status_code == 400
    assert "Only PDF, JPEG or PNG" in response.content.decode()
    assert not m.Mandate.objects.exists()
    assert not m.AuditEntry.objects.exists()


def test_the_register_is_searched_by_credit_code_and_a_clerk_revokes(client, world, agent):
    other = f.EnterpriseFactory()
    mine = f.mandate(world.enterprise, world.service, user=agent, by=world.investor)
    f.mandate(other, world.service, user=agent, by=world.investor)
    client.force_login(world.clerk)
    page = client.get(REGISTER, {"uscc": world.enterprise.uscc.lower()}).content.decode()
    assert world.enterprise.uscc in page
    assert other.uscc not in page
    revoke = reverse("review:mandate_revoke", args=[mine.public_id])
    response = client.post(revoke, {"reason": "企业书面申请 / written request"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_by == world.clerk
    assert mine.revocation_reason == "企业书面申请 / written request"
    assert client.get(revoke).status_code == 405


def test_my_enterprises_is_paginated(client, world, settings):
    settings.PAGE_SIZE = 2
    codes = sorted([world.enterprise.uscc, *(f.EnterpriseFactory().uscc for _ in range(2))])
    client.force_login(world.investor)
    first = client.get(ENTERPRISES).content.decode()
    assert codes[0] in first and codes[1] in first and codes[2] not in first
    assert 'rel="next"' in first
    second = client.get(ENTERPRISES, {"page": 2}).content.decode()
    assert codes[2] in second and codes[0] not in second


# --- cost in queries --------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more(world, agent, size):
    for _ in range(size):
        enterprise = f.EnterpriseFactory()
        agency = m.Agency.objects.create(uscc=f.new_uscc(), name_zh="代办")
        agency.members.add(agent)
        f.mandate(enterprise, world.service, user=agent, by=world.investor)
        f.mandate(enterprise, world.service, agency=agency, by=world.investor)


# Session, user, the viewer's identity (a clerk: their roles instead, approvals.roles),
# the count and the page, the services of the page's mandates (held: one query; the
# enterprises page: the mandates, with their grantees, and their services), the
# roles for the navigation (a clerk: the same read, 8 before with two permission reads).
EXPECTED = {"enterprises": 8, "held": 7, "register": 6}


@pytest.mark.parametrize("size", [1, 4])
def test_the_mandate_lists_cost_the_same_at_any_length(client, world, agent, size):
    _more(world, agent, size)
    client.force_login(world.investor)
    assert _count(client, ENTERPRISES) == EXPECTED["enterprises"]
    client.force_login(agent)
    assert _count(client, HELD) == EXPECTED["held"]
    client.force_login(world.clerk)
    assert _count(client, REGISTER) == EXPECTED["register"]

"""One draft per investor, service and enterprise, however the code is typed, and
one draft per idempotency key, whichever of two racing requests wins."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals import services
from approvals.identifiers import normalize_uscc
from approvals.services import drafts
from tests import factories as f
from tests import journey


def typings(code: str) -> list[str]:
    """The ways people write one code: lower case, in spaced or dashed groups, full-width."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    groups = [code[i : i + 6] for i in range(0, 18, 6)]
    return [
        code.lower(),
        " ".join(groups),
        "-".join(groups).lower(),
        full_width,
        "　".join(groups),  # an ideographic space
        "—".join(groups),
    ]


def test_every_way_of_typing_a_code_normalises_to_it():
    code = f.new_uscc()
    assert {normalize_uscc(t) for t in typings(code)} == {code}


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
def test_the_page_sends_the_investor_to_the_open_draft_whatever_the_typing(client, world):
    client.force_login(world.investor)
    apply_url = reverse("portal:apply", args=[world.service.code])
    first = client.post(
        apply_url, {"uscc": world.enterprise.uscc, "filed_as": "investor", "idempotency_key": "a"}
    )
    draft = m.Application.objects.get()
    assert first.status_code == 302
    for i, typed in enumerate(typings(world.enterprise.uscc)):
        # Each is a new form (a new key), as when the investor starts again.
        response = client.post(
            apply_url,
            {"uscc": typed, "filed_as": "investor", "idempotency_key": f"k{i}"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse(
            "portal:application", args=[draft.public_id]
        )
        messages = [str(message) for message in response.context["messages"]]
        assert any(f"You already have draft {draft.reference}" in m_ for m_ in messages), messages
    assert m.Application.objects.count() == 1


@pytest.mark.django_db
def test_a_submitted_application_does_not_stop_a_new_draft(world):
    journey.submitted(world)
    opened = services.application_open(
        applicant=world.investor, service=world.service, uscc=world.enterprise.uscc.lower()
    )
    assert opened.created and not opened.open_draft
    assert m.Application.objects.count() == 2


@pytest.mark.django_db
def test_another_investors_draft_is_not_given_to_you(world):
    # An agent under the enterprise's mandate opened one; the legal representative gets their own.
    f.mandate(world.enterprise, world.service, user=world.other_investor, by=world.investor)
    theirs = journey.draft(world, applicant=world.other_investor)
    opened = services.application_open(
        applicant=world.investor, service=world.service, uscc=world.enterprise.uscc
    )
    assert opened.created and opened.application != theirs


@pytest.mark.django_db
def test_the_api_answers_200_with_the_open_draft_for_another_typing_and_key(world):
    api = api_for(world.investor)
    code = world.enterprise.uscc
    created = api.post(
        "/api/applications/",
        {"service": world.service.code, "uscc": code},
        HTTP_IDEMPOTENCY_KEY="one",
    )
    assert created.status_code == 201, created.content
    for i, typed in enumerate(typings(code)):
        again = api.post(
            "/api/applications/",
            {"service": world.service.code, "uscc": typed},
            HTTP_IDEMPOTENCY_KEY=f"other-{i}",
        )
        assert again.status_code == 200, again.content
        assert again.json()["id"] == created.json()["id"]
    assert m.Application.objects.count() == 1


class _RacedManager:
    """Application.objects as a racing request sees it: its first look for the
    key finds nothing (the other request has not committed yet), then the
    insert meets the other's row."""

    def __init__(self):
        self.hidden = True

    def filter(self, *args, **kwargs):
        rows = m.Application.objects.filter(*args, **kwargs)
        if self.hidden and "idempotency_key" in kwargs:
            self.hidden = False
            return rows.none()
        return rows

    def __getattr__(self, name):
        return getattr(m.Application.objects, name)


class _RacedApplication:
    def __init__(self):
        self.objects = _RacedManager()


@pytest.mark.django_db
def test_the_conflict_path_returns_the_winners_draft_as_a_replay(world, monkeypatch):
    won = services.application_create(
        applicant=world.investor,
        service=world.service,
        uscc=world.enterprise.uscc,
        idempotency_key="k",
    )
    monkeypatch.setattr(drafts, "Application", _RacedApplication())
    opened = services.application_open(
        applicant=world.investor,
        service=world.service,
        uscc=world.enterprise.uscc,
        idempotency_key="k",
        reuse_open_draft=False,
    )
    assert (opened.application.pk, opened.created) == (won.pk, False)


@pytest.mark.django_db
def test_the_conflict_path_refuses_a_key_that_opened_another_enterprises_draft(world, monkeypatch):
    other = f.EnterpriseFactory()
    won = services.application_create(
        applicant=world.investor,
        service=world.service,
        uscc=world.enterprise.uscc,
        idempotency_key="k",
    )
    monkeypatch.setattr(drafts, "Application", _RacedApplication())
    with pytest.raises(ValidationError, match=f"This key already opened {won.reference}"):
        services.application_open(
            applicant=world.investor, service=world.service, uscc=other.uscc, idempotency_key="k"
        )
    assert m.Application.objects.count() == 1


# --- the race itself, on PostgreSQL ----------------------------------------------

THREADS = 20


def _at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # reported to the test below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a create hung"
    return results


def _create(token: str, body: dict, key: str):
    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post("/api/applications/", body, HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.json()

    return call


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_creates_with_one_key_make_one_draft_and_one_201(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "10000/min"}
    token = Token.objects.create(user=world.investor).key
    body = {"service": world.service.code, "uscc": world.enterprise.uscc}
    results = _at_once([_create(token, body, "same-key") for _ in range(THREADS)])
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] * (THREADS - 1) + [201], statuses
    assert len({body["id"] for _status, body in results}) == 1
    assert m.Application.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_for_two_enterprises_at_once_never_answers_with_the_other(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "10000/min"}
    other = f.EnterpriseFactory()
    token = Token.objects.create(user=world.investor).key
    codes = [world.enterprise.uscc, other.uscc] * (THREADS // 2)
    calls = [
        _create(token, {"service": world.service.code, "uscc": code}, "shared-key")
        for code in codes
    ]
    results = _at_once(calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    application = m.Application.objects.get()
    for code, (status, body) in zip(codes, results, strict=True):
        if code == application.uscc:
            assert status in (200, 201), body
            assert body["id"] == str(application.public_id)
        else:
            assert status == 400, body
            assert "idempotency_key" in body["fields"], body
    assert sum(1 for status, _body in results if status == 201) == 1

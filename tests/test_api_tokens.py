"""API tokens expire after API_TOKEN_TTL_HOURS and their owner can revoke them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.test_security import manage

PASSWORD = "the-right-password-1"
URL = "/api/auth/token/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def investor(world):
    world.investor.set_password(PASSWORD)
    world.investor.save()
    return world.investor


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _age(token: Token, hours: float) -> None:
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=hours))


def test_a_token_says_when_it_expires(investor, settings):
    settings.API_TOKEN_TTL_HOURS = 24
    before = timezone.now()
    body = APIClient().post(URL, {"username": "investor", "password": PASSWORD}).json()
    expires = parse_datetime(body["expires_at"])
    assert timedelta(hours=24) <= expires - before < timedelta(hours=24, minutes=1)
    assert _with(body["token"]).get("/api/applications/").status_code == 200


def test_a_token_older_than_the_ttl_no_longer_authenticates(investor, settings):
    settings.API_TOKEN_TTL_HOURS = 24
    token = Token.objects.create(user=investor)
    _age(token, 23.9)
    assert _with(token.key).get("/api/applications/").status_code == 200
    _age(token, 24.1)
    refused = _with(token.key).get("/api/applications/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert "expired" in refused.json()["message"]


def test_asking_again_after_expiry_gives_a_new_token_even_with_the_old_one_sent(investor, settings):
    settings.API_TOKEN_TTL_HOURS = 24
    old = Token.objects.create(user=investor)
    _age(old, 25)
    # A client that still sends its expired token along is not stopped by it.
    response = _with(old.key).post(URL, {"username": "investor", "password": PASSWORD})
    assert response.status_code == 200, response.content
    new = response.json()["token"]
    assert new != old.key
    assert list(Token.objects.filter(user=investor).values_list("key", flat=True)) == [new]
    assert _with(new).get("/api/applications/").status_code == 200


def test_asking_again_before_expiry_gives_the_same_token(investor):
    first = APIClient().post(URL, {"username": "investor", "password": PASSWORD}).json()
    again = APIClient().post(URL, {"username": "investor", "password": PASSWORD}).json()
    assert again["token"] == first["token"]


def test_the_owner_revokes_a_token_and_it_stops_working_at_once(investor, world):
    token = Token.objects.create(user=investor).key
    other = Token.objects.create(user=world.other_investor).key
    assert _with(token).delete(URL).status_code == 204
    assert not Token.objects.filter(user=investor).exists()
    assert _with(token).get("/api/applications/").status_code == 401
    # Someone else's token is untouched.
    assert _with(other).get("/api/applications/").status_code == 200


def test_a_logged_in_browser_revokes_its_users_token_with_csrf(investor):
    Token.objects.create(user=investor)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(investor)
    refused = browser.delete(URL)
    assert refused.status_code == 403  # no CSRF token: a page elsewhere cannot revoke it
    assert Token.objects.filter(user=investor).exists()


def test_revoking_needs_someone_to_be_logged_in():
    response = APIClient().delete(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_lifetime_that_makes_no_sense_stops_start_up_with_a_message():
    for hours in ("0", "-1", "nan"):
        refused = manage("check", API_TOKEN_TTL_HOURS=hours)
        assert refused.returncode != 0
        assert "API_TOKEN_TTL_HOURS must be more than 0" in refused.stderr, hours

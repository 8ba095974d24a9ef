"""One client address for every limit and the audit trail (approvals.clientaddr).

With TRUSTED_PROXY_COUNT=0 a client that writes a new X-Forwarded-For on every
request is still one client: throttled, locked out and rate-limited at the
limit, and recorded by its connection's address. With N proxies the N-th entry
from the right is the client, whatever the client wrote left of it; and since
the lockout is per username *and* address, a user guessed at from elsewhere
still gets in (E18).
"""

from __future__ import annotations

import itertools

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from approvals import models as m
from approvals.clientaddr import client_address, counted_address
from approvals.models import AuditAction as A
from tests import journey

PASSWORD = "the-right-password-1"
PROXY = "10.0.0.2"
_spoofs = (f"203.0.113.{i}" for i in itertools.count(1))


def spoofed() -> str:
    """A new, made-up X-Forwarded-For for each request."""
    return next(_spoofs)


def _meta(forwarded: str | None, remote: str = PROXY) -> dict:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return meta


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.9", PROXY),
        (0, None, PROXY),
        (1, "198.51.100.9", "198.51.100.9"),
        # What the client wrote itself stands left of what the proxy appended.
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),
        (2, "6.6.6.6, 198.51.100.9, 10.0.0.1", "198.51.100.9"),
        # Fewer entries than proxies: it did not come through them all.
        (2, "198.51.100.9", PROXY),
        (1, None, PROXY),
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_each_trusted_proxy_vouches_for(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", **_meta(forwarded))
    assert client_address(request) == expected


# --- TRUSTED_PROXY_COUNT=0: X-Forwarded-For is not believed -------------------------


@pytest.mark.django_db
def test_the_token_endpoint_throttles_one_address_whatever_it_forwards(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "10/minute"}
    api = APIClient()
    # A different username each time, so the lockout does not answer first.
    statuses = [
        api.post(
            reverse("api:token"),
            {"username": f"nobody{i}", "password": "x"},
            HTTP_X_FORWARDED_FOR=spoofed(),
        ).status_code
        for i in range(11)
    ]
    assert statuses == [400] * 10 + [429]


@pytest.mark.django_db
def test_the_api_verification_is_throttled_whatever_the_client_forwards(world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "5/minute"}
    api = APIClient()
    url = reverse("api:permit-verify", args=["A" * 40 + "." + "A" * 86])
    statuses = [api.get(url, HTTP_X_FORWARDED_FOR=spoofed()).status_code for _ in range(6)]
    assert 429 not in statuses[:5]
    assert statuses[5] == 429


@pytest.mark.django_db
def test_the_verification_page_is_limited_whatever_the_client_forwards(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.VERIFY_RATE_LIMIT = "3/m"
    url = reverse("verification:verify")
    statuses = [client.get(url, HTTP_X_FORWARDED_FOR=spoofed()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_the_login_lockout_holds_whatever_the_client_forwards(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 3
    world.investor.set_password(PASSWORD)
    world.investor.save()
    url = reverse("login")
    for _ in range(3):
        client.post(
            url, {"username": "investor", "password": "wrong"}, HTTP_X_FORWARDED_FOR=spoofed()
        )
    locked = client.post(
        url, {"username": "investor", "password": PASSWORD}, HTTP_X_FORWARDED_FOR=spoofed()
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_audit_trail_records_the_connection_not_the_header(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    app = journey.complete(world, journey.draft(world))
    client.force_login(world.investor)
    client.post(
        reverse("portal:submit", args=[app.public_id]),
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert m.AuditEntry.objects.get(application=app, action=A.SUBMITTED).address == "203.0.113.7"


# --- TRUSTED_PROXY_COUNT=1: one proxy in front, its entry is the client ----------------


@pytest.mark.django_db
def test_behind_a_proxy_each_client_is_throttled_on_its_own(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "3/minute"}
    api = APIClient()

    def attempt(chain: str) -> int:
        return api.post(
            reverse("api:token"),
            {"username": "nobody", "password": "x"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=chain,
        ).status_code

    # The attacker writes a new left-hand entry each time; the proxy's stays the same.
    assert [attempt(f"{spoofed()}, 198.51.100.66") for _ in range(4)] == [400, 400, 400, 429]
    # Another client behind the same proxy is not held back by the attacker.
    assert attempt("198.51.100.20") == 400


@pytest.mark.django_db
def test_behind_a_proxy_the_audit_trail_records_the_client(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    app = journey.complete(world, journey.draft(world))
    client.force_login(world.investor)
    client.post(
        reverse("portal:submit", args=[app.public_id]),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9",
    )
    assert m.AuditEntry.objects.get(application=app, action=A.SUBMITTED).address == "198.51.100.9"


@pytest.mark.django_db
def test_behind_a_proxy_guessing_does_not_lock_the_real_user_out(client, world, settings):
    """E18: five wrong passwords from one address lock that address out for that user, not
    the user: the real user behind the same proxy, from another address, still logs in."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "100/minute"}
    world.investor.set_password(PASSWORD)
    world.investor.save()
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    user = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    login = reverse("login")
    for _ in range(5):
        client.post(login, {"username": "investor", "password": "wrong"}, **attacker)
    attacker_login = client.post(login, {"username": "investor", "password": PASSWORD}, **attacker)
    assert attacker_login.status_code == 429
    assert client.post(login, {"username": "investor", "password": PASSWORD}, **user)[
        "Location"
    ] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.investor.pk)

    api = APIClient()
    token = reverse("api:token")
    refused = api.post(token, {"username": "investor", "password": PASSWORD}, **attacker)
    assert refused.status_code == 429 and refused.json()["code"] == "locked_out"
    granted = api.post(token, {"username": "investor", "password": PASSWORD}, **user)
    assert granted.status_code == 200 and granted.json()["token"]


@pytest.mark.django_db
def test_the_verification_page_counts_an_ipv6_client_by_its_slash_64(client, settings):
    """One subscriber holds a whole /64: a new address in it is not a new client."""
    settings.VERIFY_RATE_LIMIT = "2/m"
    url = reverse("verification:verify")
    statuses = [
        client.get(url, REMOTE_ADDR=f"2001:db8:1:2::{i:x}").status_code for i in range(1, 4)
    ]
    assert statuses == [200, 200, 429]
    assert client.get(url, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200  # another /64


@pytest.mark.parametrize(
    ("remote", "expected"),
    [("198.51.100.9", "198.51.100.9"), ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")],
)
def test_limits_count_an_ipv6_client_by_its_slash_64(settings, remote, expected):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    assert counted_address(request) == expected
    assert client_address(request) == remote  # the audit trail keeps the exact address


@pytest.mark.django_db
def test_a_new_ipv6_address_in_the_same_slash_64_is_still_locked_out(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    world.investor.set_password(PASSWORD)
    world.investor.save()
    url = reverse("login")
    for i in range(1, 4):
        client.post(
            url, {"username": "investor", "password": "wrong"}, REMOTE_ADDR=f"2001:db8:1:2::{i}"
        )
    again = {"username": "investor", "password": PASSWORD}
    assert client.post(url, again, REMOTE_ADDR="2001:db8:1:2::99").status_code == 429
    assert client.post(url, again, REMOTE_ADDR="2001:db8:1:3::1")["Location"] == reverse("home")

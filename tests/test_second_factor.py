"""Officials sign in with a second factor (TOTP, django-otp) when OFFICIAL_SECOND_FACTOR
is on: enrolment at the first login, the code after the password, every official page
and the official API closed until then, investors never asked, the API token endpoint."""

from __future__ import annotations

import re
from base64 import b32decode, b64decode
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlencode

import pytest
import time_machine
import zxingcpp
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals.secondfactor import rules
from tests import factories as f
from tests import journey
from tests.test_review import submitted_without_deferral, window_url

PASSWORD = "pw-for-tests-only"  # tests.factories.UserFactory's
WINDOW = "/office/window/"
CODE_PAGE = "/login/code/"
ENROL_PAGE = "/login/code/enrol/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def on(settings):
    settings.OFFICIAL_SECOND_FACTOR = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 1


@pytest.fixture
def admin(world):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    # A code that is none of the three the device accepts now (previous, current, next).
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    accepted = {f"{totp.token():06d}"}
    for offset in (-1, 1):
        totp.drift = device.drift + offset
        accepted.add(f"{totp.token():06d}")
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def log_in(client, user, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, follow=True)


def path_of(response) -> str:
    return response.redirect_chain[-1][0].split("?")[0] if response.redirect_chain else ""


def code_step(next_url: str) -> str:
    return f"{CODE_PAGE}?{urlencode({'next': next_url})}"


# --- who is asked -----------------------------------------------------------


def test_officials_and_admins_need_a_second_factor_investors_and_the_public_do_not(world, admin):
    staff = f.UserFactory(username="staff", is_staff=True)
    for official in (world.clerk, world.supervisor, world.reviewers["tax"], admin, staff):
        assert rules.needs_second_factor(official), official.username
    for other in (world.investor, AnonymousUser(), None):
        assert not rules.needs_second_factor(other)


def test_with_the_setting_off_nobody_is_asked(client, world, settings):
    settings.OFFICIAL_SECOND_FACTOR = False
    response = log_in(client, world.clerk, WINDOW)
    assert path_of(response) == WINDOW
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()
    assert not rules.required_for(world.clerk)


# --- enrolment at the first login ---------------------------------------------------


def test_a_clerk_without_a_device_is_sent_to_enrol_after_the_password(client, world, on):
    response = log_in(client, world.clerk, WINDOW)
    assert path_of(response) == ENROL_PAGE
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=world.clerk)
    assert not device.confirmed
    # The QR code is a PNG in the page, and the key is there to type by hand.
    assert 'src="data:image/png;base64,' in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    # The QR code an app scans is the device's own otpauth:// address.
    png = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    scanned = [c.text for c in zxingcpp.read_barcodes(Image.open(BytesIO(b64decode(png))))]
    assert scanned == [device.config_url]
    assert f"secret={secret.replace(' ', '')}" in scanned[0]
    assert scanned[0].startswith("otpauth://totp/Hainan%20single%20window%3Aclerk?")
    assert 'name="otp_token"' in page
    assert 'autocomplete="one-time-code"' in page
    # Reloading shows the same key: an app that scanned it still works.
    again = client.get(response.redirect_chain[-1][0])
    assert secret in again.content.decode()
    assert TOTPDevice.objects.filter(user=world.clerk).count() == 1


def test_enrolling_with_the_apps_code_opens_the_window(client, world, on):
    log_in(client, world.clerk, WINDOW)
    device = TOTPDevice.objects.get(user=world.clerk)
    response = client.post(ENROL_PAGE, {"otp_token": code_of(device), "next": WINDOW})
    assert response.status_code == 302
    assert response["Location"] == WINDOW
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(WINDOW).status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_wrong_code_at_enrolment_is_refused_with_a_message_and_nothing_is_verified(
    client, world, on
):
    log_in(client, world.clerk, WINDOW)
    device = TOTPDevice.objects.get(user=world.clerk)
    response = client.post(ENROL_PAGE, {"otp_token": wrong_code_for(device), "next": WINDOW})
    assert response.status_code == 400
    assert "That code is not right, or no longer current" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1
    assert "otp_device_id" not in client.session
    assert client.get(WINDOW)["Location"] == code_step(WINDOW)


def test_an_official_with_a_device_types_the_code_and_cannot_enrol_another(client, world, on):
    device = enrolled(world.clerk)
    response = log_in(client, world.clerk, WINDOW)
    assert path_of(response) == CODE_PAGE
    assert "Type your code" in response.content.decode()
    # Holding only the password is not enough to add a device of one's own.
    assert client.get(ENROL_PAGE)["Location"].startswith(CODE_PAGE)
    response = client.post(ENROL_PAGE, {"otp_token": "123456"})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=world.clerk)) == [device]
    response = client.post(CODE_PAGE, {"otp_token": code_of(device), "next": WINDOW})
    assert response["Location"] == WINDOW
    assert client.get(WINDOW).status_code == 200


def test_a_code_that_is_not_six_digits_is_refused_beside_the_field(client, world, on):
    device = enrolled(world.clerk)
    log_in(client, world.clerk)
    for typed in ("", "12345", "abcdef", "１２３４５６"):
        response = client.post(CODE_PAGE, {"otp_token": typed})
        assert response.status_code == 400, typed
        assert 'href="#id_otp_token"' in response.content.decode()  # the summary links the field
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # never reached the device
    # Spaces and dashes that apps print inside a code are fine.
    code = code_of(device)
    response = client.post(CODE_PAGE, {"otp_token": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_wrong_codes_are_throttled_and_the_wait_doubles(client, world, on):
    """django-otp's throttling: after n wrong codes in a row the next try is refused
    for 2^(n-1) seconds, even with the right code; the right code afterwards resets it."""
    device = enrolled(world.clerk)
    log_in(client, world.clerk)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert client.post(CODE_PAGE, {"otp_token": wrong_code_for(device)}).status_code == 400
        refused = client.post(CODE_PAGE, {"otp_token": code_of(device)})
        assert "Too many wrong codes in a row: wait 1 second," in refused.content.decode()
        assert "otp_device_id" not in client.session
        clock.shift(timedelta(seconds=1))
        assert client.post(CODE_PAGE, {"otp_token": wrong_code_for(device)}).status_code == 400
        refused = client.post(CODE_PAGE, {"otp_token": code_of(device)})
        assert "wait 2 seconds," in refused.content.decode()
        device.refresh_from_db()
        assert device.throttling_failure_count == 2  # a refused try is not counted again
        clock.shift(timedelta(seconds=2))
        accepted = client.post(CODE_PAGE, {"otp_token": code_of(device)})
    assert accepted.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_is_accepted_once(client, world, on):
    device = enrolled(world.clerk)
    with time_machine.travel(timezone.now(), tick=False):
        log_in(client, world.clerk)
        code = code_of(device)
        assert client.post(CODE_PAGE, {"otp_token": code}).status_code == 302
        other = type(client)()
        log_in(other, world.clerk)
        replayed = other.post(CODE_PAGE, {"otp_token": code})
    assert replayed.status_code == 400
    assert "otp_device_id" not in other.session


# --- what stays closed until the code ---------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("clerk", WINDOW),
        ("rev-tax", "/office/reviews/"),
        ("supervisor", "/reports/"),
        ("supervisor", "/office/overdue/"),
        ("supervisor", "/office/audit/"),
        ("root", "/admin/"),
        ("root", "/admin/auth/user/"),
        ("clerk", "/services/"),
        ("clerk", "/"),
    ],
)
def test_every_page_is_closed_to_an_official_until_the_code(client, world, admin, on, who, url):
    user = get_user_model().objects.get(username=who)
    enrolled(user)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == code_step(url)


def test_a_refused_official_post_writes_nothing(client, world, on):
    app = submitted_without_deferral(world)
    enrolled(world.clerk)
    client.force_login(world.clerk)
    response = client.post(window_url(app), {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"].startswith(CODE_PAGE)
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert not app.reviews.exists()


def test_the_api_with_the_session_is_refused_until_the_code_and_reveals_nothing(client, world, on):
    app = journey.submitted(world)
    enrolled(world.clerk)
    client.force_login(world.clerk)
    for url in ("/api/window/", f"/api/window/{app.public_id}/", "/api/services/"):
        response = client.get(url)
        assert response.status_code == 403, url
        body = response.json()
        assert body["code"] == "second_factor_required"
        assert "authenticator app" in body["message"]
        assert str(app.public_id) not in response.content.decode()
    api = APIClient(enforce_csrf_checks=False)
    api.force_login(world.clerk)
    refused = api.post(f"/api/window/{app.public_id}/accept/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_required"
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert not app.reviews.exists()


def test_the_admin_site_itself_asks_for_the_code(rf, admin, on):
    # Behind the middleware, the admin's own check (as django-otp's OTPAdminSite does).
    request = rf.get("/admin/")
    request.user = admin
    admin.is_verified = lambda: False
    assert not django_admin.site.has_permission(request)
    admin.is_verified = lambda: True
    assert django_admin.site.has_permission(request)


def test_the_admins_own_login_page_leads_to_the_code_step_too(client, admin, on):
    enrolled(admin)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    assert path_of(response) == CODE_PAGE
    assert client.get("/admin/")["Location"] == code_step("/admin/")


def test_after_the_code_the_admin_lists_devices_to_reset_without_their_keys(client, admin, on):
    clerk_device = enrolled(f.UserFactory(username="clerk2"))
    device = enrolled(admin)
    log_in(client, admin)
    client.post(CODE_PAGE, {"otp_token": code_of(device)})
    page = client.get("/admin/otp_totp/totpdevice/")
    assert page.status_code == 200
    assert "clerk2" in page.content.decode()
    change = client.get(f"/admin/otp_totp/totpdevice/{clerk_device.pk}/change/").content.decode()
    assert clerk_device.key not in change
    # Resetting is deleting the device: its owner enrols again at the next login.
    deleted = client.post(f"/admin/otp_totp/totpdevice/{clerk_device.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(pk=clerk_device.pk).exists()


def test_a_reset_device_ends_the_verified_session_and_the_official_enrols_again(client, world, on):
    device = enrolled(world.clerk)
    log_in(client, world.clerk)
    client.post(CODE_PAGE, {"otp_token": code_of(device)})
    assert client.get(WINDOW).status_code == 200
    device.delete()  # what the admin's reset does
    response = client.get(WINDOW, follow=True)
    assert path_of(response) == ENROL_PAGE


def test_an_investor_is_never_asked(client, world, on):
    response = log_in(client, world.investor, "/applications/")
    assert path_of(response) == "/applications/"
    assert response.status_code == 200
    assert client.get("/services/").status_code == 200
    assert not TOTPDevice.objects.exists()


def test_the_public_is_never_asked(client, world, on):
    assert client.get("/services/").status_code == 200
    assert client.get("/verify/").status_code == 200


def test_logging_out_ends_the_second_factor_too(client, world, on):
    device = enrolled(world.clerk)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        log_in(client, world.clerk)
        client.post(CODE_PAGE, {"otp_token": code_of(device)})
        assert client.get(WINDOW).status_code == 200
        client.post(reverse("logout"))
        clock.shift(timedelta(seconds=device.step))
        response = log_in(client, world.clerk, WINDOW)
        assert path_of(response) == CODE_PAGE
        assert client.get(WINDOW).status_code == 302


def test_the_code_pages_keep_only_local_next_addresses(client, world, on):
    device = enrolled(world.clerk)
    log_in(client, world.clerk)
    response = client.post(
        CODE_PAGE, {"otp_token": code_of(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_the_code_pages_are_in_chinese_too(client, world, on):
    enrolled(world.clerk)
    client.force_login(world.clerk)
    page = client.get(CODE_PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "输入验证码" in page
    assert "6 位验证码" in page


# --- the API token ---------------------------------------------------------------------

TOKEN_URL = "/api/auth/token/"


def _ask(user, **extra):
    return APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra})


def test_an_official_gets_no_token_without_a_code(world, on):
    enrolled(world.clerk)
    response = _ask(world.clerk)
    assert response.status_code == 400
    body = response.json()
    assert "otp_token" in body["fields"]
    assert "authenticator app" in body["fields"]["otp_token"][0]
    assert "token" not in body
    assert not Token.objects.exists()


def test_an_official_gets_no_token_with_a_wrong_code_and_is_throttled(world, on):
    device = enrolled(world.clerk)
    with time_machine.travel(timezone.now(), tick=False):
        wrong = _ask(world.clerk, otp_token=wrong_code_for(device))
        assert wrong.status_code == 400
        assert "not right" in wrong.json()["fields"]["otp_token"][0]
        throttled = _ask(world.clerk, otp_token=code_of(device))
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert throttled.json()["retry_after"] == 1
    assert throttled["Retry-After"] == "1"
    assert "Too many wrong codes" in throttled.json()["message"]
    assert not Token.objects.exists()


def test_an_official_without_a_device_is_told_to_set_one_up_on_the_website(world, on):
    response = _ask(world.clerk, otp_token="123456")
    assert response.status_code == 400
    assert "log in on the website once" in response.json()["fields"]["otp_token"][0]
    assert not Token.objects.exists()
    assert not TOTPDevice.objects.exists()


def test_an_official_with_the_current_code_gets_a_token_that_works(world, on):
    device = enrolled(world.clerk)
    response = _ask(world.clerk, otp_token=code_of(device))
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/window/").status_code == 200


def test_the_code_is_not_asked_of_investors_nor_with_the_setting_off(world, settings, on):
    assert _ask(world.investor).status_code == 200
    settings.OFFICIAL_SECOND_FACTOR = False
    assert _ask(world.clerk).status_code == 200


# --- what it costs ------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_what_the_second_factor_costs_a_page_in_queries(client, world, settings):
    """With the setting on, a verified clerk's page: the session's device (django-otp's
    middleware), 1 more; the role check is asked afresh on every request, so that a
    role given mid-session is asked for the code at once, but it is the one read of
    the user's roles the page makes anyway (approvals.roles). An investor's: none more
    (2 and 3 before, when the check read groups and permissions on its own). With the
    setting off: none (the rest of the suite's query counts)."""
    device = enrolled(world.clerk)
    client.force_login(world.clerk)
    off = _queries(client, WINDOW)
    settings.OFFICIAL_SECOND_FACTOR = True
    client.post(CODE_PAGE, {"otp_token": code_of(device)})
    assert _queries(client, WINDOW) - off == 1
    investor = type(client)()
    investor.force_login(world.investor)
    settings.OFFICIAL_SECOND_FACTOR = False
    off = _queries(investor, "/applications/")
    settings.OFFICIAL_SECOND_FACTOR = True
    assert _queries(investor, "/applications/") - off == 0

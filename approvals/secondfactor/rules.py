"""Who needs a second factor, enrolling a TOTP device, and checking its codes.

One definition of "needs a second factor", built on approvals.roles (the
officials) plus the admins (staff and superusers): no second list of roles.

Codes are checked by django-otp's TOTPDevice: a code is accepted once (a
replayed code is refused), one 30-second step either side of now is allowed
for clocks that drift, and wrong codes are throttled per device: after n wrong
codes in a row the next try is refused for 2^(n-1) x OTP_TOTP_THROTTLE_FACTOR
seconds (1, 2, 4, 8 ... s by default), and a right code resets the count.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals import clock
from approvals.roles import is_official

DEVICE_NAME = "authenticator"


class SecondFactorRefused(Exception):
    """A code was not accepted. ``message`` says what to do; ``code`` is one of
    missing, no_device, already_enrolled, wrong, throttled; ``wait`` is the
    seconds before another code is read, when throttled."""

    def __init__(self, message: str, *, code: str, wait: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.wait = wait


# --- who ---------------------------------------------------------------------


def is_switched_on() -> bool:
    # Read at each call, not at import: a deployment sets it in the environment,
    # and a test switches it with the settings fixture.
    return bool(settings.OFFICIAL_SECOND_FACTOR)


def needs_second_factor(user) -> bool:
    """Window clerks, department reviewers, supervisors and admins (staff, superusers)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return is_official(user)


def required_for(user) -> bool:
    """Must this user type a code (on the pages and for an API token)?"""
    return is_switched_on() and needs_second_factor(user)


def is_pending(request) -> bool:
    """Logged in with the password, and still owing the code."""
    user = getattr(request, "user", None)
    if not required_for(user):
        return False
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    return not (is_verified and is_verified())


# --- devices -----------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user) -> TOTPDevice:
    """The device an official is setting up: the same one on every visit until it
    is confirmed, so reloading the page does not change a secret already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, as authenticator apps take it, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a PNG QR code, for an <img> (CSP allows data: images)."""
    return segno.make(device.config_url, error="m", micro=False).png_data_uri(scale=5, border=2)


# --- codes -------------------------------------------------------------------


def normalize_code(raw: str | None) -> str:
    """What was typed, without the spaces and dashes apps print inside a code."""
    return re.sub(r"[\s-]", "", raw or "")


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes in a row: wait %(seconds)d second, then type the code "
        "your app shows then.",
        "Too many wrong codes in a row: wait %(seconds)d seconds, then type the code "
        "your app shows then.",
        seconds,
    ) % {"seconds": seconds}


def _wrong_message() -> str:
    return _(
        "That code is not right, or no longer current. Type the 6-digit code your "
        "authenticator app shows now."
    )


def _attempt(devices, raw_code: str, *, confirm: bool = False):
    """Check a code against the first of ``devices``, locked for the check, so two
    tries at once are counted one after the other; inside the caller's transaction.
    ``confirm`` marks an enrolment's device confirmed and removes the user's other
    unconfirmed ones. Returns (device, None) or (None, SecondFactorRefused): the
    caller raises it after its transaction, so a wrong code's count is kept."""
    code = normalize_code(raw_code)
    device = devices.select_for_update().order_by("pk").first()
    if device is None:
        return None, SecondFactorRefused(
            _("There is no authenticator app to check this code against."), code="no_device"
        )
    allowed, why = device.verify_is_allowed()
    if not allowed:
        wait = max(1, math.ceil((why["locked_until"] - clock.now()).total_seconds()))
        return None, SecondFactorRefused(_wait_message(wait), code="throttled", wait=wait)
    # int() would read "１２３４５６" or " 12": only ASCII digits reach the device, and
    # anything else is counted as a wrong code, as the device counts a wrong number.
    if not (code.isascii() and code.isdigit()):
        device.throttle_increment(commit=True)
        return None, SecondFactorRefused(_wrong_message(), code="wrong")
    if not device.verify_token(code):
        return None, SecondFactorRefused(_wrong_message(), code="wrong")
    if confirm:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    return device, None


def _checked(devices, raw_code: str) -> TOTPDevice:
    with transaction.atomic():
        device, refused = _attempt(devices, raw_code)
    if refused is not None:
        raise refused
    return device


def _verified(request, device: TOTPDevice) -> None:
    # A new session key for the session that now holds more rights.
    request.session.cycle_key()
    otp_login(request, device)


def enrol(*, request, code: str) -> TOTPDevice:
    """Confirm the official's new device with a code from it; the session is then
    verified. Only while the user has no confirmed device: anyone holding just the
    password must not be able to add a device of their own."""
    user = request.user
    with transaction.atomic():
        # The user's row, locked: two enrolments at once confirm one device, not two.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if confirmed_device(user) is not None:
            device, refused = (
                None,
                SecondFactorRefused(
                    _("An authenticator app is already set up for this account: type its code."),
                    code="already_enrolled",
                ),
            )
        else:
            device, refused = _attempt(
                TOTPDevice.objects.filter(user=user, confirmed=False), code, confirm=True
            )
    if refused is not None:
        raise refused
    _verified(request, device)
    return device


def verify(*, request, code: str) -> TOTPDevice:
    """The session's second factor: a code from the official's confirmed device."""
    device = _checked(TOTPDevice.objects.filter(user=request.user, confirmed=True), code)
    _verified(request, device)
    return device


def check_for_token(*, user, code: str | None) -> None:
    """The API's token endpoint: an official sends a current code with the password."""
    if not normalize_code(code):
        raise SecondFactorRefused(
            _(
                "Officials send a current code from their authenticator app with the "
                "password, as otp_token."
            ),
            code="missing",
        )
    if confirmed_device(user) is None:
        raise SecondFactorRefused(
            _(
                "This account has no authenticator app yet: log in on the website once to "
                "set one up, then ask for a token with its code."
            ),
            code="no_device",
        )
    _checked(TOTPDevice.objects.filter(user=user, confirmed=True), code)

"""An official's first login in a real browser with the second factor on: the
password, the enrolment page (QR code and key), the code an app would compute
from the key shown on the page, then the window; in Chinese and in English."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from approvals.roles import CLERK_GROUP
from tests import factories as f
from tests.e2e.test_journey import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def code_from_key(shown: str) -> str:
    """What an authenticator app shows for the key typed into it by hand."""
    key = b32decode(shown.replace(" ", "") + "=" * (-len(shown.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


@pytest.mark.parametrize(
    ("locale", "lang", "heading", "label", "window"),
    [
        ("zh-CN", "zh-Hans", "设置第二重验证", "6 位验证码", "/office/window/"),
        ("en-US", "en", "Set up your second factor", "6-digit code", "/office/window/"),
    ],
)
def test_a_clerk_enrols_at_the_first_login_and_reaches_the_window(
    world, open_tab, settings, locale, lang, heading, label, window
):
    settings.OFFICIAL_SECOND_FACTOR = True
    f.UserFactory(username=f"clerk-{lang}", groups=[CLERK_GROUP])
    pages = open_tab(locale=locale)
    page = log_in(pages, f"clerk-{lang}")
    assert page.url.split("?")[0].endswith("/login/code/enrol/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == heading
    assert page.locator("label[for=id_otp_token]").inner_text().startswith(label)
    qr = page.get_by_test_id("totp-qr")
    assert qr.get_attribute("alt")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    pages.shot(f"second-factor-enrol-{locale}")

    # A wrong code first: refused beside the field, still on the enrolment page.
    page.fill("#id_otp_token", "12345")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".field.has-error .errorlist").inner_text()
    assert page.get_by_test_id("error-summary").locator("a").get_attribute("href") == (
        "#id_otp_token"
    )

    page.fill("#id_otp_token", code_from_key(page.get_by_test_id("totp-secret").inner_text()))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == pages.base + window
    assert page.locator("html").get_attribute("lang") == lang

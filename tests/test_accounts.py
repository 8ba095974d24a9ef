"""Accounts: sign-up that reveals nothing, activation, login by email or name, password reset."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from approvals import accounts
from approvals.roles import INVESTOR_GROUP
from tests import factories as f

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "Correct-horse-42"
LINK = re.compile(r"http://testserver(/accounts/[^\s\"<]+)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_BASE_URL = "http://testserver"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_up(client, email, password=PASSWORD, **extra):
    # The mail leaves when the sign-up commits; the test's transaction never does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("signup"),
            {"email": email, "password1": password, "password2": password},
            **extra,
        )


def the_link(message) -> str:
    """The one site path a mail links to under /accounts/ (the same in both languages)."""
    paths = set(LINK.findall(message.body))
    assert len(paths) == 1, paths
    html = message.alternatives[0][0]
    assert paths == set(LINK.findall(html))
    return paths.pop()


def comparable(response, email="") -> str:
    """The page without what differs on every render (CSRF tokens) and without the email."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", body)
    return body.replace(email, "EMAIL") if email else body


# --- signing up ---------------------------------------------------------------


def test_a_new_email_gets_an_inactive_account_and_a_link_that_activates_it_and_logs_in(client):
    response = sign_up(client, "  New.Investor@Example.TEST ")

    assert response.status_code == 200
    assert "We sent a message to new.investor@example.test." in response.content.decode()
    user = User.objects.get()
    assert (user.username, user.email) == ("new.investor@example.test",) * 2
    assert not user.is_active
    assert user.groups.filter(name=INVESTOR_GROUP).exists()
    assert user.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session

    (message,) = mail.outbox
    assert message.to == ["new.investor@example.test"]
    assert "Activate your single window account" in message.subject
    link = the_link(message)

    page = client.get(link)
    assert page.status_code == 200
    assert 'data-testid="activate"' in page.content.decode()
    user.refresh_from_db()
    assert not user.is_active  # looking at the link (a mail scanner does) activates nothing

    done = client.post(link)
    assert done.status_code == 302 and done["Location"] == reverse("portal:services")
    user.refresh_from_db()
    assert user.is_active
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("portal:applications")).status_code == 200


def test_an_email_with_an_account_gets_a_warning_mail_no_new_account_and_the_same_page(world):
    world.investor.email = "known@example.test"
    world.investor.save()
    users_before = User.objects.count()

    known = sign_up(Client(), "Known@Example.test")
    unknown = sign_up(Client(), "unknown@example.test")

    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    assert comparable(known, "known@example.test") == comparable(unknown, "unknown@example.test")
    assert User.objects.count() == users_before + 1
    assert not User.objects.filter(username="known@example.test").exists()
    world.investor.refresh_from_db()
    assert world.investor.check_password("pw-for-tests-only")  # untouched

    warning, activation = mail.outbox
    assert warning.to == ["known@example.test"]
    assert "Someone tried to sign up with your email" in warning.subject
    assert "already has an account, so no new account was made" in warning.body
    assert "http://testserver/login/" in warning.body
    assert "http://testserver/accounts/password-reset/" in warning.body
    assert "/accounts/activate/" not in warning.body
    assert activation.to == ["unknown@example.test"]


def test_the_old_username_field_is_gone_so_no_username_can_be_probed(client, world):
    response = client.post(
        reverse("signup"),
        {
            "username": "investor",
            "email": "probe@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "already exists" not in body
    assert User.objects.get(email="probe@example.test").username == "probe@example.test"


def test_an_email_that_is_an_older_accounts_username_makes_no_second_account(client):
    older = f.UserFactory(username="old@example.test", email="")
    sign_up(client, "old@example.test")
    assert list(User.objects.all()) == [older]
    assert "Someone tried to sign up" in mail.outbox[0].subject


def test_password_errors_are_the_same_whether_or_not_the_email_has_an_account(world):
    world.investor.email = "known@example.test"
    world.investor.save()
    pages = [
        sign_up(Client(), f"{name}@example.test", password="password123")
        for name in ("known", "unknown")
    ]
    assert pages[0].status_code == pages[1].status_code == 200
    assert "too common" in pages[0].content.decode()
    assert comparable(pages[0], "known@example.test") == comparable(
        pages[1], "unknown@example.test"
    )
    assert not mail.outbox
    assert not User.objects.filter(email="unknown@example.test").exists()


def test_a_password_like_the_email_is_refused_and_nothing_is_written(client):
    response = sign_up(client, "zhang.wei.hainan@example.test", password="zhang.wei.hainan")
    assert response.status_code == 200
    assert "too similar" in response.content.decode()
    mismatch = client.post(
        reverse("signup"),
        {"email": "a@example.test", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert "didn’t match" in mismatch.content.decode()
    assert 'value="a@example.test"' in mismatch.content.decode()  # what was typed is kept
    assert not User.objects.exists()
    assert not mail.outbox


def test_signing_up_again_before_activating_sends_a_new_link_and_the_old_one_stops(client):
    sign_up(client, "twice@example.test", password="First-password-1")
    first = the_link(mail.outbox[0])
    sign_up(client, "twice@example.test", password="Second-password-2")
    second = the_link(mail.outbox[1])

    assert User.objects.filter(email="twice@example.test").count() == 1
    assert "Activate" in mail.outbox[1].subject
    assert "no longer works" in client.post(first).content.decode()
    assert client.post(second).status_code == 302
    user = User.objects.get(email="twice@example.test")
    assert user.is_active and user.check_password("Second-password-2")


def test_an_activation_link_used_twice_says_so_clearly(client):
    sign_up(client, "once@example.test")
    link = the_link(mail.outbox[0])
    assert client.post(link).status_code == 302
    client.logout()

    for again in (client.get(link), client.post(link)):
        assert again.status_code == 200
        body = again.content.decode()
        assert "This activation link no longer works" in body
        assert reverse("login") in body
        assert "_auth_user_id" not in client.session


def test_an_expired_activation_link_activates_nothing(client, settings, monkeypatch):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    sign_up(client, "late@example.test")
    link = the_link(mail.outbox[0])
    assert "for 1 hour." in mail.outbox[0].body
    # Django's hook for the generator's clock ("used for mocking in tests").
    later = datetime.now() + timedelta(hours=1, seconds=5)
    monkeypatch.setattr(accounts.activation_token, "_now", lambda: later)
    response = client.post(link)
    assert "This activation link no longer works" in response.content.decode()
    assert not User.objects.get(email="late@example.test").is_active
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path",
    ["/accounts/activate/x/y/", "/accounts/activate/OTk5OTk5/abc-def/", "/accounts/activate/_-/z/"],
)
def test_a_broken_activation_link_gets_the_same_clear_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "This activation link no longer works" in response.content.decode()


def test_an_account_switched_off_is_not_switched_on_by_signing_up_again(client):
    off = f.UserFactory(username="off", email="off@example.test", is_active=False)
    off.last_login = timezone.now()
    off.save()
    sign_up(client, "off@example.test")
    (message,) = mail.outbox
    assert "Someone tried to sign up" in message.subject
    off.refresh_from_db()
    assert not off.is_active and off.check_password("pw-for-tests-only")


def test_a_mail_server_that_fails_changes_nothing_the_person_sees(client, settings):
    settings.EMAIL_BACKEND = "tests.test_accounts.FailingBackend"
    response = sign_up(client, "nomail@example.test")
    assert response.status_code == 200
    assert "We sent a message to nomail@example.test." in response.content.decode()


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_sign_ups_from_one_address_are_limited(client, settings):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    sign_up(client, "one@example.test")
    sign_up(client, "two@example.test")
    third = sign_up(client, "three@example.test")
    assert third.status_code == 429
    assert "Too many requests" in third.content.decode()
    assert not User.objects.filter(email="three@example.test").exists()
    assert len(mail.outbox) == 2
    assert client.get(reverse("signup")).status_code == 200


def test_the_sign_up_pages_and_mail_are_in_chinese_for_a_chinese_visitor(client):
    client.cookies["django_language"] = "zh-hans"
    response = sign_up(client, "zh@example.test")
    assert "我们已向 zh@example.test 发送邮件" in response.content.decode()
    (message,) = mail.outbox
    chinese, english = message.body.split("-" * 60)
    assert "激活" in chinese and "Activate" not in chinese
    assert "activate it" in english
    assert message.subject.index("激活") < message.subject.index("Activate")


# --- logging in ---------------------------------------------------------------


def log_in(client, login, password):
    return client.post(reverse("login"), {"username": login, "password": password})


def test_one_logs_in_with_the_email_in_any_case_or_with_the_username(world):
    world.investor.email = "Investor@Example.test"
    world.investor.save()
    for login in ("investor", "investor@example.TEST", " Investor@Example.test"):
        client = Client()
        response = log_in(client, login, "pw-for-tests-only")
        assert response.status_code == 302, login
        assert client.session["_auth_user_id"] == str(world.investor.pk)


def test_a_new_account_logs_in_with_its_email_once_activated_not_before(client):
    sign_up(client, "fresh@example.test")
    refused = log_in(client, "fresh@example.test", PASSWORD)
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    client.post(the_link(mail.outbox[0]))
    client.logout()
    assert log_in(client, "FRESH@example.test", PASSWORD).status_code == 302


def test_the_login_page_says_the_same_for_no_account_a_wrong_password_and_an_inactive_one(world):
    f.UserFactory(username="pending@example.test", email="pending@example.test", is_active=False)
    pages = [
        log_in(Client(), "nobody@example.test", "pw-for-tests-only"),
        log_in(Client(), "investor", "wrong-password"),
        log_in(Client(), "pending@example.test", "pw-for-tests-only"),
    ]
    assert {p.status_code for p in pages} == {200}
    bodies = [re.sub(r'name="username"[^>]*', "", comparable(p)) for p in pages]
    assert bodies[0] == bodies[1] == bodies[2]
    assert "The email or username and the password do not match." in bodies[0]


def test_an_email_shared_by_two_older_accounts_logs_into_neither(client):
    f.UserFactory(username="a", email="shared@example.test")
    f.UserFactory(username="b", email="shared@example.test")
    assert log_in(client, "shared@example.test", "pw-for-tests-only").status_code == 200
    assert log_in(client, "a", "pw-for-tests-only").status_code == 302


def test_failures_by_email_and_by_username_count_against_the_same_account(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    world.investor.email = "investor@example.test"
    world.investor.save()
    log_in(client, "investor@example.test", "wrong")
    log_in(client, "INVESTOR@example.test", "wrong")
    log_in(client, "investor", "wrong")
    for login in ("investor", "investor@example.test"):
        locked = log_in(client, login, "pw-for-tests-only")
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        assert reverse("password_reset") in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_token_accepts_the_email_too(world):
    world.investor.email = "investor@example.test"
    world.investor.save()
    response = Client().post(
        "/api/auth/token/", {"username": "investor@example.test", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 200
    assert response.json()["token"]


# --- password reset -----------------------------------------------------------


def test_the_login_page_links_to_password_reset(client):
    body = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in body
    assert "Forgot your password?" in body


EN, ZH = "reset the password", "申请重置"


@pytest.mark.parametrize(
    ("how", "first", "second"),
    [({"HTTP_ACCEPT_LANGUAGE": "en"}, EN, ZH), ({"cookie": "zh-hans"}, ZH, EN)],
)
def test_password_reset_full_cycle_with_the_mails_link(world, how, first, second):
    world.investor.email = "investor@example.test"
    world.investor.save()
    client = Client()
    if "cookie" in how:
        client.cookies["django_language"] = how.pop("cookie")
    page = client.get(reverse("password_reset"), **how)
    assert page.status_code == 200
    assert ("重置密码" if first == ZH else "Reset your password") in page.content.decode()

    sent = client.post(reverse("password_reset"), {"email": "Investor@example.test"}, **how)
    assert sent.status_code == 302 and sent["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["investor@example.test"]
    subject_first = "重置" if first == ZH else "Reset"
    assert message.subject.startswith(subject_first)
    top, bottom = message.body.split("-" * 60)
    assert first in top and second in bottom
    assert "investor" in top and "investor" in bottom
    link = the_link(message)

    form = client.get(link, follow=True, **how)
    assert form.status_code == 200
    assert 'name="new_password1"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "Brand-new-pass-7", "new_password2": "Brand-new-pass-7"},
        **how,
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert client.get(done["Location"], **how).status_code == 200

    assert log_in(Client(), "investor", "Brand-new-pass-7").status_code == 302
    assert log_in(Client(), "investor@example.test", "pw-for-tests-only").status_code == 200
    reused = Client().get(link, follow=True, **how).content.decode()
    assert 'name="new_password1"' not in reused
    assert reverse("password_reset") in reused


def test_a_reset_for_an_unknown_email_gets_the_same_page_and_sends_nothing(world):
    world.investor.email = "investor@example.test"
    world.investor.save()
    pages = []
    for email in ("investor@example.test", "nobody@example.test"):
        client = Client()
        sent = client.post(reverse("password_reset"), {"email": email})
        assert sent.status_code == 302
        pages.append(client.get(sent["Location"]))
    assert comparable(pages[0]) == comparable(pages[1])
    assert "If an account has this email, we sent it a link" in pages[0].content.decode()
    assert [m.to for m in mail.outbox] == [["investor@example.test"]]


def test_an_account_not_yet_activated_gets_no_reset_link(client):
    sign_up(client, "pending@example.test")
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": "pending@example.test"})
    assert not mail.outbox


def test_a_good_account_id_with_a_wrong_token_activates_nothing(client):
    sign_up(client, "guess@example.test")
    user = User.objects.get(email="guess@example.test")
    good = the_link(mail.outbox[0])
    forged = good.rsplit("/", 2)[0] + "/" + "0" * 20 + "/"
    response = client.post(forged)
    assert "This activation link no longer works" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


def test_reset_requests_count_against_the_same_limit_as_sign_ups(client, settings, world):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    world.investor.email = "investor@example.test"
    world.investor.save()
    sign_up(client, "one@example.test")
    client.post(reverse("password_reset"), {"email": "investor@example.test"})
    refused = client.post(reverse("password_reset"), {"email": "investor@example.test"})
    assert refused.status_code == 429
    assert len(mail.outbox) == 2


def test_a_sign_up_racing_another_for_the_same_new_email_ends_on_the_first_account(
    client, monkeypatch
):
    # The other sign-up commits between this one's look-up and its insert:
    # the look-up is made to miss once, as it would in that race.
    first = f.UserFactory(username="race@example.test", email="race@example.test")
    first.is_active = False
    first.save()
    real = accounts._existing_account
    calls = []

    def miss_once(email):
        calls.append(email)
        return None if len(calls) == 1 else real(email)

    monkeypatch.setattr(accounts, "_existing_account", miss_once)
    response = sign_up(client, "race@example.test")

    assert response.status_code == 200
    assert list(User.objects.all()) == [first]
    assert len(calls) == 2
    first.refresh_from_db()
    assert first.check_password(PASSWORD)  # still pending: the latest password, a new link
    assert "Activate" in mail.outbox[0].subject

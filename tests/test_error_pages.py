"""The site's own 400, 403, 404 and 500 pages: in its layout, in the visitor's
language, with a way home; and under DEBUG (the demo) too, for 404 and 400."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.views import defaults

from hainan_window import errors


def boom(request):
    raise RuntimeError("a bug")


def fine(request):
    return HttpResponse("fine")


# For the tests marked @pytest.mark.urls(__name__): one page that fails.
urlpatterns = [path("boom/", boom), path("", fine, name="home"), path("login/", fine, name="login")]
handler500 = "hainan_window.errors.server_error"


def site_page(response, status: int) -> str:
    assert response.status_code == status
    text = response.content.decode()
    assert 'data-testid="error-page"' in text
    assert f'href="{reverse("home")}" data-testid="error-home"' in text
    assert 'class="site-header"' in text  # the site's layout, not a bare page
    assert "Traceback" not in text and "URLconf" not in text and "ヽ(ಠ_ಠ)ノ" not in text
    return text


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo-debug"])
def test_a_bad_host_header_is_a_400_page_not_a_500(settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_HOST="evil.example.com")
    text = site_page(response, 400)
    assert "Bad request" in text
    zh = client.get("/", HTTP_HOST="evil.example.com", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请求无效" in site_page(zh, 400)


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo-debug"])
def test_an_unknown_address_and_an_unknown_object_are_the_sites_404(client, world, settings, debug):
    settings.DEBUG = debug
    assert "Page not found" in site_page(client.get("/no-such-page/"), 404)
    zh = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = site_page(zh, 404)
    assert "页面不存在" in text and 'lang="zh-Hans"' in text
    assert 'data-testid="switch-language"' in text  # the language switch is there
    client.force_login(world.supervisor)
    missing = reverse("review:application", args=[uuid.uuid4()])
    text = site_page(client.get(missing), 404)
    assert "Page not found" in text and "supervisor" in text  # still logged in, with the nav
    # A missing trailing slash is still redirected, not a 404.
    assert client.get("/office/audit").status_code == 301


@pytest.mark.django_db
def test_under_debug_the_technical_404_can_be_asked_for(client, settings):
    settings.DEBUG = True
    settings.SITE_ERROR_PAGES_IN_DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "URLconf" in response.content.decode()


@pytest.mark.django_db
def test_a_role_page_refused_is_the_sites_403_in_both_languages(client, world):
    client.force_login(world.clerk)
    text = site_page(client.get(reverse("review:audit")), 403)
    assert "You are logged in as clerk" in text
    zh = client.get(reverse("review:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "您当前以 clerk 的身份登录" in site_page(zh, 403)


def test_the_500_page_needs_neither_the_database_nor_the_user():
    # No django_db mark: any query would fail this test. No user on the request.
    request = RequestFactory().get("/")
    response = errors.server_error(request)
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong" in text and "系统出错" in text  # both languages
    assert 'data-testid="error-home"' in text and 'class="site-header"' in text


@pytest.mark.urls(__name__)
def test_a_failing_page_answers_with_the_500_page():
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert 'data-testid="error-page"' in response.content.decode()


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_the_sites_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.investor)
    response = client.post(reverse("portal:applications"), {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "表单未能提交" in site_page(response, 403)


@pytest.mark.django_db
def test_an_anonymous_visitor_refused_is_offered_the_login_page(client, world, rf):
    request = rf.get("/office/audit/")
    request.user = AnonymousUser()
    response = defaults.permission_denied(request, PermissionDenied())
    assert f'href="{reverse("login")}?next=/office/audit/"' in response.content.decode()
    client.force_login(world.clerk)
    refused = client.get(reverse("review:audit")).content.decode()
    assert f'href="{reverse("login")}?next=' not in refused

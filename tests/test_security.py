"""Production settings, login throttling, sessions, passwords and where uploads live."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import services
from approvals.checks import uploads_are_not_public
from tests import journey

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env) -> subprocess.CompletedProcess:
    # Not the test run's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE,
    # which a deployment must not).
    inherited = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in inherited}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_check_without_a_warning():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="window.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_demo_settings_do_not_pass_it():
    """The check is not trivially green: DEBUG on and the demo key are flagged."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sessions_expire_and_cookies_are_not_readable_by_scripts():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


@pytest.mark.django_db
def test_signing_up_with_a_short_or_common_password_is_refused_with_reasons(client):
    for password, expected in (
        ("Hn-2026x", "at least 10 characters"),
        ("password123", "too common"),
    ):
        response = client.post(
            reverse("signup"),
            {"email": "new@example.com", "password1": password, "password2": password},
        )
        assert response.status_code == 200
        assert expected in response.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="new@example.com").exists()


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_out_from_that_address(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    world.investor.set_password("the-right-password-1")
    world.investor.save()
    url = reverse("login")
    for _ in range(3):
        wrong = client.post(url, {"username": "investor", "password": "wrong"})
        assert wrong.status_code in (200, 429)
    locked = client.post(url, {"username": "investor", "password": "the-right-password-1"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by someone else's guessing.
    elsewhere = client.post(
        url,
        {"username": "investor", "password": "the-right-password-1"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_the_api_token_endpoint_is_locked_out_by_the_same_rule(world, settings):
    from rest_framework.test import APIClient

    settings.AXES_FAILURE_LIMIT = 2
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "100/minute"}
    world.investor.set_password("the-right-password-1")
    world.investor.save()
    client = APIClient()
    url = reverse("api:token")
    assert client.post(url, {"username": "investor", "password": "x"}).status_code == 400
    # The failure that reaches the limit is told so at once.
    assert client.post(url, {"username": "investor", "password": "x"}).status_code == 429
    refused = client.post(url, {"username": "investor", "password": "the-right-password-1"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "locked_out"
    assert "token" not in refused.json()


def test_uploads_are_kept_out_of_static_and_template_folders(settings, tmp_path):
    assert uploads_are_not_public() == []
    settings.MEDIA_ROOT = ROOT / "static" / "uploads"
    errors = uploads_are_not_public()
    assert [e.id for e in errors] == ["hainan_window.E001"]
    assert isinstance(errors[0], checks.Error)
    settings.MEDIA_ROOT = ROOT / "templates"
    assert [e.id for e in uploads_are_not_public()] == ["hainan_window.E001"]


@pytest.mark.django_db
def test_null_characters_are_a_400_not_a_database_error(world, client):
    """PostgreSQL cannot compare text with NUL: such input must stop before any lookup."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.investor)
    created = api.post(
        "/api/applications/",
        {"service": "fie\x00", "uscc": world.enterprise.uscc},
        format="json",
        HTTP_IDEMPOTENCY_KEY="nul-1",
    )
    assert created.status_code == 400
    assert "service" in created.json()["fields"]
    listed = api.get("/api/applications/", {"service": "fie\x00"})
    assert listed.status_code == 400 and listed.json()["code"] == "invalid"

    client.force_login(world.supervisor)
    page = client.get("/reports/", {"service": "fie\x00"})
    assert page.status_code == 400
    assert "null character" in page.content.decode()


# --- Cache-Control: nothing personal stays in a cache -------------------------------


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_every_page_for_a_logged_in_user_is_no_store(client, world):
    app = journey.draft(world)
    assert not _no_store(client.get(reverse("home")))  # the public home page may be cached
    client.force_login(world.investor)
    for url in ("/applications/", reverse("portal:application", args=[app.public_id])):
        response = client.get(url)
        assert response.status_code == 200
        assert _no_store(response), url
        assert "private" in response["Cache-Control"]
    # Static files are not personal: they stay cacheable for everyone.
    assert not _no_store(client.get("/static/css/app.css"))


@pytest.mark.django_db
def test_every_api_answer_but_the_public_catalogue_is_no_store(world):
    api = APIClient()
    assert not _no_store(api.get("/api/services/"))
    assert not _no_store(api.get("/api/schema/"))
    assert _no_store(api.get("/api/applications/"))  # a 401 too: it says who is not in
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.investor).key}")
    app = journey.draft(world)
    for url in ("/api/applications/", f"/api/applications/{app.public_id}/"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


# --- uploads: our name, the sniffed type's extension ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("client_name", "body", "extension"),
    [
        ("scan.pdf.html", b"%PDF-1.4\n" + b"0" * 100, ".pdf"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, ".png"),
        ("setup.exe", b"\xff\xd8\xff" + b"0" * 100, ".jpg"),
        ("no-extension", b"%PDF-1.4\n" + b"0" * 100, ".pdf"),
    ],
)
def test_an_upload_is_stored_under_a_generated_name_with_its_sniffed_type(
    world, client_name, body, extension
):
    app = journey.draft(world)
    row = services.material_upload(
        actor=world.investor,
        application=app,
        material_code="form",
        upload=SimpleUploadedFile(client_name, body, content_type="text/html"),
    )
    stored = Path(row.file.name)
    assert stored.parent == Path("applications") / str(app.public_id)
    assert stored.suffix == extension
    assert len(stored.stem) == 32 and all(c in "0123456789abcdef" for c in stored.stem)
    assert row.original_name == client_name  # kept to show, never used as a path
    assert (Path(settings.MEDIA_ROOT) / stored).read_bytes() == body


# --- Content-Security-Policy -------------------------------------------------------------

# Rendered to PDF by WeasyPrint, never served as a page: their inline styles meet no CSP.
# Rendered into PDFs by weasyprint, or into mail: never served to a browser
# under the site's CSP (mail clients need inline styles).
PDF_TEMPLATES = {
    "permits/permit.html",
    "reports/report_pdf.html",
    "decisions/refusal_notice.html",
}
NOT_SERVED_PREFIXES = ("emails/",)
INLINE = re.compile(
    r"<style|<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _markup(text: str) -> str:
    """The template's own HTML: its tags blanked out (line numbers kept), since a tag's
    argument is not markup the browser sees."""
    return TEMPLATE_TAG.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def test_no_served_template_has_an_inline_script_or_style():
    templates = ROOT / "templates"
    found = [
        f"{path.relative_to(templates)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in sorted(templates.rglob("*.html"))
        if str(path.relative_to(templates)) not in PDF_TEMPLATES
        and not str(path.relative_to(templates)).startswith(NOT_SERVED_PREFIXES)
        for text in [_markup(path.read_text())]
        for m in INLINE.finditer(text)
    ]
    assert found == []


def policy_directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: its sources}. django-csp writes the
    directives in no fixed order (a set's, which changes from process to process)."""
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


@pytest.mark.django_db
def test_every_page_and_api_answer_carries_the_policy(client, world):
    urls = ["/", "/services/", "/verify/", "/login/", "/api/services/", "/api/docs/"]
    # Answered by a middleware before any view: a 400 for a NUL in the query.
    urls.append("/services/?q=%00")
    for url in urls:
        policy = client.get(url)["Content-Security-Policy"]
        directives = policy_directives(policy)
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["object-src"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url


def test_the_trusted_proxy_count_is_checked_and_the_former_switch_still_means_one_proxy():
    refused = manage("check", TRUSTED_PROXY_COUNT="one")
    assert refused.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be a whole number" in refused.stderr

    def proxies(**env) -> str:
        show = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
        return manage("shell", "--no-imports", "-c", show, **env).stdout.strip()

    assert proxies() == "0"
    assert proxies(AUDIT_TRUST_X_FORWARDED_FOR="1") == "1"
    assert proxies(AUDIT_TRUST_X_FORWARDED_FOR="1", TRUSTED_PROXY_COUNT="2") == "2"


@pytest.mark.django_db
def test_an_anonymous_request_is_counted_by_the_anonymous_rate_only(world, settings):
    """Each count is a round trip to the shared cache: an anonymous request pays one."""
    settings.API_THROTTLE_RATES = {
        **settings.API_THROTTLE_RATES,
        "anon": "3/minute",
        "user": "1/minute",
    }
    anonymous = APIClient()
    assert [anonymous.get("/api/services/").status_code for _ in range(4)] == [200] * 3 + [429]
    investor = APIClient()
    investor.force_authenticate(world.investor)
    assert [investor.get("/api/applications/").status_code for _ in range(2)] == [200, 429]

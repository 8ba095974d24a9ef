"""Permits: the PDF, the signed QR code, public verification, revocation, rendering.

The PDF and its QR code are read back the way a person or a phone would:
its text through PDFium, its QR code from a rendered page image through
zxing. Every outcome of verification is checked through the public pages.
"""

import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import time_machine
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from approvals import models as m
from approvals import permits, services
from approvals.models.permits import RenderStatus
from approvals.permits import rendering
from tests import factories as f
from tests import journey

SH = ZoneInfo("Asia/Shanghai")
BASE_URL = "https://window.example.test"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def permit_settings(settings, tmp_path):
    """A fresh signing key, renderings in the committing thread, files in tmp_path."""
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"
    settings.PERMIT_PUBLIC_BASE_URL = BASE_URL
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


def approve(world, *, capture=None):
    """An application driven to approval; with `capture`, its on-commit work runs (the PDF).

    Of the business licence alone: these tests are about one outcome's PDF, its
    file and its verification (a bundle's five are in tests/test_bundles.py)."""
    app = journey.submitted(world, matters=[world.matters["market"].code])
    services.application_accept(actor=world.clerk, application=app)
    if capture is None:
        return journey.approve_all(world, app)
    with capture(execute=True):
        app = journey.approve_all(world, app)
    return app


@pytest.fixture
def issued(world):
    """A permit whose PDF was never rendered (its on-commit work did not run): cheap."""
    return approve(world).permit


@pytest.fixture
def rendered(world, django_capture_on_commit_callbacks):
    world.matters["market"].outcome_valid_years = 5
    world.matters["market"].save()
    app = approve(world, capture=django_capture_on_commit_callbacks)
    permit = app.permit
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error
    return permit


def pdf_bytes(permit) -> bytes:
    with permit.pdf.open("rb") as handle:
        return handle.read()


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    """The text a reader copies out of the PDF, without whitespace (letter-spacing adds it)."""
    document = pdfium.PdfDocument(data)
    try:
        assert len(document) == 1
        return squeeze(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def qr_codes(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=2).to_pil()  # about 144 dpi, a phone photo's worth
    finally:
        document.close()
    return [
        c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode
    ]


# --- the PDF ----------------------------------------------------------------


@pytest.mark.django_db
def test_pdf_shows_the_permit_in_chinese_and_english(rendered):
    text = pdf_text(pdf_bytes(rendered))
    holder, service = rendered.holder, rendered.application.service
    for expected in (
        rendered.number,
        holder.uscc,
        "营业执照",
        "Businesslicence",
        holder.name_zh,
        squeeze(holder.name_en),
        service.name_zh,
        squeeze(service.name_en),
        squeeze(rendered.scope),
        "有效期限",
        "Validity",
        f"{rendered.valid_until.year}年{rendered.valid_until.month}月{rendered.valid_until.day}日",
        squeeze(f"{rendered.valid_until:%B} {rendered.valid_until.year}"),
        "发证机关",
        "Issuingauthority",
        "审批部门",
        # The department that decided the outcome's matter.
        rendered.matter.matter.department.name_zh,
        squeeze(rendered.matter.matter.department.name_en),
        permits.permit_token(rendered),
    ):
        # English titles are set in capitals: compare without case.
        assert expected.casefold() in text.casefold(), expected


def test_printed_token_lines_never_end_in_a_hyphen_and_join_back():
    token = ("a" * 35 + "-") * 4 + "b" * 10
    lines = permits.token_lines(token)
    assert "".join(lines) == token
    assert not any(line.endswith("-") for line in lines[:-1])
    assert max(len(line) for line in lines) == 36


@pytest.mark.django_db
def test_a_hyphen_where_the_printed_token_wraps_survives_copying_from_the_pdf(
    rendered, monkeypatch
):
    # Tokens are signed with a fresh key per test, so a "-" falls at a line end
    # in about one run in twelve; this token puts one at every line end.
    real = permits.permit_token(rendered)
    crafted = "".join(ch if (i + 1) % 36 else "-" for i, ch in enumerate(real))
    monkeypatch.setattr(rendering, "permit_token", lambda permit: crafted)
    assert crafted in pdf_text(permits.render_pdf(rendered))


@pytest.mark.django_db
def test_a_long_scope_continues_on_further_pages_and_stays_checkable(
    world, django_capture_on_commit_callbacks
):
    scope = "；".join(f"第{i}项经营活动：货物进出口与技术服务" for i in range(120))
    m.PrefilledValue.objects.filter(field="enterprise.business_scope").update(value=scope)
    world.enterprise.business_scope = scope
    world.enterprise.save()
    permit = approve(world, capture=django_capture_on_commit_callbacks).permit
    permit.refresh_from_db()
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error
    data = pdf_bytes(permit)
    document = pdfium.PdfDocument(data)
    try:
        assert len(document) > 1
        text = squeeze("".join(page.get_textpage().get_text_range() for page in document))
    finally:
        document.close()
    assert "第119项经营活动" in text and permits.permit_token(permit) in text
    assert permits.token_from_pdf(data) == permits.permit_token(permit)


@pytest.mark.django_db
def test_permit_without_expiry_says_so_in_both_languages(world, django_capture_on_commit_callbacks):
    permit = approve(world, capture=django_capture_on_commit_callbacks).permit
    text = pdf_text(pdf_bytes(permit))
    assert "长期" in text and "Noexpiry" in text


@pytest.mark.django_db
def test_qr_code_read_from_the_printed_page_opens_its_verification(rendered, client):
    codes = qr_codes(pdf_bytes(rendered))
    assert len(codes) == 1
    url = codes[0]
    assert url == permits.verification_url(permits.permit_token(rendered))
    assert url.startswith(f"{BASE_URL}/verify/")
    response = client.get(url.removeprefix(BASE_URL), HTTP_ACCEPT="application/json")
    assert response.json()["status"] == "valid"
    assert response.json()["number"] == rendered.number


# --- the token ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_change_of_the_last_character_reads_as_altered(issued, client):
    """The last character carries unused low bits: a strict decoder refused most
    changes there as "not a token", and the verifier was told "unknown"."""
    token = permits.permit_token(issued)
    changes = [token[:-1] + c for c in ALPHABET + "." if c != token[-1]]
    assert len(changes) == 64
    outcomes = {change: permits.verify_token(change).status for change in changes}
    assert set(outcomes.values()) == {"altered"}, outcomes
    # The same on the page a QR code opens, and from the pasted-code form.
    for change in changes[:: len(changes) // 6]:
        page = client.get(reverse("verification:check", kwargs={"token": change}))
        assert b'data-status="altered"' in page.content
        pasted = client.post(reverse("verification:verify"), {"code": change}, follow=True)
        assert b'data-status="altered"' in pasted.content


@pytest.mark.django_db
def test_every_single_character_change_of_a_real_token_reads_as_altered(issued):
    token = permits.permit_token(issued)
    assert permits.verify_token(token).status == "valid"
    not_altered = []
    for i, original in enumerate(token):
        for replacement in ALPHABET + ".":
            if replacement == original:
                continue
            changed = token[:i] + replacement + token[i + 1 :]
            status = permits.verify_token(changed).status
            if status != "altered":
                not_altered.append((i, replacement, status))
        # A character dropped or doubled is a change too.
        for changed in (token[:i] + token[i + 1 :], token[:i] + original + token[i:]):
            if permits.verify_token(changed).status != "altered":
                not_altered.append((i, "drop/double", changed))
    assert not_altered == []


@pytest.mark.django_db
def test_only_what_is_not_token_shaped_reads_as_unknown(issued):
    token = permits.permit_token(issued)
    for text in (
        "",
        "garbage",
        "a.b.c",
        token[:-1] + "!",  # a character no token has
        token[:60] + " " + token[61:],  # a space: not one code
        token + "A" * 400,  # longer than any token
        token[:40],  # far too short
    ):
        assert permits.verify_token(text).status == "unknown", text


@pytest.mark.django_db
def test_a_verifier_needs_only_the_public_key(issued, capsys):
    token = permits.permit_token(issued)
    call_command("permit_keys", "--public")
    public = load_pem_public_key(capsys.readouterr().out.encode())
    claims = permits.decode_token(token, key=public)
    assert claims.number == issued.number and claims.uscc == issued.holder.uscc
    with pytest.raises(permits.TokenForged):
        permits.decode_token(token, key=Ed25519PrivateKey.generate().public_key())


@pytest.mark.django_db
def test_outcomes_valid_revoked_expired_unknown_altered(world, issued):
    token = permits.permit_token(issued)
    assert permits.verify_token(token).status == "valid"

    # Genuine signature, but no such permit.
    ghost = permits.TokenClaims("HNSW-2099-001-99999999", issued.holder.uscc, "2099-01-01", None)
    assert permits.verify_token(permits.sign(ghost)).status == "unknown"
    # Genuine signature over facts that disagree with the record.
    lying = permits.TokenClaims(issued.number, f.new_uscc(), issued.valid_from.isoformat(), None)
    assert permits.verify_token(permits.sign(lying)).status == "altered"
    # Signed by someone else's key.
    other = Ed25519PrivateKey.generate()
    payload = permits.claims_of(issued).payload()
    forged = f"{token.split('.')[0]}.{permits._b64encode(other.sign(payload))}"
    assert permits.verify_token(forged).status == "altered"
    for garbage in ("", "hello", "a.b", "x" * 5000, token + "!"):
        assert permits.verify_token(garbage).status == "unknown"
    # Shaped like a code yet not a genuine one: altered, however it came about.
    for changed in (token + token, token.replace(".", "")):
        assert permits.verify_token(changed).status == "altered"

    services.permit_revoke(
        actor=world.supervisor, permit=issued, reason="承诺不实 / false commitment"
    )
    assert permits.verify_token(token).status == "revoked"


@pytest.mark.django_db
def test_a_permit_expires_the_day_after_its_validity(world):
    world.matters["market"].outcome_valid_years = 1
    world.matters["market"].save()
    permit = approve(world).permit
    token = permits.permit_token(permit)
    assert permits.verify_token(token, today=permit.valid_until).status == "valid"
    assert (
        permits.verify_token(token, today=permit.valid_until + timedelta(days=1)).status
        == "expired"
    )


# --- the public pages -----------------------------------------------------------


@pytest.mark.django_db
def test_verification_page_in_both_languages_and_json(client, issued):
    token = permits.permit_token(issued)
    url = reverse("verification:check", kwargs={"token": token})

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-status="valid"' in body and "有效" in body and "Valid" in body
    assert issued.number in body and issued.holder.name_zh in body
    # The legal representative's name is printed on the permit itself (and public in
    # the enterprise credit publicity system), so the page shows it for comparison;
    # the identity number never.
    assert issued.holder.legal_representative in body
    assert issued.holder.legal_representative_id not in body

    for response in (
        client.get(url, {"format": "json"}),
        client.get(url, HTTP_ACCEPT="application/json"),
    ):
        data = response.json()
        assert response["Content-Type"].startswith("application/json")
        assert data["status"] == "valid"
        assert data["number"] == issued.number
        assert data["uscc"] == issued.holder.uscc
        assert data["holder"] == issued.holder.name_zh
        assert data["issued"] == issued.valid_from.isoformat()
        assert data["valid_until"] is None and data["revoked_at"] is None
        assert data["legal_representative"] == issued.holder.legal_representative
        assert issued.holder.legal_representative_id not in json.dumps(data)
        assert "legal_representative_id" not in data


@pytest.mark.django_db
def test_altered_and_revoked_pages_say_so_without_a_500(client, world, issued):
    token = permits.permit_token(issued)
    i = len(token) - 5
    altered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    response = client.get(reverse("verification:check", kwargs={"token": altered}))
    assert response.status_code == 200
    assert 'data-status="altered"' in response.content.decode()
    assert issued.number not in response.content.decode()  # nothing shown for a forgery

    services.permit_revoke(actor=world.supervisor, permit=issued, reason="承诺不实")
    data = client.get(f"/verify/{token}/?format=json").json()
    assert data["status"] == "revoked" and data["revoked_at"]


@pytest.mark.django_db
def test_expired_permit_verifies_as_expired_on_the_page(client, world):
    world.matters["market"].outcome_valid_years = 1
    world.matters["market"].save()
    permit = approve(world).permit
    later = datetime.combine(permit.valid_until + timedelta(days=2), datetime.min.time(), SH)
    with time_machine.travel(later, tick=False):
        data = client.get(f"/verify/{permits.permit_token(permit)}/?format=json").json()
    assert data["status"] == "expired"


@pytest.mark.django_db
def test_pasted_code_or_link_leads_to_its_verification(client, issued):
    token = permits.permit_token(issued)
    check = reverse("verification:check", kwargs={"token": token})
    wrapped = "\n".join(token[i : i + 40] for i in range(0, len(token), 40))
    for pasted in (token, f"  {BASE_URL}/verify/{token}/  ", wrapped):
        response = client.post(reverse("verification:verify"), {"code": pasted})
        assert response.status_code == 302 and response["Location"] == check
    assert client.get(reverse("verification:verify")).status_code == 200


@pytest.mark.django_db
def test_bad_input_gets_a_message_never_a_500(client, settings, issued):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    verify = reverse("verification:verify")
    # Each answer exactly: a page that says "unknown", or a 400 for a NUL
    # character (never any status below 500 that happens to come back).
    gets = [
        ("/verify/garbage/", 200),
        ("/verify/" + "A" * 5000 + "." + "B" * 86 + "/", 200),
        ("/verify/" + "x" * 20000 + "/", 200),
        ("/verify/%00%ff/", 400),
        ("/verify/a.b.c/?format=json", 200),
        ("/verify/" + permits.permit_token(issued)[:-1] + "!/", 200),
    ]
    for url, status in gets:
        response = client.get(url)
        assert response.status_code == status, url
        if response.status_code == 200 and "json" in url:
            assert response.json()["status"] == "unknown", url
        elif response.status_code == 200:
            assert b'data-status="unknown"' in response.content, url

    posts = [
        ({}, "Paste a code"),
        ({"code": "definitely not a permit"}, "not a permit verification code"),
        ({"code": "x" * 3000}, "at most 2000"),
        ({"document": SimpleUploadedFile("a.pdf", b"GIF89a not a pdf")}, "not a PDF"),
        ({"document": SimpleUploadedFile("e.pdf", b"")}, "empty"),
        ({"document": f.pdf_upload(size=200 * 1024)}, "the limit is"),
        ({"document": f.pdf_upload(size=2048)}, "could not be read"),
        ({"document": SimpleUploadedFile("x.pdf", _blank_pdf())}, "carries no permit"),
        (
            {"code": permits.permit_token(issued), "document": SimpleUploadedFile("x.pdf", b"%")},
            "not a PDF",
        ),
    ]
    for data, message in posts:
        response = client.post(verify, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, data
        assert message in response.content.decode(), message


def _blank_pdf() -> bytes:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.django_db
def test_uploaded_pdf_is_verified_and_told_from_a_changed_copy(client, rendered):
    original = pdf_bytes(rendered)
    verify = reverse("verification:verify")

    response = client.post(verify, {"document": SimpleUploadedFile("p.pdf", original)})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="valid"' in body and 'data-testid="upload-original"' in body

    # Same genuine code, different file: the code checks out, the file does not.
    changed = original + b"\n% edited after issue\n"
    response = client.post(verify, {"document": SimpleUploadedFile("p.pdf", changed)})
    body = response.content.decode()
    assert 'data-status="valid"' in body and 'data-testid="upload-differs"' in body

    # A copy whose metadata was stripped (re-saved by a viewer) still carries the printed code.
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(io.BytesIO(original)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    assert permits.token_from_pdf(out.getvalue()) == permits.permit_token(rendered)


# --- rendering off the request path -----------------------------------------------


@pytest.mark.django_db
def test_renderer_failure_keeps_the_approval_and_the_retry_produces_the_pdf(
    world, django_capture_on_commit_callbacks, monkeypatch, capsys
):
    def broken(permit):
        raise RuntimeError("font cache is corrupt")

    monkeypatch.setattr(rendering, "render_pdf", broken)
    app = approve(world, capture=django_capture_on_commit_callbacks)

    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED
    permit = app.permit
    assert permit.render_status == RenderStatus.FAILED
    assert "font cache is corrupt" in permit.render_error
    assert not permit.pdf
    assert list(permits.permits_awaiting_render()) == [permit]
    # Still in the licence library: the decision stands whatever the renderer did.
    assert m.Licence.objects.filter(number=permit.number, status="valid").exists()

    with pytest.raises(CommandError, match="0 rendered, 1 failed"):
        call_command("render_permits")
    monkeypatch.undo()
    capsys.readouterr()
    call_command("render_permits")
    out = capsys.readouterr().out
    assert f"[1/1] {permit.number}: rendered" in out
    permit.refresh_from_db()
    assert permit.render_status == RenderStatus.RENDERED and permit.render_error == ""
    assert permit.render_attempts == 3
    assert pdf_bytes(permit).startswith(b"%PDF-")
    assert not permits.permits_awaiting_render().exists()


@pytest.mark.django_db
def test_rendering_twice_yields_one_pdf(rendered, monkeypatch, capsys):
    folder = Path(rendered.pdf.path).parent
    assert [p.name for p in folder.iterdir()] == [f"{rendered.number}.pdf"]

    permits.render_permit(rendered, force=True)
    call_command("render_permits", rendered.number, "--force")
    rendered.refresh_from_db()
    assert [p.name for p in folder.iterdir()] == [f"{rendered.number}.pdf"]
    assert rendered.pdf.name == f"permits/{rendered.number}.pdf"
    assert permits.is_issued_file(rendered, pdf_bytes(rendered))

    # Not forced: a rendered permit is not rendered again at all.
    monkeypatch.setattr(rendering, "render_pdf", lambda permit: pytest.fail("rendered again"))
    permits.render_permit(rendered)
    capsys.readouterr()
    call_command("render_permits")
    assert "nothing to render" in capsys.readouterr().out


@pytest.mark.django_db
def test_render_mode_off_leaves_the_pdf_to_the_command(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PERMIT_RENDER_MODE = "off"
    permit = approve(world, capture=django_capture_on_commit_callbacks).permit
    permit.refresh_from_db()
    assert permit.render_status == RenderStatus.PENDING
    assert list(permits.permits_awaiting_render()) == [permit]


def test_weasyprint_is_imported_only_to_render():
    code = (
        "import sys, django; django.setup();"
        "import approvals.permits, approvals.services, approvals.verification.views;"
        "import approvals.pdf, approvals.decisions, approvals.reporting.views;"
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "hainan_window.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"


# --- the protected PDF --------------------------------------------------------------


@pytest.mark.django_db
def test_only_those_involved_may_download_the_pdf(client, world, rendered):
    url = reverse("verification:download", kwargs={"number": rendered.number})
    assert client.get(url).status_code == 302  # to the login page

    for outsider in (world.other_investor, world.reviewers["customs"]):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (world.investor, world.reviewers["market"], world.clerk, world.supervisor):
        client.force_login(insider)
        response = client.get(url)
        assert response.status_code == 200, insider
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == pdf_bytes(rendered)


@pytest.mark.django_db
def test_download_of_a_pdf_not_rendered_yet_says_to_come_back(client, world, issued):
    client.force_login(world.investor)
    response = client.get(reverse("verification:download", kwargs={"number": issued.number}))
    assert response.status_code == 503 and response["Retry-After"]


@pytest.mark.django_db
def test_the_page_and_the_api_answer_a_download_alike(
    client, world, rendered, django_assert_num_queries
):
    """One policy (permits.access): the same people, the same refusals, the same headers;
    the API's answer costs the queries its roles need and no more."""
    waiting = approve(world).permit  # its PDF not made yet
    cases = {  # who: (status for a PDF that is there, queries of the API's answer)
        "applicant": (world.investor, 200, 1),
        "clerk": (world.clerk, 200, 2),
        "supervisor": (world.supervisor, 200, 2),
        "reviewer of the service": (world.reviewers["market"], 200, 3),
        "another investor": (world.other_investor, 404, 2),
        "reviewer of another service": (world.reviewers["customs"], 404, 3),
    }
    for who, (user, status, queries) in cases.items():
        for permit in (rendered, waiting):
            expected = 503 if status == 200 and permit is waiting else status
            client.force_login(user)
            page = client.get(reverse("verification:download", kwargs={"number": permit.number}))
            api = APIClient()
            api.force_authenticate(get_user_model().objects.get(pk=user.pk))  # roles not cached
            with django_assert_num_queries(queries):
                answer = api.get(f"/api/permits/{permit.number}/pdf/")
            assert page.status_code == answer.status_code == expected, (who, permit.number)
            if expected == 200:
                inline = f'inline; filename="{permit.number}.pdf"'
                for response in (page, answer):
                    assert response["Content-Type"] == "application/pdf"
                    assert response["Content-Disposition"] == inline
                    assert "no-store" in response["Cache-Control"]
                    assert b"".join(response.streaming_content) == pdf_bytes(permit)
            if expected == 503:
                assert page["Retry-After"] == answer["Retry-After"] == "60"
                assert answer.json()["retry_after"] == 60
    client.force_login(world.supervisor)
    api = APIClient()
    api.force_authenticate(world.supervisor)
    assert client.get("/verify/download/HNSW-2000-001-00000001/").status_code == 404
    assert api.get("/api/permits/HNSW-2000-001-00000001/pdf/").status_code == 404


# --- revocation ----------------------------------------------------------------------


@pytest.mark.django_db
def test_revocation_needs_a_supervisor_and_a_reason(world, issued):
    for actor in (world.investor, world.clerk, world.reviewers["market"]):
        with pytest.raises(PermissionDenied, match=r"^Only supervisors may revoke a permit\.$"):
            services.permit_revoke(actor=actor, permit=issued, reason="想撤就撤")
    with pytest.raises(ValidationError, match=r"Give the reason for revoking this permit\."):
        services.permit_revoke(actor=world.supervisor, permit=issued, reason="   ")
    issued.refresh_from_db()
    assert issued.status == m.PermitStatus.ISSUED

    services.permit_revoke(
        actor=world.supervisor, permit=issued, reason="承诺的住所不存在 / no such address"
    )
    issued.refresh_from_db()
    assert issued.status == m.PermitStatus.REVOKED
    assert issued.revoked_by == world.supervisor and issued.revoked_at is not None
    assert issued.licence.status == m.LicenceStatus.REVOKED
    with pytest.raises(
        ValidationError, match=r"This permit was already revoked on \d{4}-\d\d-\d\d\."
    ):
        services.permit_revoke(actor=world.supervisor, permit=issued, reason="again")


@pytest.mark.django_db
def test_a_revoked_permit_is_not_reused_by_the_next_application(world):
    project = f.ServiceFactory(code="project")
    f.thing_part(project, world.departments[0])
    f.MaterialFactory(
        service=project, code="business-licence", reuse_key="licence:business-licence"
    )

    def licence_material():
        app = services.application_create(
            applicant=world.investor, service=project, uscc=world.enterprise.uscc
        )
        return app.materials.get(material__code="business-licence")

    permit = approve(world).permit
    assert licence_material().reuse_reference == permit.number

    services.permit_revoke(actor=world.supervisor, permit=permit, reason="承诺不实")
    after = licence_material()
    assert after.satisfied_by == m.SatisfiedBy.MISSING and after.reuse_reference == ""


# --- operations --------------------------------------------------------------------


@pytest.mark.django_db
def test_supervisors_see_failed_renderings_in_the_admin(client, world, issued):
    m.Permit.objects.filter(pk=issued.pk).update(
        render_status=RenderStatus.FAILED, render_error="boom"
    )
    admin = f.UserFactory(username="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.get("/admin/approvals/permit/", {"render_status__exact": "failed"})
    assert response.status_code == 200
    assert issued.number in response.content.decode()


def test_permit_keys_generates_a_demo_key_once(settings, tmp_path, capsys):
    settings.PERMIT_SIGNING_KEY = ""
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "var" / "key.pem"
    call_command("permit_keys", "--generate-if-missing")
    key_file = settings.PERMIT_SIGNING_KEY_FILE
    first = key_file.read_text()
    assert "PRIVATE KEY" in first and (key_file.stat().st_mode & 0o077) == 0
    call_command("permit_keys", "--generate-if-missing")
    assert key_file.read_text() == first
    with pytest.raises(CommandError, match="exists"):
        call_command("permit_keys", "--generate")
    capsys.readouterr()
    call_command("permit_keys", "--public")
    assert capsys.readouterr().out.startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.django_db
def test_missing_key_makes_verification_unavailable_not_broken(client, settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = ""
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "absent.pem"
    token = "A" * 40 + "." + "A" * 86  # well-formed, so the signature is checked
    assert client.get(f"/verify/{token}/").status_code == 503
    assert client.get(f"/verify/{token}/?format=json").status_code == 503
    assert client.get(reverse("verification:public_key")).status_code == 503


def test_date_of_issue_is_the_signed_date():
    claims = permits.TokenClaims("N-1", "91460100MA0000001X", date(2026, 1, 2).isoformat(), None)
    assert permits.TokenClaims.from_payload(claims.payload()) == claims


@pytest.mark.django_db
def test_public_verification_is_rate_limited_per_address_with_a_clear_answer(
    client, issued, settings
):
    settings.VERIFY_RATE_LIMIT = "3/m"
    url = reverse("verification:check", args=[permits.permit_token(issued)])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    page = client.get(url)
    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert "Too many checks" in page.content.decode()
    assert client.get(url, {"format": "json"}).json() == {"error": "too many requests"}
    # Another address is not held back by this one.
    assert client.get(url, REMOTE_ADDR="198.51.100.30").status_code == 200


def test_a_command_renders_in_its_own_context_without_changing_the_setting(
    world, settings, django_capture_on_commit_callbacks
):
    """seed_demo leaves finished PDFs behind though the site renders on a thread: it asks
    permits.rendering_mode for its own context; the setting stays as it is."""
    settings.PERMIT_RENDER_MODE = "off"
    left = approve(world, capture=django_capture_on_commit_callbacks).permit
    left.refresh_from_db()
    assert left.render_status == RenderStatus.PENDING
    with permits.rendering_mode("inline"):
        made = approve(world, capture=django_capture_on_commit_callbacks).permit
    made.refresh_from_db()
    assert made.render_status == RenderStatus.RENDERED, made.render_error
    assert settings.PERMIT_RENDER_MODE == "off"
    with pytest.raises(ValueError), permits.rendering_mode("now"):
        pass

"""The single window end to end in a real browser: investor, clerk, every department.

Each person has their own browser context (their own session), as in life.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from approvals import models as m
from approvals import permits
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def permit_keys(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_RENDER_MODE = "inline"


def log_in(pages, username):
    page = pages.go("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def verify_identity(pages, *, name, number, document_type="resident_id", nationality="CHN"):
    """Real-name verification on "Your identity" (the register must hold the person)."""
    page = pages.go("/portal/identity/")
    page.fill("#id_name", name)
    page.select_option("#id_document_type", document_type)
    page.fill("#id_document_number", number)
    page.select_option("#id_nationality", nationality)
    page.get_by_test_id("verify-identity").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("identity-verified").is_visible()
    return page


def sign_up_and_draft(tab, world, username="newinvestor"):
    email = f"{username}@example.test"
    page = tab.go("/signup/")
    page.fill("#id_email", email)
    page.fill("#id_password1", "Correct-horse-42")
    page.fill("#id_password2", "Correct-horse-42")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert email in page.get_by_test_id("signup-sent").inner_text()
    # The live server runs in this process: its mail is in the test outbox.
    (message,) = [m for m in mail.outbox if m.to == [email]]
    path = re.search(r"https?://[^/\s]+(/accounts/activate/\S+)", message.body).group(1)
    page = tab.go(path)
    page.get_by_test_id("activate").click()
    page.wait_for_load_state()
    assert get_user_model().objects.get(email=email).is_active
    # The new account is the enterprise's legal representative: it verifies its
    # identity first (one verified account per document, so world.investor's goes).
    m.Identity.objects.filter(user=world.investor).delete()
    enterprise = world.enterprise
    m.Person.objects.get_or_create(
        document_type=enterprise.legal_representative_document_type,
        document_number=enterprise.legal_representative_id,
        defaults={"name": enterprise.legal_representative, "nationality": "CHN"},
    )
    page = verify_identity(
        tab, name=enterprise.legal_representative, number=enterprise.legal_representative_id
    )
    page.goto(tab.base + f"/services/{world.service.code}/")
    page.get_by_test_id("start-application").click()
    # A mistyped code is refused beside the field, and no draft is made.
    page.fill(
        "#id_uscc", world.enterprise.uscc[:-1] + ("0" if world.enterprise.uscc[-1] != "0" else "1")
    )
    page.get_by_test_id("create-draft").click()
    assert page.locator(".field.has-error .errorlist").inner_text()
    assert not m.Application.objects.exists()
    tab.shot("apply-invalid-code")
    page.fill("#id_uscc", world.enterprise.uscc)
    page.get_by_test_id("create-draft").click()
    page.wait_for_load_state()
    return page


def hand_in(tab, page, tmp_path, settings):
    fake = tmp_path / "not-really.pdf"
    fake.write_bytes(b"just some text, not a PDF")
    page.locator(".inline-form:has([data-testid='upload-form']) [type=file]").set_input_files(
        str(fake)
    )
    page.get_by_test_id("upload-form").click()
    errors = page.locator(".material.has-error .errorlist")
    assert "PDF, JPEG or PNG" in errors.inner_text()
    tab.shot("upload-wrong-type")

    settings.UPLOAD_MAX_BYTES = 1000
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 5000)
    page.locator(".inline-form:has([data-testid='upload-form']) [type=file]").set_input_files(
        str(big)
    )
    page.get_by_test_id("upload-form").click()
    assert "limit" in page.locator(".material.has-error .errorlist").inner_text()
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    assert m.Application.objects.get().status == m.ApplicationStatus.DRAFT  # the draft is kept

    good = tmp_path / "form.pdf"
    good.write_bytes(b"%PDF-1.4\n" + b"0" * 2000)
    for code in ("form", "prior-licence"):
        page.locator(
            f".inline-form:has([data-testid='upload-{code}']) [type=file]"
        ).set_input_files(str(good))
        page.get_by_test_id(f"upload-{code}").click()
        page.wait_for_load_state()
    commit = page.locator("details:has([data-testid='commit-lease'])")
    if not commit.locator("textarea").is_visible():
        page.locator("details:has([data-testid='commit-lease']) summary").click()
    commit.locator("textarea").fill("本企业承诺住所真实有效 / We commit that the address is real.")
    page.get_by_test_id("commit-lease").click()
    page.wait_for_load_state()
    page.get_by_test_id("defer-seal").click()
    page.wait_for_load_state()


def test_whole_journey_from_sign_up_to_permit(
    world, tab, open_tab, tmp_path, settings, permit_keys
):
    page = sign_up_and_draft(tab, world)
    # Prefilled values show their source.
    assert page.locator(f"input[value='{world.enterprise.name_zh}']").count() == 1
    assert "registry" in page.locator("main").inner_text().lower()
    tab.shot("draft-prefilled")
    hand_in(tab, page, tmp_path, settings)
    page.get_by_test_id("submit-application").click()
    page.wait_for_load_state()
    app = m.Application.objects.get()
    assert app.status == m.ApplicationStatus.SUBMITTED
    tab.shot("submitted")

    clerk = open_tab()
    cpage = log_in(clerk, "clerk")
    cpage.goto(clerk.base + "/office/window/")
    cpage.get_by_test_id("window-queue").get_by_role("link", name=app.reference).click()
    clerk.shot("acceptance-screen")
    cpage.get_by_test_id("accept").click()
    cpage.wait_for_load_state()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.IN_REVIEW

    for code in ("market", "commerce", "tax"):
        reviewer = open_tab()
        rpage = log_in(reviewer, f"rev-{code}")
        rpage.goto(reviewer.base + "/office/reviews/")
        rpage.get_by_test_id("review-queue").get_by_role("link", name=app.reference).click()
        rpage.get_by_test_id("approve").click()
        rpage.wait_for_load_state()
        if code == "market":
            reviewer.shot("review-screen-after-approval")
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.APPROVED

    page.reload()
    number = page.get_by_test_id("permit-number").inner_text().strip()
    assert number == app.permit.number
    href = page.get_by_test_id("download-permit").get_attribute("href")
    response = tab.context.request.get(tab.base + href)  # with the investor's session
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
    tab.shot("approved-with-permit")


def test_correction_loop_in_the_browser(world, tab, open_tab, tmp_path, settings):
    page = sign_up_and_draft(tab, world, username="correcting")
    hand_in(tab, page, tmp_path, settings)
    page.get_by_test_id("submit-application").click()
    page.wait_for_load_state()
    app = m.Application.objects.get()

    clerk = open_tab()
    cpage = log_in(clerk, "clerk")
    cpage.goto(clerk.base + f"/office/window/{app.public_id}/")
    cpage.locator("[data-testid='return-form'] textarea").first.fill(
        "租赁合同缺页 / Lease: page 3 missing"
    )
    cpage.get_by_test_id("return").click()
    cpage.wait_for_load_state()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.RETURNED

    page.reload()
    assert "Lease: page 3 missing" in page.get_by_test_id("correction-notice").inner_text()
    tab.shot("returned-for-correction")
    page.get_by_test_id("resubmit").click()
    page.wait_for_load_state()
    app.refresh_from_db()
    assert app.status == m.ApplicationStatus.SUBMITTED
    assert app.corrections.get().answered_at is not None


def test_the_same_pages_in_chinese_and_english(world, open_tab):
    f.UserFactory(username="bilingual", groups=["investor"])
    for locale, lang in (("zh-CN", "zh-Hans"), ("en-US", "en")):
        pages = open_tab(locale=locale)
        log_in(pages, "bilingual")
        for path in ("/services/", f"/services/{world.service.code}/", "/applications/"):
            page = pages.go(path)
            assert page.locator("html").get_attribute("lang") == lang
        pages.shot(f"applications-{locale}")

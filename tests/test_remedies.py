"""A refusal, in whole or in part, tells the investor the remedies and the deciding body: on the
application's page (both languages) and in the API; an approval does not."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.urls import reverse

from approvals import permits, services
from tests import journey

pytestmark = pytest.mark.django_db


def decided(world, *, refuse: str | None):
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    for review in app.reviews.select_related("department"):
        code = review.department.code
        services.review_complete(
            actor=world.reviewers[code],
            review=review,
            approve=code != refuse,
            reasons="Outside the permitted scope." if code == refuse else "",
        )
    app.refresh_from_db()
    return app


def page(client, world, app, language):
    client.force_login(world.investor)
    url = reverse("portal:application", kwargs={"public_id": app.public_id})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_refusal_page_states_the_remedies_and_who_decided(client, world):
    app = decided(world, refuse="tax")
    # The other two matters stand: refused in part, and owed the remedies all the same.
    assert app.status == "partly_approved"
    english = page(client, world, app, "en")
    assert 'data-testid="remedies"' in english
    assert "Decided by: Department tax, through the single window." in english
    assert "administrative reconsideration within 60 days" in english
    assert "administrative lawsuit before a people&#x27;s court within 6 months" in english
    chinese = page(client, world, app, "zh-hans")
    assert "作出决定的机关：部门tax（经“单一窗口”）。" in chinese
    assert "六十日内依法申请行政复议" in chinese
    assert "六个月内依法向人民法院提起行政诉讼" in chinese


def test_an_approval_shows_no_remedies(client, world):
    app = decided(world, refuse=None)
    assert app.status == "approved"
    assert 'data-testid="remedies"' not in page(client, world, app, "en")


def test_the_api_detail_carries_the_remedies(client, world, settings):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()  # the approved one's permit
    refused = decided(world, refuse="commerce")
    client.force_login(world.investor)
    body = client.get(f"/api/applications/{refused.public_id}/").json()
    remedies = body["remedies"]
    assert remedies["reconsideration_days"] == 60 and remedies["lawsuit_months"] == 6
    assert remedies["decided_by"] == "Department commerce, through the single window"
    assert "within 60 days" in remedies["text"] and "within 6 months" in remedies["text"]
    approved = decided(world, refuse=None)
    assert client.get(f"/api/applications/{approved.public_id}/").json()["remedies"] is None


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_the_refusal_notice_pdf_states_decision_reasons_body_and_remedies(client, world):
    app = decided(world, refuse="tax")
    client.force_login(world.investor)
    url = reverse("portal:refusal_notice", kwargs={"public_id": app.public_id})
    assert url in page(client, world, app, "en")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    # Letter-spacing puts spaces between characters: compare without any.
    text = "".join(pdf_text(response.content).split())
    for expected in (
        "不予许可决定书",
        "Decision of refusal",
        f"HNSW-BYXK-{app.decided_at:%Y}-{app.pk:08d}",
        app.reference,
        app.uscc,
        "部门tax：Outside the permitted scope.",
        "Department tax: Outside the permitted scope.",
        "六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
        "within 60 days",
        "within 6 months",
        "作出决定的机关：部门tax（经“单一窗口”）",
        "Decided by: Department tax, through the single window",
    ):
        assert "".join(expected.split()) in text, expected


def test_only_the_applicant_of_a_refusal_gets_a_refusal_notice(client, world):
    refused = decided(world, refuse="tax")
    approved = decided(world, refuse=None)

    def status(user, app):
        client.force_login(user)
        url = reverse("portal:refusal_notice", kwargs={"public_id": app.public_id})
        return client.get(url).status_code

    assert status(world.other_investor, refused) == 404
    assert status(world.investor, approved) == 404

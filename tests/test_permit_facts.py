"""The permit states what was approved: the values the application held at the decision
(confirmed or corrected by the applicant), not the registry record it was prefilled from.

Read back the way a verifier meets them: the PDF's text through PDFium, the public
verification page and its JSON, and the API.
"""

from __future__ import annotations

import importlib
import json
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.apps import apps
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals import permits, services
from approvals.models.permits import RenderStatus
from tests import journey

# What the registry holds, and what the applicant corrected it to before approval.
REGISTRY = {
    "name_zh": "海南登记原名有限公司",
    "name_en": "Hainan Registered Name Co., Ltd.",
    "enterprise_type": "有限责任公司(自然人独资)",
    "legal_representative": "李登记",
    "registered_capital": Decimal("8000"),
    "address": "海南省海口市美兰区登记路8号",
    "business_scope": "登记范围：茶叶批发",
}
CORRECTED = {
    "enterprise.name_zh": "海南核准新名有限公司",
    "enterprise.name_en": "Hainan Approved Name Co., Ltd.",
    "enterprise.type": "有限责任公司(外商投资、非独资)",
    "enterprise.legal_representative": "陈核准",
    "enterprise.registered_capital": "9000",
    "enterprise.address": "海南省三亚市吉阳区核准路9号",
    "enterprise.business_scope": "核准范围：咖啡种植与技术服务",
}


@pytest.fixture(autouse=True)
def permit_settings(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"
    settings.PERMIT_PUBLIC_BASE_URL = "https://window.example.test"
    settings.MEDIA_ROOT = tmp_path / "media"


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_text(permit) -> str:
    with permit.pdf.open("rb") as handle:
        document = pdfium.PdfDocument(handle.read())
    try:
        return squeeze("".join(page.get_textpage().get_text_range() for page in document))
    finally:
        document.close()


@pytest.fixture
def corrected_permit(world, django_capture_on_commit_callbacks):
    for field, value in REGISTRY.items():
        setattr(world.enterprise, field, value)
    world.enterprise.save()
    app = journey.complete(world, journey.draft(world))
    # Prefilled from the registry...
    assert app.values.get(field="enterprise.registered_capital").value.startswith("8000")
    # ...and corrected by the applicant before submitting.
    services.application_values_update(actor=world.investor, application=app, values=CORRECTED)
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        journey.approve_all(world, app)
    # The business licence: the outcome of the market department's matter.
    permit = m.Permit.objects.select_related("holder", "application__service").get(
        application=app, matter__matter=world.matters["market"]
    )
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error
    return permit


@pytest.mark.django_db
def test_the_permit_records_the_values_as_approved(corrected_permit):
    assert corrected_permit.facts == {
        "name_zh": CORRECTED["enterprise.name_zh"],
        "name_en": CORRECTED["enterprise.name_en"],
        "enterprise_type": CORRECTED["enterprise.type"],
        "legal_representative": CORRECTED["enterprise.legal_representative"],
        "registered_capital": "9000",
        "address": CORRECTED["enterprise.address"],
    }
    assert corrected_permit.scope == CORRECTED["enterprise.business_scope"]
    # The registry record itself is not the permit's business.
    assert corrected_permit.holder.registered_capital == Decimal("8000")


@pytest.mark.django_db
def test_the_pdf_prints_every_value_as_approved_and_none_as_registered(corrected_permit):
    text = pdf_text(corrected_permit)
    assert "9000万元人民币" in text and "CNY90,000,000" in text
    assert "8000万元" not in text and "CNY80,000,000" not in text
    for field, value in CORRECTED.items():
        if field != "enterprise.registered_capital":
            assert squeeze(value) in text, field
    for field, value in REGISTRY.items():
        if field != "registered_capital":
            assert squeeze(value) not in text, field


@pytest.mark.django_db
def test_verification_page_and_json_state_the_approved_values(client, corrected_permit):
    token = permits.permit_token(corrected_permit)
    url = reverse("verification:check", kwargs={"token": token})
    page = client.get(url).content.decode()
    for value in ("9000 万元人民币", "CNY 90,000,000", *CORRECTED.values()):
        if value != "9000":
            assert value in page, value
    for field, value in REGISTRY.items():
        if field != "registered_capital":
            assert value not in page, field
    assert "8000 万元" not in page

    data = client.get(url, {"format": "json"}).json()
    assert data["status"] == "valid" and data["permit_status"] == "issued"
    assert (data["holder"], data["holder_en"]) == (
        CORRECTED["enterprise.name_zh"],
        CORRECTED["enterprise.name_en"],
    )
    assert data["enterprise_type"] == CORRECTED["enterprise.type"]
    assert data["legal_representative"] == CORRECTED["enterprise.legal_representative"]
    assert data["registered_capital"] == "9000"
    assert data["address"] == CORRECTED["enterprise.address"]
    assert data["scope"] == CORRECTED["enterprise.business_scope"]
    assert corrected_permit.holder.legal_representative_id not in json.dumps(data)

    api = APIClient().get(f"/api/verify/{token}/").json()
    assert {k: api[k] for k in data if k in api} == {k: data[k] for k in data if k in api}
    assert api["registered_capital"] == "9000"


@pytest.mark.django_db
def test_the_api_states_the_approved_values(world, corrected_permit):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.investor).key}")
    detail = api.get(f"/api/applications/{corrected_permit.application.public_id}/").json()
    assert detail["permit"]["facts"] == {
        "name_zh": CORRECTED["enterprise.name_zh"],
        "name_en": CORRECTED["enterprise.name_en"],
        "enterprise_type": CORRECTED["enterprise.type"],
        "legal_representative": CORRECTED["enterprise.legal_representative"],
        "registered_capital": "9000",
        "address": CORRECTED["enterprise.address"],
        "scope": CORRECTED["enterprise.business_scope"],
    }


@pytest.mark.django_db
def test_a_value_left_blank_is_stated_from_the_registry(world):
    app = journey.complete(world, journey.draft(world))
    app.values.filter(field="enterprise.name_en").update(value="")
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    permit = journey.approve_all(world, app).permit
    assert permit.facts["name_en"] == world.enterprise.name_en
    assert permit.facts["name_zh"] == world.enterprise.name_zh


@pytest.mark.django_db
def test_the_registry_changing_later_changes_nothing_on_the_permit(client, corrected_permit):
    holder = corrected_permit.holder
    holder.name_zh, holder.registered_capital = "海南后来改名有限公司", Decimal("1")
    holder.save()
    rendered = permits.render_pdf(m.Permit.objects.get(pk=corrected_permit.pk))
    document = pdfium.PdfDocument(rendered)
    try:
        text = squeeze(document[0].get_textpage().get_text_range())
    finally:
        document.close()
    assert CORRECTED["enterprise.name_zh"] in text and "海南后来改名有限公司" not in text
    assert "9000万元人民币" in text


@pytest.mark.django_db
def test_permits_issued_before_the_snapshot_get_the_facts_they_printed(world):
    """Migration 0008: a permit without facts gets its holder's record, which is what
    its PDF printed; one with facts keeps them."""
    migration = importlib.import_module("approvals.migrations.0010_permit_facts")
    app = journey.complete(world, journey.draft(world))
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    old = journey.approve_all(world, app).permit
    m.Permit.objects.filter(pk=old.pk).update(facts={})
    other = m.Permit.objects.create(
        number="HNSW-2025-001-00000999",
        application=journey.draft(world),
        holder=world.enterprise,
        scope="x",
        issued_at=old.issued_at,
        valid_from=old.valid_from,
        facts={"name_zh": "保留"},
    )

    migration.facts_from_holder(apps, None)

    old.refresh_from_db()
    holder = m.Enterprise.objects.get(pk=world.enterprise.pk)
    assert old.facts == {
        "name_zh": holder.name_zh,
        "name_en": holder.name_en,
        "enterprise_type": holder.enterprise_type,
        "legal_representative": holder.legal_representative,
        "registered_capital": str(holder.registered_capital),
        "address": holder.address,
    }
    other.refresh_from_db()
    assert other.facts == {"name_zh": "保留"}

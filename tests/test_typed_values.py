"""Every number an investor types is read as strictly as registered capital, on the
page and in the API; and "hand in later" is offered only where it means something."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import models as m
from approvals import prefill, services
from tests import journey
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db

EMPLOYEES = "social_security.insured_employees"
BAD_COUNTS = ["NaN", "-3", "sNaN", "Infinity", "1e3", "3.5", "3.0", "٣", "²", "many", "10000000"]


def test_insured_employees_is_a_count_in_the_field_specs():
    specs = prefill.field_specs()
    assert specs[EMPLOYEES][0].kind == prefill.FieldKind.INTEGER
    assert specs["enterprise.registered_capital"][0].kind == prefill.FieldKind.AMOUNT
    assert specs["project.total_investment"][0].kind == prefill.FieldKind.AMOUNT
    assert specs["enterprise.established_on"][0].kind == prefill.FieldKind.DATE


@pytest.mark.parametrize("typed", BAD_COUNTS)
def test_a_count_that_is_not_a_whole_number_of_zero_or_more_is_refused(world, typed):
    app = journey.draft(world)
    with pytest.raises(ValidationError) as error:
        services.application_values_update(
            actor=world.investor, application=app, values={EMPLOYEES: typed}
        )
    assert error.value.message_dict[EMPLOYEES]
    row = app.values.get(field=EMPLOYEES)
    assert (row.value, row.confirmed_at) == ("", None)


@pytest.mark.parametrize(
    ("typed", "stored"), [("12", "12"), ("0", "0"), (" 1,200 ", "1200"), ("０１２", "12"), ("", "")]
)
def test_a_count_is_stored_as_a_plain_whole_number(world, typed, stored):
    app = journey.draft(world)
    services.application_values_update(
        actor=world.investor, application=app, values={EMPLOYEES: typed}
    )
    assert app.values.get(field=EMPLOYEES).value == stored


def test_the_page_refuses_nan_employees_beside_the_field_and_keeps_what_was_typed(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    response = client.post(
        reverse("portal:values", args=[app.public_id]),
        {"v-social_security-insured_employees": "NaN", "v-enterprise-address": "新地址 1号"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a whole number of 0 or more" in body
    assert 'value="NaN"' in body and "新地址 1号" in body
    assert 'inputmode="numeric"' in body
    assert app.values.get(field=EMPLOYEES).value == ""


@pytest.mark.parametrize("typed", ["NaN", "-3"])
def test_the_api_refuses_nan_and_negative_employees(world, typed):
    app = journey.draft(world)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.investor).key}")
    response = api.patch(
        f"/api/applications/{app.public_id}/", {"values": {EMPLOYEES: typed}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"][EMPLOYEES] == [
        "Enter a whole number of 0 or more, for example 12."
    ]
    assert app.values.get(field=EMPLOYEES).value == ""


def test_hand_in_later_is_not_offered_once_the_material_is_uploaded(client, world):
    world.service.materials.filter(code="seal").update(allow_upload=True)
    app = journey.draft(world)
    client.force_login(world.investor)
    page = client.get(reverse("portal:application", args=[app.public_id]))
    assert 'data-testid="defer-seal"' in page.content.decode()

    services.material_upload(
        actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
    )
    page = client.get(reverse("portal:application", args=[app.public_id]))
    assert 'data-testid="defer-seal"' not in page.content.decode()


def test_the_service_refuses_to_defer_an_uploaded_material_and_keeps_the_file(world):
    world.service.materials.filter(code="seal").update(allow_upload=True)
    app = journey.draft(world)
    services.material_upload(
        actor=world.investor, application=app, material_code="seal", upload=pdf_upload()
    )
    with pytest.raises(ValidationError, match="already uploaded"):
        services.material_defer(actor=world.investor, application=app, material_code="seal")
    row = app.materials.get(material__code="seal")
    assert row.satisfied_by == m.SatisfiedBy.UPLOAD and row.file


def test_the_service_refuses_to_defer_a_reused_material(world):
    world.service.materials.filter(code="registry").update(allow_deferral=True)
    app = journey.draft(world)
    with pytest.raises(ValidationError, match="reused from what the government holds"):
        services.material_defer(actor=world.investor, application=app, material_code="registry")
    assert app.materials.get(material__code="registry").satisfied_by == m.SatisfiedBy.REUSE

"""Each material names its legal basis: required for open services, editable
in the admin, shown in the guide and in the API, read from the record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from approvals import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

BASIS_ZH = "《企业投资项目核准和备案管理条例》第十三条第（四）项"
BASIS_EN = "Regulation on the Approval and Filing of Enterprise Investment Projects, art. 13(4)"


def test_a_material_of_an_open_service_without_a_basis_is_invalid():
    service = f.ServiceFactory(is_active=True)
    material = f.MaterialFactory.build(service=service, legal_basis_zh="", legal_basis_en="  ")
    with pytest.raises(ValidationError) as error:
        material.full_clean()
    assert set(error.value.message_dict) == {"legal_basis_zh", "legal_basis_en"}
    assert error.value.message_dict["legal_basis_zh"] == [
        "A material of a service open for applications must name its legal basis."
    ]


def test_one_language_missing_is_enough_to_refuse():
    service = f.ServiceFactory(is_active=True)
    material = f.MaterialFactory.build(service=service, legal_basis_en="")
    with pytest.raises(ValidationError) as error:
        material.full_clean()
    assert set(error.value.message_dict) == {"legal_basis_en"}


def test_a_service_still_being_drafted_closed_may_lack_bases():
    service = f.ServiceFactory(is_active=False)
    f.MaterialFactory.build(service=service, legal_basis_zh="", legal_basis_en="").full_clean()


def test_an_unsaved_open_service_is_checked_too():
    # As in the admin, where a new service and its materials come in one form.
    service = f.ServiceFactory.build(is_active=True)
    with pytest.raises(ValidationError):
        m.Material(service=service, code="x", name_zh="甲", name_en="A").clean()


def _service_change_form(service, material, **material_fields) -> dict:
    """What the admin's change form posts for a service with one department and one material."""
    part = service.thing_matters.get()
    data = {
        "code": service.code,
        "name_zh": service.name_zh,
        "name_en": service.name_en,
        "description_zh": "",
        "description_en": "",
        "statutory_limit_days": service.statutory_limit_days,
        "promised_limit_days": service.promised_limit_days,
        "legacy_steps": service.legacy_steps,
        "is_active": "on",
        "thing_matters-TOTAL_FORMS": "1",
        "thing_matters-INITIAL_FORMS": "1",
        "thing_matters-0-id": part.pk,
        "thing_matters-0-service": service.pk,
        "thing_matters-0-matter": part.matter_id,
        "thing_matters-0-order": part.order,
        "thing_matters-0-operator": "is",
        "materials-TOTAL_FORMS": "1",
        "materials-INITIAL_FORMS": "1",
        "materials-0-id": material.pk,
        "materials-0-service": service.pk,
        "materials-0-code": material.code,
        "materials-0-order": material.order,
        "materials-0-department": "",
        "materials-0-operator": "is",
        "materials-0-name_zh": material.name_zh,
        "materials-0-name_en": material.name_en,
        "materials-0-legal_basis_zh": material.legal_basis_zh,
        "materials-0-legal_basis_en": material.legal_basis_en,
        "materials-0-reuse_key": "",
        "materials-0-allow_upload": "on",
        "materials-0-deferral_days": "5",
    }
    data.update({f"materials-0-{k}": v for k, v in material_fields.items()})
    return data


@pytest.fixture
def one_material_service():
    service = f.ServiceFactory(is_active=True)
    f.thing_part(service, f.DepartmentFactory(code="development-reform"))
    material = f.MaterialFactory(service=service, code="statement", order=1)
    return service, material


def test_the_admin_edits_the_basis(admin_client, one_material_service):
    service, material = one_material_service
    url = reverse("admin:approvals_service_change", args=[service.pk])
    assert 'name="materials-0-legal_basis_zh"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        _service_change_form(service, material, legal_basis_zh=BASIS_ZH, legal_basis_en=BASIS_EN),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    material.refresh_from_db()
    assert (material.legal_basis_zh, material.legal_basis_en) == (BASIS_ZH, BASIS_EN)


def test_the_admin_refuses_to_blank_the_basis_of_an_open_service(
    admin_client, one_material_service
):
    service, material = one_material_service
    before = (material.legal_basis_zh, material.legal_basis_en, service.name_en)
    url = reverse("admin:approvals_service_change", args=[service.pk])
    data = _service_change_form(service, material, legal_basis_zh="", legal_basis_en="")
    data["name_en"] = "Renamed in the same form"
    response = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "must name its legal basis" in response.content.decode()
    material.refresh_from_db()
    service.refresh_from_db()
    assert (material.legal_basis_zh, material.legal_basis_en, service.name_en) == before


def _materials_table(page: str) -> str:
    # The matters' table comes first; the materials' table is the one marked so.
    table = page.split('data-testid="materials"', 1)[1]
    return table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


@pytest.mark.parametrize(
    ("language", "shown", "hidden"), [("zh-hans", "zh", "en"), ("en", "en", "zh")]
)
def test_the_guide_shows_each_materials_basis_in_the_page_language(
    client, world, language, shown, hidden
):
    materials = list(world.service.materials.all())
    for i, material in enumerate(materials):
        material.legal_basis_zh = f"《第{i}号条例》第{i + 1}条"
        material.legal_basis_en = f"Regulation No. {i}, art. {i + 1}"
        material.save()
    page = client.get(
        reverse("portal:service", args=[world.service.code]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    table = _materials_table(page)
    rows = table.split("</tr>")[:-1]
    assert len(rows) == len(materials)
    for row, material in zip(rows, materials, strict=True):
        assert (material.name_zh if language == "zh-hans" else material.name_en) in row
        assert f'<td class="legal-basis">{getattr(material, f"legal_basis_{shown}")}</td>' in row
        assert getattr(material, f"legal_basis_{hidden}") not in table
    assert ("设定依据" if language == "zh-hans" else "Legal basis") in page


def test_the_api_gives_each_materials_basis_in_both_languages(world):
    material = world.service.materials.get(code="lease")
    material.legal_basis_zh, material.legal_basis_en = BASIS_ZH, BASIS_EN
    material.save()
    body = APIClient().get(f"/api/services/{world.service.code}/").json()
    by_code = {row["code"]: row for row in body["materials"]}
    assert (by_code["lease"]["legal_basis_zh"], by_code["lease"]["legal_basis_en"]) == (
        BASIS_ZH,
        BASIS_EN,
    )
    for other in world.service.materials.exclude(code="lease"):
        row = by_code[other.code]
        assert (row["legal_basis_zh"], row["legal_basis_en"]) == (
            other.legal_basis_zh,
            other.legal_basis_en,
        )
    listing = APIClient().get("/api/services/").json()["results"]
    lease = next(
        row
        for s in listing
        if s["code"] == world.service.code
        for row in s["materials"]
        if row["code"] == "lease"
    )
    assert lease["legal_basis_en"] == BASIS_EN


def test_the_admin_does_not_open_a_service_whose_materials_name_no_basis(admin_client):
    service = f.ServiceFactory(is_active=False)
    f.thing_part(service, f.DepartmentFactory(code="public-security"))
    material = f.MaterialFactory(service=service, legal_basis_zh="", legal_basis_en="")
    url = reverse("admin:approvals_service_change", args=[service.pk])
    # The material's own fields are left as they are: only "open" is ticked.
    response = admin_client.post(url, _service_change_form(service, material))
    assert response.status_code == 200
    service.refresh_from_db()
    assert not service.is_active
    data = _service_change_form(service, material)
    del data["is_active"]
    assert admin_client.post(url, data).status_code == 302  # closed, it may wait for them

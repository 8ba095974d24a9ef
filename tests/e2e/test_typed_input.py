"""In a real browser: a value typed in the values form and not saved survives pressing
a material's Upload, Sign or Defer button, and a refused value comes back as typed."""

import pytest

from approvals import models as m
from tests import journey

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def log_in(tab, username):
    page = tab.go("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def test_typed_values_survive_every_material_button(world, tab, tmp_path):
    app = journey.draft(world)
    page = log_in(tab, world.investor.username)
    page.goto(tab.base + f"/applications/{app.public_id}/")

    # Upload: the address typed above is saved with the file.
    page.fill("#id_v-enterprise-address", "海南省三亚市新地址 8号")
    scan = tmp_path / "form.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + b"0" * 2000)
    page.locator("#id_material-form-file").set_input_files(str(scan))
    page.get_by_role("button", name="Upload Material form").click()
    page.wait_for_load_state()
    assert page.locator("#id_v-enterprise-address").input_value() == "海南省三亚市新地址 8号"
    assert app.values.get(field="enterprise.address").value == "海南省三亚市新地址 8号"
    assert app.materials.get(material__code="form").satisfied_by == m.SatisfiedBy.UPLOAD

    # Defer, with a value typed that is refused: the deferral is made, and the
    # value comes back as typed with its error.
    page.fill("#id_v-enterprise-registered_capital", "lots")
    page.fill("#id_v-enterprise-business_scope", "货物进出口；餐饮服务")
    page.get_by_test_id("defer-seal").click()
    page.wait_for_load_state()
    assert page.locator("#id_v-enterprise-registered_capital").input_value() == "lots"
    assert page.locator("#id_v-enterprise-business_scope").input_value() == "货物进出口；餐饮服务"
    assert "Enter an amount" in page.get_by_test_id("error-summary").inner_text()
    assert app.materials.get(material__code="seal").satisfied_by == m.SatisfiedBy.DEFERRAL
    tab.shot("typed-values-kept")

    # Sign a commitment after correcting the value: both are saved.
    page.fill("#id_v-enterprise-registered_capital", "800")
    commit = page.locator("details:has([data-testid='commit-lease'])")
    if not commit.locator("textarea").is_visible():
        commit.locator("summary").click()
    commit.locator("textarea").fill("We commit that the lease is real and valid.")
    page.get_by_test_id("commit-lease").click()
    page.wait_for_load_state()
    assert app.values.get(field="enterprise.registered_capital").value == "800"
    assert app.values.get(field="enterprise.business_scope").value == "货物进出口；餐饮服务"
    assert app.materials.get(material__code="lease").satisfied_by == m.SatisfiedBy.COMMITMENT

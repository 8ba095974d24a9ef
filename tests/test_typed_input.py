"""A value typed and not yet saved survives any material's button: it is saved with
the action, or, if refused, shown again as typed with its error beside the action's
outcome. The material buttons name their material for a screen reader."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import models as m
from approvals import services
from tests import journey
from tests.factories import pdf_upload

pytestmark = pytest.mark.django_db

ADDRESS, CAPITAL = "v-enterprise-address", "v-enterprise-registered_capital"


def page_of(app):
    return reverse("portal:application", args=[app.public_id])


def action(name, app, code):
    return reverse(f"portal:{name}", args=[app.public_id, code])


def typed_form(client, app) -> dict[str, str]:
    """What the browser sends with the values form: every value as the page shows it."""
    form = client.get(page_of(app)).context["values_form"]
    return {name: form[name].value() or "" for name in form.fields}


def value(app, key):
    return app.values.get(field=key).value


@pytest.fixture
def draft(world, client):
    client.force_login(world.investor)
    return journey.draft(world)


@pytest.mark.parametrize(
    ("name", "code", "extra"),
    [
        ("material_upload", "form", lambda: {"material-form-file": pdf_upload()}),
        (
            "material_commit",
            "lease",
            lambda: {"material-lease-text": "We commit that the lease is real and valid."},
        ),
        ("material_defer", "seal", dict),
    ],
)
def test_a_material_button_saves_the_value_typed_above_it(client, world, draft, name, code, extra):
    posted = typed_form(client, draft) | {ADDRESS: "海南省三亚市新地址 8号"} | extra()
    response = client.post(action(name, draft, code), posted, follow=True)
    assert response.status_code == 200
    assert value(draft, "enterprise.address") == "海南省三亚市新地址 8号"
    assert draft.materials.get(material__code=code).satisfied_by != m.SatisfiedBy.MISSING
    messages = [str(x) for x in response.context["messages"]]
    assert "The values you typed are saved too." in messages
    # Only the value that changed is confirmed: pressing a material's button
    # is not confirming every prefilled value.
    assert draft.values.get(field="enterprise.name_zh").confirmed_at is None


def test_an_invalid_typed_value_is_kept_with_its_error_and_the_upload_still_happens(
    client, world, draft
):
    posted = typed_form(client, draft) | {
        ADDRESS: "海南省三亚市新地址 8号",
        CAPITAL: "lots",
        "material-form-file": pdf_upload("form.pdf"),
    }
    response = client.post(action("material_upload", draft, "form"), posted)
    assert response.status_code == 400
    body = response.content.decode()
    # The upload is done and said so; the values are as typed, with the error.
    assert draft.materials.get(material__code="form").satisfied_by == m.SatisfiedBy.UPLOAD
    assert "form.pdf is uploaded." in body
    assert 'value="lots"' in body and "海南省三亚市新地址 8号" in body
    error = re.search(r'id="err-v-enterprise-registered_capital"[^>]*>(.*?)</ul>', body, re.S)
    assert "Enter an amount" in error.group(1)
    assert "Some values you typed were not saved" in body
    assert value(draft, "enterprise.registered_capital") == "500"


def test_a_refused_file_keeps_its_error_and_the_typed_values_are_saved(client, world, draft):
    posted = typed_form(client, draft) | {
        ADDRESS: "海南省三亚市新地址 8号",
        "material-form-file": SimpleUploadedFile("x.pdf", b"not a pdf at all"),
    }
    response = client.post(action("material_upload", draft, "form"), posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Only PDF, JPEG or PNG files are accepted" in body
    assert value(draft, "enterprise.address") == "海南省三亚市新地址 8号"
    assert "海南省三亚市新地址 8号" in body
    assert draft.materials.get(material__code="form").satisfied_by == m.SatisfiedBy.MISSING


def test_a_commitment_too_short_and_a_bad_value_both_keep_what_was_typed(client, world, draft):
    posted = typed_form(client, draft) | {CAPITAL: "-5", "material-lease-text": "short"}
    response = client.post(action("material_commit", draft, "lease"), posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="-5"' in body and ">short</textarea>" in body
    assert "The amount must be greater than zero." in body
    assert "at least 10 characters" in body


def test_asking_the_sources_again_saves_the_typed_values_first(client, world, draft):
    posted = typed_form(client, draft) | {"v-social_security-account_number": "SS-typed-1"}
    client.post(reverse("portal:prefill", args=[draft.public_id]), posted)
    assert value(draft, "social_security.account_number") == "SS-typed-1"


def test_every_material_control_of_a_draft_sends_the_values_form(client, world, draft):
    body = client.get(page_of(draft)).content.decode()
    buttons = re.findall(r'<button[^>]*data-testid="(?:upload|commit|defer)-[^"]+"[^>]*>', body)
    assert len(buttons) >= 4
    assert all('form="values-form"' in b and "formaction=" in b for b in buttons), buttons
    inputs = re.findall(r'<(?:input type="file"|textarea name="material-)[^>]*>', body)
    assert inputs and all('form="values-form"' in i for i in inputs), inputs


@pytest.mark.parametrize(("lang", "word"), [("en", "Upload"), ("zh-hans", "上传")])
def test_each_upload_button_names_its_material_in_both_languages(client, world, draft, lang, word):
    body = client.get(page_of(draft), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    labels = re.findall(r'data-testid="upload-([^"]+)" aria-label="([^"]+)"', body)
    assert labels
    column = "name_en" if lang == "en" else "name_zh"
    names = dict(m.Material.objects.filter(service=world.service).values_list("code", column))
    for code, label in labels:
        assert label.startswith(word) and names[code] in label, (code, label)
    assert len({label for _code, label in labels}) == len(labels)


def test_a_deferred_material_is_still_handed_in_with_its_own_form_after_submission(client, world):
    client.force_login(world.investor)
    app = journey.submitted(world)
    services.application_accept(actor=world.clerk, application=app)
    body = client.get(page_of(app)).content.decode()
    assert 'action="' + action("material_upload", app, "seal") + '"' in body


def test_enter_in_a_value_field_saves_the_values_even_when_a_source_is_down(
    client, world, settings
):
    # Enter submits with the form's first submit button in document order: it
    # must be "save", not "ask the sources again" nor any material's button.
    settings.PREFILL_SOURCES = [
        "tests.test_portal.BrokenRegistry",
        "approvals.shared_data.TaxRegistrationSource",
    ]
    client.force_login(world.investor)
    app = journey.draft(world)
    body = client.get(page_of(app)).content.decode()
    form_start = body.index('id="values-form"')
    buttons = re.findall(r"<button[^>]*>", body)
    of_values_form = [
        b
        for b in buttons
        if 'form="values-form"' in b
        or form_start < body.index(b) < body.index("</form>", form_start)
    ]
    assert 'data-testid="save-values"' in of_values_form[0], of_values_form[:2]
    assert any('data-testid="retry-prefill"' in b for b in of_values_form[1:])
    assert body.index('data-testid="save-values"') < body.index('data-testid="retry-prefill"')

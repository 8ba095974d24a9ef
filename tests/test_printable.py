"""The permit as a document: a long unbroken value wraps inside the page, and a
character no permit font has is refused where it is typed, naming the character."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import permits, printable, services
from approvals.models.permits import RenderStatus
from tests import journey

EMOJI = "\U0001f600"  # GRINNING FACE
PRIVATE_USE = "\ue000"


@pytest.fixture(autouse=True)
def permit_settings(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = permits.generate_private_key_pem()
    settings.PERMIT_SIGNING_KEY_FILE = tmp_path / "no-such-key.pem"
    settings.PERMIT_RENDER_MODE = "inline"
    settings.PERMIT_PUBLIC_BASE_URL = "https://window.example.test"
    settings.MEDIA_ROOT = tmp_path / "media"


# --- which characters print ---------------------------------------------------------


def test_the_permit_fonts_are_found_and_read():
    points = printable.printable_code_points()
    assert points is not None, "no permit font found: install fonts-noto-cjk and fonts-dejavu"
    for char in "海南国际投资单一窗口有限公司 Hainan Co., Ltd. 0123456789（）·—é":
        assert ord(char) in points or char.isspace(), char


def test_emoji_private_use_and_controls_are_unprintable_and_named_once():
    text = f"海南{EMOJI}科技{EMOJI}有限公司{PRIVATE_USE}\u0007 Co."
    assert printable.unprintable(text) == [EMOJI, PRIVATE_USE, "\u0007"]
    assert printable.unprintable("海南省海口市龙华区滨海大道1号\n第二行\tA") == []
    message = printable.unprintable_message([EMOJI])
    assert "“😀” U+1F600 GRINNING FACE" in message


def test_without_any_font_file_only_emoji_private_use_unassigned_and_controls_are_refused(
    monkeypatch,
):
    monkeypatch.setattr(printable, "_font_file", lambda family: None)
    printable.printable_code_points.cache_clear()
    try:
        assert printable.printable_code_points() is None
        text = f"海南\U00020000{EMOJI}\u2764\ufe0f{PRIVATE_USE}\u0378\u0007é"
        # U+20000 (a rare CJK character) passes: the fallback never refuses a letter.
        assert printable.unprintable(text) == [EMOJI, "\ufe0f", PRIVATE_USE, "\u0378", "\u0007"]
    finally:
        printable.printable_code_points.cache_clear()


# --- refused at input ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_refuses_an_unprintable_value_and_saves_nothing(world):
    app = journey.draft(world)
    before = dict(app.values.values_list("field", "value"))
    with pytest.raises(Exception, match="U\\+1F600 GRINNING FACE") as refused:
        services.application_values_update(
            actor=world.investor,
            application=app,
            values={"enterprise.name_zh": f"海南{EMOJI}有限公司", "enterprise.address": "新址1号"},
        )
    assert list(refused.value.message_dict) == ["enterprise.name_zh"]
    assert dict(app.values.values_list("field", "value")) == before


@pytest.mark.django_db
def test_the_api_refuses_it_with_a_message_naming_the_character(world):
    app = journey.draft(world)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.investor).key}")
    response = api.patch(
        f"/api/applications/{app.public_id}/",
        {"values": {"enterprise.business_scope": f"咖啡{PRIVATE_USE}种植"}},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "U+E000" in response.content.decode()
    scope = app.values.get(field="enterprise.business_scope").value
    assert scope == world.enterprise.business_scope


@pytest.mark.django_db
def test_the_page_refuses_it_beside_the_field_and_keeps_what_was_typed(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    typed = f"Hainan {EMOJI} Co., Ltd."
    response = client.post(
        reverse("portal:values", kwargs={"public_id": app.public_id}),
        {"v-enterprise-name_en": typed},
    )
    assert response.status_code == 400
    body = response.content.decode()
    errors = re.search(r'id="err-v-enterprise-name_en".*?</ul>', body, re.S)
    assert errors and "“😀” U+1F600 GRINNING FACE" in errors.group(0)
    assert f'value="{typed}"' in body


@pytest.mark.django_db
def test_the_refusal_reads_in_chinese_too(client, world):
    app = journey.draft(world)
    client.force_login(world.investor)
    response = client.post(
        reverse("portal:values", kwargs={"public_id": app.public_id}),
        {"v-enterprise-name_zh": f"海南{EMOJI}有限公司"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "证照无法打印" in response.content.decode()


# --- long values wrap inside the page ------------------------------------------------------


@pytest.mark.django_db
def test_long_unbroken_values_wrap_inside_the_page_and_print_in_full(
    world, django_capture_on_commit_callbacks
):
    name_en = "HainanUnbrokenName" + "X" * 282
    scope = "SCOPE" + "0123456789" * 29 + "END"
    assert len(name_en) == 300 and len(scope) == 298
    app = journey.complete(world, journey.draft(world))
    services.application_values_update(
        actor=world.investor,
        application=app,
        values={"enterprise.name_en": name_en, "enterprise.business_scope": scope},
    )
    app = services.application_submit(actor=world.investor, application=app)
    services.application_accept(actor=world.clerk, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        journey.approve_all(world, app)
    permit = app.permit
    assert permit.render_status == RenderStatus.RENDERED, permit.render_error
    with permit.pdf.open("rb") as handle:
        document = pdfium.PdfDocument(handle.read())
    try:
        text, outside = "", []
        for page in document:
            # Inside the printed frame: 9 mm in from either edge of the A4 page.
            frame = 9 / 25.4 * 72
            left_edge, right_edge = frame, page.get_width() - frame
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                left, _bottom, right, _top = textpage.get_charbox(i)
                if right > left and (left < left_edge or right > right_edge):
                    outside.append((textpage.get_text_range(i, 1), left, right))
            text += textpage.get_text_range()
    finally:
        document.close()
    squeezed = "".join(text.split())
    assert name_en in squeezed and scope in squeezed
    assert outside == []

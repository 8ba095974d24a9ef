"""Public pages in a real browser: both languages, phone width, keyboard."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue(db):
    dept = f.DepartmentFactory(code="market", name_zh="市场监督管理局", name_en="Market Regulation")
    service = f.ServiceFactory(
        code="fie", name_zh="外商投资企业设立", name_en="Foreign-invested enterprise establishment"
    )
    f.thing_part(service, dept)
    f.MaterialFactory(service=service, code="registry", reuse_key="enterprise_registry")
    return service


def test_service_guide_in_english_and_chinese(catalogue, open_tab):
    en = open_tab(locale="en-US")
    page = en.go("/services/fie/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Foreign-invested enterprise establishment"
    en.shot("service-guide-en")

    zh = open_tab(locale="zh-CN")
    page = zh.go("/services/fie/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "外商投资企业设立"
    assert "办事指南" in page.locator("nav").inner_text()  # the interface too, not only the data
    zh.shot("service-guide-zh")


def test_language_switch_is_kept_across_pages(catalogue, tab):
    page = tab.go("/services/")
    page.select_option("#lang-select", "zh-hans")
    page.get_by_test_id("switch-language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.goto(tab.base + "/services/fie/")
    assert page.locator("h1").inner_text() == "外商投资企业设立"


def test_phone_width_and_keyboard(catalogue, open_tab):
    phone = open_tab(width=390, height=844)
    page = phone.go("/services/fie/")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused  # the skip link comes first
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    phone.shot("service-guide-phone")


def test_static_files_are_served_by_the_app_with_debug_off(catalogue, tab, settings):
    assert settings.DEBUG is False  # as in production: no runserver static handler
    page = tab.go("/services/")
    stylesheet = page.locator("link[rel=stylesheet]").get_attribute("href")
    response = tab.context.request.get(tab.base + stylesheet)
    assert response.status == 200
    assert "text/css" in response.headers["content-type"]
    # The stylesheet really applied: the header is the window's red.
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert colour == "rgb(179, 38, 30)"


def test_the_api_docs_render_swagger_ui_from_the_app_itself(catalogue, tab):
    page = tab.go("/api/docs/")
    # Swagger UI builds the page from /api/schema/: its operations appear.
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/applications/" in p for p in paths), paths
    assert any("/api/tasks/{review_id}/complete/" in p for p in paths), paths
    tab.shot("api-docs")

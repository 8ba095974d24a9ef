"""Pages render under the Content-Security-Policy, with no violation in the browser.

The policy allows no inline script or style. A page that still had one would
look broken (a style refused) or not work (a script refused), and Chromium
says so on the console and with a ``securitypolicyviolation`` event: both are
collected here, and must stay empty.
"""

import pytest

from approvals import services
from tests import journey
from tests.e2e.test_journey import log_in
from tests.test_security import policy_directives

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def watch(pages) -> list[str]:
    """Console messages about the policy on this tab, as they come."""
    said = []
    pages.context.add_init_script(WATCH)
    pages.page.on(
        "console",
        lambda msg: said.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return said


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def test_swagger_ui_renders_under_the_policy(world, tab):
    said = watch(tab)
    page = tab.page
    response = page.goto(tab.base + "/api/docs/")
    assert policy_directives(response.headers["content-security-policy"])["script-src"] == "'self'"
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    # Swagger UI's own stylesheet applied (not refused): its operation blocks are laid out.
    assert page.locator(".opblock").first.evaluate("e => getComputedStyle(e).borderRadius") != "0px"
    page.locator(".opblock-summary").first.click()  # it works, too: an operation opens
    page.wait_for_selector(".opblock-body")
    assert violations(page) == [] and said == []


def test_portal_pages_render_under_the_policy(world, tab):
    app = journey.complete(world, journey.draft(world))
    services.application_submit(actor=world.investor, application=app)
    said = watch(tab)
    page = log_in(tab, "investor")
    for path in ("/services/", "/applications/", f"/applications/{app.public_id}/", "/verify/"):
        page = tab.go(path)
        page.wait_for_load_state()
        assert violations(page) == [], path
    # The time meters are drawn (their length is an SVG attribute, not an inline style).
    page = tab.go(f"/applications/{app.public_id}/")
    bar = page.locator(".meter rect").first
    assert bar.get_attribute("width").isdigit()
    assert bar.evaluate("e => getComputedStyle(e).fill") != "none"
    assert said == []


def test_the_browsable_api_renders_under_the_policy(world, tab):
    said = watch(tab)
    log_in(tab, "investor")
    page = tab.go("/api/applications/")
    page.wait_for_load_state()
    assert page.title().startswith("Application List")
    # Its stylesheets applied, and the filter button sits where DRF's inline style put it.
    filters = page.locator("button[data-target='#filtersModal']")
    assert filters.evaluate("e => getComputedStyle(e).float") == "right"
    assert violations(page) == [] and said == []

"""Browser tests: Debian's Chromium driven by Playwright against the live test server.

Playwright's own browser download is never used (there is no internet here):
the browser is the system Chromium, started with the flags that keep it
from reaching out. Every request a page makes is checked: anything not on
the live server fails the test, so no page may load from the internet.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the Django ORM
# calls the tests make in between are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make sysdeps` (apt-get install chromium)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Pages:
    """A browser tab on the live server, with its foreign requests recorded."""

    def __init__(self, browser, live_server, locale, viewport):
        self.base = live_server.url
        self.context = browser.new_context(locale=locale, viewport=viewport)
        self.context.set_default_timeout(15_000)
        self.foreign = []
        host = urlsplit(self.base).netloc
        self.context.route("**/*", self._guard(host))
        self.page = self.context.new_page()

    def _guard(self, host):
        def handle(route):
            url = urlsplit(route.request.url)
            # data:, blob: and the browser's own pages (its PDF viewer) are not the internet.
            if url.scheme in ("data", "blob", "chrome", "chrome-extension") or url.netloc == host:
                route.continue_()
            else:
                self.foreign.append(route.request.url)
                route.abort()

        return handle

    def go(self, path):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name):
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    pages = Pages(browser, live_server, "en-US", {"width": 1200, "height": 900})
    yield pages
    pages.close()
    assert pages.foreign == [], f"pages loaded from outside the app: {pages.foreign}"


@pytest.fixture
def open_tab(browser, live_server):
    """Open more tabs (another user, another language, a phone-width screen)."""
    opened = []

    def make(locale="en-US", width=1200, height=900):
        pages = Pages(browser, live_server, locale, {"width": width, "height": height})
        opened.append(pages)
        return pages

    yield make
    for pages in opened:
        pages.close()
    assert all(p.foreign == [] for p in opened), [p.foreign for p in opened]

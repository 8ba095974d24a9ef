"""The product walked as its users walk it, on the seeded demo.

Every demo role (investor, agent, clerk, each department reviewer,
supervisor, admin, and an anonymous visitor) opens the home page and
follows, GET only, every link the site renders for them, in English and in
Chinese, as the demo runs (``DEBUG`` on). On every page:

* no 5xx, and no DEBUG page (traceback or technical 404);
* every internal link we render resolves: none answers 404;
* on a Chinese page, no English message that the catalogue translates
  (the msgids of locale/zh_Hans django.po with a non-empty msgstr).

The walk is done once per module (it is the slow part) and the findings are
then asserted per area, so a defect in another helper's pages shows up as
that area's failure. Bounds: pages under /admin/ are opened one level deep
(the index and what it links to), at most a few query strings per path
(pagination) and one request per option of a filter form's lists are
followed, and at most OBJECTS_PER_ROUTE objects of one kind are opened.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from tests import demo_data

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
LANGUAGES = ("en", "zh-hans")
QUERIES_PER_PATH = 3
CHOICES_PER_PATH = 40  # filter forms: each option of each list, one at a time
# Objects of one kind (application pages, reviews...) opened per walk: all of the
# demo's, and a bounded sample once the demo carries months of history.
OBJECTS_PER_ROUTE = 20
# POST-only or leaving the site's pages: never followed.
SKIP_PREFIXES = ("/logout/", "/i18n/", "/static/")
# The public pages (the service guide, verification) are the same for every
# official as for an anonymous visitor but for the header, which their own
# pages show: officials open the entry pages only; the public walks them all.
PUBLIC = ("/services/", "/verify/")
PUBLIC_WALKERS = ("anonymous", "investor", "agent")
DEBUG_MARKERS = (
    "You’re seeing this error because you have <code>DEBUG = True</code>",
    "You're seeing this error because you have <code>DEBUG = True</code>",
    'id="traceback"',
    "Using the URLconf defined in",
)

pytestmark = pytest.mark.django_db
demo = pytest.fixture(scope="module")(demo_data.seeded)


# --- reading a page ------------------------------------------------------------------


class Page(HTMLParser):
    """Links, and the text a reader meets (text nodes and the attributes read
    aloud or shown), leaving out script, style and parts marked lang="en"."""

    SKIP = {"script", "style"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.choices: list[str] = []  # a GET form sent with one option of one list chosen
        self.texts: list[str] = []
        self._form: str | None = None
        self._select: str | None = None
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden from the check)

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            get = (attrs.get("method") or "get").lower() == "get"
            self._form = (attrs.get("action") or "") if get else None
        elif tag == "select" and self._form is not None:
            self._select = attrs.get("name")
        elif tag == "option" and self._select and attrs.get("value"):
            self.choices.append(f"{self._form}?{urlencode({self._select: attrs['value']})}")
        hidden = (
            self._hidden() or tag in self.SKIP or (attrs.get("lang") or "").lower().startswith("en")
        )
        if not hidden:
            for name in self.READ_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name].strip())
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"].strip())
        if tag not in self.VOID:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self._stack:
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hidden():
            self.texts.append(text)


# --- what a Chinese page must not show -----------------------------------------------


@dataclass(frozen=True)
class Message:
    msgid: str
    sources: tuple[str, ...]


def translated_messages() -> list[Message]:
    """The catalogue's msgids that have Chinese, with the files they come from."""
    found = []
    for block in PO.read_text("utf-8").split("\n\n"):
        lines = block.splitlines()
        sources = tuple(
            ref.rsplit(":", 1)[0]
            for line in lines
            if line.startswith("#: ")
            for ref in line[3:].split()
        )
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith("msgid "):
                current, line = msgid, line[len("msgid ") :]
            elif line.startswith("msgid_plural "):
                current = None
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current, line = msgstr, line.split(" ", 1)[1]
            elif line.startswith(("msgstr[", "msgctxt ")):
                current = None
            if current is not None and line.startswith('"'):
                current.append(line[1:-1])
        text = "".join(msgid).replace('\\"', '"').replace("\\n", "\n")
        if text and "".join(msgstr):
            found.append(Message(text, sources))
    return found


PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|<[^>]+>|\{[^}]*\}")


class EnglishFinder:
    """Finds translated English on a page.

    A message without placeholders counts when a whole text of the page is
    it ("Filter", "Who"); one with placeholders or markup when its longest
    literal part (12 characters at least, so it is a phrase, not a word) is
    in the page's text. Words of data (usernames, codes) can equal a short
    msgid ("investor"): those texts are the caller's to leave out.
    """

    def __init__(self, messages: list[Message]):
        self.exact: dict[str, Message] = {}
        self.phrases: list[tuple[str, Message]] = []
        for message in messages:
            text = " ".join(message.msgid.split())
            if not re.search(r"[A-Za-z]{2}", text):
                continue  # a symbol, a number, a format only
            if PLACEHOLDER.search(text):
                parts = [p.strip(" .,:;()—-") for p in PLACEHOLDER.split(text)]
                longest = max(parts, key=len)
                if len(longest) >= 12:
                    self.phrases.append((longest, message))
            else:
                self.exact[text] = message

    def find(self, texts: list[str], *, data: set[str]) -> list[Message]:
        hits = {}
        for text in texts:
            if text in self.exact and text not in data:
                hits[text] = self.exact[text]
        joined = "\n".join(texts)
        for phrase, message in self.phrases:
            if phrase in joined:
                hits[phrase] = message
        return list(hits.values())


# --- who owns what (findings are asserted per area) ----------------------------------

AREAS = {
    "portal": ("templates/portal/", "approvals/portal/"),
    "permits": ("templates/verification/", "templates/permits/", "approvals/verification/"),
}


def area_of_path(path: str) -> str:
    if path.startswith("/verify/") or "/permit" in path:
        return "permits"
    if path == "/" or path.startswith(("/services/", "/applications/")):
        return "portal"
    return "office"


def area_of_message(message: Message, path: str) -> str:
    for area, prefixes in AREAS.items():
        if message.sources and all(s.startswith(prefixes) for s in message.sources):
            return area
    if not message.sources:
        return area_of_path(path)
    return "office"


# --- the walk ------------------------------------------------------------------------


@dataclass
class Walk:
    pages: int = 0
    chinese_pages: int = 0
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, area: str, text: str) -> None:
        self.problems[area].append(text)


def internal(href: str, base: str) -> str | None:
    if href.startswith(("mailto:", "tel:", "javascript:", "#", "data:")):
        return None
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path
    if path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def walk_as(client: Client, walk: Walk, *, role: str, language: str, finder, data: set[str]):
    seen: set[str] = set()
    per_path: dict[str, int] = defaultdict(int)
    chosen: dict[str, int] = defaultdict(int)
    objects: dict[str, int] = defaultdict(int)
    queue: list[tuple[str, str]] = [("/", "(start)")]
    if role == "admin":
        queue.append(("/admin/", "(start)"))
    while queue:
        url, linked_from = queue.pop(0)
        if url in seen:
            continue
        path = url.split("?", 1)[0]
        if linked_from.startswith("(form) "):
            if chosen[path] >= CHOICES_PER_PATH:
                continue
            chosen[path] += 1
        elif "?" in url:
            if per_path[path] >= QUERIES_PER_PATH:
                continue
            per_path[path] += 1
        try:
            match = resolve(path)
        except Resolver404:
            match = None  # fetched anyway: it is a link we rendered, and it must not 404
        if match is not None and match.kwargs:
            if objects[match.view_name] >= OBJECTS_PER_ROUTE:
                continue
            objects[match.view_name] += 1
        seen.add(url)
        response = client.get(url)
        walk.pages += 1
        where = f"{role}/{language} {url} (linked from {linked_from})"
        status = response.status_code
        if status >= 500:
            walk.add(area_of_path(path), f"{status}: {where}")
            continue
        if status == 404:
            origin = linked_from.removeprefix("(form) ").split("?", 1)[0]
            walk.add(area_of_path(origin), f"404 link: {where}")
            continue
        if status in (301, 302, 303, 307, 308):
            target = internal(response["Location"], url)
            if target and not target.startswith(("/login/", "/admin/login/")):
                queue.append((target, url))
            continue
        if status >= 400 and status not in (401, 403, 405, 429):
            walk.add(area_of_path(path), f"{status}: {where}")
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        if any(marker in html for marker in DEBUG_MARKERS):
            walk.add(area_of_path(path), f"DEBUG page: {where}")
            continue
        page = Page()
        page.feed(html)
        if language == "zh-hans" and not path.startswith("/admin/"):
            walk.chinese_pages += 1
            for message in finder.find(page.texts, data=data):
                walk.add(area_of_message(message, path), f"English {message.msgid!r}: {where}")
        if path.startswith("/admin/") and path != "/admin/":
            continue  # the admin: its index and the pages it links to, no deeper
        for href in page.links:
            target = internal(href, url)
            if not target or target in seen:
                continue
            if role not in PUBLIC_WALKERS and target.startswith(PUBLIC) and target not in PUBLIC:
                continue
            queue.append((target, url))
        if not path.startswith("/admin/"):
            for choice in page.choices:
                target = internal(choice, url)
                if target and target not in seen:
                    queue.append((target, f"(form) {url}"))


@pytest.fixture(scope="module")
def walked(demo) -> Walk:
    users = demo
    finder = EnglishFinder(translated_messages())
    # Words of data that can equal a msgid: who is logged in, the usernames in lists.
    data = set(users)
    roles = ["anonymous", "investor", "agent", "clerk"]
    roles += sorted(name for name in users if name.startswith("rev-"))
    roles += ["supervisor", "admin"]
    walk = Walk()
    with override_settings(DEBUG=True, VERIFY_RATE_LIMIT="100000/m", LANGUAGE_CODE="zh-hans"):
        for role in roles:
            for language in LANGUAGES:
                cache.clear()
                client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
                if role != "anonymous":
                    client.force_login(users[role])
                walk_as(client, walk, role=role, language=language, finder=finder, data=data)
    walk.roles = roles
    return walk


def test_the_walk_covers_every_role_and_many_pages(walked):
    assert len(walked.roles) >= 8 and any(r.startswith("rev-") for r in walked.roles)
    assert walked.pages > 100
    assert walked.chinese_pages > 50


@pytest.mark.parametrize("area", ["office", "portal", "permits"])
def test_nothing_is_wrong_on_the_pages_walked(walked, area):
    problems = walked.problems.get(area, [])
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems))[:60])


def test_the_english_finder_finds_what_it_is_for():
    finder = EnglishFinder(
        [
            Message("Filter", ("templates/review/audit.html",)),
            Message("investor", ("approvals/models/ledger.py",)),
            Message("%(ref)s returned to the investor for correction.", ()),
        ]
    )
    page = Page()
    page.feed(
        '<p>筛选</p><button>Filter</button><span class="who">investor</span>'
        "<p>HW1 returned to the investor for correction.</p>"
        '<option lang="en">Filter</option><script>"Filter"</script>'
    )
    found = {m.msgid for m in finder.find(page.texts, data={"investor"})}
    assert found == {"Filter", "%(ref)s returned to the investor for correction."}

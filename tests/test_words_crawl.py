"""Every page of the demo, as every demo persona, speaks Chinese and shows no internal codes.

The demo is seeded small, each persona signs in, and every page reachable by links from the
home page (same origin, GET only, no downloads) is fetched — links and htmx fragments alike, a
few pages of each URL shape. The test fails on a server error, on a menu link the persona may
not open (menus offer only what the user may open), and on any ASCII identifier in the visible
text (script and style stripped) that is not a unit code, a number or one of a short list of
words people use as they are (PDF, Excel…). Text marked as code (``<code>``, ``<kbd>``, a
``<pre>`` sample of a file) or as not to translate (``translate="no"``, a file's name) is shown
on purpose — a login name on the account page, the column names an import file must carry — and
is not text to translate.

Seeding and crawling take about a minute, so the test runs on PostgreSQL only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

from shuzhi.accounts import demo as account_demo
from shuzhi.core.testing import ensure_default_unit_types
from shuzhi.orgs import demo

pytestmark = pytest.mark.django_db

# Words people use as they are, never translated.
ALLOWED = frozenset({"PDF", "Excel", "Word", "API", "QR", "URL", "CSV", "OK", "Shuzhi", "ID"})
# snake_case identifiers, and lower-case words (English, or codes such as ``fair_good``).
SUSPECT = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b|\b[a-z][a-z]+\b")
# Pages that are not the product's own: Django's read-only admin and the API's documentation
# (both for technical staff), the language switch and sign-out (POST only), file downloads.
SKIP = re.compile(r"^/(admin|api|static|media|i18n)/|^/accounts/logout/")
DOWNLOAD = re.compile(r"(export|download|\.xlsx|\.docx|\.pdf|\.csv|\.zip|/slips|/qr)", re.I)
# Pages still showing stored codes, each with what it shows; they are still fetched (a server
# error fails), only their words are not checked yet. Shrink this list; never add to it.
NOT_YET_WORDED = {
    r"^/rounds/\d+/edit/": "the round's policy settings edited as JSON text",
    r"^/assessment/grading/round/\d+/settings/$": "a disqualifier code in the rules' JSON",
}
PAGES_PER_SHAPE = 2
PAGES_PER_PERSONA = 260


class _Page(HTMLParser):
    """Visible text, links (``href`` and htmx ``hx-get``) and which links sit in the menu."""

    HIDDEN = frozenset({"script", "style", "code", "kbd", "pre", "template", "noscript"})
    VOID = frozenset({"br", "img", "input", "hr", "meta", "link", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.menu: list[str] = []
        self._hidden = 0
        self._untranslated: list[str] = []
        self._nav = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag not in self.VOID and (a.get("translate") == "no" or self._untranslated):
            # A name shown as it is (a file's name): HTML's own mark for "not to translate".
            self._untranslated.append(tag)
        if tag == "nav":
            self._nav += 1
        for name in ("href", "hx-get"):
            if (tag == "a" or name == "hx-get") and a.get(name):
                self.links.append(a[name])
                if self._nav and tag == "a":
                    self.menu.append(a[name])
        # Text people read without it being in the page's text flow.
        for name in ("title", "placeholder", "aria-label", "alt"):
            if a.get(name):
                self.text.append(a[name])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1
        elif self._untranslated and self._untranslated[-1] == tag:
            self._untranslated.pop()
        if tag == "nav" and self._nav:
            self._nav -= 1

    def handle_data(self, data):
        if not self._hidden and not self._untranslated:
            self.text.append(data)


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def suspects(text: str) -> list[str]:
    """The ASCII tokens in ``text`` that are neither numbers, unit codes nor allowed words."""
    return [t for t in SUSPECT.findall(text) if t not in ALLOWED]


def crawl(client: Client) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Fetch the pages reachable from home; return {url: bad tokens}, 5xx urls, bad menu urls."""
    seen: set[str] = set()
    per_shape: dict[str, int] = defaultdict(int)
    queue = ["/"]
    words: dict[str, list[str]] = {}
    errors: list[str] = []
    refused_menu: list[str] = []
    menu_links: set[str] = set()
    while queue and len(seen) < PAGES_PER_PERSONA:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            errors.append(f"{url} {response.status_code}")
            continue
        if response.status_code in (403, 404) and url in menu_links:
            refused_menu.append(f"{url} {response.status_code}")
        content_type = response.get("Content-Type", "")
        if response.status_code in (301, 302):
            target = response["Location"]
            if urlsplit(target).netloc in ("", "testserver") and not target.startswith(
                "/accounts/login"
            ):
                queue.append(
                    urlsplit(target).path + ("?" + urlsplit(target).query if "?" in target else "")
                )
            continue
        if "text/html" not in content_type or response.has_header("Content-Disposition"):
            continue
        parser = _Page()
        parser.feed(response.content.decode())
        bad = suspects(" ".join(parser.text))
        if any(re.search(pattern, url) for pattern in NOT_YET_WORDED):
            bad = []
        if bad:
            words[url] = sorted(set(bad))
        menu_links.update(urldefrag(urljoin(url, m))[0] for m in parser.menu)
        for link in parser.links:
            target = urldefrag(urljoin(url, link))[0]
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not target.startswith("/") or SKIP.search(target) or DOWNLOAD.search(target):
                continue
            if target in seen:
                continue
            shape = _shape(target)
            if per_shape[shape] >= PAGES_PER_SHAPE:
                continue
            per_shape[shape] += 1
            queue.append(target)
    return words, errors, refused_menu


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="crawls the whole demo (about a minute); PostgreSQL only",
)
def test_every_page_as_every_persona_speaks_chinese():
    ensure_default_unit_types()
    call_command("seed_demo", "--scale", "0.05", stdout=StringIO())
    assert connection.vendor == "postgresql"
    report: list[str] = []
    # The role accounts, then the reporting secretaries' own sign-ins (sj + unit code).
    usernames = [login.username for login in account_demo.demo_logins()]
    usernames += sorted(
        get_user_model()
        .objects.filter(username__startswith="sj")
        .values_list("username", flat=True)
    )
    assert len(usernames) > 6
    for username in usernames:
        client = Client()
        assert client.login(username=username, password=demo.DEMO_PASSWORD)
        words, errors, refused = crawl(client)
        report += [f"{username}: server error {e}" for e in errors]
        report += [f"{username}: menu link refused {r}" for r in refused]
        report += [f"{username}: {url} {tokens}" for url, tokens in words.items()]
    assert not report, "\n".join(report)


def test_the_check_catches_codes_and_english_but_not_names_or_numbers():
    page = _Page()
    page.feed(
        '<nav aria-label="breadcrumb"><a href="/x/">组织</a></nav><p>等次 fair_good，共 12 票'
        "（PDF）</p><script>var a_b = 1;</script><code>db_worker</code>"
        '<a translate="no" href="/f/">报告.pdf</a><p>counts 440100</p>'
    )
    assert suspects(" ".join(page.text)) == ["breadcrumb", "fair_good", "counts"]
    assert page.menu == ["/x/"] and "/f/" in page.links

"""Pages are Chinese for every browser and every cookie; no language switcher (ADR 0017)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _ledger_with_a_bad_year(client, **headers) -> str:
    return client.get(reverse("ledger_list"), {"year": "abc"}, **headers).content.decode()


def test_an_english_browser_still_gets_chinese_pages(client, world):
    client.force_login(world.alice)
    body = _ledger_with_a_bad_year(client, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-CN">' in body  # the page's language tag, from zh-hans
    assert "Select a valid choice" not in body
    assert "有效" in body


def test_a_language_cookie_for_english_is_ignored(client, world):
    client.force_login(world.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _ledger_with_a_bad_year(client)
    assert '<html lang="zh-CN">' in body
    assert "Select a valid choice" not in body


def test_no_page_offers_a_language_switcher(client, world):
    client.force_login(world.alice)
    body = client.get(reverse("home")).content.decode()
    assert 'name="language"' not in body and "English" not in body
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans"]

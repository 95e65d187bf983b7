"""The built sites in a real headless Chromium (Playwright, sync API), served over HTTP on localhost.

Chromium comes from the system (/usr/bin/chromium); these tests never download a browser. Without
it they fail with a message saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TIMEOUT_MS, RootMaker, runbook_body, search
from generator.build import build


DOC_ID = "browser-guide"
PUBLIC_WORD = "zebracornish"
INTERNAL_WORD = "walrusprimeval"
PUBLIC_SENTENCE = f"The {PUBLIC_WORD} setting keeps your invoices tidy."
INTERNAL_SENTENCE = f"Agents check the {INTERNAL_WORD} flag before answering."
BODY = f"""\
# Browser guide

{PUBLIC_SENTENCE}

/// internal
{INTERNAL_SENTENCE}
///

## More

Nothing else here.
"""


@pytest.fixture(scope="module")
def site_root(tmp_path_factory) -> Path:
    root = RootMaker(tmp_path_factory.mktemp("browser") / "root")
    root.doc("kb/browser-guide.md", BODY, id=DOC_ID, title="Browser guide")
    root.doc("runbooks/agent-steps.md", runbook_body("Agent steps", "Follow the steps."), id="agent-steps", tier=1)
    out = tmp_path_factory.mktemp("browser-out") / "site"
    build(root.path, out=out, tiers=[0, 1])
    return out


def open_doc(page, base_url: str, tier: int, width: int | None = None) -> None:
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    if width:
        page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(f"{base_url}/tier{tier}/kb/{DOC_ID}/", wait_until="load")
    assert response is not None and response.status == 200, f"tier {tier} page did not load"


def test_tier1_banner_visible(page, base_url):
    open_doc(page, base_url, 1)
    banner = page.locator(".kb-tier-banner")
    banner.wait_for(state="visible")
    assert banner.is_visible()
    assert "Tier 1" in banner.inner_text()
    assert page.js_errors == []


def test_tier0_has_no_banner(page, base_url):
    open_doc(page, base_url, 0)
    page.locator("article h1").wait_for(state="visible")
    assert page.locator(".kb-tier-banner").count() == 0


def test_internal_callout_only_in_tier1(page, base_url):
    open_doc(page, base_url, 0)
    assert page.locator("article").inner_text().count(PUBLIC_WORD) == 1
    assert page.locator(".kb-internal").count() == 0
    assert INTERNAL_WORD not in page.content()

    open_doc(page, base_url, 1)
    callout = page.locator("article .kb-internal")
    callout.wait_for(state="visible")
    assert callout.count() == 1
    assert INTERNAL_SENTENCE in callout.inner_text()
    assert callout.is_visible()


@pytest.mark.parametrize("tier", [0, 1])
def test_meta_kb_id(page, base_url, tier):
    open_doc(page, base_url, tier)
    assert page.locator('meta[name="kb-id"]').get_attribute("content") == DOC_ID


@pytest.mark.parametrize("width", [1280, 600], ids=["wide", "narrow"])
def test_search_tier0_finds_public_word(page, base_url, width):
    open_doc(page, base_url, 0, width)
    search(page, PUBLIC_WORD)
    result = page.locator(".md-search-result__item").first
    result.wait_for(state="visible")
    links = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item a").all()]
    assert any(f"kb/{DOC_ID}/" in href for href in links), links


@pytest.mark.parametrize("width", [1280, 600], ids=["wide", "narrow"])
def test_search_tier0_does_not_find_internal_word(page, base_url, width):
    open_doc(page, base_url, 0, width)
    search(page, INTERNAL_WORD)
    meta = page.locator(".md-search-result__meta")
    meta.wait_for(state="visible")
    # wait until the search worker answered (the meta line says so), then look for results
    page.wait_for_function(
        "() => /No matching documents/i.test(document.querySelector('.md-search-result__meta').textContent)",
        timeout=TIMEOUT_MS)
    assert page.locator(".md-search-result__item").count() == 0


def test_search_tier1_finds_internal_word(page, base_url):
    """Control for the test above: the same query does find the internal block in the tier 1 site."""
    open_doc(page, base_url, 1)
    search(page, INTERNAL_WORD)
    page.locator(".md-search-result__item").first.wait_for(state="visible")
    links = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__item a").all()]
    assert any(f"kb/{DOC_ID}/" in href for href in links), links

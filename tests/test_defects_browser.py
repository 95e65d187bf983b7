"""What readers see of fed defects, in a real headless Chromium: the sample's public known-issue article
and its search result, and the known-defect entry in a tier 2 runbook.

Uses the browser fixtures of test_browser.py (system Chromium, never downloaded; a missing browser makes
the tests fail, not skip), serving the sample built once per session.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import search

ARTICLE = "kb/invoices/known-issue-wrong-currency-symbol/"
RUNBOOK = "runbooks/tier2/investigate-webhook-deliveries/"


@pytest.fixture(scope="module")
def site_root(sample_site) -> Path:
    """What ``base_url`` serves: the sample's four sites, under /tier0/ .. /tier3/."""
    return sample_site


def visit(page, url: str) -> str:
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    return page.locator("article").inner_text()


def test_customer_reads_the_known_issue_with_its_fix_and_workaround(page, base_url):
    text = visit(page, f"{base_url}/tier0/{ARTICLE}")
    assert "Fixed in 2025.10.2\n\nThe problem is fixed in version 2025.10.2. Last update: 16 October 2025." in text
    assert text.index("Fixed in 2025.10.2") < text.index("Only the symbol in the PDF was wrong.") \
        < text.index("Workaround") < text.index("What you need to do")
    assert not re.search(r"DEF-\d+|kbgen:defect|Internal", text)
    assert page.js_errors == []


def test_customer_finds_the_known_issue_by_searching(page, base_url):
    visit(page, f"{base_url}/tier0/")
    search(page, "currency symbol")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible")
    assert "Known issue: invoice PDFs show the wrong currency symbol" in page.locator(".md-search-result").inner_text()


def test_specialist_sees_the_known_defect_before_starting_to_diagnose(page, base_url):
    """The sample's DEF-0002 was fixed over 180 days ago: it is folded under "Older fixed defects", one line
    that opens to the defect's own line, which opens to how to recognise it and the workaround."""
    text = visit(page, f"{base_url}/tier2/{RUNBOOK}")
    assert text.index("When to use") < text.index("Known defects") < text.index("Before you start")
    entry = text[text.index("Known defects"):text.index("Before you start")]
    assert "Older fixed defects (1)" in entry and "How to recognise it" not in entry, "folded away"
    older = page.locator("details.kb-known-defects-older")
    older.locator("> summary").click()
    line = older.locator("details.kb-known-defect--fixed > summary")
    assert line.inner_text() == \
        "Fixed in 2025.11.0 · Webhook retries sent duplicate payment.succeeded events with new event IDs"
    assert not page.get_by_text("How to recognise it").is_visible(), "one line until opened"
    line.click()
    assert page.get_by_text("How to recognise it").is_visible()
    entry = page.locator("article").inner_text()
    assert "Workaround" in entry and "fixed in 2025.11.0 (4 November 2025)" in entry
    assert "DEF-0002" not in entry
    visit(page, f"{base_url}/tier3/{RUNBOOK}")
    page.locator("details.kb-known-defects-older > summary").click()
    page.locator("details.kb-known-defect--fixed > summary").click()
    link = page.locator(".kb-internal", has_text="Defect write-up").get_by_role("link", name="DEF-0002")
    assert link.is_visible()
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").first.inner_text().startswith("Webhook retries sent duplicate")


def _visible_defects(page) -> list[str]:
    return [text.split()[0] for text in page.locator("table.kb-defect-index tbody tr:visible td:first-child")
            .all_inner_texts()]


def test_tier3_filters_the_defect_index_in_the_browser(page, base_url):
    visit(page, f"{base_url}/tier3/defects/")
    filters = page.locator("form.kb-defect-filters")
    assert filters.is_visible()
    assert _visible_defects(page) == ["DEF-0003", "DEF-0004", "DEF-0002", "DEF-0001"], "open first"
    assert filters.locator("output").inner_text() == "4 of 4 defects"
    filters.get_by_label("State").select_option("resolved")
    assert _visible_defects(page) == ["DEF-0002", "DEF-0001"]
    filters.get_by_label("Severity").select_option("P3")
    assert _visible_defects(page) == ["DEF-0001"]
    assert filters.locator("output").inner_text() == "1 of 4 defects"
    filters.get_by_label("Severity").select_option("")
    filters.get_by_label("Intent").select_option(label="Single sign-on fails or loops")
    assert _visible_defects(page) == [], "DEF-0003 is not resolved"
    filters.get_by_label("State").select_option("")
    assert _visible_defects(page) == ["DEF-0003"]
    page.get_by_role("link", name="DEF-0003").click()
    page.wait_for_url("**/kb/defects/DEF-0003-okta-custom-domain-sso-loop/")
    card = page.locator(".kb-defect-card")
    assert card.locator(".kb-severity").inner_text() == "P2"
    assert card.locator(".kb-state").inner_text() == "Investigating"
    assert page.js_errors == []


def test_without_javascript_the_index_lists_every_defect_and_no_dead_filter(chromium, base_url):
    if isinstance(chromium, str):
        pytest.fail(chromium, pytrace=False)
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/tier3/defects/", wait_until="load")
        assert not page.locator("form.kb-defect-filters").is_visible()
        assert _visible_defects(page) == ["DEF-0003", "DEF-0004", "DEF-0002", "DEF-0001"]
    finally:
        context.close()

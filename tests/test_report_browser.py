"""The health report as an engineer reaches it: from the tier 3 site's navigation, in headless Chromium."""

from __future__ import annotations

import pytest

from conftest import REPO, served
from generator.content import load
from generator.report import PAGE_TITLE, health


@pytest.fixture(scope="module")
def sample_url(sample_site):
    with served(sample_site) as url:
        yield url


def open_page(page, url: str) -> None:
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200


def test_engineer_opens_the_report_from_the_navigation(page, sample_url):
    """From any page but the home page (which hides the navigation for its search box)."""
    area = next(p.parent.name for p in (REPO / "kb").glob("*/*.md") if p.parent.name != "defects")
    open_page(page, f"{sample_url}/tier3/areas/{area}/")
    page.locator(".md-nav--primary a.md-nav__link", has_text=PAGE_TITLE).first.click()
    page.wait_for_url("**/tier3/health/")
    content = page.locator("article.md-content__inner")
    assert content.locator("h1").inner_text().strip().startswith(PAGE_TITLE)
    figures = health(load(REPO))
    assert f"{figures.fed_defects} of {figures.resolved_defects} resolved defects" in content.inner_text()
    table = content.locator("table", has_text="Articles")
    assert table.is_visible() and table.locator("tr").count() == 6  # header, tiers 0-3, all
    assert page.js_errors == []


@pytest.mark.parametrize("tier", [0, 2])
def test_lower_sites_offer_no_report(page, sample_url, tier):
    open_page(page, f"{sample_url}/tier{tier}/")
    assert page.locator(".md-nav--primary a.md-nav__link").count() > 1
    assert page.locator("a", has_text=PAGE_TITLE).count() == 0
    assert page.goto(f"{sample_url}/tier{tier}/health/").status == 404

"""The sample help centre in a real headless Chromium: the search-first home page, an article with its
breadcrumbs, related articles, feedback and contact routes, the internal sites' tier marker, accessibility
(axe-core from tests/tools), phone width, dark mode and JavaScript turned off.

Every request that would leave 127.0.0.1 is recorded and refused, so nothing reaches the network and a
test can prove that nothing tried to.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import REPO, TIMEOUT_MS, RootMaker
from generator.build import build
from generator.content import load
from generator.navigation import SiteOutline

AXE = REPO / "tests" / "tools" / "node_modules" / "axe-core" / "axe.min.js"
SAMPLE = SiteOutline.of(load(REPO), 0)
ARTICLE = "tier0/kb/invoices/invoice-pdf-troubleshooting/"
ARTICLE_TRAIL = ["Home", "Invoices", "Invoice PDF won't download or looks wrong"]
KNOWN_ISSUE = "Known issue: invoice PDFs show the wrong currency symbol"
ONGOING_ISSUE = "Known issue: SSO sign-in loops with ERR_SSO_4012 for Okta tenants with custom domains"
RUNBOOK = "tier1/runbooks/tier1/reset-two-factor/"
CONTACT_ROUTES = next(p["kbgen"] for p in yaml.safe_load((REPO / "mkdocs.yml").read_text())["plugins"]
                      if isinstance(p, dict) and "kbgen" in p)["contact_routes"]
PHONE = {"width": 375, "height": 740}
GOOGLE_PROPERTY = "G-KBGENTEST1"


@pytest.fixture(scope="module")
def site_root(sample_site, tmp_path_factory) -> Path:
    """What ``base_url`` serves: the sample's sites under /tier0/ .. /tier3/, and under /provider/ a site
    whose mkdocs.yml names an analytics provider."""
    make = RootMaker(tmp_path_factory.mktemp("provider") / "root")
    make.file("mkdocs.yml", f"INHERIT: {REPO / 'generator' / 'defaults' / 'mkdocs.yml'}\n"
                            f"extra:\n  analytics:\n    provider: google\n    property: {GOOGLE_PROPERTY}\n")
    make.doc("kb/rated.md", id="rated", title="A page to rate")
    provider = tmp_path_factory.mktemp("provider-out") / "site"
    build(make.path, out=provider, tiers=[0])
    served = tmp_path_factory.mktemp("served")
    for tier in range(4):
        (served / f"tier{tier}").symlink_to(sample_site / f"tier{tier}")
    (served / "provider").symlink_to(provider / "tier0")
    return served


@pytest.fixture
def browse(chromium):
    """``browse(**context options)`` gives a fresh page that may only reach 127.0.0.1: ``page.outside``
    lists what it tried to reach elsewhere (refused), ``page.requests`` every request it made."""
    contexts = []

    def make(**options):
        if isinstance(chromium, str):
            pytest.fail(chromium, pytrace=False)
        context = chromium.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.outside, page.requests, page.js_errors = [], [], []

        def only_local(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                page.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def visit(page, base_url: str, path: str):
    response = page.goto(f"{base_url}/{path}", wait_until="load")
    assert response is not None and response.status == 200, path
    return page


def search_from_home(page, base_url: str, query: str):
    """Type into the home page's search box and press Enter: the site's own search opens with the query."""
    visit(page, base_url, "tier0/")
    box = page.get_by_label("How can we help?")
    box.fill(query)
    box.press("Enter")
    page.locator(".md-search-result__item").first.wait_for(state="visible")
    return page


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# home page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["wide", "phone"])
def test_home_search_box_opens_the_site_search(browse, base_url, viewport):
    page = search_from_home(browse(**({"viewport": viewport} if viewport else {})), base_url, "currency symbol")
    assert page.evaluate("document.getElementById('__search').checked")
    assert page.locator("input.md-search__input").input_value() == "currency symbol"
    titles = page.locator(".md-search-result__item h1").all_inner_texts()
    assert KNOWN_ISSUE in titles, titles
    assert page.outside == [] and page.js_errors == []


def test_home_topics_popular_questions_and_known_issues(browse, base_url):
    page = visit(browse(), base_url, "tier0/")
    cards = page.locator(".kb-areas > ul > li")
    assert cards.locator("h3 a:not(.headerlink)").all_inner_texts() == [area.title for area, _ in SAMPLE.areas]
    common = [i.title for _, intents in SAMPLE.areas for i in intents if i.common]
    assert page.locator(".kb-popular li").all_inner_texts() == common and len(common) >= 4
    issue = page.locator("li", has=page.get_by_role("link", name=KNOWN_ISSUE))
    assert issue.is_visible()
    assert "Fixed in 2025.10.2" in issue.inner_text() and "Updated 16 October 2025" in issue.inner_text()
    assert "DEF-0001" not in page.content()
    headings = [text.rstrip("¶") for text in page.locator("article h2").all_inner_texts()]
    assert headings.index("Ongoing issues") < headings.index("Recently fixed")
    cards.nth(3).locator("h3 a:not(.headerlink)").click()
    page.wait_for_url("**/tier0/areas/invoices/")
    assert page.locator("article h1").inner_text().startswith("Invoices")


def test_known_issue_banners_are_coloured_by_status_and_the_feed_is_linked(browse, base_url):
    page = visit(browse(), base_url, "tier0/")
    ongoing = page.locator("li", has=page.get_by_role("link", name=ONGOING_ISSUE))
    badge = ongoing.locator(".kb-status")
    assert badge.inner_text() == "Investigating"
    colours = {"investigating": badge.evaluate("e => getComputedStyle(e).backgroundColor")}
    ongoing.get_by_role("link", name=ONGOING_ISSUE).click()
    page.wait_for_url("**/known-issue-okta-custom-domain-sso-loop/")
    banner = page.locator(".admonition.kb-known-issue")
    assert banner.locator(".admonition-title").inner_text() == "Investigating"
    assert "Last update: 12 November 2025." in banner.inner_text()
    colours["banner"] = banner.evaluate("e => getComputedStyle(e).borderLeftColor")
    history = page.locator("h2#updates + ul > li").all_inner_texts()
    assert history == ["12 November 2025: We are looking into the problem."]
    visit(page, base_url, "tier0/kb/invoices/known-issue-wrong-currency-symbol/")
    fixed = page.locator(".admonition.kb-known-issue")
    assert fixed.locator(".admonition-title").inner_text() == "Fixed in 2025.10.2"
    assert fixed.evaluate("e => getComputedStyle(e).borderLeftColor") != colours["banner"], "coloured by status"
    visit(page, base_url, "tier0/known-issues/")
    feed = page.get_by_role("link", name="Follow updates (Atom feed)")
    response = page.request.get(feed.evaluate("a => a.href"))
    assert response.status == 200 and b"<feed xmlns=\"http://www.w3.org/2005/Atom\">" in response.body()
    assert page.outside == [] and page.js_errors == []


# an article --------------------------------------------------------------------------------------------


def test_article_breadcrumbs_review_date_related_and_contact_routes(browse, base_url):
    page = visit(browse(), base_url, ARTICLE)
    trail = page.get_by_role("navigation", name="Breadcrumbs")
    assert [t.strip() for t in trail.locator("a").all_inner_texts()] == ARTICLE_TRAIL
    assert page.get_by_text("Last reviewed: 2026-10-14").is_visible()
    related = page.get_by_role("navigation", name="Related articles")
    assert KNOWN_ISSUE in related.locator("a").all_inner_texts()
    help_block = page.locator("aside.kb-help")
    assert help_block.get_by_role("heading", name="Still need help?").is_visible()
    for route in CONTACT_ROUTES:
        link = help_block.get_by_role("link", name=route["name"])
        assert link.is_visible() and link.get_attribute("href") == route["url"]
        assert route["hours"] in help_block.inner_text()
    trail.get_by_role("link", name="Invoices").click()
    page.wait_for_url("**/tier0/areas/invoices/")


def test_feedback_without_a_provider_sends_nothing(browse, base_url):
    page = visit(browse(), base_url, ARTICLE)
    form = page.locator("form.md-feedback")
    form.get_by_text("Was this page helpful?").wait_for(state="visible")
    page.wait_for_load_state("networkidle")  # the search index and the like have loaded
    before = len(page.requests)
    form.get_by_role("button", name="This page was helpful").click()
    assert form.get_by_text("Thanks for your feedback!", exact=True).is_visible()
    assert form.get_by_role("button", name="This page could be improved").is_disabled()  # one answer a visit
    page.wait_for_timeout(1000)
    sent = [url for url in page.requests[before:] if not url.endswith("/favicon.png")]  # the tab's icon, fetched late
    assert sent == [] and page.outside == []
    assert page.js_errors == []


def test_feedback_goes_to_the_configured_provider(browse, base_url):
    """With ``provider: google`` mkdocs-material loads gtag and records the answer in its data layer (the
    request to Google is refused here, so the test stays offline)."""
    page = visit(browse(), base_url, "provider/kb/rated/")
    form = page.locator("form.md-feedback")
    form.wait_for(state="visible")
    form.get_by_role("button", name="This page could be improved").click()
    assert form.get_by_text("We use it to improve this page").is_visible()
    events = page.evaluate("window.dataLayer.map(entry => Array.from(entry))")
    assert ["event", "feedback", {"page": "/provider/kb/rated/", "data": "0"}] in events
    assert any(url.startswith("https://www.googletagmanager.com/gtag/js?id=" + GOOGLE_PROPERTY)
               for url in page.outside), page.outside


# internal sites --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["tier1/", "tier1/kb/invoices/invoice-pdf-troubleshooting/", RUNBOOK])
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["wide", "phone"])
def test_internal_marker_stays_in_view(browse, base_url, path, viewport):
    page = visit(browse(**({"viewport": viewport} if viewport else {})), base_url, path)
    assert "Internal · Tier 1 agent site." in page.locator(".kb-tier-banner").inner_text()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 0")
    marker = page.locator(".kb-tier-marker")
    box = marker.bounding_box()
    assert marker.is_visible() and "Internal · Tier 1" in marker.text_content()
    assert 0 <= box["y"] <= 120, box  # right under the header, however far down the page is scrolled
    top = page.evaluate("document.elementFromPoint(innerWidth / 2, %f).closest('.kb-tier-marker') !== null"
                        % (box["y"] + box["height"] / 2))
    assert top, "something covers the tier marker"


def test_internal_sites_look_different(browse, base_url):
    def header_colour(path):
        page = visit(browse(), base_url, path)
        return page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor"), page

    public, public_page = header_colour(ARTICLE)
    assert public_page.locator(".kb-tier-banner, .kb-tier-marker").count() == 0
    for tier in (1, 2, 3):
        internal, page = header_colour(f"tier{tier}/")
        assert internal != public
        assert f"Internal · Tier {tier}" in page.locator(".kb-tier-marker").text_content()


# accessibility and reach -----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("what", ["home", "article", "runbook", "search results"])
def test_no_serious_accessibility_violations(browse, base_url, what, scheme):
    page = browse(color_scheme=scheme)
    if what == "search results":
        search_from_home(page, base_url, "invoice")
    else:
        visit(page, base_url, {"home": "tier0/", "article": ARTICLE, "runbook": RUNBOOK}[what])
    expected = "slate" if scheme == "dark" else "default"
    assert page.evaluate("document.body.dataset.mdColorScheme") == expected
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["tier0/", ARTICLE, RUNBOOK])
def test_usable_at_phone_width(browse, base_url, path):
    page = visit(browse(viewport=PHONE), base_url, path)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    heading = page.locator(".kb-hero__title" if path == "tier0/" else "article h1")
    assert heading.is_visible() and heading.bounding_box()["width"] <= PHONE["width"]
    if path == ARTICLE:
        for route in CONTACT_ROUTES:
            link = page.locator("aside.kb-help").get_by_role("link", name=route["name"])
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_dark_mode_switch(browse, base_url):
    page = visit(browse(color_scheme="light"), base_url, "tier0/")
    assert page.evaluate("document.body.dataset.mdColorScheme") == "default"
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.get_by_title("Switch to dark mode").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
    visit(page, base_url, ARTICLE)  # the choice is kept from page to page
    assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"


def test_works_without_javascript_except_search(browse, base_url):
    page = visit(browse(java_script_enabled=False), base_url, "tier0/")
    assert page.locator(".kb-hero__search").is_hidden()
    assert page.get_by_text("Choose a topic below.").is_visible()
    page.locator(".kb-areas").get_by_role("link", name="Invoices", exact=True).click()
    page.wait_for_url("**/tier0/areas/invoices/")
    page.locator("article").get_by_role("link", name="Invoice PDF won't download or looks wrong").first.click()
    page.wait_for_url("**/tier0/intents/invoices.pdf-problems/")
    page.locator("article").get_by_role("link", name="Invoice PDF won't download or looks wrong").click()
    page.wait_for_url(f"**/{ARTICLE}")
    assert page.locator("article h1").inner_text().startswith(ARTICLE_TRAIL[-1])
    assert page.get_by_role("navigation", name="Breadcrumbs").is_visible()
    assert page.get_by_role("navigation", name="Related articles").is_visible()
    assert page.get_by_role("heading", name="Still need help?").is_visible()
    assert page.locator("form.md-feedback").is_hidden()  # rating needs JavaScript; nothing half-works
    assert page.outside == []

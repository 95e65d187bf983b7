"""The help centre's pages as built: home page sections, known issues, breadcrumbs, related pages, feedback
and "Still need help?", inspected in the HTML of real builds. What a reader sees in a browser is tested in
test_help_centre_browser.py."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import REPO, RootMaker, article
from generator.build import build
from generator.content import load
from generator.navigation import HOME_KNOWN_ISSUES, RELATED_LIMIT, SiteOutline, long_date

INTENTS = """\
areas:
  - id: account
    title: Account and sign-in
  - id: billing
    title: Billing
intents:
  - id: account.password-reset
    title: Reset a forgotten password
    resolution_tier: 0
    common: true
  - id: account.two-factor
    title: Set up two-factor authentication
    resolution_tier: 0
  - id: billing.refund
    title: Get a refund
    resolution_tier: 1
    common: true
  - id: billing.invoices
    title: Download invoices
    resolution_tier: 0
    common: true
"""
MKDOCS_YML = f"""\
INHERIT: {REPO / "generator" / "defaults" / "mkdocs.yml"}
site_name: Test Help
plugins:
  - search
  - kbgen:
      recently_fixed_days: 30
      contact_routes:
        - {{name: Chat with us, url: "https://example.com/chat", hours: "Mon-Fri 9-17"}}
        - {{name: Email us, url: "mailto:help@example.com"}}
"""
TODAY = datetime.date.today()
# (id, since, fixed_in, fixed_on): the home page lists the HOME_KNOWN_ISSUES ongoing issues updated last, then
# those fixed within the site's recently_fixed_days (30 here, fewer than the default's 90)
ISSUES = [("issue-older", "2025-03-01", "2025.3.4", TODAY - datetime.timedelta(days=60)),
          ("issue-newest", "2025-11-02", None, None),
          ("issue-middle", "2025-07-15", "2025.8.0", TODAY - datetime.timedelta(days=10))] + \
         [(f"issue-bulk-{n}", f"2024-0{n + 1}-01", None, None) for n in range(HOME_KNOWN_ISSUES)]
DEFECT_ID = "DEF-0777"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    make = RootMaker(tmp_path_factory.mktemp("help") / "root")
    make.file("intents.yml", INTENTS)
    make.file("mkdocs.yml", MKDOCS_YML)
    for issue_id, since, fixed_in, fixed_on in ISSUES:
        fixed = f", fixed_in: '{fixed_in}', fixed_on: {fixed_on}" if fixed_in else ""
        make.doc(f"kb/issues/{issue_id}.md", known_issue=f"{{defect: {DEFECT_ID}, since: {since}{fixed}}}",
                 title=f"Known issue {issue_id}", intents=["billing.invoices"])
    make.doc(f"kb/defects/{DEFECT_ID}.md", f"# {DEFECT_ID}\n\n## Customer-facing summary\n\nText.\n\n"
             "## Root cause\n\nA bug.\n\n## Fix\n\nFixed.\n", id=DEFECT_ID, kind="defect", tier=3, severity="P3",
             state="resolved", fixed_in="'2.1'", resolved_on="2026-10-01", intents=["billing.invoices"])
    make.doc("kb/account/reset.md", id="reset", title="Reset your password", last_reviewed="2026-10-14",
             intents=["account.password-reset", "account.two-factor"])
    for n in range(RELATED_LIMIT + 3):  # more related candidates than a page shows
        make.doc(f"kb/account/more-{n}.md", id=f"more-{n}", title=f"More help {n}", intents=["account.password-reset"])
    make.doc("kb/account/both.md", id="both", title="Passwords and 2FA together",
             intents=["account.two-factor", "account.password-reset"])
    make.doc("runbooks/reset-for-customer.md", id="reset-for-customer", title="Reset a password for a customer",
             intents=["account.password-reset", "account.two-factor"])
    make.doc("runbooks/refund.md", id="refund-runbook", title="Refund a payment", intents=["billing.refund"])
    return make.path


@pytest.fixture(scope="module")
def site(root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("help-out") / "site"
    build(root, out=out, tiers=[0, 1, 3])
    return out


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', html)


def section(html: str, heading_id: str) -> str:
    """The list under the heading with that id."""
    return html.split(f'id="{heading_id}"', 1)[1].split("</h2>", 1)[1].split("</ul>", 1)[0]


def known_issue_items(html: str, heading_id: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", section(html, heading_id), re.S)


def test_home_lists_ongoing_issues_then_those_recently_fixed(site):
    home = article(read(site / "tier0" / "index.html"))
    assert home.index('id="ongoing-issues"') < home.index('id="recently-fixed"')
    ongoing = known_issue_items(home, "ongoing-issues")
    newest = sorted((i for i in ISSUES if not i[2]), key=lambda issue: issue[1], reverse=True)[:HOME_KNOWN_ISSUES]
    assert len(ongoing) == HOME_KNOWN_ISSUES
    for item, (issue_id, since, _, _) in zip(ongoing, newest):
        assert f"Known issue {issue_id}<" in item
        assert f"Updated {long_date(since)}" in item
        assert 'class="kb-status kb-status--investigating">Investigating<' in item and "Fixed" not in item
    [fixed] = known_issue_items(home, "recently-fixed")
    assert "Known issue issue-middle<" in fixed and ">Fixed in 2025.8.0<" in fixed
    assert f"Updated {long_date(str(ISSUES[2][3]))}" in fixed
    assert "issue-older" not in home, "fixed before the site's window: on the known-issues page only"
    # every one is on the known-issues page, linked from the home page with the Atom feed of their updates
    assert {"known-issues/", "known-issues.xml"} <= set(links(home))
    every = article(read(site / "tier0" / "known-issues" / "index.html"))
    assert "../known-issues.xml" in links(every)
    assert [re.search(r"Known issue ([\w-]+)<", item)[1] for item in known_issue_items(every, "ongoing-issues")] == \
        [issue[0] for issue in sorted(ISSUES, key=lambda i: i[1], reverse=True) if not issue[2]]
    assert [re.search(r"Known issue ([\w-]+)<", item)[1] for item in known_issue_items(every, "fixed")] == \
        ["issue-middle", "issue-older"]


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_atom_feed_of_known_issue_updates_is_valid_atom(site):
    """RFC 4287: a feed has an id, a title, an updated time and an author (or every entry has one); each
    entry has an id, a title, an updated time and a link to the page; ids are unique."""
    tier0 = site / "tier0"
    assert '<link rel="alternate" type="application/atom+xml" title="Known issues" href="known-issues.xml">' in \
        read(tier0 / "index.html"), "feed readers discover it"
    feed = ET.parse(tier0 / "known-issues.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{tag}")) == 1 and feed.find(f"{ATOM}{tag}").text.strip(), tag
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Test Help"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "known-issues.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(ISSUES)
    stamps = []
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"{ATOM}{tag}")) == 1 and entry.find(f"{ATOM}{tag}").text.strip(), tag
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry.find(f"{ATOM}id").text)
        stamps.append(datetime.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00")))
        href = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert (tier0 / href / "index.html").is_file(), href
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)
    assert stamps == sorted(stamps, reverse=True), "newest first"
    assert feed.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text
    middle = next(e for e in entries if "issue-middle" in e.find(f"{ATOM}title").text)
    assert middle.find(f"{ATOM}title").text == "Known issue issue-middle (Fixed in 2025.8.0)"


def test_defect_ids_never_reach_the_public_site(site):
    for path in (site / "tier0").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".xml"}:
            assert DEFECT_ID not in read(path), path


def test_popular_questions_are_the_common_intents_the_site_serves(site):
    public = article(read(site / "tier0" / "index.html"))
    popular = section(public, "popular-questions")
    # billing.refund is common, but the public site has no document for it
    assert re.findall(r">([^<]+)</a>", popular) == ["Reset a forgotten password", "Download invoices"]
    agents = article(read(site / "tier1" / "index.html"))
    popular = section(agents, "popular-questions")
    assert re.findall(r">([^<]+)</a>", popular) == ["Reset a forgotten password", "Get a refund", "Download invoices"]


def test_home_has_the_search_box_and_every_area(site):
    home = read(site / "tier0" / "index.html")
    form = re.search(r'<form class="kb-hero__search" role="search" method="get">(.*?)</form>', home, re.S)
    assert form and 'name="q"' in form[1] and 'type="search"' in form[1]
    assert "How can we help?" in form[1]
    assert {"areas/account/", "areas/billing/"} <= set(links(article(home)))
    assert "md-feedback" not in home  # lists of pages are not rated


def test_breadcrumbs(site):
    html = read(site / "tier0" / "kb" / "account" / "reset" / "index.html")
    trail = re.search(r'<nav class="md-path kb-trail" aria-label="Breadcrumbs">(.*?)</nav>', html, re.S)[1]
    assert re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', trail) == [
        ("../../..", "Home"), ("../../../areas/account/", "Account and sign-in"),
        ("../../../intents/account.password-reset/", "Reset a forgotten password")]
    intent = read(site / "tier0" / "intents" / "account.two-factor" / "index.html")
    trail = re.search(r'kb-trail" aria-label="Breadcrumbs">(.*?)</nav>', intent, re.S)[1]
    assert re.findall(r">([^<]+)</a>", trail) == ["Home", "Account and sign-in"]
    assert "kb-trail" not in read(site / "tier0" / "index.html")


def test_related_pages_share_intents_and_stay_in_the_site(site):
    def related(tier: int) -> list[str]:
        html = read(site / f"tier{tier}" / "kb" / "account" / "reset" / "index.html")
        block = re.search(r'<nav class="kb-related".*?</nav>', html, re.S)[0]
        return re.findall(r">([^<]+)</a>", block)

    public = related(0)
    assert len(public) == RELATED_LIMIT
    assert public[0] == "Passwords and 2FA together"  # shares both intents
    assert "Reset a password for a customer" not in read(site / "tier0" / "kb" / "account" / "reset" / "index.html")
    assert related(1)[:2] == ["Passwords and 2FA together", "Reset a password for a customer"]


def test_last_reviewed_on_the_public_page(site):
    html = read(site / "tier0" / "kb" / "account" / "reset" / "index.html")
    assert '<span class="kb-fact">Last reviewed: 2026-10-14</span>' in html


def test_feedback_and_contact_routes_on_public_documents_only(site):
    public = read(site / "tier0" / "kb" / "account" / "reset" / "index.html")
    assert '<form class="md-feedback" name="feedback" hidden>' in public
    assert "Was this page helpful?" in public and "kbgen-feedback.js" in public
    help_block = re.search(r'<aside class="kb-help".*?</aside>', public, re.S)[0]
    assert "Still need help?" in help_block
    assert re.findall(r'href="([^"]+)">([^<]+)</a>', help_block) == [
        ("https://example.com/chat", "Chat with us"), ("mailto:help@example.com", "Email us")]
    assert "Mon-Fri 9-17" in help_block
    assert "kb-help" not in read(site / "tier1" / "kb" / "account" / "reset" / "index.html")
    area = read(site / "tier0" / "areas" / "account" / "index.html")
    assert "md-feedback" not in area and "kb-help" in area


def test_public_site_passes_the_audit_with_known_issues(root, tmp_path):
    """Known issues name their defect in front matter; the build's leak audit finds nothing of it."""
    result = build(root, out=tmp_path / "site", tiers=[0])
    assert result.sites[0].leaks == []


def test_outline_without_common_intents_or_known_issues(make_root):
    make_root.doc("kb/a.md")
    home = SiteOutline.of(load(make_root.path), 0).home()
    assert "## Popular questions" not in home and "issues" not in home
    assert "## Browse by topic" in home

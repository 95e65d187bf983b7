"""End-to-end tests of ``kbgen build``: real MkDocs + mkdocs-material builds, inspected file by file.

Every fixture root is built once per module (a build takes a few seconds); the tests then look at the
HTML, the search index and ``sitemap.xml`` of each tier's site.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import (REPO, RootMaker, article, in_search, links_in, runbook_body, search_terms, toc_links,
                      tree_hash)
from generator import output
from generator import structure
from generator.build import BuildError, build
from generator.cli import main as cli
from generator.content import load
from generator.search import SearchIndex, text_terms
from generator.site_config import DEFAULTS

TIERS = (0, 1, 2, 3)
MKDOCS = Path(sys.executable).parent / "mkdocs"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SITE_URL = "https://help.example.com/docs/"
INTERNAL_SITE_URL = "https://agents.example.com/tier{tier}/"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


# helpers ----------------------------------------------------------------------------------------------


def page_file(site: Path, url: str) -> Path:
    """The HTML file MkDocs writes for a directory URL such as ``kb/a/`` (``""`` is the home page)."""
    return site / url / "index.html"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def search_entries(site: Path) -> list[dict]:
    """What the search index shows of each document (id, title, url, tier, snippet)."""
    return SearchIndex.load(site).documents()


def all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def file_text(path: Path) -> str:
    """A built file as text for grepping (sitemap.xml.gz decompressed, undecodable bytes replaced)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def primary_nav(html: str) -> str:
    match = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>', html, re.S)
    assert match, "no primary navigation in page"
    return match[0]


def kb_id(html: str) -> str | None:
    match = re.search(r'<meta name="kb-id" content="([^"]*)"', html)
    return match[1] if match else None


def has_banner(html: str) -> bool:
    return re.search(r'class="[^"]*\bkb-tier-banner\b', html) is not None


def sitemap_locs(site: Path) -> list[str]:
    root = ET.fromstring((site / "sitemap.xml").read_bytes())
    return [loc.text.strip() for loc in root.iter(f"{SITEMAP_NS}loc")]


def mkdocs_yml_with_urls() -> str:
    """kbgen's default configuration plus a public site_url and the internal sites' URL template."""
    text = DEFAULTS.read_text(encoding="utf-8")
    assert "\n  - kbgen\n" in text
    text = text.replace("site_name: Help Centre", f"site_name: Help Centre\nsite_url: {SITE_URL}", 1)
    return text.replace("\n  - kbgen\n", f'\n  - kbgen:\n      internal_site_url: "{INTERNAL_SITE_URL}"\n', 1)


# the main fixture root ----------------------------------------------------------------------------------

INTENTS = """\
areas:
  - id: account
    title: Account and sign-in
    description: Signing in, passwords and two-factor authentication.
  - id: billing
    title: Billing
intents:
  - id: account.password-reset
    title: Reset a forgotten password
    phrasings: [forgot password]
    resolution_tier: 0
  - id: billing.refund
    title: Get a refund
    phrasings: [refund my subscription]
    resolution_tier: 1
"""

# Distinctive sentences and the lowest tier whose site may show them (None: never built).
PUBLIC = "Zebracorn public sentence for every reader."
INTERNAL1 = "Walrusprime agents only sentence in the public article."
INTERNAL2 = "Narwhalix tier two sentence nested in a numbered step."
ART1 = "Quokkaline tier one article sentence."
RB1 = "Okapirun tier one runbook sentence."
RB2 = "Pangolink tier two runbook sentence."
RB3 = "Axolotlic tier three runbook sentence."
DEFECT = "Capybarish tier three defect sentence."
DRAFT = "Draftonium draft body sentence."
ARCHIVED = "Archivorium archived body sentence."
SENTENCES = {PUBLIC: 0, INTERNAL1: 1, INTERNAL2: 2, ART1: 1, RB1: 1, RB2: 2, RB3: 3, DEFECT: 3, DRAFT: None, ARCHIVED: None}

HIDDEN_HEADING = "Walrusheading secret section"
HIDDEN_ANCHOR = "walrusheading-secret-section"

PUBLIC_BODY = f"""\
# Public guide

{PUBLIC}

![Public diagram](img/public-diagram.png)

/// internal
{INTERNAL1}

## {HIDDEN_HEADING}

Only agents read this part.
///

## Steps

1. Open the sign-in page.

    /// internal | tier: 2
    {INTERNAL2}

    ![Nested diagram](img/nested-tier2.png)
    ///

2. Select **Forgot password?**.

## Block syntax

```text
/// internal
This is how a writer marks agent-only text.
///
```
"""

# id -> (rel, title, tier, status) of every document in the main fixture root
DOCS = {
    "public-guide": ("kb/public-guide.md", "Public guide", 0, "published"),
    "agent-notes": ("kb/agent-notes.md", "Agent notes", 1, "published"),
    "rb-one": ("runbooks/rb-one.md", "Runbook one", 1, "published"),
    "rb-two": ("runbooks/rb-two.md", "Runbook two", 2, "published"),
    "rb-three": ("runbooks/rb-three.md", "Runbook three", 3, "published"),
    "DEF-0001": ("kb/defects/def-0001.md", "Capybara sync defect", 3, "published"),
    "draftonium-article": ("kb/draftonium-article.md", "Draftonium unreleased article", 0, "draft"),
    "archivorium-article": ("kb/archivorium-article.md", "Archivorium retired article", 0, "archived"),
}
UNPUBLISHED = ("draftonium-article", "archivorium-article")
INTENT_DOCS = {
    "account.password-reset": ["public-guide", "agent-notes", "rb-one", "rb-two", "rb-three", "DEF-0001",
                               "draftonium-article", "archivorium-article"],
    "billing.refund": ["agent-notes", "rb-two"],
}
AREA_OF = {"account.password-reset": "account", "billing.refund": "billing"}


def url_of(doc_id: str) -> str:
    return DOCS[doc_id][0][: -len(".md")] + "/"


def published_in(tier: int) -> list[str]:
    return [i for i, (_, _, t, status) in DOCS.items() if status == "published" and t <= tier]


def intents_in(tier: int) -> list[str]:
    return [i for i, docs in INTENT_DOCS.items() if any(d in published_in(tier) for d in docs)]


def make_main_root(path: Path) -> RootMaker:
    r = RootMaker(path)
    r.file("intents.yml", INTENTS)
    r.file("mkdocs.yml", mkdocs_yml_with_urls())

    def intents(doc_id):
        return [i for i, docs in INTENT_DOCS.items() if doc_id in docs]

    def doc(doc_id, body, **extra):
        rel, title, tier, status = DOCS[doc_id]
        fields = dict(id=doc_id, title=title, tier=tier, intents=intents(doc_id), **extra)
        if status != "published":
            fields["status"] = status
        r.doc(rel, body, **fields)

    doc("public-guide", PUBLIC_BODY, summary="How to get back into your account.")
    doc("agent-notes", f"# Agent notes\n\n{ART1}\n")
    doc("rb-one", runbook_body("Runbook one", RB1))
    doc("rb-two", runbook_body("Runbook two", f"{RB2}\n\n![Tier two screenshot](img/tier2-only.png)"))
    doc("rb-three", runbook_body("Runbook three", RB3))
    doc("DEF-0001", f"# Capybara sync defect\n\n{DEFECT}\n", kind="defect", severity="P2", state="investigating",
        reported_on="2025-01-10")
    doc("draftonium-article", f"# Draftonium unreleased article\n\n{DRAFT}\n")
    doc("archivorium-article", f"# Archivorium retired article\n\n{ARCHIVED}\n")
    r.file("kb/img/public-diagram.png", PNG)
    r.file("kb/img/nested-tier2.png", PNG + b"nested")
    r.file("runbooks/img/tier2-only.png", PNG + b"tier2")
    return r


@pytest.fixture(scope="module")
def main_root(tmp_path_factory) -> Path:
    return make_main_root(tmp_path_factory.mktemp("main") / "root").path


@pytest.fixture(scope="module")
def main_site(main_root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("main-out") / "site"
    result = build(main_root, out=out)
    assert sorted(result.sites) == list(TIERS)
    for tier, site in result.sites.items():
        assert site.path == out / f"tier{tier}"
        assert site.pages == len(published_in(tier))
    return out


# per tier: documents, text, search, TOC ---------------------------------------------------------------


def test_fixture_root_is_valid(main_root):
    from generator.validate import validate

    errors = [f for f in validate(main_root) if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("tier", TIERS)
def test_document_pages_present_iff_allowed(main_site, tier):
    site = main_site / f"tier{tier}"
    for doc_id, (rel, title, doc_tier, status) in DOCS.items():
        path = page_file(site, url_of(doc_id))
        allowed = status == "published" and doc_tier <= tier
        assert path.is_file() == allowed, f"{rel} (tier {doc_tier}, {status}) in the tier {tier} site: {path}"


@pytest.mark.parametrize("tier", TIERS)
def test_kb_id_meta_on_each_document_page(main_site, tier):
    site = main_site / f"tier{tier}"
    for doc_id in published_in(tier):
        assert kb_id(read(page_file(site, url_of(doc_id)))) == doc_id
    for url in ["", *(f"areas/{AREA_OF[i]}/" for i in intents_in(tier)), *(f"intents/{i}/" for i in intents_in(tier))]:
        assert kb_id(read(page_file(site, url))) is None, f"generated page {url!r} claims a document id"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("sentence", list(SENTENCES), ids=lambda s: s.split()[0])
def test_sentence_in_html_and_search_iff_allowed(main_site, tier, sentence):
    site = main_site / f"tier{tier}"
    floor = SENTENCES[sentence]
    allowed = floor is not None and floor <= tier
    in_html = [p.relative_to(site).as_posix() for p in html_files(site) if sentence in read(p)]
    searchable = in_search(site, sentence)
    if allowed:
        assert in_html, f"{sentence!r} missing from the tier {tier} site"
        assert searchable, f"{sentence!r} missing from the tier {tier} search index"
    else:
        assert in_html == [], f"{sentence!r} (floor {floor}) leaked into tier {tier} pages"
        assert not searchable, f"{sentence!r} (floor {floor}) leaked into the tier {tier} search index"


@pytest.mark.parametrize("tier", TIERS)
def test_hidden_heading_only_in_internal_tiers(main_site, tier):
    site = main_site / f"tier{tier}"
    html = read(page_file(site, url_of("public-guide")))
    if tier == 0:
        assert HIDDEN_ANCHOR not in toc_links(html)
        assert HIDDEN_ANCHOR not in html and HIDDEN_HEADING not in html
        assert not in_search(site, HIDDEN_HEADING)
    else:
        assert HIDDEN_ANCHOR in toc_links(html)
        assert f'<h2 id="{HIDDEN_ANCHOR}"' in html
        assert in_search(site, HIDDEN_HEADING)


@pytest.mark.parametrize("tier", TIERS)
def test_internal_callouts_match_tier(main_site, tier):
    html = article(read(page_file(main_site / f"tier{tier}", url_of("public-guide"))))
    floors = sorted(int(t) for t in re.findall(r'class="admonition kb-internal" data-kb-tier="(\d)"', html))
    assert floors == [f for f in (1, 2) if f <= tier]
    if tier == 0:
        assert "kb-internal" not in html and "Internal:" not in html


@pytest.mark.parametrize("tier", TIERS)
def test_literal_block_syntax_in_code_survives(main_site, tier):
    site = main_site / f"tier{tier}"
    html = article(read(page_file(site, url_of("public-guide"))))
    code = re.findall(r"<code>(.*?)</code>", html, re.S)
    assert any("/// internal\nThis is how a writer marks agent-only text.\n///" in c for c in code), code
    assert in_search(site, "This is how a writer marks agent-only text.")


@pytest.mark.parametrize("tier", TIERS)
def test_unpublished_documents_never_appear(main_site, tier):
    site = main_site / f"tier{tier}"
    needles = [DRAFT, ARCHIVED]
    for doc_id in UNPUBLISHED:
        rel, title, _, _ = DOCS[doc_id]
        needles += [doc_id, title, Path(rel).stem]
    hits = [(p.relative_to(site).as_posix(), n) for p in all_files(site) for n in needles if n in file_text(p)]
    assert hits == []


@pytest.mark.parametrize("tier", TIERS)
def test_images_copied_only_where_a_page_shows_them(main_site, tier):
    site = main_site / f"tier{tier}"
    assert (site / "kb/img/public-diagram.png").read_bytes() == PNG
    assert 'src="../img/public-diagram.png"' in read(page_file(site, url_of("public-guide")))
    for rel, name in (("runbooks/img/tier2-only.png", "tier2-only"), ("kb/img/nested-tier2.png", "nested-tier2")):
        if tier >= 2:
            assert (site / rel).is_file(), f"{rel} missing from tier {tier}"
        else:
            assert not (site / rel).exists(), f"{rel} (used by tier 2 content only) copied into tier {tier}"
            hits = [p.relative_to(site).as_posix() for p in all_files(site) if name in file_text(p)]
            assert hits == [], f"{name} mentioned in tier {tier}"


@pytest.mark.parametrize("tier", TIERS)
def test_tier_banner_on_every_internal_page(main_site, tier):
    site = main_site / f"tier{tier}"
    pages = html_files(site)
    assert len(pages) >= 4
    for path in pages:
        html = read(path)
        assert has_banner(html) == (tier > 0), path.relative_to(site)
        if tier > 0:
            banner = re.search(r'<div class="kb-tier-banner" data-kb-tier="(\d)">(.*?)</div>', html, re.S)
            assert banner and banner[1] == str(tier) and f"Tier {tier}" in banner[2]
        else:
            assert "kbgen-internal.css" not in html and "(internal)" not in html


@pytest.mark.parametrize("tier", TIERS)
def test_area_and_intent_pages(main_site, tier):
    site = main_site / f"tier{tier}"
    allowed = set(published_in(tier))
    home = read(page_file(site, ""))
    for intent in intents_in(tier):
        area_url, intent_url = f"areas/{AREA_OF[intent]}/", f"intents/{intent}/"
        area_html, intent_html = read(page_file(site, area_url)), read(page_file(site, intent_url))
        assert area_url in links_in(article(home), "") and intent_url in links_in(article(home), "")
        # documents listed on the intent page: exactly the allowed ones, lowest tier first
        listed = [u for u in links_in(article(intent_html), intent_url) if u.startswith(("kb/", "runbooks/"))]
        by_url = {url_of(d): d for d in DOCS}
        listed_ids = [by_url.get(u, u) for u in listed]
        expected = {d for d in INTENT_DOCS[intent] if d in allowed}
        assert set(listed_ids) == expected, f"intent {intent} in tier {tier}"
        assert len(listed_ids) == len(expected), f"a document is listed twice: {listed_ids}"
        tiers = [DOCS[d][2] for d in listed_ids]
        assert tiers == sorted(tiers), f"intent {intent} in tier {tier} not lowest tier first: {listed_ids}"
        assert max(tiers) <= tier
        # the area page lists the intent and only allowed documents
        area_links = links_in(article(area_html), area_url)
        assert intent_url in area_links
        assert {by_url.get(u, u) for u in area_links if u.startswith(("kb/", "runbooks/"))} <= allowed
        # document pages link back to their intents
        for doc_id in expected:
            doc_html = read(page_file(site, url_of(doc_id)))
            assert intent_url in links_in(doc_html, url_of(doc_id))
    if tier == 0:
        # the refund intent only has internal documents: the public site must not hint at them
        assert not (site / "intents/billing.refund").exists()
        assert "Get a refund" not in [entry["title"] for entry in search_entries(site)]
        assert "refund" not in search_terms(site)


@pytest.mark.parametrize("tier", TIERS)
def test_sitemap_lists_exactly_the_allowed_pages(main_site, tier):
    site = main_site / f"tier{tier}"
    base = SITE_URL if tier == 0 else INTERNAL_SITE_URL.format(tier=tier)
    urls = ["", *(url_of(d) for d in published_in(tier)),
            *(f"areas/{AREA_OF[i]}/" for i in intents_in(tier)), *(f"intents/{i}/" for i in intents_in(tier)),
            *(["health/", "defects/"] if tier == 3 else [])]  # the health report and defect index: engineers only
    locs = sitemap_locs(site)
    assert locs, (f"tier {tier} sitemap.xml has no <loc>: the root's mkdocs.yml sets site_url and "
                  f"kbgen's internal_site_url {INTERNAL_SITE_URL!r}")
    assert sorted(locs) == sorted(base + u for u in set(urls))
    assert gzip.decompress((site / "sitemap.xml.gz").read_bytes()) == (site / "sitemap.xml").read_bytes()


@pytest.mark.parametrize("tier", TIERS)
def test_sitemap_never_mentions_pages_above_tier(main_site, tier):
    site = main_site / f"tier{tier}"
    text = file_text(site / "sitemap.xml") + file_text(site / "sitemap.xml.gz")
    for doc_id in DOCS:
        if doc_id not in published_in(tier):
            assert url_of(doc_id) not in text
    if tier > 0:
        assert SITE_URL not in text, "an internal site must never use the public site_url"


def test_internal_sites_use_internal_site_url_from_root_config(main_site):
    """The root's mkdocs.yml sets ``kbgen: {internal_site_url: ...}``; ``kbgen build`` must keep it."""
    html = read(page_file(main_site / "tier1", url_of("agent-notes")))
    assert f'<link rel="canonical" href="{INTERNAL_SITE_URL.format(tier=1)}{url_of("agent-notes")}">' in html
    public = read(page_file(main_site / "tier0", url_of("public-guide")))
    assert f'<link rel="canonical" href="{SITE_URL}{url_of("public-guide")}">' in public


# footnotes -----------------------------------------------------------------------------------------------

VISIBLE_NOTE = "Publicnote footnote every reader may see."
HIDDEN_NOTE = "Footnotium footnote defined inside an internal block."


@pytest.fixture(scope="module")
def footnote_build(tmp_path_factory):
    """A public article with a footnote, and another footnote inside an internal block (the
    ``footnotes`` extension is on in kbgen's default configuration). Returns OUT, or the BuildError."""
    r = RootMaker(tmp_path_factory.mktemp("footnotes") / "root")
    r.doc("kb/notes.md", f"""\
        # Notes

        Public text with a note.[^public]

        [^public]: {VISIBLE_NOTE}

        /// internal
        Agents only text with a note.[^agents]

        [^agents]: {HIDDEN_NOTE}
        ///
        """, id="notes", title="Notes")
    out = tmp_path_factory.mktemp("footnotes-out") / "site"
    try:
        build(r.path, out=out, tiers=[0, 1])
    except BuildError as exc:
        return exc
    return out


def footnote_site(outcome, tier: int) -> Path:
    if isinstance(outcome, BuildError):
        pytest.fail(f"the build failed: {outcome}: {[f.as_text() for f in outcome.findings]}")
    return outcome / f"tier{tier}"


def test_article_with_footnotes_builds(footnote_build):
    site = footnote_site(footnote_build, 0)
    assert VISIBLE_NOTE in read(page_file(site, "kb/notes/"))


@pytest.mark.parametrize("tier", [0, 1])
def test_footnote_inside_hidden_block_is_hidden(footnote_build, tier):
    site = footnote_site(footnote_build, tier)
    html = read(page_file(site, "kb/notes/"))
    assert VISIBLE_NOTE in html
    assert (HIDDEN_NOTE in html) == (tier >= 1)
    assert in_search(site, HIDDEN_NOTE) == (tier >= 1)


# page size -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    r = RootMaker(tmp_path_factory.mktemp("big") / "root")
    for n in range(200):
        intent = "account.password-reset" if n % 2 else "billing.refund"
        r.doc(f"kb/bulk/bulk-{n:03d}.md", f"# Bulk article {n:03d}\n\nShort text number {n}.\n",
              id=f"bulk-{n:03d}", title=f"Bulk article {n:03d}", intents=[intent])
    out = tmp_path_factory.mktemp("big-out") / "site"
    build(r.path, out=out, tiers=[0])
    return out / "tier0"


def test_pages_stay_small_with_many_documents(big_site):
    assert len(list((big_site / "kb/bulk").glob("*/index.html"))) == 200
    for url in ("kb/bulk/bulk-100/", "kb/bulk/bulk-007/", ""):
        html = read(page_file(big_site, url))
        size = len(html.encode("utf-8"))
        assert size < 60_000, f"{url or 'home'} is {size} bytes"
        nav_docs = [u for u in links_in(primary_nav(html), url) if u.startswith("kb/bulk/")]
        assert len(nav_docs) < 10, f"navigation of {url or 'home'} lists {len(nav_docs)} documents"
        all_doc_links = {u for u in links_in(html, url) if u.startswith("kb/bulk/")}
        assert len(all_doc_links) < 200


# failed builds keep the previous output ---------------------------------------------------------------


def staging_leftovers(out: Path) -> list[str]:
    """Folders a build made for itself and left, beside the output or in it."""
    return sorted([p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.building")] +
                  [p.name for p in output.leftovers(out)])


def small_root(make_root) -> RootMaker:
    make_root.doc("kb/public.md", "# Public\n\nOriginal public sentence.\n")
    make_root.doc("kb/agent.md", "# Agent\n\nOriginal agent sentence.\n", tier=1)
    make_root.doc("runbooks/deep.md", runbook_body("Deep", "Original deep sentence."), tier=2)
    make_root.doc("runbooks/eng.md", runbook_body("Eng", "Original engineering sentence."), tier=3)
    return make_root


BREAKAGES = {
    "frontmatter-yaml": ("kb/agent.md", "---\nid: agent\ntitle: [Agent\ntier: 1\n---\n# Agent\n"),
    "mkdocs-yml-yaml": ("mkdocs.yml", "site_name: [Help\n  theme: : material\n"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_failed_build_leaves_previous_output_untouched(make_root, tmp_path, breakage):
    root = small_root(make_root)
    out = tmp_path / "out" / "site"
    build(root.path, out=out)
    before = tree_hash(out)
    assert {f"tier{t}" for t in TIERS} <= set(before)

    rel, text = BREAKAGES[breakage]
    root.file(rel, text)
    with pytest.raises(BuildError) as info:
        build(root.path, out=out)
    if breakage == "frontmatter-yaml":
        assert info.value.findings, "validation errors must be attached to the BuildError"
        assert any(f.path == "kb/agent.md" and f.severity == "error" for f in info.value.findings)
    assert tree_hash(out) == before
    assert staging_leftovers(out) == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


def test_single_tier_rebuild_keeps_the_other_tiers_the_content_did_not_change(make_root, tmp_path):
    """``--tier 0`` builds tier 0, keeps byte for byte every other site whose pages the content still
    makes, and builds again the others (here tier 3, whose runbook changed): none is left stale."""
    root = small_root(make_root)
    out = tmp_path / "site"
    build(root.path, out=out)
    before = {t: tree_hash(out / f"tier{t}") for t in TIERS}

    root.doc("runbooks/eng.md", runbook_body("Eng", "Changed engineering sentence."), tier=3)
    result = CliRunner().invoke(cli, ["build", "--root", str(root.path), "--out", str(out), "--tier", "0"])
    assert result.exit_code == 0, result.output
    assert re.findall(r"^tier (\d): \d+ documents -> ", result.output, re.M) == ["0", "3"]
    assert "tier 3: the content changed since this site was built; building it too" in result.output
    assert "Changed engineering sentence." in read(page_file(out / "tier3", "runbooks/eng/"))
    for tier in (0, 1, 2):
        assert tree_hash(out / f"tier{tier}") == before[tier], f"tier {tier} changed"


def test_single_tier_rebuild_builds_every_tier_a_shared_page_changed_in(make_root, tmp_path):
    root = small_root(make_root)
    out = tmp_path / "site"
    build(root.path, out=out)
    root.doc("kb/public.md", "# Public\n\nChanged public sentence.\n")
    result = CliRunner().invoke(cli, ["build", "--root", str(root.path), "--out", str(out), "--tier", "0"])
    assert result.exit_code == 0, result.output
    assert re.findall(r"^tier (\d): \d+ documents -> ", result.output, re.M) == ["0", "1", "2", "3"]
    for tier in TIERS:
        assert "Changed public sentence." in read(page_file(out / f"tier{tier}", "kb/public/"))


# command line -----------------------------------------------------------------------------------------


def test_cli_build_reports_each_tier(make_root, tmp_path):
    root = small_root(make_root)
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(root.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    counts = {0: 1, 1: 2, 2: 3, 3: 4}
    for tier in TIERS:
        line = re.search(rf"^tier {tier}: (\d+) documents -> (.+)$", result.output, re.M)
        assert line, f"no summary line for tier {tier} in:\n{result.output}"
        assert int(line[1]) == counts[tier]
        assert Path(line[2]) == out.resolve() / f"tier{tier}"
        assert page_file(out / f"tier{tier}", "").is_file()
    assert re.search(r"^built 4 site\(s\) in [\d.]+ s$", result.output, re.M)


def test_cli_build_validation_error(make_root, tmp_path):
    root = small_root(make_root)
    root.file("kb/bad.md", "---\nid: bad\ntitle: Bad\nkind: article\ntier: 0\nintents: [account.password-reset]\n"
                           "status: publishd\n---\n# Bad\n")
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(root.path), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "kb/bad.md:7:" in result.output
    assert "status" in result.output
    assert "Traceback" not in result.output
    assert "previous output is unchanged" in result.output
    assert not out.exists()


def test_cli_build_broken_mkdocs_yml_is_an_error_not_a_crash(make_root, tmp_path):
    root = small_root(make_root)
    root.file("mkdocs.yml", BREAKAGES["mkdocs-yml-yaml"][1])
    result = CliRunner().invoke(cli, ["build", "--root", str(root.path), "--out", str(tmp_path / "site")])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "mkdocs.yml" in result.output


# mkdocs build with the plugin -------------------------------------------------------------------------


def test_mkdocs_build_with_plugin(make_root, tmp_path):
    root = make_root
    root.doc("kb/public.md", "# Public\n\nPlainpublic sentence.\n\n/// internal\nBlockone sentence.\n///\n\n"
                             "/// internal | tier: 2\nBlocktwo sentence.\n///\n")
    root.doc("kb/agent.md", "# Agent\n\nTieroneart sentence.\n", tier=1)
    root.doc("runbooks/first.md", runbook_body("First", "Tieronerun sentence."), tier=1)
    root.doc("runbooks/second.md", runbook_body("Second", "Tiertworun sentence."), tier=2)
    root.file("mkdocs.yml", """\
        site_name: Direct
        docs_dir: kb
        theme:
          name: material
        plugins:
          - search
          - kbgen:
              tier: 1
        """)
    site = tmp_path / "direct-site"
    assert MKDOCS.is_file(), MKDOCS
    proc = subprocess.run([str(MKDOCS), "build", "-f", str(root.path / "mkdocs.yml"), "-d", str(site)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    public = read(page_file(site, "kb/public/"))
    assert "Plainpublic sentence." in public and "Blockone sentence." in public
    assert "Blocktwo sentence." not in public
    assert "Tieroneart sentence." in read(page_file(site, "kb/agent/"))
    assert "Tieronerun sentence." in read(page_file(site, "runbooks/first/"))
    assert not (site / "runbooks/second").exists()
    everything = "".join(file_text(p) for p in html_files(site))
    assert "Tiertworun" not in everything and "Blocktwo" not in everything
    assert not text_terms("Tiertworun Blocktwo") & search_terms(site)
    assert in_search(site, "Blockone sentence.")
    assert has_banner(public) and 'data-kb-tier="1"' in public
    assert kb_id(public) == "public"


# the repository's sample knowledge base -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_content():
    return load(REPO)


def test_sample_has_enough_documents(sample_content):
    published = [d for d in sample_content.documents if d.published]
    assert len(published) >= 40, f"only {len(published)} published documents in the sample"
    assert {d.tier for d in published} == set(TIERS)


def test_sample_documents_appear_in_exactly_their_tiers(sample_site, sample_content):
    wrong = []
    for document in sample_content.documents:
        for tier in TIERS:
            path = page_file(sample_site / f"tier{tier}", document.url)
            expected = document.published and document.tier is not None and tier >= document.tier
            if path.is_file() != expected:
                wrong.append(f"{document.rel} (tier {document.tier}, {document.status}) in tier {tier}: "
                             f"{'present' if path.is_file() else 'absent'}")
            elif expected and kb_id(read(path)) != document.id:
                wrong.append(f"{document.rel}: kb-id {kb_id(read(path))!r} in tier {tier}")
    assert wrong == []


def test_sample_public_pages_have_no_internal_blocks(sample_site):
    site = sample_site / "tier0"
    offending = [p.relative_to(site).as_posix() for p in html_files(site)
                 if re.search(r'class="[^"]*\bkb-internal\b', read(p))]
    assert offending == []
    assert "Internal: tier" not in json.dumps(search_entries(site))


def test_sample_public_search_has_no_internal_titles(sample_site, sample_content):
    site = sample_site / "tier0"
    public_docs = [d for d in sample_content.documents if d.published and d.tier == 0]
    # text that legitimately appears publicly: an internal runbook may be named like a public title or
    # like a button a public article mentions ("Reset two-factor authentication")
    public_titles = {d.title for d in public_docs} | {i.title for i in sample_content.intents.values()} \
        | {a.title for a in sample_content.areas.values()}
    # a defect fed as a known issue publishes its title (approved with its summary while it is open)
    public_titles |= {d.title for d in sample_content.documents if d.kind == "defect"
                      and isinstance(d.meta.get("fed"), dict) and d.meta["fed"].get("article")}
    public_text = "\n".join(structure.view(sample_content, d, 0).text for d in public_docs)
    internal = [d for d in sample_content.documents if d.tier is not None and d.tier >= 1 or not d.published]
    index = search_entries(site)
    titles = {entry["title"] for entry in index}
    text = json.dumps(index, ensure_ascii=False)
    internal_urls = {d.url for d in internal}
    assert [e["url"] for e in index if e["url"] in internal_urls] == []
    leaked = [d.title for d in internal if d.title not in public_titles and d.title not in public_text
              and (d.title in titles or d.title in text)]
    assert leaked == []


# in-process builds ------------------------------------------------------------------------------------


def test_sequential_build_matches_parallel_build(main_root, main_site, tmp_path):
    """``jobs=1`` builds the four tiers one after another in this process: no state may leak between them."""
    out = tmp_path / "site"
    result = build(main_root, out=out, jobs=1)
    assert sorted(result.sites) == list(TIERS)
    for tier in TIERS:
        sequential, parallel = tree_hash(out / f"tier{tier}"), tree_hash(main_site / f"tier{tier}")
        assert sorted(sequential) == sorted(parallel), f"tier {tier}: different files"
        differing = [rel for rel in sequential if sequential[rel] != parallel[rel]]
        assert differing == [], f"tier {tier}: files differ between jobs=1 and parallel builds"


@pytest.mark.parametrize("jobs", [1, 2])
def test_live_progress_counts_every_page_of_every_tier(make_root, tmp_path, jobs):
    """A terminal's status line is fed pages done per tier, from worker processes too, up to the total."""
    for index in range(30):
        make_root.doc(f"kb/a{index}.md", f"# A{index}\n\nText {index}.\n")
    make_root.doc("runbooks/r.md", runbook_body("R", "Steps."))
    seen: list[dict] = []
    build(make_root.path, out=tmp_path / "out", tiers=[0, 1], jobs=jobs, live=seen.append)
    final = seen[-1]
    assert set(final) == {0, 1}
    assert all(done == total for done, total in final.values())
    assert final[1][1] == final[0][1] + 1  # the runbook is the one more page in tier 1
    assert any(done < total for state in seen for done, total in state.values())


def test_the_help_centre_carries_no_script_or_style_only_agent_sites_load(sample_site):
    """A theme file the public pages never load is not published with them (nor is any text in it)."""
    from generator.plugin import AGENT_ASSETS

    for rel, lowest in AGENT_ASSETS.items():
        assert [tier for tier in range(4) if (sample_site / f"tier{tier}" / rel).is_file()] == list(range(lowest, 4))


def test_a_tier_lets_go_of_its_pages_before_its_audit(make_root, tmp_path, monkeypatch):
    """The audit of a tier runs in the process that built it: the site's pages (each with its table of
    contents and meta, 20,000 of them at the most) must not stay in memory while it reads every file."""
    import gc

    from mkdocs.structure.pages import Page

    from generator import build as build_module

    for index in range(20):
        make_root.doc(f"kb/a{index}.md", f"# A{index}\n\n## Part\n\nText {index}.\n")
    audit_site, alive = build_module.audit_site, []

    def audit_noting_pages(*args, **kwargs):
        gc.collect()
        pages = [o for o in gc.get_objects() if isinstance(o, Page)]
        alive.append(sorted(page.file.src_uri for page in pages if page.file.src_uri.startswith("kb/")))
        return audit_site(*args, **kwargs)

    monkeypatch.setattr(build_module, "audit_site", audit_noting_pages)
    build(make_root.path, out=tmp_path / "out", tiers=[0], jobs=1)
    assert alive == [[]]


def test_a_build_looks_for_garbage_cycles_rarely_and_leaves_the_collector_as_it_found_it(make_root, tmp_path):
    """kbgen's objects form no cycles: while it works the collector looks every GC_THRESHOLD new objects,
    and whoever called it (a test run, an editor's language server) gets its own setting back, also
    after a build that fails."""
    import gc

    from generator import forks

    before = gc.get_threshold()
    with forks.collecting_rarely():
        assert gc.get_threshold() == (forks.GC_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
    make_root.doc("kb/broken.md", "# Broken\n\nSee [nowhere](missing.md).\n", id="broken", title="Broken")
    with pytest.raises(BuildError):
        build(make_root.path, out=tmp_path / "site")
    assert gc.get_threshold() == before


def test_work_done_aside_comes_from_a_child_or_else_from_the_caller(tmp_path):
    """:class:`forks.Aside` runs the work in a forked child (so the caller's core is free); a child that
    fails leaves the work to the caller, whose result it then is; leaving the block stops a child still
    working."""
    import os
    import threading
    import time

    from generator import forks

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the work is done in the caller")
    caller = os.getpid()
    with forks.Aside(os.getpid) as aside:
        assert aside.result() != caller

    def only_here() -> int:
        if os.getpid() != caller:
            raise OSError("the child cannot")
        return caller

    with forks.Aside(only_here) as aside:
        assert aside.result() == caller

    started = tmp_path / "started"

    def slow() -> None:
        started.write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(600)

    with forks.Aside(slow):
        while not started.exists() or not started.read_text(encoding="utf-8"):
            time.sleep(0.01)
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text(encoding="utf-8")), 0)

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a fork beside a thread copies none of it: the caller does the work
        with forks.Aside(os.getpid) as aside:
            assert aside.result() == caller
    finally:
        stop.set()
        other.join()


def test_the_list_of_files_a_build_publishes_is_every_file_of_its_sites(make_root, tmp_path):
    """The list of what kbgen wrote (what the next build may delete, and the yardstick for files someone
    else put there) is made from each tier as it was built, and from a tier carried over as it is: it
    names exactly the files a walk of the published sites finds."""
    root = small_root(make_root)
    out = tmp_path / "out"
    build(root.path, out=out, jobs=2)
    root.doc("runbooks/eng.md", runbook_body("Eng", "Changed engineering sentence."), tier=3)
    said = []
    build(root.path, out=out, tiers=[0], jobs=2, progress=said.append)
    assert [line for line in said if "building it too" in line] == [
        "tier 3: the content changed since this site was built; building it too"]  # tiers 1 and 2 carried over
    version = output.current_version(out)
    listed = (version / output.FILES).read_text(encoding="utf-8").splitlines()
    walked = sorted(path.relative_to(version).as_posix() for tier in TIERS
                    for path in (version / f"tier{tier}").rglob("*") if not path.is_dir())
    assert listed == walked
    assert {rel.split("/")[0] for rel in listed} == {f"tier{tier}" for tier in TIERS}

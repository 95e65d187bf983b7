"""Attacks on the no-leak promise: nothing written for a higher tier reaches a lower-tier site.

Each attack is a small content root of its own. A writer's mistake must be a validation error at the
right place (and the build must refuse, writing nothing); legitimate content is built for real and then
(a) the leak audit must be clean and (b) every file of every lower-tier site is grepped by hand for the
secret (and the secret is found where it is allowed, so these checks can fail). Planted leaks check the
other direction: the audit must find traces that were put into a built site by hand, and a build whose
output would leak must fail and leave the previous output byte for byte as it was.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from conftest import RootMaker, article, in_search, runbook_body, search_terms, toc_links, tree_hash
from generator.audit import (ATTR_RE, CONTENT_PATH_RE, IDISH_RE, PATHISH_RE, Fingerprints, _attributes,
                             _content_paths, _css_urls, _file_segments, _scan, _segment_words, _site_files,
                             _text_words, audit, audit_site, phrase_runs)
from generator.content import load
from generator.structure import line_words
from generator.incremental import file_hash
from generator.build import BuildError, build
from generator.cli import main as cli
from generator.search import INDEX_DIR, SearchIndex, text_terms
from generator.validate import validate

TIERS = (0, 1, 2, 3)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# helpers ----------------------------------------------------------------------------------------------


def build_all(root: Path, out: Path, tiers=None) -> Path:
    """Build ``root`` into ``out`` in this process (one tier after the other) and return ``out``."""
    result = build(root, out=out, tiers=tiers, jobs=1)
    assert sorted(result.sites) == sorted(tiers or TIERS)
    return out


def site_files(site: Path) -> list[Path]:
    files = sorted(p for p in site.rglob("*") if p.is_file())
    assert files, f"{site} is empty"
    return files


def file_text(path: Path) -> str:
    """Any built file as text for grepping (gzip decompressed, binary bytes kept as latin-1)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def traces(site: Path, needle: str) -> list[str]:
    """Files of ``site`` whose relative path or content mentions ``needle`` (ignoring case)."""
    needle = needle.lower()
    hits = []
    for path in site_files(site):
        rel = path.relative_to(site).as_posix()
        if needle in rel.lower() or needle in file_text(path).lower():
            hits.append(rel)
    return hits


def assert_nowhere(site: Path, *needles: str) -> None:
    found = {n: traces(site, n) for n in needles}
    found = {n: files for n, files in found.items() if files}
    assert found == {}, f"secrets found in {site.name}: {found}"


def assert_somewhere(site: Path, *needles: str) -> None:
    for needle in needles:
        assert traces(site, needle), f"{needle!r} should be in {site.name} but is not (the check could not fail)"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def page(site: Path, url: str) -> str:
    return read(site / url / "index.html")


def search_entries(site: Path) -> list[dict]:
    """What the search index shows of each document (id, title, url, tier, snippet)."""
    return SearchIndex.load(site).documents()


def primary_nav(html: str) -> str:
    match = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>', html, re.S)
    assert match, "no primary navigation"
    return match[0]


def position(path: Path, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the only line of ``path`` that contains ``needle``."""
    lines = read(path).split("\n")
    hits = [i for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, f"{needle!r} on lines {[h + 1 for h in hits]} of {path}"
    return hits[0] + 1, lines[hits[0]].index(needle) + 1


def errors(root: Path) -> list:
    return [f for f in validate(root) if f.severity == "error"]


def assert_build_refused(root: Path, out: Path, expected=None) -> BuildError:
    """The build raises BuildError, writes no output and leaves no staging folder behind."""
    with pytest.raises(BuildError) as caught:
        build(root, out=out, jobs=1)
    assert not out.exists(), f"a refused build wrote {sorted(p.name for p in out.iterdir())}"
    assert [p.name for p in out.parent.glob(f".{out.name}.building-*")] == []
    if expected is not None:
        assert expected in caught.value.findings, caught.value.findings
    return caught.value


def copy_out(out: Path, tmp_path: Path, tiers=(0,)) -> Path:
    """A private copy of some tiers of a module's built output, to plant leaks into."""
    copy = tmp_path / "planted"
    for tier in tiers:
        shutil.copytree(out / f"tier{tier}", copy / f"tier{tier}")
    return copy


# 1. links to a higher tier --------------------------------------------------------------------------

RB1_TITLE = "Unlock the customer vault"
LINK_VARIANTS = {
    # name: (body of the public article, text that marks the link target on its line)
    "relative": ("See [the unlock steps](../runbooks/vault-unlock.md) first.\n", "../runbooks/vault-unlock.md"),
    "absolute-site-path": ("See [the unlock steps](/runbooks/vault-unlock/) first.\n", "/runbooks/vault-unlock/"),
    "reference-style": ("See [the unlock steps][unlock] first.\n\n[unlock]: ../runbooks/vault-unlock.md\n",
                        "../runbooks/vault-unlock.md"),
    "angle-brackets": ("See [the unlock steps](<../runbooks/vault-unlock.md>) first.\n",
                       "../runbooks/vault-unlock.md"),
    "with-title-and-anchor": ('See [the unlock steps](../runbooks/vault-unlock.md#steps "Unlock") first.\n',
                              "../runbooks/vault-unlock.md#steps"),
    "directory-url": ("See [the unlock steps](../runbooks/vault-unlock/) first.\n", "../runbooks/vault-unlock/"),
    "raw-html": ('See <a href="../runbooks/vault-unlock/">the unlock steps</a> first.\n',
                 "../runbooks/vault-unlock/"),
    "in-list-item": ("1. Open the sign in page.\n\n    Then see [the steps](../runbooks/vault-unlock.md).\n",
                     "../runbooks/vault-unlock.md"),
    # a tier 1 block of a public page may link tier 1, not tier 2
    "tier1-block-to-tier2": ("Public text.\n\n/// internal\nSee [forensics](../runbooks/vault-forensics.md).\n///\n",
                             "../runbooks/vault-forensics.md"),
}


def link_root(root: RootMaker, body: str) -> Path:
    root.doc("runbooks/vault-unlock.md", runbook_body(RB1_TITLE, "Open the vault."), title=RB1_TITLE)
    root.doc("runbooks/vault-forensics.md", runbook_body("Vault forensics", "Look at the logs."), tier=2)
    root.doc("kb/public-help.md", "# Public help\n\n" + body, title="Public help")
    return root.path


@pytest.mark.parametrize("variant", list(LINK_VARIANTS))
def test_link_to_higher_tier_is_a_validation_error_at_its_line(make_root, tmp_path, variant):
    body, target = LINK_VARIANTS[variant]
    root = link_root(make_root, body)
    line, col = position(root / "kb/public-help.md", target)
    found = [(f.path, f.line, f.col) for f in errors(root) if f.rule == "link-higher-tier"]
    assert found == [("kb/public-help.md", line, col)], validate(root)
    refused = assert_build_refused(root, tmp_path / "out")
    assert [(f.path, f.line, f.rule) for f in refused.findings] == [("kb/public-help.md", line, "link-higher-tier")]


# Links the browser follows from the page's address (raw HTML, and Markdown links MkDocs finds no file for):
# from kb/account/public-help/, "../vault-note/" is kb/account/vault-note/, a tier 2 page.
SERVED_LINKS = {
    "raw-html": ('See <a href="../vault-note/">the note</a>.\n', "../vault-note/"),
    "raw-html-spelt-with-entities": ('See <a href="..&#x2F;vault&#45;note/">the note</a>.\n', "..&#x2F;vault"),
    "raw-html-unquoted": ("See <a href=../vault-note/>the note</a>.\n", "../vault-note/"),
    "markdown-directory-url": ("See [the note](../vault-note/).\n", "../vault-note/"),
    "raw-html-file": ('<img src="../../vault/diagram.png" alt="Diagram">\n', "../../vault/diagram.png"),
    "svg-xlink": ('<svg><a xlink:href="../vault-note/"><text>Note</text></a></svg>\n', "../vault-note/"),
    "form-action": ('<form action="../vault-note/"><button>Open</button></form>\n', "../vault-note/"),
    "srcset-item": ('<img srcset="../../vault/diagram.png 2x" alt="Diagram">\n', "../../vault/diagram.png"),
    "style-url": ('<div style="background: url(../../vault/diagram.png)">Box</div>\n', "../../vault/diagram.png"),
}


@pytest.mark.parametrize("variant", list(SERVED_LINKS))
def test_link_to_higher_tier_as_the_browser_follows_it_is_refused(make_root, tmp_path, variant):
    body, target = SERVED_LINKS[variant]
    make_root.doc("kb/account/vault-note.md", "# Vault note\n\nOnly specialists read this.\n", tier=2)
    make_root.doc("kb/vault/vault-procedure.md", "# Vault procedure\n\nSpecialists only.\n", tier=2)
    make_root.file("kb/vault/diagram.png", b"\x89PNG\r\n\x1a\n")
    page = make_root.doc("kb/account/public-help.md", "# Public help\n\n" + body, title="Public help")
    line, col = position(page, target)
    assert ("kb/account/public-help.md", line, col, "link-higher-tier") in \
        [(f.path, f.line, f.col, f.rule) for f in errors(make_root.path)], validate(make_root.path)
    assert_build_refused(make_root.path, tmp_path / "out")


def test_link_to_higher_tier_inside_internal_block_is_allowed(make_root):
    root = link_root(make_root, "Public text.\n\n/// internal\nSee [the unlock steps](../runbooks/vault-unlock.md).\n"
                                "///\n\n/// internal | tier: 2\nSee [forensics](../runbooks/vault-forensics.md).\n///\n")
    assert errors(root) == []


# 2. includes (pymdownx.snippets) ---------------------------------------------------------------------

SNIPPET_VARIANTS = {
    # name: (include lines in the public article, marker of the line the error is on)
    "tier2-document": ('--8<-- "../runbooks/vault-forensics.md"\n', "../runbooks/vault-forensics.md"),
    "etc-passwd": ('--8<-- "../../etc/passwd"\n', "../../etc/passwd"),
    "absolute-path": ('--8<-- "/etc/passwd"\n', "/etc/passwd"),
    "symlink-out-of-root": ('--8<-- "escape.md"\n', "escape.md"),
    "symlink-to-tier2-document": ('--8<-- "forensics-link.md"\n', "forensics-link.md"),
    "line-range-suffix": ('--8<-- "../runbooks/vault-forensics.md:3:5"\n', "vault-forensics.md:3:5"),
    "sibling-folder-with-same-prefix": ('--8<-- "../snippets-private/notes.md"\n', "snippets-private"),
    "block-form": ("--8<--\n../runbooks/vault-forensics.md\n--8<--\n", "../runbooks/vault-forensics.md"),
    "in-list-item": ('1. Step one.\n\n    --8<-- "../runbooks/vault-forensics.md"\n', "vault-forensics.md"),
    "single-quotes": ("--8<-- '../runbooks/vault-forensics.md'\n", "vault-forensics.md"),
}
FORENSICS = "Quizzlebat forensics sentence for specialists who read the raw ledger dumps."
OUTSIDE = "Outlandish secret sentence that lives outside the content root entirely."


@pytest.mark.parametrize("variant", list(SNIPPET_VARIANTS))
def test_include_from_outside_snippets_is_refused(make_root, tmp_path, variant):
    include, marker = SNIPPET_VARIANTS[variant]
    make_root.doc("runbooks/vault-forensics.md", runbook_body("Vault forensics", FORENSICS), tier=2)
    make_root.file("snippets/ok.md", "A harmless shared sentence.\n")
    make_root.file("snippets-private/notes.md", f"{FORENSICS}\n")
    outside = tmp_path / "outside" / "notes.md"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE + "\n", encoding="utf-8")
    try:
        os.symlink(outside, make_root.path / "snippets" / "escape.md")
        os.symlink(make_root.path / "runbooks" / "vault-forensics.md", make_root.path / "snippets" / "forensics-link.md")
    except OSError:  # pragma: no cover - no symlinks on this system
        pytest.skip("symbolic links are not supported here")
    make_root.doc("kb/public-help.md", "# Public help\n\nPublic text.\n\n" + include, title="Public help")
    root = make_root.path
    line, _ = position(root / "kb/public-help.md", marker)
    found = [(f.path, f.line) for f in errors(root) if f.rule == "snippet-outside"]
    # The two symbolic links in snippets/ that lead out of it are refused themselves, whether used or not.
    links_out = [("snippets/escape.md", 1), ("snippets/forensics-link.md", 1)]
    assert sorted(found) == sorted([("kb/public-help.md", line)] + links_out), validate(root)
    refused = assert_build_refused(root, tmp_path / "out")
    assert ("kb/public-help.md", line, "snippet-outside") in [(f.path, f.line, f.rule) for f in refused.findings]


def test_include_of_missing_snippet_is_refused(make_root, tmp_path):
    make_root.file("snippets/ok.md", "A harmless shared sentence.\n")
    make_root.doc("kb/public-help.md", '# Public help\n\n--8<-- "nowhere.md"\n', title="Public help")
    line, _ = position(make_root.path / "kb/public-help.md", "nowhere.md")
    assert [(f.rule, f.line) for f in errors(make_root.path)] == [("snippet-missing", line)]
    assert_build_refused(make_root.path, tmp_path / "out")


NESTED_INCLUDES = {
    # name: (target of snippets/inner.md, or None for an include by path; the secret it would bring in)
    "symlink-out-of-root": ("outside", OUTSIDE),
    "symlink-to-tier2-document": ("runbook", FORENSICS),
    "dotdot-to-tier2-document": (None, FORENSICS),
}


@pytest.mark.parametrize("variant", list(NESTED_INCLUDES))
def test_nested_include_from_a_snippet_never_reaches_a_site(make_root, tmp_path, variant):
    """A snippet that itself includes something from outside snippets/: refused (by validation or the build)."""
    target, secret = NESTED_INCLUDES[variant]
    outside = tmp_path / "outside" / "notes.md"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE + "\n", encoding="utf-8")
    make_root.doc("runbooks/vault-forensics.md", runbook_body("Vault forensics", FORENSICS), tier=2)
    if target is None:
        make_root.file("snippets/outer.md", 'Outer shared sentence.\n\n--8<-- "../runbooks/vault-forensics.md"\n')
    else:
        make_root.file("snippets/outer.md", 'Outer shared sentence.\n\n--8<-- "inner.md"\n')
        link_to = outside if target == "outside" else make_root.path / "runbooks" / "vault-forensics.md"
        try:
            os.symlink(link_to, make_root.path / "snippets" / "inner.md")
        except OSError:  # pragma: no cover
            pytest.skip("symbolic links are not supported here")
    make_root.doc("kb/public-help.md", '# Public help\n\n--8<-- "outer.md"\n', title="Public help")
    out = tmp_path / "out"
    try:
        build(make_root.path, out=out, jobs=1)
    except BuildError:
        assert not out.exists()
        assert [p.name for p in out.parent.glob(f".{out.name}.building-*")] == []
        return
    published = {t: traces(out / f"tier{t}", secret) for t in TIERS}
    pytest.fail(f"the build accepted a nested include of {variant}; the included text is in {published}")


def test_snippet_linking_a_higher_tier_document_never_reaches_a_site(make_root, tmp_path):
    """A shared snippet with a link to a tier 2 runbook, included by a public page: the build refuses."""
    make_root.doc("runbooks/vault-forensics.md", runbook_body("Vault forensics", FORENSICS), tier=2)
    make_root.file("snippets/see-also.md", "See [forensics](../runbooks/vault-forensics.md).\n")
    make_root.doc("kb/public-help.md", '# Public help\n\n--8<-- "see-also.md"\n', title="Public help")
    assert_build_refused(make_root.path, tmp_path / "out")


SNIPPET_PUBLIC = "Sharedpublica step that every reader sees on the sign in page."
SNIPPET_SECRET = "Snippetwalrus agents verify the ledger checksum before anything else."


@pytest.fixture(scope="module")
def snippet_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("snippets")
    root = RootMaker(base / "root")
    root.file("snippets/shared-steps.md", f"{SNIPPET_PUBLIC}\n\n/// internal\n{SNIPPET_SECRET}\n///\n")
    root.doc("kb/public-help.md", '# Public help\n\nIntro.\n\n--8<-- "shared-steps.md"\n', title="Public help")
    assert errors(root.path) == []
    return root.path, build_all(root.path, base / "out", tiers=[0, 1])


def test_snippet_internal_block_only_in_tier1(snippet_site):
    root, out = snippet_site
    assert audit(root, out) == []
    assert_nowhere(out / "tier0", SNIPPET_SECRET, "Snippetwalrus")
    assert SNIPPET_PUBLIC in page(out / "tier0", "kb/public-help")  # the include itself worked
    assert SNIPPET_SECRET in page(out / "tier1", "kb/public-help")
    assert in_search(out / "tier1", SNIPPET_SECRET)


def test_a_snippet_block_shown_where_a_page_includes_it_is_found(snippet_site, tmp_path):
    """A page that includes a snippet is where the snippet's internal block would leak (included in code,
    the parser shows the block's lines as they are): its text cannot vouch that the block's phrases are
    common wording, while another page's can."""
    root, built = snippet_site
    out = copy_out(built, tmp_path)
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    source = copy / "kb" / "public-help.md"
    source.write_text(read(source).replace('--8<-- "shared-steps.md"', '```\n--8<-- "shared-steps.md"\n```'),
                      encoding="utf-8")
    target = out / "tier0" / "kb" / "public-help" / "index.html"
    target.write_text(read(target).replace("<p>Intro.</p>", f"<p>Intro.</p>\n<pre><code>{SNIPPET_SECRET}</code></pre>"),
                      encoding="utf-8")
    def pages_leaking() -> set[tuple[str, str]]:  # the index was built from the old source: its pairs differ
        return {(leak.output, leak.source) for leak in audit(copy, out, tiers=[0]) if "/search/" not in leak.output}

    assert pages_leaking() == {("tier0/kb/public-help/index.html", "snippets/shared-steps.md")}
    RootMaker(copy).doc("kb/other.md", f"# Other\n\n{SNIPPET_SECRET}\n")  # the same words, on a page of its own
    assert pages_leaking() == set()


def test_phrases_of_a_snippet_appended_to_every_page_are_searched_for_whatever_the_pages_show(make_root):
    """Every page includes the snippet mkdocs.yml appends: none can show its block's phrases to be common
    wording, not even one whose render shows them (a page ending in raw HTML takes the snippet in)."""
    make_root.file("snippets/agents.md", f"Public appended text.\n\n/// internal\n{SNIPPET_SECRET}\n///\n")
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.snippets:\n"
                                 "      auto_append: ['agents.md']\n")
    make_root.doc("kb/a.md", "# Page\n\nPublic words.\n\n<div>\nRaw text.\n")
    content = load(make_root.path)
    phrase = tuple(re.findall(r"[a-z0-9]+", SNIPPET_SECRET.lower())[:6])
    assert phrase in Fingerprints(content, 0).phrases
    assert phrase not in Fingerprints(content, 1).phrases  # tier 1 may show it


# 3. internal blocks in nested Markdown ---------------------------------------------------------------

NESTED = {
    # page stem: (body, coined words of the hidden text, which must be absent from tier 0 and present in tier 1)
    "numbered-list": ("""\
        # Numbered list

        1. Open the sign in page.

            /// internal
            Listwalrus agents check the account flag before step two.
            ///

        2. Select forgot password.
        """, ["Listwalrus"]),
    "admonition": ("""\
        # Admonition

        !!! note

            Customers see this note.

            /// internal
            Admowalrus agents see this line inside the note.
            ///
        """, ["Admowalrus"]),
    "content-tabs": ("""\
        # Content tabs

        === "Web"

            Use the web form.

            /// internal
            Tabwalrus agents can reset it from the console tab.
            ///

        === "Mobile"

            Use the app.
        """, ["Tabwalrus"]),
    "table": ("""\
        # Table

        Public text above the table.

        /// internal

        | Check | Where |
        |-------|-------|
        | Tablewalrus ledger flag | admin console |

        ///
        """, ["Tablewalrus"]),
    "hidden-heading": ("""\
        # Hidden heading

        Public intro.

        /// internal

        ## Headwalrus escalation notes

        Headbodywalrus agents read this under the hidden heading.
        ///

        ## Public section

        Public text.
        """, ["Headwalrus", "Headbodywalrus"]),
    # Beyond the documented nesting: the same block in a blockquote, with a footnote in it.
    "blockquote-footnote": ("""\
        # Blockquote

        > Quoted public advice.
        >
        > /// internal
        > Quotewalrus agents only note[^agents].
        >
        > [^agents]: Quotefootwalrus is the agents console password hint.
        > ///
        """, ["Quotewalrus", "Quotefootwalrus"]),
    # pymdownx.blocks reads block names case-insensitively: `/// Internal` is an internal block.
    "capitalised-name-footnote": ("""\
        # Capitalised

        Public text.

        /// Internal
        Capswalrus agents only note[^console].

        [^console]: https://admin.example.com/capsfootwalrus is the agents console.
        ///
        """, ["Capswalrus", "capsfootwalrus"]),
    # an inline code span at the start of a line is not a code fence
    "inline-code-then-block": ("""\
        # Inline code

        ```inline``` code at the start of a line.

        /// internal
        Inlinewalrus agents only note[^note].

        [^note]: Inlinefootwalrus is the agents console password hint.
        ///
        """, ["Inlinewalrus", "Inlinefootwalrus"]),
}
CODE_FENCE_BODY = """\
    # Code fence

    How writers mark agent-only text:

    ```text
    /// internal
    Fencewalrus literal example sentence.
    ///
    ```
    """


@pytest.fixture(scope="module")
def nested_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("nested")
    root = RootMaker(base / "root")
    for stem, (body, _) in NESTED.items():
        root.doc(f"kb/{stem}.md", body)
    root.doc("kb/code-fence.md", CODE_FENCE_BODY)
    return root.path, build_all(root.path, base / "out", tiers=[0, 1])


def test_nested_root_is_valid(nested_site):
    root, _ = nested_site
    assert errors(root) == []


def test_nested_audit_is_clean(nested_site):
    assert audit(*nested_site) == []


@pytest.mark.parametrize("stem", list(NESTED))
def test_nested_internal_text_hidden_from_tier0(nested_site, stem):
    _, out = nested_site
    words = NESTED[stem][1]
    assert_nowhere(out / "tier0", *words)
    assert (out / "tier0" / "kb" / stem / "index.html").is_file()
    tier1 = page(out / "tier1", f"kb/{stem}")
    for word in words:
        assert word in tier1, f"{word} missing from the tier 1 page"


def test_nested_blocks_render_inside_their_container_in_tier1(nested_site):
    _, out = nested_site
    admonition = article(page(out / "tier1", "kb/admonition"))
    assert re.search(r'<div class="admonition note">.*?<div class="admonition kb-internal".*?Admowalrus', admonition, re.S)
    tabs = article(page(out / "tier1", "kb/content-tabs"))
    assert re.search(r'<div class="tabbed-block">\s*<p>Use the web form.</p>\s*<div class="admonition kb-internal"', tabs)
    assert re.search(r"<li>.*?Listwalrus.*?</li>", article(page(out / "tier1", "kb/numbered-list")), re.S)
    assert re.search(r'kb-internal.*?<table>.*?<td>Tablewalrus ledger flag</td>', page(out / "tier1", "kb/table"), re.S)
    # the visible parts of the containers survive in tier 0
    assert "Customers see this note." in page(out / "tier0", "kb/admonition")
    assert "Use the app." in page(out / "tier0", "kb/content-tabs")


def test_hidden_heading_only_in_tier1_toc_and_search(nested_site):
    _, out = nested_site
    anchor = "headwalrus-escalation-notes"
    html0, html1 = page(out / "tier0", "kb/hidden-heading"), page(out / "tier1", "kb/hidden-heading")
    assert anchor not in toc_links(html0) and "public-section" in toc_links(html0)
    assert anchor in toc_links(html1)
    assert not in_search(out / "tier0", "Headwalrus")
    assert in_search(out / "tier1", "Headwalrus")


def test_internal_syntax_in_code_fence_is_literal_in_tier0(nested_site):
    _, out = nested_site
    html = article(page(out / "tier0", "kb/code-fence"))
    code = re.findall(r"<code>(.*?)</code>", html, re.S)
    assert any("/// internal\nFencewalrus literal example sentence.\n///" in c for c in code), code
    assert in_search(out / "tier0", "Fencewalrus literal example sentence.")


# 4. shared wording: no false alarm; a copied sentence: a true alarm ------------------------------------

PUBLIC_SHARED_BODY = """\
    # Reset your password

    Open the sign in page and select forgot password to reset your password.

    We send a link to the email address on your account.
    """
INTERNAL_SENTENCE = "Verify the caller against the Zanzibarite ledger before you reset anything for them."
INTERNAL_SHARED_BODY = runbook_body(
    "Reset a password for a customer",
    "Open the sign in page and select forgot password to reset your password, as the customer would.\n\n"
    f"{INTERNAL_SENTENCE}\n\nWe send a link to the email address on the account.")


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("shared")
    root = RootMaker(base / "root")
    root.doc("kb/reset-your-password.md", PUBLIC_SHARED_BODY, title="Reset your password",
             summary="Steps to reset your password when you are locked out of your account.")
    root.doc("runbooks/reset-password-for-customer.md", INTERNAL_SHARED_BODY, title="Reset a password for a customer",
             summary="Steps to reset a password for a customer who is locked out of the account.")
    assert errors(root.path) == []
    return root.path, build_all(root.path, base / "out")  # the build's own audit found nothing


def test_shared_common_words_raise_no_false_alarm(shared_site):
    root, out = shared_site
    assert audit(root, out) == []
    result = CliRunner().invoke(cli, ["audit", "--root", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # and the runbook really is only where it belongs
    for tier in TIERS:
        present = tier >= 1
        for needle in (INTERNAL_SENTENCE, "Reset a password for a customer", "reset-password-for-customer"):
            assert bool(traces(out / f"tier{tier}", needle)) == present, (tier, needle)


def test_sentence_copied_into_built_page_is_found(shared_site, tmp_path):
    root, built = shared_site
    out = copy_out(built, tmp_path)
    target = out / "tier0" / "kb" / "reset-your-password" / "index.html"
    html = read(target)
    assert "<p>We send a link" in html
    target.write_text(html.replace("<p>We send a link", f"<p>{INTERNAL_SENTENCE}</p>\n<p>We send a link", 1),
                      encoding="utf-8")
    leaks = audit(root, out)
    assert leaks, "the audit missed a sentence of a tier 1 runbook copied into a tier 0 page"
    assert {(leak.tier, leak.output, leak.source) for leak in leaks} == {
        (0, "tier0/kb/reset-your-password/index.html", "runbooks/reset-password-for-customer.md")}
    result = CliRunner().invoke(cli, ["audit", "--root", str(root), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "tier0/kb/reset-your-password/index.html" in result.output
    assert "runbooks/reset-password-for-customer.md" in result.output


def test_internal_landing_page_at_kb_index_is_no_false_alarm(make_root, tmp_path):
    """A tier 1 ``kb/index.md`` has the URL ``kb/``; every public page lives under ``kb/`` too."""
    make_root.doc("kb/public-help.md", "# Public help\n\nPublic text about passwords.\n", title="Public help")
    make_root.doc("kb/index.md", "# Agent landing\n\nAgents start here every morning.\n", id="agent-landing",
                  title="Agent landing", tier=1)
    assert errors(make_root.path) == []
    out = tmp_path / "out"
    try:
        build(make_root.path, out=out, tiers=[0, 1], jobs=1)
    except BuildError as exc:
        pytest.fail(f"false alarm: {exc}: {[leak.as_text() for leak in exc.leaks][:3]}")
    assert_nowhere(out / "tier0", "Agents start here every morning")
    assert "Agents start here every morning" in page(out / "tier1", "kb")


# 5. tags, intent pages and navigation from a mix of tiers -----------------------------------------------

PUBLIC_ARTICLE = ("kb/sign-in-help.md", "sign-in-help", "Help signing in to your account")
RUNBOOKS = {
    # rel: (id, title, tags unique to it, distinctive sentence)
    "runbooks/ledger-tamper-forensics.md": ("rb-ledger-tamper-7", "Ledger tamper forensics procedure",
                                            ["forensicsonlytag"], "Xylograph the tamper trail before anything."),
    "runbooks/vault-key-rotation.md": ("rb-vault-rotation-9", "Vault key rotation drill",
                                       ["keyrotationonlytag"], "Quillwort rotation keys live in the hardware vault."),
}


@pytest.fixture(scope="module")
def tags_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("tags")
    root = RootMaker(base / "root")
    rel, doc_id, title = PUBLIC_ARTICLE
    root.doc(rel, f"# {title}\n\nPublic sign in help text.\n", id=doc_id, title=title, tags=["signin", "publictag"])
    for index, (rel, (doc_id, title, tags, sentence)) in enumerate(RUNBOOKS.items()):
        # the first runbook shares the public intent; the second also has an intent nobody else uses
        intents = ["account.password-reset"] + (["billing.refund"] if index else [])
        root.doc(rel, runbook_body(title, sentence), id=doc_id, title=title, tier=2, tags=["signin", *tags],
                 intents=intents)
    assert errors(root.path) == []
    return root.path, build_all(root.path, base / "out", tiers=[0, 1, 2])


def test_tags_root_audit_is_clean(tags_site):
    assert audit(*tags_site) == []


@pytest.mark.parametrize("tier", [0, 1])
def test_intent_area_and_nav_list_only_allowed_documents(tags_site, tier):
    _, out = tags_site
    site = out / f"tier{tier}"
    intent = page(site, "intents/account.password-reset")
    area = page(site, "areas/account")
    for listing in (intent, area):
        links = re.findall(r'<a href="([^"]+)"', article(listing))
        doc_links = [h for h in links if "/kb/" in h or "/runbooks/" in h or h.startswith(("kb/", "runbooks/"))]
        assert doc_links and all("sign-in-help" in h for h in doc_links), doc_links
        assert PUBLIC_ARTICLE[2] in article(listing)
    assert not (site / "intents" / "billing.refund").exists(), "intent page for an intent only tier 2 uses"
    nav = primary_nav(page(site, "kb/sign-in-help"))
    assert "Account and sign-in" in nav and "Billing" not in nav
    for _, title, _, _ in RUNBOOKS.values():
        assert title not in nav


@pytest.mark.parametrize("tier", [0, 1, 2])
def test_runbook_titles_tags_and_ids_only_in_tier2(tags_site, tier):
    _, out = tags_site
    site = out / f"tier{tier}"
    for rel, (doc_id, title, tags, sentence) in RUNBOOKS.items():
        needles = [doc_id, title, *tags, sentence, Path(rel).stem]
        if tier < 2:
            assert_nowhere(site, *needles)
        else:
            assert_somewhere(site, *needles)
            assert f'<meta name="kb-id" content="{doc_id}">' in page(site, rel[:-3])
    if tier == 2:
        assert in_search(site, "forensicsonlytag keyrotationonlytag publictag")
        intent = article(page(site, "intents/account.password-reset"))
        assert all(title in intent for _, title, _, _ in RUNBOOKS.values())
    assert in_search(site, "publictag")
    if tier < 2:
        assert not text_terms("forensicsonlytag keyrotationonlytag") & search_terms(site)


# 6. images ----------------------------------------------------------------------------------------------

IMAGE_PUBLIC_BODY = """\
    # Public help

    ![Public screenshot](img/public-shot.png)

    /// internal | tier: 2
    ![Block diagram](img/block-only-t2.png)

    <img src="img/html-only-t2.png" alt="raw html image">
    ///

    /// internal
    [Agent log attachment](files/agent-log-t1.pdf)
    ///
    """


@pytest.fixture(scope="module")
def image_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("images")
    root = RootMaker(base / "root")
    root.doc("kb/public-help.md", IMAGE_PUBLIC_BODY, title="Public help")
    root.doc("runbooks/ledger-screens.md", runbook_body("Ledger screens", "![x](img/only-t2.png)"), tier=2)
    root.doc("kb/draft-screens.md", "# Draft screens\n\n![y](img/draft-only.png)\n", status="draft")
    root.file("kb/img/public-shot.png", PNG)
    root.file("kb/img/block-only-t2.png", PNG + b"block")
    root.file("kb/img/html-only-t2.png", PNG + b"html")
    root.file("kb/files/agent-log-t1.pdf", b"%PDF-1.4 agent log")
    root.file("runbooks/img/only-t2.png", PNG + b"runbook")
    root.file("kb/img/draft-only.png", PNG + b"draft")
    assert errors(root.path) == []
    return root.path, build_all(root.path, base / "out", tiers=[0, 1, 2])


def test_image_root_audit_is_clean(image_site):
    assert audit(*image_site) == []


@pytest.mark.parametrize("tier", [0, 1, 2])
def test_images_only_in_the_tiers_that_show_them(image_site, tier):
    root, out = image_site
    site = out / f"tier{tier}"
    assert (site / "kb/img/public-shot.png").read_bytes() == PNG
    floors = {"runbooks/img/only-t2.png": 2, "kb/img/block-only-t2.png": 2, "kb/files/agent-log-t1.pdf": 1}
    for rel, floor in floors.items():
        name = Path(rel).stem
        if tier >= floor:
            assert (site / rel).read_bytes() == (root / rel).read_bytes(), f"{rel} missing from tier {tier}"
        else:
            assert_nowhere(site, name)
    # raw HTML is not rewritten for directory URLs, so the file is not copied anywhere; its name is
    # only in the tier 2 page, whose tier 2 block shows it
    if tier >= 2:
        assert "html-only-t2" in page(site, "kb/public-help")
    else:
        assert_nowhere(site, "html-only-t2")
    assert_nowhere(site, "draft-only", "draft-screens")


# 7. bad tiers; drafts and archived documents ---------------------------------------------------------------

BAD_TIERS = {
    # name: (front matter tier line or None, rule)
    "missing": (None, "missing-field"),
    "string-zero": ('tier: "0"', "field-type"),
    "seven": ("tier: 7", "field-value"),
}


@pytest.mark.parametrize("variant", list(BAD_TIERS))
def test_bad_tier_is_a_validation_error_and_build_refuses(make_root, tmp_path, variant):
    tier_line, rule = BAD_TIERS[variant]
    make_root.doc("kb/public-help.md", "# Public help\n\nPublic text.\n", title="Public help")
    lines = ["---", "id: bad-tier-doc", "title: Bad tier document", "kind: article"]
    lines += [tier_line] if tier_line else []
    lines += ["intents: [account.password-reset]", "---", "# Bad tier document", "", "Badtierwalrus text.", ""]
    path = make_root.file("kb/bad-tier-doc.md", "\n".join(lines))
    expected_line = position(path, "tier:")[0] if tier_line else 2  # the key, or the start of the front matter
    found = [(f.path, f.line, f.rule) for f in errors(make_root.path)]
    assert found == [("kb/bad-tier-doc.md", expected_line, rule)]
    message = next(f.message for f in errors(make_root.path))
    assert "'tier'" in message
    refused = assert_build_refused(make_root.path, tmp_path / "out")
    assert [(f.path, f.line, f.rule) for f in refused.findings] == found


UNPUBLISHED = {
    # rel: (id, title, tier, status, sentence)
    "kb/moonbeam-pricing-preview.md": ("draft-moonbeam-7", "Moonbeam pricing preview for launch", 0, "draft",
                                       "Moonbeamish prices rise by a third next spring."),
    "kb/sunset-refund-policy.md": ("archived-sunset-3", "Sunset refund policy of old", 0, "archived",
                                   "Sunsetty refunds were paid by cheque until last year."),
    "runbooks/draft-ledger-purge.md": ("draft-ledger-purge-5", "Ledger purge procedure in draft", 1, "draft",
                                       "Purgatorial ledger rows are dropped with the console."),
}
VISIBLE_SENTENCE = "Everyone can read this plain public sentence about signing in."


@pytest.fixture(scope="module")
def unpublished_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("unpublished")
    root = RootMaker(base / "root")
    root.doc("kb/public-help.md", f"# Public help\n\n{VISIBLE_SENTENCE}\n", title="Public help")
    for rel, (doc_id, title, tier, status, sentence) in UNPUBLISHED.items():
        root.doc(rel, f"# {title}\n\n{sentence}\n", id=doc_id, title=title, tier=tier, status=status,
                 intents=["billing.refund"])
    assert errors(root.path) == []
    return root.path, build_all(root.path, base / "out")


@pytest.mark.parametrize("tier", TIERS)
def test_drafts_and_archived_documents_appear_nowhere(unpublished_site, tier):
    root, out = unpublished_site
    site = out / f"tier{tier}"
    assert VISIBLE_SENTENCE in page(site, "kb/public-help")
    for rel, (doc_id, title, _, _, sentence) in UNPUBLISHED.items():
        assert_nowhere(site, doc_id, title, Path(rel).stem, sentence, sentence.split()[0])
    assert not (site / "intents" / "billing.refund").exists()
    assert audit(root, out, tiers=[tier]) == []


# 8. planted leaks: the audit must find them ---------------------------------------------------------------

PLANT_RUNBOOK = "runbooks/ledger-forensics-deep-dive.md"
PLANT_TITLE = "Ledger forensics deep dive for specialists"
PLANT_RUNBOOK_SENTENCE = "Quarantine the tenant ledger before you export the audit trail."
PLANT_HIDDEN = "Hushwalrus agents may extend the trial by fourteen days on request."
PLANT_PUBLIC_BODY = f"""\
    # Public help

    Public text for every reader.

    /// internal
    {PLANT_HIDDEN}
    ///
    """


def plant_root(root: RootMaker) -> Path:
    root.doc("kb/public-help.md", PLANT_PUBLIC_BODY, title="Public help")
    root.doc(PLANT_RUNBOOK, runbook_body(PLANT_TITLE, PLANT_RUNBOOK_SENTENCE), title=PLANT_TITLE, tier=2)
    return root.path


@pytest.fixture(scope="module")
def plant_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("plant")
    root = plant_root(RootMaker(base / "root"))
    return root, build_all(root, base / "out")


def _plant_sitemap_loc(out: Path, built: Path) -> str:
    path = out / "tier0" / "sitemap.xml"
    text = read(path)
    assert "</urlset>" in text
    path.write_text(text.replace("</urlset>", f"<url><loc>https://help.example.com/{PLANT_TITLE}</loc></url>\n</urlset>"),
                    encoding="utf-8")
    return "tier0/sitemap.xml"


def _plant_sitemap_comment(out: Path, built: Path) -> str:
    path = out / "tier0" / "sitemap.xml"
    text = read(path)
    path.write_text(text.replace("</urlset>", f"<!-- {PLANT_TITLE} -->\n</urlset>"), encoding="utf-8")
    return "tier0/sitemap.xml"


def _index_file(site: Path, name: str) -> tuple[Path, object]:
    path = site / INDEX_DIR / name
    return path, json.loads(read(path))


def _plant_search_index(out: Path, built: Path) -> str:
    path, rows = _index_file(out / "tier0", "docs-0.json")
    row = next(row for row in rows if row[2] == "kb/public-help/")
    row[4] += f" {PLANT_HIDDEN}"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return f"tier0/{INDEX_DIR}/docs-0.json"


def _plant_search_terms(out: Path, built: Path) -> str:
    """The hidden sentence's words as index terms: the index keeps words, not phrases (in any word list)."""
    name = min(path.name for path in (out / "tier0" / INDEX_DIR).glob("terms-*.json"))
    path, shard = _index_file(out / "tier0", name)
    for term in sorted(text_terms("Hushwalrus") - set(shard["terms"])):
        shard["terms"].append(term)
        shard["parts"].append(0)
    path.write_text(json.dumps(shard), encoding="utf-8")
    return f"tier0/{INDEX_DIR}/{name}"


def _plant_search_entry(out: Path, built: Path) -> str:
    """The tier 2 runbook's search result copied into the tier 0 index, in place of a public one."""
    source = SearchIndex.load(built / "tier2").documents()
    entry = next(d for d in source if d["id"] == "ledger-forensics-deep-dive")
    path, rows = _index_file(out / "tier0", "docs-0.json")
    rows[-1] = [entry["id"], "Help", "kb/public-help/", 0, "Help."]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return f"tier0/{INDEX_DIR}/docs-0.json"


def _plant_runbook_page(out: Path, built: Path) -> str:
    url = PLANT_RUNBOOK[: -len(".md")]
    target = out / "tier0" / url / "index.html"
    target.parent.mkdir(parents=True)
    shutil.copyfile(built / "tier2" / url / "index.html", target)
    return f"tier0/{url}/index.html"


def _plant_in_404(out: Path, markup: str) -> str:
    """``markup`` at the end of tier 0's 404 page."""
    path = out / "tier0" / "404.html"
    text = read(path)
    assert "</body>" in text
    path.write_text(text.replace("</body>", f"{markup}</body>"), encoding="utf-8")
    return "tier0/404.html"


def _plant_title_attribute(out: Path, built: Path) -> str:
    return _plant_in_404(out, f'<span title="{PLANT_TITLE}"></span>')


def _plant_title_attribute_across_lines(out: Path, built: Path) -> str:
    """An attribute whose name, '=' and value sit on lines of their own (the audit reads files line by line)."""
    first, _, rest = PLANT_TITLE.partition(" ")
    return _plant_in_404(out, f'<span class="x"\n  title\n  =\n"{first}\n{rest}"></span>')


def _plant_id_in_text(out: Path, built: Path) -> str:
    return _plant_in_404(out, f"<p>See {Path(PLANT_RUNBOOK).stem}.</p>")


PLANT_URL = PLANT_RUNBOOK[: -len(".md")] + "/"
SPELT_URL = PLANT_URL.replace("-", "&#45;").replace("/", "&#x2F;", 1)  # as a browser reads it: the same address
# Every way a page's markup can point a browser at the tier 2 runbook (a page of the site's root: the 404).
LINK_PLANTS = {
    "link-spelt-with-entities": f'<a href="{SPELT_URL}">x</a>',
    "link-unquoted": f"<a href={PLANT_URL}>x</a>",
    "link-svg-xlink": f'<svg><a xlink:href="{PLANT_URL}"><text>x</text></a></svg>',
    "link-cite": f'<blockquote cite="{PLANT_URL}">x</blockquote>',
    "link-form-action": f'<button formaction="{PLANT_URL}">x</button>',
    "link-srcset-item": f'<img srcset="assets/a.png 1x, {PLANT_URL}index.html 2x" alt="">',
    "link-style-attribute": f'<div style="background: url(&quot;{PLANT_URL}&quot;)"></div>',
    "link-style-sheet": f"<style>.x {{ background-image: url('{PLANT_URL}') }}</style>",
    "id-spelt-with-entities": f"<p>See {Path(PLANT_RUNBOOK).stem.replace('-', '&#45;')}.</p>",
}


def _planting(markup: str):
    return lambda out, built: _plant_in_404(out, markup)


PLANTS = {
    # name: (planting function, source the leak must name)
    **{name: (_planting(markup), PLANT_RUNBOOK) for name, markup in LINK_PLANTS.items()},
    "id-in-page-text": (_plant_id_in_text, PLANT_RUNBOOK),
    "title-in-sitemap-loc": (_plant_sitemap_loc, PLANT_RUNBOOK),
    "hidden-block-in-search-index": (_plant_search_index, "kb/public-help.md"),
    "hidden-block-terms-in-search-index": (_plant_search_terms, "kb/public-help.md"),
    "tier2-entry-in-search-index": (_plant_search_entry, PLANT_RUNBOOK),
    "tier2-page-copied-into-tier0": (_plant_runbook_page, PLANT_RUNBOOK),
    "title-in-sitemap-comment": (_plant_sitemap_comment, PLANT_RUNBOOK),
    "title-in-html-attribute": (_plant_title_attribute, PLANT_RUNBOOK),
    "title-in-attribute-across-lines": (_plant_title_attribute_across_lines, PLANT_RUNBOOK),
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_a_rebuild_audit_finds_what_a_whole_audit_finds(plant_site, tmp_path, plant, monkeypatch):
    """After a rebuild the audit searches only the files the build wrote, for only the phrases they could
    hold (or, when it wrote many, for every phrase): it must find the same leaks as a search of every file
    for every phrase."""
    root, built = plant_site
    out = copy_out(built, tmp_path)
    planted = PLANTS[plant][0](out, built)
    site, content = out / "tier0", load(root)
    whole = audit_site(content, 0, site)
    assert any(leak.output == planted for leak in whole)
    unchanged = {rel: file_hash(site / rel) for rel in _site_files(site) if f"tier0/{rel}" != planted}
    assert audit_site(content, 0, site, reused=unchanged) == whole
    monkeypatch.setattr("generator.audit.FEW_FILES", 0)
    assert audit_site(content, 0, site, reused=unchanged) == whole


def test_a_phrase_planted_as_one_index_term_is_found(plant_site, tmp_path):
    """Word lists and postings are checked term by term, not searched as text: a whole secret title
    stored as one term is no term of any text the tier shows."""
    root, built = plant_site
    out = copy_out(built, tmp_path)
    path = next((out / "tier0" / INDEX_DIR).glob("postings-*.json"))
    postings = json.loads(read(path))
    postings[PLANT_TITLE.lower()] = [0, 1.0]
    path.write_text(json.dumps(postings), encoding="utf-8")
    leaks = audit(root, out)
    assert [(leak.output, leak.matched) for leak in leaks] == \
        [(f"tier0/{INDEX_DIR}/{path.name}", f"index term '{PLANT_TITLE.lower()}'")]


def test_clean_plant_root_has_no_leaks(plant_site):
    root, out = plant_site
    assert audit(root, out) == []
    assert_nowhere(out / "tier0", PLANT_HIDDEN, PLANT_TITLE, PLANT_RUNBOOK_SENTENCE, "ledger-forensics-deep-dive")
    assert_nowhere(out / "tier1", PLANT_TITLE, PLANT_RUNBOOK_SENTENCE, "ledger-forensics-deep-dive")
    assert_somewhere(out / "tier1", PLANT_HIDDEN)
    assert_somewhere(out / "tier2", PLANT_TITLE, PLANT_RUNBOOK_SENTENCE, "ledger-forensics-deep-dive")


@pytest.mark.parametrize("plant", list(PLANTS))
def test_planted_leak_is_found(plant_site, tmp_path, plant):
    root, built = plant_site
    out = copy_out(built, tmp_path)
    function, source = PLANTS[plant]
    planted = function(out, built)
    leaks = audit(root, out)
    assert any(leak.tier == 0 and leak.output == planted and leak.source == source for leak in leaks), \
        f"the audit missed the planted trace in {planted}: {[leak.as_text() for leak in leaks]}"
    assert {leak.output for leak in leaks} == {planted}
    if plant.startswith("link-"):  # found as the address it is, not only by the id-like words in it
        assert any(leak.matched.startswith("link or path") for leak in leaks), [leak.as_text() for leak in leaks]
    if plant.startswith("hidden-block"):
        line = position(root / "kb/public-help.md", PLANT_HIDDEN)[0]  # the leaked line itself
        assert any(leak.what == f"tier 1 internal block, line {line}" for leak in leaks), \
            [leak.what for leak in leaks]


def test_what_is_neither_file_nor_folder_in_a_site_is_named_not_passed(plant_site, tmp_path):
    """A link to a folder (a copy made to publish follows it: here, the tier 2 runbooks), a named pipe (a
    reader would wait forever) and a link leading nowhere: kbgen makes none, and the audit cannot search them."""
    root, built = plant_site
    out = copy_out(built, tmp_path)
    (out / "tier0" / "more").symlink_to(built / "tier2" / "runbooks")
    os.mkfifo(out / "tier0" / "pipe.html")
    (out / "tier0" / "gone.html").symlink_to(tmp_path / "nothing")
    leaks = audit(root, out)
    assert {(leak.output, leak.what.split(",")[0].split(":")[0]) for leak in leaks} == {
        ("tier0/more", "a link to a folder"), ("tier0/pipe.html", "not a regular file"),
        ("tier0/gone.html", "a link that leads nowhere")}
    assert all(leak.as_text().startswith(f"{leak.output}: cannot be searched") for leak in leaks)


def test_planted_leak_makes_cli_audit_fail(plant_site, tmp_path):
    root, built = plant_site
    out = copy_out(built, tmp_path)
    planted = _plant_runbook_page(out, built)
    result = CliRunner().invoke(cli, ["audit", "--root", str(root), "--out", str(out)])
    assert result.exit_code == 1
    assert planted in result.output and PLANT_RUNBOOK in result.output


# 9. fail closed: a build that would leak leaves the previous output as it was -----------------------------

OVERRIDES = {
    "footer-text": """\
        {% extends "base.html" %}
        {% block footer %}
          {{ super() }}
          <p class="kb-footer-note">SENTENCE</p>
        {% endblock %}
        """,
    "meta-attribute": """\
        {% extends "base.html" %}
        {% block extrahead %}
          {{ super() }}
          <meta name="kb-note" content="SENTENCE">
        {% endblock %}
        """,
    "html-comment": """\
        {% extends "base.html" %}
        {% block footer %}
          {{ super() }}
          <!-- SENTENCE -->
        {% endblock %}
        """,
}


@pytest.mark.parametrize("variant", list(OVERRIDES))
def test_leaking_template_fails_build_and_keeps_previous_output(make_root, tmp_path, variant):
    root = plant_root(make_root)
    out = build_all(root, tmp_path / "out")
    before = tree_hash(out)
    assert_nowhere(out / "tier0", PLANT_RUNBOOK_SENTENCE)
    make_root.file("overrides/main.html", textwrap.dedent(OVERRIDES[variant]).replace("SENTENCE", PLANT_RUNBOOK_SENTENCE))
    assert errors(root) == []  # validation cannot see it
    try:
        build(root, out=out, jobs=1)
    except BuildError as exc:
        leaks = exc.leaks
    else:
        published = {t: traces(out / f"tier{t}", PLANT_RUNBOOK_SENTENCE) for t in (0, 1)}
        pytest.fail(f"the build published a template leaking a tier 2 sentence ({variant}): {published}")
    assert leaks, "the build failed, but not because of the leak"
    assert {leak.tier for leak in leaks} == {0, 1}
    assert all(leak.source == PLANT_RUNBOOK for leak in leaks)
    assert any(leak.output == "tier0/404.html" for leak in leaks)
    assert tree_hash(out) == before
    assert [p.name for p in out.parent.glob(f".{out.name}.building-*")] == []


MARKDOWN_PIECES = st.sampled_from(["\n", " ", "  ", "\t", "\r", "- ", "* ", "1. ", "2) ", "### ", "> ", ">> ",
                                   "!!! note ", "[", "]", "(", ")", "](", "][", "[^1]", "[^a]: ", "<b>", "</b>", "<", ">",
                                   "http://x.io/a", "https://y", "word", "Other", "42", "x_y", "[ ] ", "[x] ",
                                   "\x0b", "\u2028", "é", ":", "!", "?", "+"])


@settings(max_examples=1000)
@given(st.lists(MARKDOWN_PIECES, max_size=40).map("".join))
@example("- [see](a\nb) <i\n>x</i> [^n\n] ![i](y.png)\n> # Head")
def test_a_whole_text_is_read_as_its_lines_are(text):
    """The audit reads a hidden text whole, once, to tell whether any line can hold a phrase it searches
    for: it must find exactly the words of each line (a pattern that took a line break would join lines,
    or lose words)."""
    expected = []
    for number, line in enumerate(text.split("\n")):
        expected += (["\n"] if number else []) + line_words(line)
    assert _text_words(text) == expected


def test_a_text_with_an_entity_is_read_line_by_line():
    """An entity may stand for a line break: such a text is not read whole."""
    assert _text_words("Use &#10; here") is None and _text_words("Use here") == ["use", "here"]


MARKUP_PIECES = st.sampled_from(["\n", " ", "\t", "\r", "=", '"', "'", "<", ">", "/", "-", "_", ".", "a", "Zx9",
                                 "title", "data-x", "href", "kb", "runbooks", "x.md", "ab-12", "é", "\u2028",
                                 "&#45;", "&quot;", "&", "url(", ")", "style", "srcset", ","])


def first_found(items) -> list:
    """What a scan found, in the order it first found each (a finding names the first trace in a file)."""
    return list(dict.fromkeys(items))


@settings(max_examples=1000)
@given(st.lists(MARKUP_PIECES, max_size=60).map("".join))
@example('<a title="one\ntwo" href=\n"kb/x-y/">\nab-12 kb/a.md</a>')
@example('href="kb/a"\nkb/x.md <b>\nhref="kb/a"\nkb/x.md <b>')  # lines that repeat
def test_a_file_is_scanned_as_one_scan_of_it_would(raw):
    """The audit scans a site's files a line at a time through a cache (page chrome repeats) and looks at a
    line that repeats in a file once: it must find exactly the attributes, id-like words and source paths
    one scan of the whole file finds (the words-bearing values in the order it finds them)."""
    urls, texts, idish = _scan(raw)
    whole_urls, whole_texts = _attributes(ATTR_RE.findall(raw))
    styled = [url for line in raw.split("\n") for url in _css_urls(line)]
    assert set(urls) == set(whole_urls + styled) and first_found(texts) == first_found(whole_texts)
    read = html.unescape(raw)  # no entity spans a line break
    assert idish == {token.lower() for token in IDISH_RE.findall(raw) + IDISH_RE.findall(read)}
    assert set(_content_paths(raw)) == \
        {path for path in PATHISH_RE.findall(raw) + PATHISH_RE.findall(read) if CONTENT_PATH_RE.search(path)}


AUDIT_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "epsilon", "Beta", "7", "x-1"])
AUDIT_LINES = st.lists(st.lists(AUDIT_WORDS, min_size=1, max_size=9).map(" ".join), min_size=1, max_size=5)


@given(hidden=AUDIT_LINES, shown=AUDIT_LINES, page=st.lists(st.lists(AUDIT_WORDS, max_size=12).map(" ".join),
                                                            max_size=5))
@example(hidden=["alpha beta gamma delta"], shown=["epsilon"], page=["7 alpha beta gamma delta 7"])
def test_a_rebuild_looks_for_exactly_the_phrases_its_files_can_hold(tmp_path_factory, hidden, shown, page):
    """A rebuild's audit works out only the phrases of secrets that are runs of words of the few files it
    searches (and none of the text the tier shows when none is): in those files it must find exactly what
    the search for every phrase finds, phrases of whole short lines included."""
    root = RootMaker(tmp_path_factory.mktemp("root"))
    root.doc("kb/public.md", "# Public\n\n" + "\n\n".join(shown) + "\n", id="public", title="Public")
    root.doc("kb/secret.md", "# Secret\n\n" + "\n\n".join(hidden) + "\n", id="secret", title="Secret", tier=2)
    content = load(root.path)
    file_words = _segment_words(_file_segments(["<p>" + "</p>\n<p>".join(page) + "</p>"], []))
    runs = phrase_runs([file_words])
    whole = {matched for _, matched in Fingerprints(content, 0).in_text(file_words)}
    narrow = Fingerprints(content, 0, runs, set())
    assert {matched for _, matched in narrow.in_text(file_words)} == whole
    assert set(narrow.phrases) <= runs


SHOWN_PIECES = st.sampled_from(["alpha", "Beta", "GAMMA", "delta", "7", "x-1", " ", "\n", "&amp;", "&#97;lpha",
                                "&lt;b&gt;", "İ", "é", "<b>", "</b>", "[", "](u)", "-"])


@given(hidden=AUDIT_LINES, shown=st.lists(st.lists(SHOWN_PIECES, max_size=20).map("".join), min_size=1,
                                          max_size=4))
@example(hidden=["alpha beta gamma delta"], shown=["&#97;lpha beta gamma delta"])  # as the title
@example(hidden=["alpha"], shown=["Public", "x-1"])  # an id of visible words
def test_the_text_a_tier_shows_is_read_only_where_it_may_hold_a_phrase(tmp_path_factory, hidden, shown):
    """With few phrases and ids to drop as shown, only the texts that may hold their words are read: the
    phrases and ids left must be those reading every text leaves (entities and case included; the first
    text is the public page's title, where an entity stays one, the others its paragraphs)."""
    from generator import audit as audit_module

    root = RootMaker(tmp_path_factory.mktemp("root"))
    title = shown[0].replace("\n", " ").strip() or "Public"
    root.doc("kb/public.md", "# Public\n\n" + "\n\n".join(shown[1:]) + "\n", id="public", title=json.dumps(title))
    root.doc("kb/secret.md", "# Secret\n\n" + "\n\n".join(hidden) + "\n", id="x-1-x-1", title="Secret", tier=2)
    content = load(root.path)
    left, default = [], audit_module.FEW_PHRASES
    for few in (0, 10 ** 6):
        audit_module.FEW_PHRASES = few
        try:
            fingerprints = Fingerprints(content, 0)
        finally:
            audit_module.FEW_PHRASES = default
        left.append((set(fingerprints.phrases), set(fingerprints.ids)))
    assert left[0] == left[1]


@pytest.mark.parametrize("markup, left", [
    ('<div class="admonition kb-internal" data-kb-hidden="" data-kb-tier="2">Raw text.</div>', True),
    ("<div data-kb-hidden>Raw text.</div>", True),
    ("<pre><code>&lt;div data-kb-hidden=&quot;&quot;&gt;</code></pre>", False),  # shown as code: no element
    ("<p>The data-kb-hidden attribute marks a block.</p>", False)])
def test_an_element_the_render_marked_hidden_is_a_leak_whatever_its_text(make_root, tmp_path, markup, left):
    """The audit does not depend on the drop having worked: a page that still holds an element the parser
    marked hidden holds a block its tier may not show, even one whose text no fingerprint matches."""
    from generator.audit import audit_site
    make_root.doc("kb/a.md", "# Page\n\nText.\n")
    site = tmp_path / "site"
    (site / "kb" / "a").mkdir(parents=True)
    (site / "kb" / "a" / "index.html").write_text(f"<html><body>{markup}</body></html>", encoding="utf-8")
    leaks = [leak.what for leak in audit_site(load(make_root.path), 0, site)]
    assert leaks == (["an internal block the render did not drop"] if left else [])


# front matter: kbgen's reading is the one every site renders --------------------------------------------

FRONT = ("---{open}\nid: pub-page\ntitle: Public page\nkind: article\ntier: 0\nowner: okapi-platform-team\n"
         "intents: [account.password-reset]\nsummary: \"```\"\n---{close}")
INVISIBLE = ["\u00a0", "\u3000", "\u2028", "\u0085", "\f", "\v", "\u2003"]


@pytest.mark.parametrize("space", INVISIBLE)
@pytest.mark.parametrize("fence", ["open", "close"])
def test_a_fence_other_readers_would_not_take_is_refused_at_its_line(make_root, space, fence):
    """kbgen takes '---' with any trailing space as the front matter's fence; MkDocs' pattern, GitHub's preview
    and editors take only spaces and tabs. MkDocs then printed the front matter on every tier's page."""
    make_root.file("kb/account/pub.md", FRONT.format(**{"open": "", "close": "", fence: space})
                   + "\n# Public page\n\nText.\n")
    found = [(f.path, f.line, f.rule) for f in errors(make_root.path)]
    assert found == [("kb/account/pub.md", 1 if fence == "open" else 9, "frontmatter-fence")]


@given(ending=st.sampled_from(["", "\n", " ", "\t", "\r\n"]), body=st.sampled_from(["", "\n", "\n\nText.\n"]))
@settings(max_examples=12, deadline=None)
def test_every_site_renders_the_body_kbgen_read(tmp_path_factory, ending, body):
    """Whatever the fence's ending and the file's end (a closing '---' at the very end of the file is no
    fence to MkDocs' pattern), a page shows the body kbgen read and checked, never its front matter."""
    root = RootMaker(tmp_path_factory.mktemp("front") / "root")
    root.file("kb/account/pub.md", (FRONT.format(open="", close=ending) + body).encode())
    assert not errors(root.path)
    out = build_all(root.path, root.path.parent / "out", tiers=[0])
    shown = article(page(out / "tier0", "kb/account/pub/"))
    assert "okapi" not in shown and "pub-page" not in shown and "```" not in shown
    assert_nowhere(out / "tier0", "okapi-platform-team")

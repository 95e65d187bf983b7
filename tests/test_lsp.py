"""``kbgen lsp``: the real server, started as a subprocess and driven over stdio with pytest-lsp, on small
content roots; and the workspace behind it, which must report what ``kbgen validate`` reports."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.workspace import PositionCodec
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import REPO, RootMaker, frontmatter, runbook_body
from generator.lsp import Buffer, complete, definition, hover, quick_fix
from generator.validate import validate
from generator.workspace import Workspace

KBGEN = Path(sys.executable).parent / "kbgen"
ARTICLE = "kb/account/reset.md"
ARTICLE_TEXT = frontmatter(id="reset", title="Reset", kind="article", tier=0, intents=["account.password-reset"]) + \
    "# Reset\n\n## Before you begin\n\nSee [the steps](#steps) and [refunds](refund.md).\n\n## Steps\n\nDo it.\n"


@pytest.fixture
def root(make_root):
    """An article, a tier 1 runbook escalating to a tier 2 one, and another tier 1 runbook."""
    make_root.file(ARTICLE, ARTICLE_TEXT)
    make_root.doc("kb/account/refund.md", intents=["billing.refund"])
    make_root.doc("runbooks/tier1/refund-basic.md", intents=["billing.refund"],
                  escalation="{to_tier: 2, when: it fails, runbook: refund-deep}")
    make_root.doc("runbooks/tier1/other-basic.md", intents=["billing.refund"])
    make_root.doc("runbooks/tier2/refund-deep.md", tier=2, intents=["billing.refund"])
    return make_root.path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[str(KBGEN), "lsp"]))
async def client(lsp_client: LanguageClient, root: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(root))))
    yield
    await lsp_client.shutdown_session()


def uri_of(root: Path, rel: str) -> str:
    return from_fs_path(str(root / rel))


async def opened(client: LanguageClient, root: Path, rel: str, text: str | None = None) -> list[lsp.Diagnostic]:
    """Open a document (with ``text``, unsaved, or as on disk) and wait for its diagnostics."""
    uri = uri_of(root, rel)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri, "markdown", 1, (root / rel).read_text() if text is None else text)))
    return await diagnostics(client, uri)


async def diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    while True:
        await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
        if uri in client.diagnostics:
            return list(client.diagnostics.pop(uri))


async def edited(client: LanguageClient, uri: str, version: int, text: str) -> list[lsp.Diagnostic]:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version, uri), [lsp.TextDocumentContentChangeWholeDocument(text)]))
    return await diagnostics(client, uri)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


@pytest.mark.asyncio
async def test_unsaved_broken_link_is_underlined_with_its_rule_and_fixed_as_typed(client, root):
    text = ARTICLE_TEXT.replace("(refund.md)", "(refnd.md)") + "\nAgents: [basic](../../runbooks/tier1/refund-basic.md)\n"
    found = await opened(client, root, ARTICLE, text)
    by_code = {d.code: d for d in found}
    assert set(by_code) == {"link-broken", "link-higher-tier"}
    broken = by_code["link-broken"]
    line = line_of(text, "refnd.md")
    start = text.split("\n")[line].index("refnd.md")
    assert broken.range == lsp.Range(lsp.Position(line, start), lsp.Position(line, start + len("refnd.md")))
    assert broken.severity == lsp.DiagnosticSeverity.Error and broken.source == "kbgen"
    href, row = broken.code_description.href.split("#L")
    assert (REPO / "CONTRIBUTING.md").read_text().split("\n")[int(row) - 1].startswith("| `link-broken` |")
    assert by_code["link-higher-tier"].range.start.line == line_of(text, "Agents:")
    assert (root / ARTICLE).read_text() == ARTICLE_TEXT  # nothing written: the text was never saved

    assert await edited(client, uri_of(root, ARTICLE), 2, ARTICLE_TEXT) == []


@pytest.mark.asyncio
async def test_a_document_created_on_disk_mends_the_link_to_it(client, root):
    text = ARTICLE_TEXT + "\nSee [new](new.md).\n"
    assert [d.code for d in await opened(client, root, ARTICLE, text)] == ["link-broken"]
    (root / "kb/account/new.md").write_text(frontmatter(id="new", title="New", kind="article", tier=0,
                                                        intents=["account.password-reset"]) + "# New\n")
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri_of(root, "kb/account/new.md"), lsp.FileChangeType.Created)]))
    assert await diagnostics(client, uri_of(root, ARTICLE)) == []


@pytest.mark.asyncio
async def test_text_markdown_cannot_read_is_a_diagnostic_and_the_server_goes_on(client, root):
    """Typed as a writer might paste it: nesting deeper than Markdown follows, a line of slashes."""
    deep = ARTICLE_TEXT + "\n" + "".join("    " * level + "- item\n" for level in range(300))
    assert "markdown-too-deep" in {d.code for d in await opened(client, root, ARTICLE, deep)}
    spaced = ARTICLE_TEXT + "\n" + "/ " * 19_000 + "\n"
    assert await edited(client, uri_of(root, ARTICLE), 2, spaced) == []
    assert await edited(client, uri_of(root, ARTICLE), 3, ARTICLE_TEXT) == []


async def completion(client: LanguageClient, root: Path, rel: str, text: str, needle: str) -> lsp.CompletionList:
    """Completion at the end of the first line of ``text`` holding ``needle``, after opening it."""
    await opened(client, root, rel, text)
    line = line_of(text, needle)
    position = lsp.Position(line, len(text.split("\n")[line]))
    return await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(uri_of(root, rel)), position))


@pytest.mark.asyncio
async def test_completion_offers_escalation_runbooks_of_higher_tiers_only(client, root):
    rel = "runbooks/tier1/other-basic.md"
    text = ("---\nid: other-basic\ntitle: Other\nkind: runbook\ntier: 1\nintents: [billing.refund]\n"
            "escalation:\n  to_tier: 2\n  when: it fails\n  runbook: \n---\n" + runbook_body("Other"))
    found = await completion(client, root, rel, text, "runbook: ")
    assert [(item.label, item.detail) for item in found.items] == [("refund-deep", "tier 2: Refund deep")]


@pytest.mark.asyncio
async def test_completion_offers_intents_with_titles_and_keys_of_the_kind(client, root):
    text = ARTICLE_TEXT.replace("intents: [account.password-reset]", "intents: [account.password-reset, ")
    found = await completion(client, root, ARTICLE, text, "intents: [")
    assert {(item.label, item.detail) for item in found.items} == {
        ("account.password-reset", "Reset a forgotten password"), ("billing.refund", "Get a refund")}

    text = ARTICLE_TEXT.replace("tier: 0\n", "tier: 0\nown\n")
    keys = {item.label for item in (await completion(client, root, ARTICLE, text, "own")).items}
    assert {"summary", "owner", "known_issue", "status"} <= keys
    assert not keys & {"escalation", "severity", "id", "tier"}  # runbook and defect fields, and those written

    text = ARTICLE_TEXT.replace("tier: 0", "tier: ")
    tiers = [item.label for item in (await completion(client, root, ARTICLE, text, "tier: ")).items]
    assert tiers == ["0", "1", "2", "3"]


@pytest.mark.asyncio
async def test_completion_offers_link_paths_marking_higher_tiers_and_anchors(client, root):
    text = ARTICLE_TEXT + "\nMore: [next](../../runbooks/"
    found = await completion(client, root, ARTICLE, text, "More:")
    items = {item.label: item for item in found.items}
    assert set(items) == {"../../runbooks/tier1/refund-basic.md", "../../runbooks/tier1/other-basic.md",
                          "../../runbooks/tier2/refund-deep.md"}
    assert {(tuple(item.tags or ()), item.detail) for item in items.values()} == {
        ((lsp.CompletionItemTag.Deprecated,), "tier 1: not allowed from this tier 0 page"),
        ((lsp.CompletionItemTag.Deprecated,), "tier 2: not allowed from this tier 0 page")}

    text = ARTICLE_TEXT + "\nMore: [steps](#"
    found = await completion(client, root, ARTICLE, text, "More:")
    assert {"#steps", "#before-you-begin", "#reset"} <= {item.label for item in found.items}


@pytest.mark.asyncio
async def test_hover_and_definition_of_an_intent_and_a_link(client, root):
    await opened(client, root, ARTICLE)
    document = lsp.TextDocumentIdentifier(uri_of(root, ARTICLE))
    on_intent = lsp.Position(line_of(ARTICLE_TEXT, "intents:"), len("intents: [acc"))
    hover = await client.text_document_hover_async(lsp.HoverParams(document, on_intent))
    assert "Reset a forgotten password" in hover.contents.value and "forgot password" in hover.contents.value
    assert "tier 0" in hover.contents.value
    where = await client.text_document_definition_async(lsp.DefinitionParams(document, on_intent))
    intents = (root / "intents.yml").read_text().split("\n")
    assert where.uri == uri_of(root, "intents.yml")
    assert intents[where.range.start.line].strip() == "- id: account.password-reset"

    link_line = line_of(ARTICLE_TEXT, "refund.md")
    on_link = lsp.Position(link_line, ARTICLE_TEXT.split("\n")[link_line].index("refund.md") + 2)
    where = await client.text_document_definition_async(lsp.DefinitionParams(document, on_link))
    assert where.uri == uri_of(root, "kb/account/refund.md")
    on_anchor = lsp.Position(link_line, ARTICLE_TEXT.split("\n")[link_line].index("#steps") + 2)
    where = await client.text_document_definition_async(lsp.DefinitionParams(document, on_anchor))
    assert ARTICLE_TEXT.split("\n")[where.range.start.line] == "## Steps"


async def fixes(client: LanguageClient, uri: str, found: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    return await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), found[0].range, lsp.CodeActionContext(found)))


def applied(text: str, edit: lsp.TextEdit) -> str:
    lines = text.split("\n")
    start, end = edit.range.start, edit.range.end
    before = "\n".join(lines[:start.line] + [lines[start.line][:start.character]])
    after = "\n".join([lines[end.line][end.character:]] + lines[end.line + 1:])
    return before + edit.new_text + after


@pytest.mark.asyncio
async def test_quick_fixes_a_misspelt_key_and_a_missing_runbook_section(client, root):
    uri = uri_of(root, ARTICLE)
    text = ARTICLE_TEXT.replace("tier: 0\n", "tier: 0\nsumary: Resetting\n")
    found = await opened(client, root, ARTICLE, text)
    assert [d.code for d in found] == ["unknown-key"]
    [action] = await fixes(client, uri, found)
    assert applied(text, action.edit.changes[uri][0]) == text.replace("sumary:", "summary:")

    rel = "runbooks/tier1/other-basic.md"
    text = (root / rel).read_text().replace("## Verify\n\nIt works.\n\n", "")
    found = await opened(client, root, rel, text)
    assert [d.code for d in found] == ["runbook-section-missing"]
    [action] = await fixes(client, uri_of(root, rel), found)
    fixed = applied(text, action.edit.changes[uri_of(root, rel)][0])
    assert "## Verify\n\nTODO: how the agent confirms" in fixed
    assert fixed.index("## Steps") < fixed.index("## Verify") < fixed.index("## Escalate")
    assert [d.code for d in await edited(client, uri_of(root, rel), 2, fixed)] == ["todo-text"]


@pytest.mark.asyncio
async def test_no_quick_fix_for_a_diagnostic_of_an_earlier_text(client, root):
    """A client sent back the diagnostic of 'sumary' after a line was typed above it: the fix rewrote the
    line now in its place ('owner: ...' became 'summaryowner...')."""
    uri = uri_of(root, ARTICLE)
    text = ARTICLE_TEXT.replace("tier: 0\n", "tier: 0\nsumary: Resetting\n")
    stale = await opened(client, root, ARTICLE, text)
    moved = text.replace("tier: 0\n", "tier: 0\nstatus: published\n")
    assert [d.code for d in await edited(client, uri, 2, moved)] == ["unknown-key"]
    assert not await fixes(client, uri, stale)


@pytest.mark.asyncio
@pytest.mark.parametrize("uri", ["untitled:Untitled-1", "http://example.com/kb/a.md", ""])
async def test_a_uri_that_names_no_file_is_let_be(client, root, uri):
    """Neovim or Helix send any Markdown buffer: each of these was a TypeError shown as 'Error in server'."""
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "markdown", 1, "# x\n")))
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri, lsp.FileChangeType.Changed)]))
    assert await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri), lsp.Position(0, 0))) is None
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    assert await opened(client, root, ARTICLE) == [], "the server goes on"


@pytest.mark.asyncio
async def test_a_named_pipe_that_is_not_open_never_stops_the_server(client, root):
    """A hover on an unopened kb/*.md that is a named pipe read it from disk, and waited for good."""
    os.mkfifo(root / "kb/account/pipe.md")
    uri = uri_of(root, "kb/account/pipe.md")
    hovered = client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(0, 0)))
    assert await asyncio.wait_for(hovered, 10) is None
    assert await opened(client, root, ARTICLE) == []


def test_every_sample_document_gets_the_findings_validate_reports():
    workspace = Workspace(REPO)
    everything = validate(REPO)
    for rel, document in sorted(workspace.documents.items()):
        assert workspace.check(rel, document.path.read_text()) == [f for f in everything if f.path == rel], rel


EDITS = st.lists(st.sampled_from([
    "[a](refund.md)", "[b](missing.md)", "[c](#steps)", "[d](#nowhere)", "[e](../../runbooks/tier1/other-basic.md)",
    "## Steps", "/// internal\n\nSecret.\n\n///", "TODO: later", "\n", "---", "id: refund-deep", "tier: 2",
    "status: draft", "kind: runbook", "intents: [billing.refnd]", "sumary: x", ":", "  - x", "\ufeff"]), max_size=6)


@settings(max_examples=25, deadline=None)
@given(edits=EDITS, where=st.integers(min_value=0, max_value=12))
def test_unsaved_text_gets_the_findings_validate_reports_once_it_is_saved(tmp_path_factory, edits, where):
    """Whatever a writer types, the editor shows what validating the tree with that text saved would show,
    and the tree the workspace holds is the one on disk again afterwards."""
    make_root = RootMaker(tmp_path_factory.mktemp("edits") / "root")
    make_root.file(ARTICLE, ARTICLE_TEXT)
    make_root.doc("kb/account/refund.md", intents=["billing.refund"])
    make_root.doc("runbooks/tier1/other-basic.md", intents=["billing.refund"])
    workspace = Workspace(make_root.path)
    lines = ARTICLE_TEXT.split("\n")
    text = "\n".join(lines[:where] + edits + lines[where:])
    unsaved = workspace.check(ARTICLE, text)
    assert workspace.check("kb/account/refund.md", (make_root.path / "kb/account/refund.md").read_text()) == \
        [f for f in validate(make_root.path) if f.path == "kb/account/refund.md"]
    (make_root.path / ARTICLE).write_text(text, encoding="utf-8")
    assert unsaved == [f for f in validate(make_root.path) if f.path == ARTICLE]
    workspace.changed(make_root.path / ARTICLE)
    assert workspace.check(ARTICLE, text) == unsaved


def test_kbgen_runs_without_the_lsp_extra_and_says_how_to_get_it(tmp_path):
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nsys.modules['pygls'] = None\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([str(KBGEN), "validate", "--root", str(REPO)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(KBGEN), "lsp"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "pip install 'kbgen[lsp]'" in done.stderr and "Traceback" not in done.stderr


def test_vscode_extension_starts_kbgen_lsp_for_markdown():
    extension = REPO / "editors" / "vscode"
    manifest = json.loads((extension / "package.json").read_text())
    assert (extension / manifest["main"]).is_file()
    assert "vscode-languageclient" in manifest["dependencies"] and "@vscode/vsce" in manifest["devDependencies"]
    assert "workspaceContains:intents.yml" in manifest["activationEvents"]
    subprocess.run(["node", "--check", str(extension / manifest["main"])], check=True)
    source = (extension / manifest["main"]).read_text()
    assert 'args: ["lsp"]' in source and 'language: "markdown"' in source


FRAGMENTS = st.sampled_from([
    "---", "id: x", "kind: ", "kind: runbook", "tier: ", "tier: 2", "intents: [", "intents: [billing.refund]",
    "intents:", "  - ", "  - billing.", "escalation:", "  runbook: ", "  to_tier: ", "escalation: {to_tier: 2, runbook: ",
    "known_issue:", "  defect: ", "sumary: x", "", "# T", "## Steps", "[a](", "[a](refund.md#", "[a](#",
    "[r]: ", "[a](../../runbooks/", "[b](refund.md)", "é😀", "\t", ":", "{", "[", "/// internal", "///"])


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(FRAGMENTS, max_size=10), line=st.integers(0, 11), character=st.integers(0, 40),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_no_text_or_position_makes_a_feature_fail(sample_workspace, lines, line, character, encoding):
    """Whatever is half typed, wherever the cursor is, the features answer (maybe with nothing)."""
    buffer = Buffer(sample_workspace, "kb/account/reset-password.md", "\n".join(lines), PositionCodec(encoding))
    position = lsp.Position(line, character)
    complete(buffer, position)
    hover(buffer, position)
    definition(buffer, position)
    for found in buffer.diagnostics():
        quick_fix(buffer, "file:///x.md", found)


@pytest.fixture(scope="module")
def sample_workspace():
    return Workspace(REPO)


def test_positions_count_in_the_units_the_client_chose(sample_workspace):
    text = ARTICLE_TEXT.replace("(refund.md)", "(refnd.md)").replace("See [the", "Café 😀 see [the")
    line = line_of(text, "refnd.md")
    column = text.split("\n")[line].index("refnd.md")
    prefix = text.split("\n")[line][:column]
    for encoding, units in (("utf-8", len(prefix.encode())), ("utf-16", len(prefix.encode("utf-16-le")) // 2),
                            ("utf-32", len(prefix))):
        buffer = Buffer(sample_workspace, "kb/account/reset-password.md", text, PositionCodec(encoding))
        [broken] = [d for d in buffer.diagnostics() if d.code == "link-broken"]
        assert broken.range.start == lsp.Position(line, units), encoding


def ids_of(workspace: Workspace, kind: str, tiers: range) -> set[str]:
    return {d.id for d in workspace.documents.values() if d.kind == kind and d.tier in tiers and d.published}


@pytest.mark.parametrize("front, expected", [
    ("kind: runbook\ntier: 2\nescalation: {to_tier: 3, when: x, runbook: ", lambda w: ids_of(w, "runbook", range(3, 4))),
    ("kind: runbook\ntier: 1\nescalation:\n  to_tier: ", lambda w: {"2", "3"}),
    ("kind: defect\ntier: 3\nseverity: ", lambda w: {"P1", "P2", "P3", "P4"}),
    ("kind: defect\ntier: ", lambda w: {"3"}),
    ("kind: article\ntier: 0\nknown_issue:\n  defect: ", lambda w: ids_of(w, "defect", range(4))),
    ("kind: defect\ntier: 3\nrecurrence_of: ", lambda w: ids_of(w, "defect", range(4))),
    ("kind: article\ntier: 0\nintents:\n  - ", lambda w: set(w.content.intents)),
    ("kind: ", lambda w: {"article", "runbook", "defect"}),
])
def test_front_matter_values_offered_fit_the_field_and_the_document(sample_workspace, front, expected):
    text = f"---\nid: new\n{front}\n---\n# New\n"
    lines = text.split("\n")
    line = len(front.split("\n")) + 1
    buffer = Buffer(sample_workspace, "runbooks/tier2/new.md", text, PositionCodec())
    found = complete(buffer, lsp.Position(line, len(lines[line])))
    assert {item.label for item in found.items} == expected(sample_workspace) != set()


def test_the_workspace_follows_files_changed_on_disk(root):
    workspace = Workspace(root)
    text = ARTICLE_TEXT.replace("intents: [account.password-reset]", "intents: [account.sign-in]")
    assert [f.rule for f in workspace.check(ARTICLE, text)] == ["intent-unknown"]
    (root / "intents.yml").write_text((root / "intents.yml").read_text().replace(
        "intents:\n", "intents:\n  - id: account.sign-in\n    title: Sign in\n    resolution_tier: 0\n", 1))
    assert workspace.changed(root / "intents.yml")
    assert workspace.check(ARTICLE, text) == []

    (root / "kb/account/refund.md").unlink()
    assert workspace.changed(root / "kb/account/refund.md")
    assert [f.rule for f in workspace.check(ARTICLE, text)] == ["link-broken"]
    assert "kb/account/refund.md" not in workspace.documents
    assert not workspace.changed(root.parent / "elsewhere.md")


def test_an_escalation_loop_is_named_as_the_whole_tree_check_names_it(make_root):
    """A loop of runbooks entered from a runbook outside it, which comes first in path order."""
    for rel, tier, target in (("runbooks/a/entry.md", 1, "loop-c"), ("runbooks/b/loop-b.md", 2, "loop-c"),
                              ("runbooks/c/loop-c.md", 3, "loop-d"), ("runbooks/d/loop-d.md", 2, "loop-b")):
        make_root.doc(rel, tier=tier, intents=["billing.refund"],
                      escalation=f"{{to_tier: {min(tier + 1, 3)}, when: it fails, runbook: {target}}}")
    workspace = Workspace(make_root.path)
    everything = validate(make_root.path)
    assert any(f.rule == "escalation-cycle" for f in everything)
    for rel, document in sorted(workspace.documents.items()):
        assert workspace.check(rel, document.path.read_text()) == [f for f in everything if f.path == rel], rel


@pytest.mark.parametrize("wrong, right", [
    ("intents: [account.password-rest]", "intents: [account.password-reset]"),
    ("status: publishd", "status: published"),
    ("See [again](#Reset-Your-Password).", "See [again](#reset-your-password)."),
    ("escalation: {to_tier: 2, when: x, runbook: diagnose-api-5xx-error}",
     "escalation: {to_tier: 2, when: x, runbook: diagnose-api-5xx-errors}"),
])
def test_quick_fix_applies_the_did_you_mean(sample_workspace, wrong, right):
    rel = "runbooks/tier1/resend-invoice.md"
    text = (REPO / rel).read_text()
    if "intents" in wrong:
        text = re.sub(r"(?m)^intents:.*$", wrong, text, count=1)
    elif "escalation" in wrong:
        text = re.sub(r"(?ms)^escalation:.*?(?=^(?:\w|---))", wrong + "\n", text, count=1)
    elif wrong.startswith("status"):
        text = text.replace("tier: 1\n", f"tier: 1\n{wrong}\n", 1)
    else:
        text = text.replace("\n## Steps", f"\n## Reset your password\n\n{wrong}\n\n## Steps", 1)
    buffer = Buffer(sample_workspace, rel, text, PositionCodec())
    [found] = buffer.diagnostics()
    fix = quick_fix(buffer, "file:///x.md", found)
    assert applied(text, fix.edit.changes["file:///x.md"][0]) == text.replace(wrong, right)


def test_severities_chosen_in_mkdocs_yml_hold_in_the_editor(make_root):
    make_root.doc("runbooks/tier1/loose.md", body="# Loose\n\n## When to use\n\nNow.\n")
    make_root.file("mkdocs.yml", "site_name: KB\nplugins:\n  - kbgen:\n      rules:\n        runbook-section-missing: warning\n")
    workspace = Workspace(make_root.path)
    text = (make_root.path / "runbooks/tier1/loose.md").read_text()
    found = workspace.check("runbooks/tier1/loose.md", text)
    assert {(f.rule, f.severity) for f in found} == {("runbook-section-missing", "warning")}
    assert found == [f for f in validate(make_root.path) if f.path == "runbooks/tier1/loose.md"]


def test_a_folder_moved_on_disk_moves_its_documents(root):
    workspace = Workspace(root)
    (root / "runbooks/tier2").rename(root / "runbooks/specialists")
    assert workspace.changed(root / "runbooks/tier2") and workspace.changed(root / "runbooks/specialists")
    assert "runbooks/specialists/refund-deep.md" in workspace.documents
    assert not [rel for rel in workspace.documents if rel.startswith("runbooks/tier2/")]
    rel = "runbooks/tier1/refund-basic.md"
    assert workspace.check(rel, (root / rel).read_text()) == [f for f in validate(root) if f.path == rel]


def test_a_named_pipe_the_editor_reports_is_refused_not_read(make_root):
    """A document the editor says appeared is read as a load reads it: a named pipe would keep the server
    waiting forever, and a link out of the content folders would be read from anywhere."""
    make_root.doc("kb/a.md")
    workspace = Workspace(make_root.path)
    os.mkfifo(make_root.path / "kb" / "pipe.md")
    workspace.refresh("kb/pipe.md")  # returns: nothing was opened
    assert "kb/pipe.md" not in workspace.documents
    assert [f.rule for f in workspace.content.findings if f.path == "kb/pipe.md"] == ["file-not-regular"]


@pytest.mark.parametrize("sent", [b"Content-Length: 99999999999\r\n\r\n{}", b"x" * 100_000 + b"\r\n"])
def test_a_message_larger_than_a_server_takes_ends_the_session_cleanly(sent):
    """A client announcing 100 GB (or a header line without end) is answered as a closed stream, not with
    the memory it asks for and a traceback."""
    done = subprocess.run([str(Path(sys.executable).parent / "kbgen"), "lsp", "--root", str(REPO)], input=sent,
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"more than a language server takes" in done.stderr


def test_an_extension_failing_on_the_text_is_a_diagnostic(make_root):
    """Options MkDocs accepts that the extension cannot use fail only on a page: the editor shows why."""
    make_root.doc("kb/faces.md", body="# Faces\n\nText.\n")
    make_root.file("mkdocs.yml", "site_name: KB\nmarkdown_extensions:\n  - toc:\n      slugify: 5\n")
    workspace = Workspace(make_root.path)
    [found] = workspace.check("kb/faces.md", (make_root.path / "kb/faces.md").read_text())
    assert (found.line, found.rule, found.severity) == (1, "config-option", "error")
    assert "markdown.extensions.toc" in found.message and "TypeError" in found.message


def _framed(body) -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def _answers(stdout: bytes) -> list[dict]:
    return [json.loads(part) for part in re.split(rb"Content-Length: \d+\r\n(?:[^\r\n]+\r\n)*\r\n", stdout) if part]


HOVER = {"textDocument": {"uri": "file:///kb/x.md"}, "position": {"line": 0, "character": 0}}


def test_every_request_gets_an_answer_and_what_is_no_message_an_error_of_no_id():
    """JSON-RPC: a request whose params do not fit, or that comes after shutdown, is answered with an error
    and its id (the client would otherwise wait for good); text that is not JSON, JSON that is no message and
    an id of the wrong kind get an error with a null id; the server goes on, with no traceback."""
    sent = [b"{not json", {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"capabilities": {}, "rootUri": None, "processId": None}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": 5}},
            {"jsonrpc": "2.0", "id": "three", "method": "textDocument/hover", "params": 7},
            b"[1, 2]", b'"a string"', b"[" * 100_000, b"\xff\xfe\x00",
            {"jsonrpc": "2.0", "id": {"an": "object"}, "method": "shutdown"},
            {"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": HOVER},
            {"jsonrpc": "2.0", "id": 5, "method": "shutdown"},
            {"jsonrpc": "2.0", "id": 6, "method": "textDocument/hover", "params": HOVER},
            {"jsonrpc": "2.0", "method": "exit"}]
    done = subprocess.run([str(Path(sys.executable).parent / "kbgen"), "lsp", "--root", str(REPO)],
                          input=b"".join(map(_framed, sent)), capture_output=True, timeout=120)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    answers = _answers(done.stdout)
    by_id = {answer["id"]: answer for answer in answers if "id" in answer and answer["id"] is not None}
    assert set(by_id) == {1, 2, "three", 4, 5, 6}
    assert by_id[2]["error"]["code"] == by_id["three"]["error"]["code"] == -32602
    assert "result" in by_id[4] and "result" in by_id[5]  # the server went on after all of it
    assert by_id[6]["error"]["code"] == -32600  # after shutdown
    no_id = [answer["error"]["code"] for answer in answers if "id" in answer and answer["id"] is None]
    assert sorted(no_id) == [-32700, -32700, -32700, -32600, -32600, -32600]
    assert not [answer for answer in answers if answer.get("method") == "window/showMessage"]

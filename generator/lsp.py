"""``kbgen lsp``: the content contract in the writer's editor, over the Language Server Protocol (stdio).

Diagnostics are ``kbgen validate``'s findings for the open document, from its unsaved text, with the rule
id as the code; completion, hover, go to definition and quick fixes know the front-matter schema, the
intents, the ids, the tiers and the links. Built on pygls, which only the ``lsp`` extra installs: this module
is imported by ``kbgen lsp`` alone.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
import sys
from importlib import metadata
from pathlib import Path
from string import Template
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec

from . import audience, structure
from .content import INTENTS_FILE, ContentError, Document, closing_fence, is_fence
from .findings import ERROR, Finding, printable
from .structure import EXTERNAL_RE, INLINE_LINK_RE, REF_DEF_RE
from .schemas import FIELD_KINDS, schema
from .workspace import Workspace

SOURCE = "kbgen"
GUIDE = "CONTRIBUTING.md"  # its "Validation rules" table explains every rule id
TEMPLATES = Path(__file__).parent / "templates"
KIND_TIERS = {"article": (0, 1, 2, 3), "runbook": (1, 2, 3), "defect": (3,)}
MAX_PATHS = 500  # link paths offered at once; the list is marked incomplete and narrows as the writer types
KEY_LINE_RE = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z_][\w-]*)\s*:(?=\s|$)")
TOKEN_RE = re.compile(r"\"[^\"]*\"|'[^']*'|[^\s:,\[\]{}]+")
URL_RE = re.compile(r"[^\s)\"'>]+")
WORD_RE = re.compile(r"[\w.\-/]+")
DID_YOU_MEAN_RE = re.compile(r"did you mean '([^']+)'\?")
SECTION_MISSING_RE = re.compile(r"has no '## ([^']+)' section; add it (before|at the end)")


_ANSWERED = object()  # a request answered with an error as it was read: nothing is left to do for it


def _is_id(value) -> bool:
    """Whether a message id is one JSON-RPC allows: a string, a number or null."""
    return value is None or isinstance(value, str) or isinstance(value, int) and not isinstance(value, bool)


class _Protocol(LanguageServerProtocol):
    """pygls' protocol, answering every message it cannot read as JSON-RPC says: a request whose params do not
    fit its method, or that comes after shutdown, gets an error with its id (pygls sent none, and the client
    would wait for good); a message with an id JSON-RPC does not allow, or that is JSON but no message, is
    refused as an invalid request (see :meth:`KbgenServer.report_server_error`)."""

    def structure_message(self, data: dict):
        if "jsonrpc" in data and not _is_id(data.get("id")):
            raise JsonRpcInvalidRequest("a message's id is a string, a number or null")
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "method" not in data or "id" not in data:  # a notification or a response: nobody waits for it
                raise
            self._send_response(data["id"], None, exc.to_response_error())
            return _ANSWERED

    def handle_message(self, message) -> None:
        if message is _ANSWERED:
            return
        if not hasattr(message, "jsonrpc"):  # a list, a string, a number
            raise JsonRpcInvalidRequest("a message is a JSON object")
        if self._shutdown and isinstance(message, RPCRequest) and message.method != lsp.EXIT:
            self._send_response(message.id, None,
                                JsonRpcInvalidRequest("the server is shut down").to_response_error())
            return
        super().handle_message(message)


class KbgenServer(LanguageServer):
    """The language server: a :class:`Workspace` loaded once the client says which folder it opened."""

    def __init__(self, root: Path | None):
        super().__init__(SOURCE, metadata.version("kbgen"), protocol_cls=_Protocol)
        self.root = root
        self.kb: Workspace | None = None
        self.asked: lsp.InitializeParams | None = None  # the client's initialize request

    def report_server_error(self, error: Exception, source) -> None:
        """A message the reader could not read (not JSON, or no message) is answered with an error of no id,
        as JSON-RPC asks; any other error is shown as pygls shows it."""
        if source is not JsonRpcException:
            return super().report_server_error(error, source)
        if not isinstance(error, JsonRpcException):  # json.loads failed: not JSON, not UTF-8, nested too deep
            error = JsonRpcParseError(f"the message is not JSON: {type(error).__name__}")
        answer = error.to_response_error()
        self.protocol._send_data({"jsonrpc": "2.0", "id": None, "error": {"code": answer.code, "message": answer.message}})

    def open_root(self, params: lsp.InitializeParams) -> None:
        folders = params.workspace_folders or []
        uri = folders[0].uri if folders else params.root_uri
        root = self.root or (_path_of(uri) if uri else Path.cwd())
        if root is None:
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning,
                                                           f"kbgen: {uri} is not a folder on disk; no checks"))
            return
        try:
            self.kb = Workspace(root)
        except ContentError as exc:
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning,
                                                           f"kbgen: {exc}; no checks in this folder"))
            return
        if self.kb.settings_errors:
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, (
                f"kbgen: {self.kb.settings_errors[0].as_text()}; kbgen validate lists every problem of the "
                "site's configuration, and until they are fixed every rule has its default severity")))

    def buffer(self, uri: str) -> Buffer | None:
        """An open document of the content root as the editor holds it, or None for any other (one not open
        is not read from disk here: a named pipe there would stop the server for good)."""
        path = _path_of(uri)
        rel = self.kb.rel(path) if self.kb is not None and path is not None else None
        if rel is None or uri not in self.workspace.text_documents:
            return None
        return Buffer(self.kb, rel, self.workspace.get_text_document(uri).source, self.workspace.position_codec)

    def publish(self, uri: str) -> None:
        buffer = self.buffer(uri)
        if buffer is not None:
            version = self.workspace.get_text_document(uri).version
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, buffer.diagnostics(), version))

    def publish_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            self.publish(uri)


def _path_of(uri: str) -> Path | None:
    """The file a URI names, or None for one that names no file on disk (``untitled:``, ``http:``, "")."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


class Buffer:
    """An open document's text, with what the editor features read of it. Positions in the protocol count
    in the units the client and server agreed on (UTF-16 by default); here they are Python characters."""

    def __init__(self, kb: Workspace, rel: str, text: str, codec: PositionCodec):
        self.kb, self.rel, self.text, self.codec = kb, rel, text, codec
        self.lines = text.split("\n")

    def position(self, line: int, character: int) -> lsp.Position:
        return self.codec.position_to_client_units(self.lines, lsp.Position(line, character))

    def at(self, position: lsp.Position) -> tuple[int, int] | None:
        """(line, character) of a protocol position, or None past the end of the text."""
        if position.line >= len(self.lines):
            return None
        found = self.codec.position_from_client_units(self.lines, lsp.Position(position.line, position.character))
        return found.line, found.character

    def diagnostics(self) -> list[lsp.Diagnostic]:
        return [self.diagnostic(finding) for finding in self.kb.check(self.rel, self.text)]

    def diagnostic(self, finding: Finding) -> lsp.Diagnostic:
        """A finding as the editor underlines it: from its position to the end of the word, link or key there."""
        line = min(max(finding.line - 1, 0), len(self.lines) - 1)
        text = self.lines[line]
        start = min(max(finding.col - 1, 0), len(text))
        token = URL_RE.match(text, start) if _in_link(text, start) else TOKEN_RE.match(text, start)
        end = token.end() if token and token.end() > start else len(text)
        row = rule_row(self.kb.root, finding.rule)
        described = lsp.CodeDescription(href=f"{from_fs_path(str(row[0]))}#L{row[1]}") if row else None
        return lsp.Diagnostic(
            range=lsp.Range(self.position(line, start), self.position(line, end)),
            message=finding.message, source=SOURCE, code=finding.rule, code_description=described,
            severity=lsp.DiagnosticSeverity.Error if finding.severity == ERROR else lsp.DiagnosticSeverity.Warning)

    def document(self) -> Document | None:
        return self.kb.parse(self.rel, self.text)[0]


def _in_link(text: str, start: int) -> bool:
    return start > 0 and text[start - 1] in "(<\"'" or REF_DEF_RE.match(text) is not None


@functools.cache
def rule_row(root: Path, rule: str) -> tuple[Path, int] | None:
    """The file and line of a rule's row in the guide: the content root's own, else kbgen's."""
    for guide in (root / GUIDE, Path(__file__).parent.parent / GUIDE):
        if guide.is_file():
            for number, line in enumerate(guide.read_text(encoding="utf-8").split("\n"), start=1):
                if line.startswith(f"| `{rule}` |"):
                    return guide, number
    return None


# The front matter ---------------------------------------------------------------------------------------
def frontmatter_end(lines: list[str]) -> int:
    """The index of the line that closes the front matter (the end of the file while it is unclosed), or 0
    when the document has none."""
    if not lines or not is_fence(lines[0]):
        return 0
    end = closing_fence(lines)
    return len(lines) if end is None else end


def parents(lines: list[str], line: int, indent: int) -> tuple[str, ...]:
    """The keys a front-matter line at ``indent`` is nested in, outermost first."""
    found: list[str] = []
    for index in range(line - 1, 0, -1):
        match = KEY_LINE_RE.match(lines[index])
        if match and len(match[1]) < indent:
            found.insert(0, match[2])
            indent = len(match[1])
            if indent == 0:
                break
    return tuple(found)


def field_schema(path: tuple[str, ...]) -> dict | None:
    node = schema("frontmatter")
    for key in path:
        node = node.get("properties", {}).get(key) or (node.get("items") or {}).get("properties", {}).get(key)
        if node is None:
            return None
    return node


def _meta_value(lines: list[str], key: str) -> str | None:
    """A top-level front-matter value as written (the front matter may not parse while it is being typed)."""
    for line in lines[1:frontmatter_end(lines)]:
        match = re.match(rf"{key}:\s*[\"']?([\w-]+)", line)
        if match:
            return match[1]
    return None


def _tier(lines: list[str]) -> int:
    value = _meta_value(lines, "tier")
    return int(value) if value and value.isdigit() else 0


def frontmatter_context(lines: list[str], line: int, character: int) -> tuple[str, tuple[str, ...], str]:
    """What the cursor is on in the front matter: ("key", parents, typed) or ("value", field path, typed)."""
    before = lines[line][:character]
    flow = re.search(r"\{[^}]*?\b([\w-]+):\s*([^,}]*)$", before)
    key = KEY_LINE_RE.match(before)
    indent = len(before) - len(before.lstrip(" -"))
    if key and flow:
        return "value", parents(lines, line, len(key[1])) + (key[2], flow[1]), flow[2].strip("\"' ")
    if key:
        typed = before[key.end():].strip()
        typed = re.split(r"[\[,]\s*", typed)[-1].strip("\"' ")
        return "value", parents(lines, line, len(key[1])) + (key[2],), typed
    item = re.match(r"^(\s*)-\s*(.*)$", before)
    if item:
        return "value", parents(lines, line, len(item[1]) + 1), item[2].strip("\"' ")
    return "key", parents(lines, line, indent), before.strip(" -")


def key_items(lines: list[str], path: tuple[str, ...]) -> list[lsp.CompletionItem]:
    """Front-matter keys valid at ``path`` for the document's kind, with the schema's descriptions."""
    node = field_schema(path) if path else schema("frontmatter")
    if node is None:
        return []
    node = node.get("items", node) if node.get("type") == "array" else node
    kind = _meta_value(lines, "kind")
    present = {m[2] for m in map(KEY_LINE_RE.match, lines[1:frontmatter_end(lines)]) if m and not m[1]}
    items = []
    for key, field in node.get("properties", {}).items():
        if not path and (key in present or kind in KIND_TIERS and FIELD_KINDS.get(key, kind) != kind):
            continue
        required = key in node.get("required", ())
        items.append(lsp.CompletionItem(
            label=key, kind=lsp.CompletionItemKind.Property, detail="required" if required else None,
            documentation=field.get("description"), insert_text=f"{key}: ", sort_text=f"{0 if required else 1}{key}"))
    return items


def value_items(kb: Workspace, rel: str, lines: list[str], path: tuple[str, ...]) -> list[lsp.CompletionItem]:
    """Values of a front-matter field: kinds, the tiers allowed for the kind, intents, escalation runbooks..."""
    tier, kind = _tier(lines), _meta_value(lines, "kind")
    value = lsp.CompletionItemKind.Value
    if path == ("tier",):
        return [lsp.CompletionItem(str(t), kind=value, detail="public help site" if t == 0 else f"tier {t} agents")
                for t in KIND_TIERS.get(kind, (0, 1, 2, 3))]
    if path == ("intents",):
        return [lsp.CompletionItem(intent.id, kind=lsp.CompletionItemKind.EnumMember, detail=intent.title,
                                   documentation=intent_text(intent)) for intent in kb.content.intents.values()]
    if path == ("escalation", "to_tier"):
        return [lsp.CompletionItem(str(t), kind=value, detail=f"tier {t} agents") for t in range(tier + 1, 4)]
    wanted = {("escalation", "runbook"): lambda d: d.kind == "runbook" and (d.tier or 0) > tier,
              ("known_issue", "defect"): lambda d: d.kind == "defect",
              ("recurrence_of",): lambda d: d.kind == "defect",
              ("fed", "article"): lambda d: d.kind == "article" and d.tier == 0,
              ("fed", "runbooks"): lambda d: d.kind == "runbook" and d.tier == 2}.get(path)
    if wanted:
        return [lsp.CompletionItem(d.id, kind=lsp.CompletionItemKind.Reference, detail=f"tier {d.tier}: {d.title}",
                                   documentation=d.rel)
                for d in kb.content.documents if d.rel != rel and d.id and d.published and wanted(d)]
    field = field_schema(path) or {}
    field = field.get("items", field) if field.get("type") == "array" else field
    return [lsp.CompletionItem(str(choice), kind=value, documentation=field.get("description"))
            for choice in field.get("enum", ())]


def intent_text(intent) -> lsp.MarkupContent:
    tier = "not set" if intent.resolution_tier is None else str(intent.resolution_tier)
    phrasings = "".join(f"\n- {p}" for p in intent.phrasings)
    return lsp.MarkupContent(lsp.MarkupKind.Markdown, f"**{intent.title}** (`{intent.id}`)\n\n"
                             f"Resolved at tier {tier}.\n\nCustomers say:{phrasings or ' (no phrasings)'}")


# The body -----------------------------------------------------------------------------------------------
def link_at(text: str, character: int) -> tuple[str, int] | None:
    """(url, start) of the Markdown link or reference definition whose target is under the cursor."""
    for match in [*INLINE_LINK_RE.finditer(text), *REF_DEF_RE.finditer(text)]:
        if match.start() <= character <= match.end():
            group = next(g for g in (1, 2) if match.re.groups >= g and match[g] is not None)
            return match[group], match.start(group)
    return None


def resolve(kb: Workspace, rel: str, url: str) -> tuple[Document | None, str]:
    """The document a relative link of ``rel`` leads to (as validation resolves it) and its fragment."""
    path, _, fragment = url.partition("#")
    path = unquote(path.split("?", 1)[0])
    if EXTERNAL_RE.match(url) or path.startswith("/"):
        return None, fragment
    if not path:
        return kb.documents.get(rel), fragment
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
    found = kb.documents.get(joined) or kb.documents.get(joined + ".md") or \
        kb.documents.get(joined.rstrip("/") + "/index.md") or kb.validator.by_url.get(joined.rstrip("/"))
    return found, fragment


def link_items(kb: Workspace, document: Document, typed: str,
               span: lsp.Range) -> tuple[list[lsp.CompletionItem], bool]:
    """Relative paths to documents, or the ``#anchors`` of the one named; higher-tier targets are marked
    as not allowed from this document. Returns the items and whether more would match."""
    tier = document.tier or 0
    if "#" in typed:
        target, _ = resolve(kb, document.rel, typed.split("#", 1)[0])
        if target is None:
            return [], False
        if target.rel == document.rel:
            with kb.editing(document):
                ids = structure.view(kb.content, document, max(audience.TIERS)).ids
        else:
            ids = structure.view(kb.content, target, max(tier, target.tier or 0)).ids
        path = typed.split("#", 1)[0]
        return [lsp.CompletionItem(f"#{anchor}", kind=lsp.CompletionItemKind.Reference, filter_text=f"{path}#{anchor}",
                                   text_edit=lsp.TextEdit(span, f"{path}#{anchor}")) for anchor in sorted(ids)], False
    folder = posixpath.dirname(document.rel)
    items = []
    for target in kb.content.documents:
        path = posixpath.relpath(target.rel, folder)
        if target.rel == document.rel or not path.startswith(typed):
            continue
        barred = target.tier is not None and target.tier > tier
        items.append(lsp.CompletionItem(
            path, kind=lsp.CompletionItemKind.File, sort_text=f"{int(barred)}{path}",
            detail=(f"tier {target.tier}: not allowed from this tier {tier} page" if barred
                    else f"tier {target.tier}: {target.title}"),
            tags=[lsp.CompletionItemTag.Deprecated] if barred else None, text_edit=lsp.TextEdit(span, path)))
        if len(items) >= MAX_PATHS:
            return items, True
    return items, False


# What the editor asks ------------------------------------------------------------------------------------
def complete(buffer: Buffer, position: lsp.Position) -> lsp.CompletionList | None:
    """Completion at the cursor: front-matter keys and values, or a link's path or anchor in the body."""
    at = buffer.at(position)
    if at is None:
        return None
    line, character = at
    lines = buffer.lines
    if 0 < line < frontmatter_end(lines):
        where, path, _ = frontmatter_context(lines, line, character)
        items = key_items(lines, path) if where == "key" else value_items(buffer.kb, buffer.rel, lines, path)
        return lsp.CompletionList(is_incomplete=False, items=items)
    before = lines[line][:character]
    typed = re.search(r"\]\(<?([^)\s>]*)$", before) or re.match(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S*)$", before)
    document = buffer.document() if typed else None
    if document is None:
        return None
    span = lsp.Range(buffer.position(line, character - len(typed[1])), buffer.position(line, character))
    items, more = link_items(buffer.kb, document, typed[1], span)
    return lsp.CompletionList(is_incomplete=more, items=items)


def target(buffer: Buffer, position: lsp.Position, with_anchor: bool = False):
    """What the cursor is on: an intent, a document (an id or a link), or with ``with_anchor`` a document
    and the line of the heading a link's ``#anchor`` names."""
    at = buffer.at(position)
    if at is None:
        return None
    line, character = at
    text = buffer.lines[line]
    kb = buffer.kb
    if 0 < line < frontmatter_end(buffer.lines):
        word = next((m[0].strip(".") for m in WORD_RE.finditer(text) if m.start() <= character <= m.end()), None)
        if word in kb.content.intents:
            return kb.content.intents[word]
        document = kb.validator.by_id.get(word) if word else None
        return document if document is not None and document.rel != buffer.rel else None
    link = link_at(text, character)
    if link is None:
        return None
    found, fragment = resolve(kb, buffer.rel, link[0])
    if found is None or not (with_anchor and fragment):
        return found
    if found.rel == buffer.rel:
        found = buffer.document() or found
    return found, found.body_line - 1 + anchor_line(kb, found, fragment)


def hover(buffer: Buffer, position: lsp.Position) -> lsp.Hover | None:
    found = target(buffer, position)
    if found is None:
        return None
    if isinstance(found, Document):
        text = f"**{found.title}** (`{found.id}`)\n\n{found.kind}, tier {found.tier}, {found.status}: {found.rel}"
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text))
    return lsp.Hover(intent_text(found))


def definition(buffer: Buffer, position: lsp.Position) -> lsp.Location | None:
    found = target(buffer, position, with_anchor=True)
    if found is None:
        return None
    if isinstance(found, tuple):
        return _location(found[0].path, found[1])
    if isinstance(found, Document):
        return _location(found.path, 0)
    return _location(buffer.kb.root / INTENTS_FILE, found.line - 1)


def _location(path: Path, line: int) -> lsp.Location:
    return lsp.Location(from_fs_path(str(path)), lsp.Range(lsp.Position(line, 0), lsp.Position(line, 0)))


def anchor_line(kb: Workspace, document: Document, fragment: str) -> int:
    """The body line of the heading the page's ``#fragment`` names (the first line when none does)."""
    with kb.editing(document):
        page = structure.view(kb.content, document, max(audience.TIERS)).headings
    written = [h for h in structure.headings(document.body) if h.level]
    if len(page) == len(written):
        for shown, heading in zip(page, written):
            if shown.id == fragment:
                return heading.index
    return next((h.index for h in written if h.anchor == fragment), 0)


def quick_fix(buffer: Buffer, uri: str, found: lsp.Diagnostic) -> lsp.CodeAction | None:
    """The one obvious fix of a finding, if it has one: the name it meant, or the runbook section it lacks."""
    if buffer.at(found.range.start) is None or buffer.at(found.range.end) is None:
        return None  # the text changed since
    line, start = buffer.at(found.range.start)
    lines = buffer.lines
    if found.code == "runbook-section-missing":
        missing = SECTION_MISSING_RE.search(found.message)
        if missing is None:
            return None
        section = template_section(missing[1])
        if missing[2] == "before":
            at, text = lsp.Position(line, 0), section + "\n"
        else:
            last = len(lines) - 1
            at = buffer.position(last, len(lines[last]))
            text = ("\n" if lines[last].strip() else "") + "\n" + section.rstrip("\n") + "\n"
        edit = lsp.TextEdit(lsp.Range(at, at), text)
        title = f"Add the '## {missing[1]}' section from the runbook template"
    else:
        meant = DID_YOU_MEAN_RE.search(found.message)
        end_line, end = buffer.at(found.range.end)
        if meant is None or end_line != line:
            return None
        key = re.match(r"\s*:\s*", lines[line][end:]) if found.code != "unknown-key" else None
        if key:  # the finding points at the key: what was meant is its value
            value = TOKEN_RE.match(lines[line], end + key.end())
            if value is None:
                return None
            start, end = value.span()
            found_range = lsp.Range(buffer.position(line, start), buffer.position(line, end))
        else:
            found_range = found.range
        written = lines[line][start:end]
        if found.code == "link-anchor" and "#" in written:
            replacement = written.split("#", 1)[0] + "#" + meant[1]
        elif found.code in ("unknown-key", "intent-unknown", "escalation-target", "field-value") and written:
            quote = written[0] if written[0] in "'\"" else ""
            replacement = f"{quote}{meant[1]}{quote}"
        else:
            return None
        edit = lsp.TextEdit(found_range, replacement)
        title = f"Change to '{meant[1]}'"
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[found], is_preferred=True,
                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}))


@functools.cache
def template_section(name: str) -> str:
    """A level 2 section of a runbook template (of either layout), heading and text, for a runbook that lacks it."""
    for template in ("runbook.md", "runbook-alert.md"):
        body = Template((TEMPLATES / template).read_text(encoding="utf-8")).safe_substitute()
        body = body.split("\n---\n", 1)[-1]
        found = re.search(rf"(?ms)^## {re.escape(name)}\n.*?(?=^## |\Z)", body)
        if found:
            return found[0].rstrip("\n") + "\n"
    return f"## {name}\n\nTODO: write this section.\n"


# The server ----------------------------------------------------------------------------------------------
WATCHED_GLOBS = ("**/*.md", "**/intents.yml", "**/mkdocs.yml", "**/snippets/**", "**/kb/**", "**/runbooks/**")


def build_server(root: Path | None) -> KbgenServer:
    server = KbgenServer(root)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: KbgenServer, params: lsp.InitializeParams) -> None:
        ls.asked = params

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: KbgenServer, params: lsp.InitializedParams) -> None:
        if ls.asked is None:  # 'initialized' without 'initialize': nothing was asked for
            return
        ls.open_root(ls.asked)
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if ls.kb is not None and watching and watching.dynamic_registration:
            watchers = [lsp.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
            ls.client_register_capability(lsp.RegistrationParams([lsp.Registration(
                "kbgen-files", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                lsp.DidChangeWatchedFilesRegistrationOptions(watchers))]))
        ls.publish_all()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KbgenServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KbgenServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KbgenServer, params: lsp.DidSaveTextDocumentParams) -> None:
        path = _path_of(params.text_document.uri)
        if ls.kb is not None and path is not None and ls.kb.changed(path):
            ls.publish_all()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KbgenServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = _path_of(params.text_document.uri)
        rel = ls.kb.rel(path) if ls.kb and path is not None else None
        if rel:
            ls.kb.close(rel)
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(params.text_document.uri, []))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_files(ls: KbgenServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if ls.kb is not None and [c for c in params.changes if (path := _path_of(c.uri)) and ls.kb.changed(path)]:
            ls.publish_all()

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[":", " ", "(", "/", "#", "-", "[", ","]))
    def completion(ls: KbgenServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        buffer = ls.buffer(params.text_document.uri)
        return complete(buffer, params.position) if buffer else None

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: KbgenServer, params: lsp.HoverParams) -> lsp.Hover | None:
        buffer = ls.buffer(params.text_document.uri)
        return hover(buffer, params.position) if buffer else None

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: KbgenServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        buffer = ls.buffer(params.text_document.uri)
        return definition(buffer, params.position) if buffer else None

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: KbgenServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        buffer = ls.buffer(params.text_document.uri)
        if buffer is None:
            return []
        # A diagnostic of an earlier text (a client may send one back after an edit) would fix the wrong place.
        current = [(d.range, d.code, d.message) for d in buffer.diagnostics()]
        fixes = [quick_fix(buffer, params.text_document.uri, found) for found in params.context.diagnostics
                 if found.source == SOURCE and (found.range, found.code, found.message) in current]
        return [fix for fix in fixes if fix is not None]

    return server


MAX_MESSAGE_BYTES = 64 << 20  # a message's body: a document's text is at most a few MB
MAX_HEADER_BYTES = 4096  # a header line ("Content-Length: 1234")


class _BoundedStdin:
    """The client's stream as pygls reads it, with no body over :data:`MAX_MESSAGE_BYTES` and no header line
    over :data:`MAX_HEADER_BYTES`: one announcing more ends the session as a closed stream does, said on
    standard error, instead of taking the memory it asks for."""

    def __init__(self, stream):
        self._stream = stream

    def readline(self) -> bytes:
        line = self._stream.readline(MAX_HEADER_BYTES + 1)
        return self._refused(f"a header line of over {MAX_HEADER_BYTES} bytes") if len(line) > MAX_HEADER_BYTES \
            else line

    def read(self, size: int) -> bytes:
        return self._refused(f"a message of {size} bytes") if size > MAX_MESSAGE_BYTES else self._stream.read(size)

    @staticmethod
    def _refused(what: str) -> bytes:
        print(f"kbgen lsp: the client sent {what}, more than a language server takes; closing", file=sys.stderr)
        return b""


class _OneLine(logging.Handler):
    """pygls' log on standard error, one line a record, with no traceback: what it could not read was
    answered to the client, and a traceback tells the writer nothing more."""

    def emit(self, record: logging.LogRecord) -> None:
        said = record.getMessage().partition("\n")[0]
        if record.exc_info and record.exc_info[1] is not None:
            said += f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        print(f"kbgen lsp: {printable(said)}", file=sys.stderr)


def serve(root: Path | None = None) -> None:
    """Speak the protocol over stdin and stdout until the client exits."""
    log = logging.getLogger("pygls")
    log.addHandler(_OneLine(logging.WARNING))
    log.propagate = False
    build_server(root).start_io(stdin=_BoundedStdin(sys.stdin.buffer))

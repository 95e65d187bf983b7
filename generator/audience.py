"""Audience: which documents, and which files, a site of a given tier may show, and how a document's
internal blocks read as written.

Which internal blocks a page shows is decided by the Markdown parser alone
(:mod:`generator.internal_blocks`, read through :mod:`generator.structure`). :func:`scan` reads a body
line by line as its writer wrote it (code, block markers, where each block opens and closes): validation
uses it for positions, for help with markers Markdown will not read, and as a witness that the parser
hides what the writer meant to hide. It decides nothing a site shows.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from .content import SNIPPETS_DIR, ContentRoot, Document, read_text

TIERS = (0, 1, 2, 3)
PUBLIC_TIER = 0
DEFAULT_INTERNAL_FLOOR = 1

# Same shapes as pymdownx.blocks' start/end patterns (after Markdown turned tabs into spaces), but
# indentation is allowed so that blocks nested in list items, tabs and admonitions are found too.
BLOCK_START_RE = re.compile(r"^[ \t>]*(?P<slashes>/{3,})[ \t]*(?P<name>[\w-]+)[ \t]*(?:\|[ \t]*(?P<arg>.*?)[ \t]*)?$")
BLOCK_END_RE = re.compile(r"^[ \t>]*(?P<slashes>/{3,})[ \t]*$")
FENCE_RE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# Lines whose indented continuation is content (list items, admonitions, tabs, definitions, footnotes), not
# code. Openers as Python-Markdown and pymdown-extensions read them: '!!!note' and '===+ "Web"' open one too.
CONTAINER_RE = re.compile(r"""^[ \t>]*(?:[-*+][ \t]|\d+[.)][ \t]|!!! ?[\w-]|\?\?\?\+? ?[\w-]|===[!+]{0,3} +"|:[ \t]|\[\^[^\]\s]+\]:)""")
TIER_ARG_RE = re.compile(r"^tier[ ]*[:=][ ]*(?P<tier>\d+)$")


def in_site(document: Document, tier: int) -> bool:
    """A document is in the tier ``tier`` site when it is published and its tier is at most ``tier``."""
    return document.published and document.tier is not None and document.tier <= tier


def snippet_document(rel: str, path: Path, text: str) -> Document:
    """A snippet read as a public document: a page of any tier may include it, so its internal blocks are
    read as a public page's would be."""
    return Document(rel, path, {"tier": PUBLIC_TIER}, text, 1, None)


def snippet_documents(content: ContentRoot) -> list[Document]:
    """Every readable file of the snippets folder (none that leads out of it: validation refuses those)."""
    def read() -> list[Document]:
        base = content.root / SNIPPETS_DIR
        found = []
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            if path.is_file() and Path(os.path.realpath(path)).is_relative_to(os.path.realpath(base)):
                rel = path.relative_to(content.root).as_posix()
                text = read_text(path, rel)[0]
                if text is not None:
                    found.append(snippet_document(rel, path, text))
        return found

    return content.once("snippet-documents", read)


def file_tier(content: ContentRoot, rel: str) -> int:
    """The tier of a file that is not a document (an image, an attachment): it belongs to the content
    around it, the published documents of the nearest folder, from its own up, that holds any (the lowest
    of their tiers). Without any, a file under ``runbooks/`` is for agents (tier 1), one under ``kb/`` is
    public. A page may link a file only in a site of the file's tier or above."""
    tiers = content.once("folder-tiers", lambda: _folder_tiers(content))
    folder = posixpath.dirname(rel)
    while folder:
        if folder in tiers:
            return tiers[folder]
        folder = posixpath.dirname(folder)
    return DEFAULT_INTERNAL_FLOOR if rel.startswith("runbooks/") else PUBLIC_TIER


def _folder_tiers(content: ContentRoot) -> dict[str, int]:
    """The lowest tier of the published documents in each folder that holds any."""
    tiers: dict[str, int] = {}
    for document in content.documents:
        if document.published and document.tier is not None:
            folder = posixpath.dirname(document.rel)
            tiers[folder] = min(tiers.get(folder, document.tier), document.tier)
    return tiers


def page_facts(document: Document, tier: int) -> list[tuple[str, str]]:
    """Who keeps a page right and when it was last checked. Agents see both, so they know whom to tell
    and how far to trust it; customers see only the date, and only when there is one (owners are
    internal team names)."""
    reviewed = document.meta.get("last_reviewed")
    if tier == PUBLIC_TIER:
        return [("Last reviewed", str(reviewed))] if reviewed else []
    owner = ("Owner", str(document.meta.get("owner") or "not set"))
    if document.kind == "defect":  # a write-up's dates are on its card; it is kept right as the defect goes on
        return [owner, ("Last reviewed", str(reviewed))] if reviewed else [owner]
    return [owner, ("Last reviewed", str(reviewed or "not recorded"))]


def parse_floor(argument: str | None) -> int | None:
    """The tier floor of ``/// internal | tier: N``; None when the argument is not understood."""
    if not argument:
        return DEFAULT_INTERNAL_FLOOR
    match = TIER_ARG_RE.match(argument.strip())
    if match and 1 <= int(match["tier"]) <= 3:
        return int(match["tier"])
    return None


@dataclass
class BlockEvent:
    """Something about an internal block worth a finding: an unknown argument, no closing line, ..."""

    index: int  # 0-based line index in the scanned text
    kind: str  # "bad-argument" | "unclosed" | "no-blank-line" | "unclosed-fence" | "stray-closer"
    detail: str = ""


@dataclass
class Scan:
    floors: list[int]  # per line: the tier a site needs to show it (0 = every site)
    in_code: list[bool]  # per line: inside a fenced code block
    openers: list[tuple[int, int]]  # (line index, floor) of each internal block
    events: list[BlockEvent]
    indented_code: set[int]  # lines of indented code blocks (in_code holds them too)
    fence_starts: set[int]  # the opening line of each fenced code block


def _indent(line: str) -> int:
    if line[:1] not in (" ", "\t"):
        return 0
    return len(line[: len(line) - len(line.lstrip(" \t"))].expandtabs(4))


def scan(lines: list[str]) -> Scan:
    """Work out, line by line, inside which internal blocks and code fences each line sits.

    An internal block with an argument we do not understand counts as tier 3 (fail closed), and an
    unclosed one runs to the end of the text, as pymdownx.blocks does.
    """
    floors: list[int] = []
    in_code: list[bool] = []
    openers: list[tuple[int, int]] = []
    events: list[BlockEvent] = []
    indented: set[int] = set()
    fence_starts: set[int] = set()
    stack: list[tuple[int, int, int, bool]] = []  # (slash count, floor, opener line, is internal)
    fence: str | None = None
    fence_line = 0
    container = False  # the last unindented line opened a list item, admonition or tab
    indented_code = False
    previous_blank = True
    for index, line in enumerate(lines):
        current = stack[-1][1] if stack else 0
        blank = not line.strip()
        if fence is None and not blank:
            indent = _indent(line)
            if indent == 0:
                container = bool(CONTAINER_RE.match(line))
            elif indent < 4 and CONTAINER_RE.match(line):
                container = True
            indented_code = indent >= 4 and not container and (previous_blank or indented_code)
        previous_blank = blank
        if indented_code and fence is None:
            floors.append(current)  # an indented code block: its text is literal
            in_code.append(True)
            indented.add(index)
            continue
        if fence is None and "///" not in line and "``" not in line and "~~" not in line:
            floors.append(current)  # the common case: plain text, nothing opens or closes here
            in_code.append(False)
            continue
        if fence is not None:
            floors.append(current)
            in_code.append(True)
            stripped = line.lstrip(" \t>")
            if stripped.startswith(fence) and not stripped[len(fence):].strip(fence[0]).strip():
                fence = None
            continue
        fence_match = FENCE_RE.match(line)
        if fence_match and not (fence_match["fence"][0] == "`" and "`" in fence_match["info"]):
            fence, fence_line = fence_match["fence"], index
            fence_starts.add(index)
            floors.append(current)
            in_code.append(True)
            continue
        end = BLOCK_END_RE.match(line)
        if end and stack and len(end["slashes"]) == stack[-1][0]:
            floors.append(current)
            in_code.append(False)
            stack.pop()
            continue
        if end and not stack:
            events.append(BlockEvent(index, "stray-closer"))
        start = BLOCK_START_RE.match(line)
        if start:
            floor = current
            internal = start["name"].lower() == "internal"
            if internal:
                parsed = parse_floor(start["arg"])
                if parsed is None:
                    events.append(BlockEvent(index, "bad-argument", start["arg"] or ""))
                    parsed = max(TIERS)
                floor = max(current, parsed)
                openers.append((index, parsed))
                if index > 0 and lines[index - 1].strip(" \t>") and not lines[index - 1].lstrip(" \t>").startswith("///"):
                    events.append(BlockEvent(index, "no-blank-line"))
            stack.append((len(start["slashes"]), floor, index, internal))
            floors.append(floor)
            in_code.append(False)
            continue
        floors.append(current)
        in_code.append(False)
    events += [BlockEvent(opener, "unclosed") for _, _, opener, internal in stack if internal]
    if fence is not None:
        events.append(BlockEvent(fence_line, "unclosed-fence", fence))
    return Scan(floors, in_code, openers, events, indented, fence_starts)


def body_scan(content: ContentRoot, document: Document) -> Scan:
    """The scan of a document's body as written, worked out once per loaded root (validation and the
    editor's language server read it)."""
    return content.once(("scan", document.rel), lambda: scan(document.body.split("\n")))

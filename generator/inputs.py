"""Runbook inputs: the values an agent types once at the top of a runbook page (a workspace, a charge, the
ticket) and every command, copy button and the handover then use.

A runbook declares them in its front matter and writes ``{{ name }}`` where a value goes; the placeholder
reads as what it is in the raw Markdown and in a page without JavaScript. The page's script fills them in,
in the browser only (``overrides/assets/javascripts/kbgen/runbook.js``). Placeholders are read in runbooks
that declare ``inputs`` only: elsewhere ``{{ end }}`` is just text, as in a Go template.
"""

from __future__ import annotations

import re

from .content import Document

INPUT_RE = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*\}\}")
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
# Every runbook page asks for the ticket: progress is kept per runbook and ticket. A runbook may declare
# ``ticket`` itself to give it another label, example or pattern.
TICKET = {"name": "ticket", "label": "Ticket", "example": "418402"}


def declared(document: Document) -> list[dict]:
    """The inputs a runbook's front matter declares, those well formed (the schema reports the others)."""
    inputs = document.meta.get("inputs")
    return [item for item in inputs if isinstance(item, dict) and isinstance(item.get("name"), str)
            and NAME_RE.fullmatch(item["name"]) and isinstance(item.get("label"), str)] \
        if isinstance(inputs, list) else []


def page_inputs(document: Document) -> list[dict]:
    """The fields at the top of a runbook's page: the ticket first, then the runbook's own, once each."""
    own = {item["name"]: item for item in declared(document)}
    return [own.pop(TICKET["name"], TICKET), *own.values()]


def compiled(pattern) -> re.Pattern | None:
    """An input's pattern as a regular expression, or None when it is not one."""
    try:
        return re.compile(pattern) if isinstance(pattern, str) else None
    except re.error:
        return None

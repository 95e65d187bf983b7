"""Defects at a glance: a header card on every defect page and an index of defects with filters.

A write-up keeps its facts (id, severity, state, versions, dates, intents, what it fed) in front matter,
where a reader of the page does not see them; the card shows them above the text. The index lists the
defects a site may show, open ones first, with filters by state, severity and intent that run in the
reader's browser (``assets/javascripts/kbgen/defects.js``), so the static site needs no server. Tier 3
sees every defect; tier 2 only those whose workaround reached its runbooks (``kbgen defect feed`` of a
resolved defect, or of an open one with ``agent_workaround: true``), with what those runbooks already
show of it (title, severity, versions; never the id or a link to the write-up it cannot open) and links
to the runbooks.
"""

from __future__ import annotations

import datetime as _dt
import html
import posixpath
import re

from .audience import TIERS
from .content import ContentRoot, Document
from .navigation import intent_uri, long_date, md_escape, page_url
from . import structure
from .structure import headings
from .writeups import for_agents

INDEX_URI = "defects.md"
INDEX_TITLE = "Defects"
STATES = ("open", "investigating", "resolved")  # the index's order: what needs work first
SEVERITIES = ("P1", "P2", "P3", "P4")
AGENT_TIER = 2  # the lowest site with an index: specialists, for defects with an approved workaround
FOLD_FIXED_DAYS = 180  # a runbook's known defects fixed longer ago fold away, unless mkdocs.yml says otherwise
REGION_RE = re.compile(r"^<!-- kbgen:defect (?P<id>\S+)(?: [0-9a-f]+)? -->[ \t]*\n.*?^<!-- /kbgen:defect -->[ \t]*\n?",
                       re.M | re.S)
OLDER_FENCE = "/////"  # around known-defect entries, which are "////" blocks, when the page has no longer fence
SLASH_FENCE_RE = re.compile(r"^[ \t]*(/{3,})", re.M)


def listed(content: ContentRoot, tier: int) -> list[Document]:
    """The defects the tier's index lists: open first, then by severity, newest report first."""
    if tier < AGENT_TIER:
        return []
    by_id = content.by_id()
    defects = [d for d in content.documents if d.kind == "defect" and d.published and d.tier is not None
               and (d.tier <= tier or fed_runbooks(content, d, by_id, tier))]
    defects.sort(key=lambda d: d.id)
    defects.sort(key=lambda d: str(d.meta.get("reported_on") or ""), reverse=True)
    return sorted(defects, key=lambda d: (_rank(STATES, d.meta.get("state")),
                                          _rank(SEVERITIES, d.meta.get("severity"))))


def fed_runbooks(content: ContentRoot, defect: Document, by_id: dict[str, Document], tier: int) -> list[Document]:
    """The published runbooks of the tier's site that the feed gave the defect's known-defect entry: those
    its record names that hold the entry, in text the tier's page shows. The record is front matter anyone
    may edit; what a runbook's page shows is what a site below the defect's tier may repeat of it. A defect
    the feed would not tell tier 2 of (open, its workaround not approved for agents) has none: an entry a
    writer copied by hand into a runbook does not make its severity and state public to the tier."""
    if not for_agents(defect):
        return []
    fed = defect.meta.get("fed") if isinstance(defect.meta.get("fed"), dict) else {}
    return [by_id[r] for r in fed.get("runbooks") or [] if isinstance(r, str) and r in by_id
            and by_id[r].kind == "runbook" and by_id[r].published and by_id[r].tier is not None
            and by_id[r].tier <= tier and _shows_entry(content, by_id[r], defect, tier)]


def feeds_shown(content: ContentRoot) -> dict[str, dict[int, list[str]]]:
    """For each published defect, the runbooks each tier's pages show its entry in: what other pages than
    the runbook's own show of its text (the navigation's Defects page, the defect's card). A page's cache
    key holds only its own source, so a change here must render the pages again."""
    by_id = content.by_id()
    return {defect.id: {tier: [runbook.rel for runbook in fed_runbooks(content, defect, by_id, tier)]
                        for tier in TIERS if tier >= AGENT_TIER}
            for defect in content.documents if defect.kind == "defect" and defect.published}


def _shows_entry(content: ContentRoot, runbook: Document, defect: Document, tier: int) -> bool:
    """Whether the runbook holds the defect's known-defect entry and its page in the tier's site shows the
    entry's line (its status and title, as the feed writes it)."""
    if not any(match["id"] == defect.id for match in REGION_RE.finditer(runbook.body)):
        return False
    shown = " ".join(structure.view(content, runbook, tier).text.split())
    return f"· {' '.join(defect.title.split())}" in shown


def _rank(order: tuple, value) -> int:
    return order.index(value) if value in order else len(order)


def _date(document: Document, key: str) -> str:
    value = document.meta.get(key)
    return long_date(str(value)) if value else "not yet"


def _link(from_rel: str, to_uri: str) -> str:
    return posixpath.relpath(to_uri, posixpath.dirname(from_rel))


def card(document: Document, content: ContentRoot, by_id: dict[str, Document]) -> str:
    """The header card of a defect page, in Markdown for the page's own renderer (its links are checked
    by MkDocs like any other)."""
    meta, rel = document.meta, document.rel
    severity, state = str(meta.get("severity") or "no severity"), str(meta.get("state") or "no state")
    versions = meta.get("affected_versions")
    intents = [f"[{md_escape(content.intents[i].title)}]({_link(rel, intent_uri(i))})"
               for i in document.intents if i in content.intents]
    fed = meta.get("fed") if isinstance(meta.get("fed"), dict) else {}
    article = by_id.get(str(fed.get("article"))) if fed.get("article") else None
    runbooks = fed_runbooks(content, document, by_id, document.tier or 3)
    rows = [("Affected versions", ", ".join(map(md_escape, versions)) if isinstance(versions, list) and versions
             else "not recorded"),
            ("Fixed in", md_escape(meta["fixed_in"]) if meta.get("fixed_in") else "not yet"),
            ("Reported", _date(document, "reported_on")),
            ("Root cause", _date(document, "root_cause_on")),
            ("Resolved", _date(document, "resolved_on")),
            ("Intents", ", ".join(intents) or "none"),
            ("Known issue", f"[{md_escape(article.title)}]({_link(rel, article.rel)})" if article else "not fed"),
            ("Tier 2 runbooks", ", ".join(f"[{md_escape(r.title)}]({_link(rel, r.rel)})" for r in runbooks)
             or "none")]
    lines = ['<div class="kb-defect-card" markdown>', "",
             f'<span class="kb-defect-id">{html.escape(document.id)}</span> '
             f'<span class="kb-severity kb-severity--{html.escape(severity.lower())}">{html.escape(severity)}</span> '
             f'<span class="kb-state kb-state--{html.escape(state)}">{html.escape(state.capitalize())}</span>', ""]
    for label, value in rows:
        lines += [label, f":   {value}", ""]
    return "\n".join(lines + ["</div>", ""])


def with_card(markdown: str, document: Document, content: ContentRoot, by_id: dict[str, Document]) -> str:
    """The page's Markdown with the card under its title (at the top without one)."""
    title = next((h for h in headings(markdown) if h.level == 1), None)
    lines = markdown.split("\n")
    at = title.index + 1 if title else 0
    return "\n".join(lines[:at] + ["", card(document, content, by_id)] + lines[at:])


def index_page(content: ContentRoot, tier: int) -> str | None:
    """The defect index of a tier's site, or None when it lists nothing (tier 0 and 1 never have one)."""
    defects = listed(content, tier)
    if not defects:
        return None
    intents = sorted({i for d in defects for i in d.intents if i in content.intents},
                     key=lambda i: content.intents[i].title.lower())
    by_id = content.by_id()
    rows = [_row(d, content, by_id, tier) for d in defects]

    def choice(name: str, label: str, options: list[tuple[str, str]]) -> str:
        items = "".join(f'<option value="{html.escape(value)}">{html.escape(text)}</option>'
                        for value, text in options)
        return (f'<label>{label} <select name="{name}"><option value="">All</option>{items}</select></label>')

    intro = ("Every defect write-up, open ones first." if tier > AGENT_TIER else
             "Defects whose workaround Tier 3 gave Tier 2, open ones first, with the runbooks that describe them.")
    return "\n".join([
        "---", "hide: [feedback]", "---", "", f"# {INDEX_TITLE}", "", intro, "",
        '<form class="kb-defect-filters" hidden>',
        choice("state", "State", [(s, s.capitalize()) for s in STATES]),
        choice("severity", "Severity", [(s, s) for s in SEVERITIES]),
        choice("intent", "Intent", [(i, content.intents[i].title) for i in intents]),
        '<output class="kb-defect-count" aria-live="polite"></output>',
        "</form>", "",
        '<table class="kb-defect-index">',
        "<thead><tr><th>Defect</th><th>Severity</th><th>State</th><th>Intents</th><th>Reported</th>"
        "<th>Fixed in</th></tr></thead>",
        "<tbody>", *rows, "</tbody>", "</table>", ""])


def _row(defect: Document, content: ContentRoot, by_id: dict[str, Document], tier: int) -> str:
    meta = defect.meta
    severity, state = str(meta.get("severity") or ""), str(meta.get("state") or "")
    known = [i for i in defect.intents if i in content.intents]
    intents = ", ".join(f'<a href="../{html.escape(page_url(intent_uri(i)))}">'
                        f'{html.escape(content.intents[i].title)}</a>'
                        for i in known)
    title = html.escape(defect.title)
    reported = _date(defect, "reported_on")
    if defect.tier is not None and defect.tier <= tier:
        what = f'<a href="../{html.escape(defect.url)}">{html.escape(defect.id)}</a> {title}'
    else:  # the write-up is above this site: the runbooks it fed are where agents read about it
        reported = "-"  # and only what they show of it (no runbook entry says when it was reported)
        links = ", ".join(f'<a href="../{html.escape(r.url)}">{html.escape(r.title)}</a>'
                          for r in fed_runbooks(content, defect, by_id, tier))
        what = f"{title}<br>Runbooks: {links}"
    return (f'<tr data-state="{html.escape(state)}" data-severity="{html.escape(severity)}" '
            f'data-intents="{html.escape(" ".join(known))}">'
            f"<td>{what}</td>"
            f'<td><span class="kb-severity kb-severity--{html.escape(severity.lower())}">{html.escape(severity)}'
            f'</span></td><td><span class="kb-state kb-state--{html.escape(state)}">{html.escape(state.capitalize())}'
            f"</span></td><td>{intents}</td><td>{html.escape(reported)}</td>"
            f"<td>{html.escape(str(meta.get('fixed_in') or '')) or '-'}</td></tr>")


def folded(markdown: str, by_id: dict[str, Document], today: _dt.date, days: int) -> list[str]:
    """The ids of the known defects in a page's Markdown fixed more than ``days`` before ``today``."""
    start = today - _dt.timedelta(days=days)
    found = []
    for match in REGION_RE.finditer(markdown) if "kbgen:defect" in markdown else ():
        defect = by_id.get(match["id"])
        fixed = _resolved_on(defect) if defect is not None else None
        if fixed is not None and fixed < start:
            found.append(match["id"])
    return found


def fold_old_fixed(markdown: str, by_id: dict[str, Document], today: _dt.date, days: int) -> str:
    """The page with each run of known defects fixed before the window (only blank lines between them)
    inside one closed "Older fixed defects" block: the list agents scan stays what still matters.

    The block's fence is longer than any line of slashes the page has, so neither of its lines can open
    or close a block the writer wrote: a run inside an internal block stays inside it (hidden where the
    block is, as the document model read it), and one inside a shown block is nested in it."""
    old = set(folded(markdown, by_id, today, days))
    if not old:
        return markdown
    fence = "/" * max(len(OLDER_FENCE), 1 + max(map(len, SLASH_FENCE_RE.findall(markdown)), default=0))
    runs: list[list[re.Match]] = []
    for match in REGION_RE.finditer(markdown):
        if match["id"] not in old:
            continue
        if runs and not markdown[runs[-1][-1].end():match.start()].strip():
            runs[-1].append(match)
        else:
            runs.append([match])
    for run in reversed(runs):
        start, end = run[0].start(), run[-1].end()
        block = (f"\n{fence} details | Older fixed defects ({len(run)})\n    type: kb-known-defects-older\n\n"
                 f"{markdown[start:end].rstrip()}\n\n{fence}\n\n")
        markdown = markdown[:start] + block + markdown[end:]
    return markdown


def _resolved_on(defect: Document) -> _dt.date | None:
    if defect.meta.get("state") != "resolved":
        return None
    try:
        return _dt.date.fromisoformat(str(defect.meta.get("resolved_on"))[:10])
    except ValueError:
        return None

"""Known issues as customers follow them: a status, the history of its updates, and an Atom feed.

A known-issue article (``known_issue`` in its front matter) is ongoing (Investigating, or Identified once
the cause is known or a workaround is approved for customers) or fixed. The feed
(:mod:`generator.defects`) keeps its status and updates; an article written by hand without them is
fixed when it names a fix, else investigated. Everything here reads only the article's own front matter,
which is public: the defect behind it is never read.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from .content import Document

INVESTIGATING, IDENTIFIED, FIXED = "investigating", "identified", "fixed"
STATUSES = (INVESTIGATING, IDENTIFIED, FIXED)
ATOM_URI = "known-issues.xml"  # in every site's root; the known-issues list links it
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not in XML 1.0
RECENTLY_FIXED_DAYS = 90  # the home page's "Recently fixed" window unless mkdocs.yml sets another


def _date(value) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def label(status: str, fixed_in: str | None = None, workaround: bool = False) -> str:
    """What customers read as the status: "Investigating", "Identified (workaround available)", "Fixed in 2.1"."""
    if status == FIXED:
        return f"Fixed in {fixed_in}" if fixed_in else "Fixed"
    if status == IDENTIFIED:
        return "Identified (workaround available)" if workaround else "Identified"
    return "Investigating"


def explanation(status: str, fixed_in: str | None = None, workaround: bool = False) -> str:
    """One sentence under the status, the same on the page, the update history and the Atom feed."""
    if status == FIXED:
        return f"The problem is fixed in version {fixed_in}." if fixed_in else "The problem is fixed."
    if status == IDENTIFIED:
        return "We know what causes the problem and are working on a fix." + (
            " A workaround is available." if workaround else "")
    return "We are looking into the problem."


@dataclass(frozen=True)
class Update:
    on: _dt.date
    status: str


@dataclass
class KnownIssue:
    document: Document
    status: str
    fixed_in: str | None
    workaround: bool
    updates: list[Update]  # newest first; never empty

    @property
    def label(self) -> str:
        return label(self.status, self.fixed_in, self.workaround)

    @property
    def updated(self) -> _dt.date:
        return self.updates[0].on


def of(document: Document) -> KnownIssue | None:
    """The known issue a document is the page of, or None (not an article, no ``known_issue.since``)."""
    meta = document.meta.get("known_issue")
    if document.kind != "article" or not isinstance(meta, dict) or not _date(meta.get("since")):
        return None
    fixed_in = str(meta["fixed_in"]) if meta.get("fixed_in") else None
    fixed_on = _date(meta.get("fixed_on"))
    status = meta.get("status") if meta.get("status") in STATUSES else (
        FIXED if fixed_in or fixed_on else INVESTIGATING)
    updates = [Update(on, entry["status"]) for entry in meta.get("updates") or []
               if isinstance(entry, dict) and entry.get("status") in STATUSES and (on := _date(entry.get("date")))]
    if not updates:  # written by hand: its one update is when it started, or was fixed
        updates = [Update(fixed_on if status == FIXED and fixed_on else _date(meta["since"]), status)]
    updates.sort(key=lambda u: u.on, reverse=True)
    return KnownIssue(document, status, fixed_in, meta.get("workaround") is True, updates)


def ordered(documents: list[Document], today: _dt.date, window_days: int) \
        -> tuple[list[KnownIssue], list[KnownIssue], list[KnownIssue]]:
    """(ongoing, fixed within the window, fixed before it), each most recently updated first."""
    issues = sorted(filter(None, map(of, documents)), key=lambda i: (i.updated, i.document.title.lower()),
                    reverse=True)
    ongoing = [i for i in issues if i.status != FIXED]
    fixed = [i for i in issues if i.status == FIXED]
    start = today - _dt.timedelta(days=window_days)
    recent = [i for i in fixed if i.updated >= start]
    return ongoing, recent, [i for i in fixed if i.updated < start]


def atom(issues: list[KnownIssue], site_name: str, site_url: str | None) -> str:
    """An Atom feed (RFC 4287) with one entry per update of each known issue, newest first. Links are
    absolute when the site has an address, else relative to the feed, which sits in the site's root."""
    base = (site_url or "").rstrip("/") + "/" if site_url else ""
    ET.register_namespace("", ATOM_NS)

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
        element.text = XML_INVALID_RE.sub("", text) if text else text  # XML 1.0 has no way to write them
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    add(feed, "title", f"{site_name}: known issues")
    add(feed, "id", _urn(base or site_name, "known-issues"))
    entries = sorted(((issue, update) for issue in issues for update in issue.updates),
                     key=lambda pair: (pair[1].on, pair[0].document.title.lower()), reverse=True)
    add(feed, "updated", _timestamp(entries[0][1].on if entries else _dt.date(1970, 1, 1)))
    add(add(feed, "author"), "name", site_name)
    add(feed, "link", rel="self", href=base + ATOM_URI, type="application/atom+xml")
    add(feed, "link", rel="alternate", href=base + "known-issues/", type="text/html")
    for issue, update in entries:
        entry = add(feed, "entry")
        fixed_in = issue.fixed_in if update.status == FIXED else None
        add(entry, "title", f"{issue.document.title} ({label(update.status, fixed_in, issue.workaround)})")
        add(entry, "id", _urn(base or site_name, issue.document.id, update.status, update.on.isoformat()))
        add(entry, "updated", _timestamp(update.on))
        add(entry, "link", rel="alternate", href=base + issue.document.url, type="text/html")
        summary = explanation(update.status, fixed_in, issue.workaround)
        if issue.document.summary.strip():
            summary += " " + " ".join(issue.document.summary.split())
        add(entry, "summary", summary)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _urn(*parts: str) -> str:
    """A stable id: the same update of the same issue keeps its id, so feed readers do not show it twice."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(parts))}"


def _timestamp(day: _dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"

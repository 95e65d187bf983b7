"""Generated pages and navigation: home, one page per product area, one page per intent.

Readers find things by product area and intent, not by file name. The navigation lists only the
home page and the areas, so each page's HTML stays small however many documents there are; the
documents themselves are reached from area and intent pages and from search.
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import re
from collections import Counter
from dataclasses import dataclass, field

from . import known_issues
from .audience import in_site
from .content import Area, ContentRoot, Document, Intent
from .known_issues import KnownIssue

KIND_ORDER = {"article": 0, "runbook": 1, "defect": 2}
PUBLIC_HEADING = "Help articles"
HOME_INTENTS_PER_AREA = 5  # the home page stays light however many intents an area has
HOME_COMMON_INTENTS = 8
HOME_KNOWN_ISSUES = 5  # of each list, the most recently updated; the known-issues page lists them all
RELATED_LIMIT = 5
KNOWN_ISSUES_URI = "known-issues.md"
TIER_HEADINGS = {  # the rungs of an intent ladder in the agent sites
    0: "Tier 0: the customer's own help articles",
    1: "Tier 1: agent articles and runbooks",
    2: "Tier 2: diagnosis",
    3: "Tier 3: engineering",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}>()#+!])")
# Entities where a backslash is not enough: tables split on "|" before escapes, and the reference
# definition pattern reads "[\\]:" as a label, so brackets are never backslash-escaped.
_MD_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", "|": "&#124;", "[": "&#91;", "]": "&#93;"})
_MD_INLINE = re.compile(r"([\\`*_{}])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")
_LINE_START = "-=~/:"  # lists, tabs, fences, blocks, definitions: as the first character only


def md_escape(text) -> str:
    """Escape text for use inside generated Markdown (titles can hold brackets, stars, ...), so that it
    shows as written wherever it lands: in a line, a link, a heading, a table or at the start of a line."""
    return _escaped(text if isinstance(text, str) else str(text))


def md_inline(text) -> str:
    """:func:`md_escape` for text in the middle of a generated line: only what could turn it into markup
    there is escaped (raw HTML, a link, emphasis, code, attributes), so versions and dates read as written
    in the Markdown source too ("2025.10.2 (8 October 2025)")."""
    text = " ".join((text if isinstance(text, str) else str(text)).split())
    return _MD_INLINE.sub(r"\\\1", text).translate(_MD_ENTITIES)


@functools.lru_cache(maxsize=1 << 16)  # every title and summary, once per area and intent page it is listed on
def _escaped(text: str) -> str:
    text = " ".join(text.split())
    text = _LIST_NUMBER.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))
    text = text.translate(_MD_ENTITIES)
    return f"&#{ord(text[0])};{text[1:]}" if text[:1] and text[0] in _LINE_START else text


def page_url(uri: str) -> str:
    """Site-relative URL of a generated page with directory URLs: ``areas/x.md`` -> ``areas/x/``."""
    return "" if uri == "index.md" else uri[: -len(".md")] + "/"


def long_date(iso: str) -> str:
    """``2025-09-22`` as customers read it: ``22 September 2025`` (text that is no date is kept)."""
    try:
        day = _dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{day.day} {day:%B %Y}"


def front_matter(template: str | None = None, hide: tuple[str, ...] = ("feedback",)) -> list[str]:
    """Front matter of a generated page: these pages are lists, not answers, so no feedback control."""
    lines = ["---", f"hide: [{', '.join(hide)}]"]
    if template:
        lines.append(f"template: {template}")
    return lines + ["---", ""]


def page_order(document: Document) -> tuple:
    """The order of documents in lists: by tier, then articles, runbooks, defects, then by title."""
    return document.tier, KIND_ORDER.get(document.kind, 9), document.title.lower(), document.rel


def intent_uri(intent_id: str) -> str:
    return f"intents/{intent_id}.md"


def area_uri(area_id: str) -> str:
    return f"areas/{area_id}.md"


@dataclass
class SiteOutline:
    """What one tier's site contains: its documents, grouped by intent and area."""

    tier: int
    documents: list[Document]
    by_intent: dict[str, list[Document]]
    areas: list[tuple[Area, list[Intent]]]
    ongoing: list[KnownIssue]  # known issues not fixed yet, most recently updated first
    recently_fixed: list[KnownIssue]  # fixed within the window the site sets (``recently_fixed_days``)
    fixed_before: list[KnownIssue]  # fixed before that
    # Worked out once, as pages ask: related documents by intents, members of each intent, breadcrumbs.
    _related: dict[tuple[str, ...], list[Document]] = field(default_factory=dict, repr=False)
    _intent_members: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _trails: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)  # of generated pages
    _intent_trails: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)  # of documents

    @classmethod
    def of(cls, content: ContentRoot, tier: int, recently_fixed_days: int = known_issues.RECENTLY_FIXED_DAYS,
           today: _dt.date | None = None) -> "SiteOutline":
        documents = [d for d in content.documents if in_site(d, tier)]
        by_intent: dict[str, list[Document]] = {}
        for document in documents:
            for intent_id in document.intents:
                if intent_id in content.intents:
                    by_intent.setdefault(intent_id, []).append(document)
        for docs in by_intent.values():
            docs.sort(key=page_order)
        grouped: dict[str, list[Intent]] = {}
        for intent in content.intents.values():
            if intent.id in by_intent:
                grouped.setdefault(intent.area, []).append(intent)
        order = list(content.areas)
        areas = sorted(
            ((content.area(area_id), intents) for area_id, intents in grouped.items()),
            key=lambda item: (order.index(item[0].id) if item[0].id in order else len(order), item[0].title.lower()),
        )
        ongoing, recent, older = known_issues.ordered(documents, today or _dt.date.today(), recently_fixed_days)
        return cls(tier, documents, by_intent, areas, ongoing, recent, older)

    @property
    def known_issues(self) -> list[KnownIssue]:
        return self.ongoing + self.recently_fixed + self.fixed_before

    def nav(self) -> list:
        """MkDocs' navigation: home and the areas, titled in HTML as MkDocs and the theme print them."""
        return [{"Home": "index.md"}] + [{html.escape(area.title): area_uri(area.id)} for area, _ in self.areas]

    def pages(self) -> dict[str, str]:
        """Markdown of every generated page, by its path in the site."""
        pages = {"index.md": self.home()}
        for area, intents in self.areas:
            pages[area_uri(area.id)] = self.area_page(area, intents)
            for intent in intents:
                pages[intent_uri(intent.id)] = self.intent_page(intent)
        if self.known_issues:
            pages[KNOWN_ISSUES_URI] = self.known_issues_page()
        return pages

    def home(self) -> str:
        """The home page below its search box (``overrides/kb-home.html``): the product areas with their
        first intents, the intents customers ask about most, and the current known issues. Its size
        grows with the number of areas, never with the number of documents."""
        lines = front_matter("kb-home.html", ("navigation", "toc", "feedback"))
        lines += ["## Browse by topic", "", '<div class="grid cards kb-areas" markdown>', ""]
        for area, intents in self.areas:
            lines += [f"-   ### [{md_escape(area.title)}]({area_uri(area.id)})", ""]
            if area.description:
                lines += [f"    {md_escape(area.description)}", ""]
            lines += [f"    - [{md_escape(i.title)}]({intent_uri(i.id)})" for i in intents[:HOME_INTENTS_PER_AREA]]
            if len(intents) > HOME_INTENTS_PER_AREA:
                lines.append(f"    - [All {len(intents)} topics]({area_uri(area.id)}){{: .kb-more }}")
            lines.append("")
        lines += ["</div>", ""]
        common = [i for _, intents in self.areas for i in intents if i.common][:HOME_COMMON_INTENTS]
        if common:
            lines += ["## Popular questions", "", '<div class="kb-popular" markdown>', ""]
            lines += [f"- [{md_escape(i.title)}]({intent_uri(i.id)})" for i in common]
            lines += ["", "</div>", ""]
        lines += self._known_issue_lists(self.ongoing[:HOME_KNOWN_ISSUES], "Recently fixed",
                                         self.recently_fixed[:HOME_KNOWN_ISSUES])
        if self.known_issues:
            lines += [f"[All {len(self.known_issues)} known issues]({KNOWN_ISSUES_URI}) · "
                      f"[Follow updates (Atom feed)]({known_issues.ATOM_URI}){{: .kb-feed }}", ""]
        return "\n".join(lines)

    def known_issues_page(self) -> str:
        """Every known issue: ongoing first, then fixed, most recently updated first; and the Atom feed of
        their updates, which customers and status tools can follow."""
        lines = [*front_matter(), "# Known issues", "",
                 f"[Follow updates (Atom feed)]({known_issues.ATOM_URI}){{: .kb-feed }}", ""]
        lines += self._known_issue_lists(self.ongoing, "Fixed", self.recently_fixed + self.fixed_before)
        return "\n".join(lines)

    def _known_issue_lists(self, ongoing: list[KnownIssue], fixed_heading: str, fixed: list[KnownIssue]) -> list[str]:
        lines = []
        for heading, issues in (("Ongoing issues", ongoing), (fixed_heading, fixed)):
            if issues:
                lines += [f"## {heading}", "", *map(self._known_issue, issues), ""]
        return lines

    @staticmethod
    def _known_issue(issue: KnownIssue) -> str:
        """A known issue as a list item: title, a status badge, when it was last updated. The defect behind
        it is internal and never shown."""
        badge = f'<span class="kb-status kb-status--{issue.status}">{md_escape(issue.label)}</span>'
        updated = md_escape(long_date(issue.updated.isoformat()))  # Markdown inside inline HTML is still Markdown
        return (f"- [{md_escape(issue.document.title)}]({issue.document.rel}) {badge} "
                f'<span class="kb-since">Updated {updated}</span>')

    def related(self, document: Document) -> list[Document]:
        """A handful of this site's documents that share the most intents with ``document``."""
        intents = tuple(sorted({i for i in document.intents if i in self.by_intent}))
        if intents not in self._related:  # documents on the same intents have the same list, but for themselves
            self._related[intents] = self._rank(intents, RELATED_LIMIT + 1)
        return [other for other in self._related[intents] if other is not document][:RELATED_LIMIT]

    def _rank(self, intents: tuple[str, ...], limit: int) -> list[Document]:
        """The first ``limit`` documents by intents shared with ``intents``, then in the order of intent pages.

        A document sharing two or more intents is on one of the shorter lists, so only those are counted; of
        the documents on the longest list alone (one intent shared) the first few in its order are enough.
        The cost grows with the shorter lists, not with the documents of a catch-all intent."""
        if not intents:
            return []
        *shorter, longest = sorted(intents, key=lambda i: len(self.by_intent[i]))
        in_longest = self._members(longest)
        shared: Counter = Counter()
        found: dict[str, Document] = {}
        for intent_id in shorter:
            for other in self.by_intent[intent_id]:
                shared[other.rel] += 1
                found[other.rel] = other
        for rel in found:
            shared[rel] += rel in in_longest
        alone = 0
        for other in self.by_intent[longest]:
            if alone == limit:
                break
            if other.rel not in found:
                found[other.rel] = other
                shared[other.rel] = 1
                alone += 1
        return sorted(found.values(), key=lambda d: (-shared[d.rel], *page_order(d)))[:limit]

    def _members(self, intent_id: str) -> set[str]:
        if intent_id not in self._intent_members:
            self._intent_members[intent_id] = {d.rel for d in self.by_intent[intent_id]}
        return self._intent_members[intent_id]

    def trail(self, uri: str, document: Document | None) -> list[tuple[str, str]]:
        """Breadcrumbs above a page, as (title, site-relative URL): home, then area, then intent."""
        if uri == "index.md":
            return []
        crumbs = [("Home", "")]
        if not self._trails:  # worked out once: every page asks
            for area, intents in self.areas:
                self._trails[area_uri(area.id)] = crumbs
                for intent in intents:
                    above = self._trails[intent_uri(intent.id)] = crumbs + [(area.title, page_url(area_uri(area.id)))]
                    self._intent_trails[intent.id] = above + [(intent.title, page_url(intent_uri(intent.id)))]
        if uri in self._trails:
            return self._trails[uri]
        for intent_id in document.intents if document is not None else ():
            if intent_id in self._intent_trails:
                return self._intent_trails[intent_id]
        return crumbs

    def area_page(self, area: Area, intents: list[Intent]) -> str:
        lines = [*front_matter(), f"# {md_escape(area.title)}", ""]
        if area.description:
            lines += [md_escape(area.description), ""]
        for intent in intents:
            lines += [f"## [{md_escape(intent.title)}](../{intent_uri(intent.id)})", ""]
            lines += [self._item(d, "..") for d in self.by_intent[intent.id]]
            lines.append("")
        return "\n".join(lines)

    def intent_page(self, intent: Intent) -> str:
        lines = [*front_matter(), f"# {md_escape(intent.title)}", ""]
        if intent.phrasings:
            said = ", ".join(f"“{md_escape(p)}”" for p in intent.phrasings)
            lines += [f"Customers describe this as {said}.", ""]
        documents = self.by_intent[intent.id]
        if self.tier == 0:
            lines += [f"## {PUBLIC_HEADING}", "", *(self._item(d, "..") for d in documents)]
        else:
            lines += self.ladder(intent, documents)
        lines.append("")
        return "\n".join(lines)

    def ladder(self, intent: Intent, documents: list[Document]) -> list[str]:
        """The intent ladder: one rung per tier, from the customer's own help articles up to the tier
        that resolves the intent (or the highest this site shows), so an agent sees where a ticket
        came from and where it goes next. Only documents of this site are on it."""
        resolves = intent.resolution_tier
        shown = resolves if resolves is not None and resolves <= self.tier else 0
        lines = []
        if resolves is not None:
            lines += [f"Resolved at **Tier {resolves}**." if resolves <= self.tier else
                      f"Resolved at **Tier {resolves}**: hand tickets over with the escalation of the runbook "
                      "you follow.", ""]
        for rung in range(max([d.tier for d in documents] + [shown]) + 1):
            classes = ".kb-rung .kb-rung--resolves" if rung == resolves else ".kb-rung"
            lines += ["", f"## {TIER_HEADINGS[rung]} {{: {classes} }}", ""]
            if rung == resolves:
                lines += ["Tickets for this intent are resolved at this tier.", ""]
            items = [self._item(d, "..") + self._escalation(d) for d in documents if d.tier == rung]
            lines += items or ["No document for this intent at this tier."]
        return lines

    @staticmethod
    def _escalation(document: Document) -> str:
        escalation = document.meta.get("escalation")
        if document.kind != "runbook" or not isinstance(escalation, dict) or not escalation.get("when"):
            return ""
        return f"\n    - Escalates to Tier {escalation.get('to_tier')} when: {md_escape(escalation['when'])}"

    @staticmethod
    def _item(document: Document, up: str) -> str:
        tail = f": {md_escape(document.summary)}" if document.summary.strip() else ""
        label = {"runbook": " (runbook)", "defect": " (defect)"}.get(document.kind, "")
        return f"- [{md_escape(document.title)}]({up}/{document.rel}){label}{tail}"

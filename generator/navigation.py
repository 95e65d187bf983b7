"""Generated pages and navigation: home, one page per product area, one page per intent.

Readers find things by product area and intent, not by file name. The navigation lists only the
home page and the areas, so each page's HTML stays small however many documents there are; the
documents themselves are reached from area and intent pages and from search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .audience import in_site
from .content import Area, ContentRoot, Document, Intent

KIND_ORDER = {"article": 0, "runbook": 1, "defect": 2}
PUBLIC_HEADING = "Help articles"
TIER_HEADINGS = {  # the rungs of an intent ladder in the agent sites
    0: "Tier 0: the customer's own help articles",
    1: "Tier 1: agent articles and runbooks",
    2: "Tier 2: diagnosis",
    3: "Tier 3: engineering",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]>()#+!|])")


def md_escape(text: str) -> str:
    """Escape text for use inside generated Markdown (titles can hold brackets, stars, ...).

    ``<`` becomes an entity: Python-Markdown has no backslash escape for it."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split())).replace("<", "&lt;")


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

    @classmethod
    def of(cls, content: ContentRoot, tier: int) -> "SiteOutline":
        documents = [d for d in content.documents if in_site(d, tier)]
        by_intent: dict[str, list[Document]] = {}
        for document in documents:
            for intent_id in document.intents:
                if intent_id in content.intents:
                    by_intent.setdefault(intent_id, []).append(document)
        for docs in by_intent.values():
            docs.sort(key=lambda d: (d.tier, KIND_ORDER.get(d.kind, 9), d.title.lower()))
        grouped: dict[str, list[Intent]] = {}
        for intent in content.intents.values():
            if intent.id in by_intent:
                grouped.setdefault(intent.area, []).append(intent)
        order = list(content.areas)
        areas = sorted(
            ((content.area(area_id), intents) for area_id, intents in grouped.items()),
            key=lambda item: (order.index(item[0].id) if item[0].id in order else len(order), item[0].title.lower()),
        )
        return cls(tier, documents, by_intent, areas)

    def nav(self) -> list:
        return [{"Home": "index.md"}] + [{area.title: area_uri(area.id)} for area, _ in self.areas]

    def pages(self, site_name: str) -> dict[str, str]:
        """Markdown of every generated page, by its path in the site."""
        pages = {"index.md": self.home(site_name)}
        for area, intents in self.areas:
            pages[area_uri(area.id)] = self.area_page(area, intents)
            for intent in intents:
                pages[intent_uri(intent.id)] = self.intent_page(intent)
        return pages

    def home(self, site_name: str) -> str:
        lines = [f"# {md_escape(site_name)}", ""]
        lines.append("Search above, or start from a topic:" if self.tier == 0 else
                     f"Everything available to tier {self.tier} agents, by product area:")
        lines.append("")
        for area, intents in self.areas:
            lines.append(f"## [{md_escape(area.title)}]({area_uri(area.id)})")
            lines.append("")
            if area.description:
                lines += [md_escape(area.description), ""]
            lines += [f"- [{md_escape(i.title)}]({intent_uri(i.id)})" for i in intents]
            lines.append("")
        return "\n".join(lines)

    def area_page(self, area: Area, intents: list[Intent]) -> str:
        lines = [f"# {md_escape(area.title)}", ""]
        if area.description:
            lines += [md_escape(area.description), ""]
        for intent in intents:
            lines += [f"## [{md_escape(intent.title)}](../{intent_uri(intent.id)})", ""]
            lines += [self._item(d, "..") for d in self.by_intent[intent.id]]
            lines.append("")
        return "\n".join(lines)

    def intent_page(self, intent: Intent) -> str:
        lines = [f"# {md_escape(intent.title)}", ""]
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
        summary = document.meta.get("summary")
        tail = f": {md_escape(summary)}" if isinstance(summary, str) and summary.strip() else ""
        label = {"runbook": " (runbook)", "defect": " (defect)"}.get(document.kind, "")
        return f"- [{md_escape(document.title)}]({up}/{document.rel}){label}{tail}"

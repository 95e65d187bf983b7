"""``kbgen report``: the knowledge base's health, as Markdown or JSON, and as a page of the tier 3 site.

Tier 3 closes the loop from defect to knowledge; these figures show whether it does. Only published
documents count: drafts and archived documents are in no site.
"""

from __future__ import annotations

import datetime as _dt
import json
import statistics
from dataclasses import asdict, dataclass

from . import defect_pages
from .audience import TIERS
from .content import ContentRoot, Document
from .navigation import KIND_ORDER, SiteOutline, front_matter, md_escape

PAGE_URI = "health.md"  # the page in the tier 3 site
PAGE_TITLE = "Knowledge base health"
SITE_TIER = 3  # the figures name defects and internal documents: engineers only
KINDS = tuple(KIND_ORDER)


@dataclass
class HealthReport:
    today: str
    documents: dict[str, dict[str, int]]  # tier -> kind -> published documents
    resolved_defects: int
    fed_defects: int
    contribution_rate: float | None  # fed / resolved; None with no resolved defect
    not_fed: list[dict]  # resolved defects not yet fed back, as {id, path}
    defects_by_intent: list[dict]  # {intent, title, defects, ids}, most defects first
    median_days_to_root_cause: float | None
    root_causes_measured: int  # defects with both reported_on and root_cause_on
    self_service_gaps: list[dict]  # intents with no tier 0 article: {intent, title, resolution_tier}
    past_review_by: list[dict]  # {id, title, path, review_by, days_over, owner}, longest overdue first
    unreadable_files: int  # files that did not load and are not counted (kbgen validate says why)


def health(content: ContentRoot, today: _dt.date | None = None) -> HealthReport:
    """Work out every figure of the report from a loaded content root."""
    today = today or _dt.date.today()
    published = [d for d in content.documents if d.published and d.tier is not None]
    defects = [d for d in published if d.kind == "defect"]
    resolved = [d for d in defects if d.meta.get("state") == "resolved"]
    fed = [d for d in resolved if _is_fed(d)]
    by_intent: dict[str, list[str]] = {}
    for defect in defects:
        for intent in defect.intents:
            by_intent.setdefault(intent, []).append(defect.id)
    days = [(root_cause - reported).days for d in defects
            if (reported := _date(d, "reported_on")) and (root_cause := _date(d, "root_cause_on"))
            and root_cause >= reported]
    public = {i for d in published if d.tier == 0 and d.kind == "article" for i in d.intents}
    overdue = [(d, review_by) for d in published if (review_by := _date(d, "review_by")) and review_by < today]
    return HealthReport(
        today=today.isoformat(),
        documents={str(tier): {kind: sum(d.tier == tier and d.kind == kind for d in published) for kind in KINDS}
                   for tier in TIERS},
        resolved_defects=len(resolved),
        fed_defects=len(fed),
        contribution_rate=round(len(fed) / len(resolved), 4) if resolved else None,
        not_fed=[{"id": d.id, "path": d.rel} for d in resolved if not _is_fed(d)],
        defects_by_intent=[
            {"intent": intent, "title": _intent_title(content, intent), "defects": len(ids), "ids": sorted(ids)}
            for intent, ids in sorted(by_intent.items(), key=lambda item: (-len(item[1]), item[0]))],
        median_days_to_root_cause=float(statistics.median(days)) if days else None,
        root_causes_measured=len(days),
        self_service_gaps=[{"intent": i.id, "title": i.title, "resolution_tier": i.resolution_tier}
                           for i in content.intents.values() if i.id not in public],
        past_review_by=[
            {"id": d.id, "title": d.title, "path": d.rel, "review_by": review_by.isoformat(),
             "days_over": (today - review_by).days, "owner": d.meta.get("owner")}
            for d, review_by in sorted(overdue, key=lambda item: (item[1], item[0].rel))],
        unreadable_files=len({f.path for f in content.findings if f.path.endswith(".md")}
                             - {d.rel for d in content.documents}),
    )


def to_json(report: HealthReport) -> str:
    return json.dumps(asdict(report), indent=2, ensure_ascii=False)


def to_markdown(report: HealthReport) -> str:
    """The report as a Markdown page. Document links are relative to the content root, which is where
    the tier 3 site serves the page, so they work there and in a file saved at the root."""
    lines = [f"# {PAGE_TITLE}", "", f"As of {report.today}. Published documents only.", ""]
    if report.unreadable_files:
        lines += [f"{report.unreadable_files} file(s) did not load and are not counted; `kbgen validate` says why.",
                  ""]
    rate = "no resolved defect yet" if report.contribution_rate is None else \
        f"**{report.contribution_rate:.0%}** ({report.fed_defects} of {report.resolved_defects} resolved defects)"
    median = "no defect with both dates yet" if report.median_days_to_root_cause is None else \
        f"**{report.median_days_to_root_cause:g} days** (over {report.root_causes_measured} defects)"
    lines += ["## Knowledge contribution", "",
              f"Resolved defects fed back into the knowledge base: {rate}.", ""]
    if report.not_fed:
        lines += ["Not fed back yet:", "", *(f"- [{d['id']}]({d['path']})" for d in report.not_fed), ""]
    lines += ["## Time from report to root cause", "", f"Median: {median}.", "",
              "## Defects by intent", ""]
    lines += _table(["Intent", "Defects", "Write-ups"],
                    [[f"{md_escape(row['title'])} (`{row['intent']}`)", str(row["defects"]), ", ".join(row["ids"])]
                     for row in report.defects_by_intent]) or ["No defects."]
    lines += ["", "## Self-service gaps", "", "Intents with no tier 0 article: customers cannot help themselves.", ""]
    lines += _table(["Intent", "Resolved at tier"],
                    [[f"{md_escape(row['title'])} (`{row['intent']}`)", _text(row["resolution_tier"])]
                     for row in report.self_service_gaps]) or ["None: every intent has a tier 0 article."]
    lines += ["", "## Past their review date", ""]
    lines += _table(["Document", "Review by", "Days over", "Owner"],
                    [[f"[{md_escape(row['title'])}]({row['path']})", row["review_by"], str(row["days_over"]),
                      md_escape(_text(row["owner"]))] for row in report.past_review_by]) or ["None."]
    lines += ["", "## Documents per tier and kind", ""]
    counts = report.documents
    lines += _table(["Tier", *(kind.capitalize() + "s" for kind in KINDS), "All"],
                    [[tier, *(str(counts[tier][k]) for k in KINDS), str(sum(counts[tier].values()))]
                     for tier in counts] +
                    [["All", *(str(sum(c[k] for c in counts.values())) for k in KINDS),
                      str(sum(sum(c.values()) for c in counts.values()))]])
    return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def _text(value) -> str:
    return "not set" if value is None else str(value)


def _is_fed(defect: Document) -> bool:
    """The feed's contract: ``fed: {article: <id>, runbooks: [...]}`` in the defect's front matter."""
    fed = defect.meta.get("fed")
    return isinstance(fed, dict) and bool(fed.get("article"))


def _date(document: Document, field: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(document.meta.get(field) or "")
    except (TypeError, ValueError):
        return None


def _intent_title(content: ContentRoot, intent_id: str) -> str:
    intent = content.intents.get(intent_id)
    return intent.title if intent else intent_id


def generated_pages(content: ContentRoot, outline: SiteOutline, tier: int) -> dict[str, str]:
    """The pages of a tier's site besides its documents (home, areas, intents, the defect index, this
    report): URI -> Markdown."""
    pages = outline.pages()
    defects = defect_pages.index_page(content, tier)
    if defects is not None:
        pages[defect_pages.INDEX_URI] = defects
    if tier >= SITE_TIER:  # the health report names defects: engineers only
        pages[PAGE_URI] = "\n".join([*front_matter(), to_markdown(health(content))])
    return pages

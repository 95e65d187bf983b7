"""``kbgen report``: the knowledge base's health, as Markdown or JSON, and as a page of the tier 3 site.

Tier 3 closes the loop from defect to knowledge; these figures show whether it does. Only published
documents count: drafts and archived documents are in no site.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import statistics
from dataclasses import asdict, dataclass

from . import defect_pages, history, inputs
from .audience import TIERS
from .content import ContentRoot, Document, split_frontmatter
from .navigation import KIND_ORDER, SiteOutline, front_matter, md_escape
from .structure import SETEXT_RE, named_sections

PAGE_URI = "health.md"  # the page in the tier 3 site
PAGE_TITLE = "Knowledge base health"
SITE_TIER = 3  # the figures name defects and internal documents: engineers only
KINDS = tuple(KIND_ORDER)
RESOLVED_RE = re.compile(r"""^state:[ \t]*["']?resolved\b""", re.M)
HANDOVER_TIER = 2  # whose escalations to Tier 3 the handover measure reads
AGE_BUCKETS = ((7, "under a week"), (30, "1 to 4 weeks"), (90, "1 to 3 months"), (None, "over 3 months"))


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
    recurrences: list[dict]  # {id, recurrence_of, path}: defects that came back
    quarters: list[dict]  # per quarter of reported_on: {quarter, reported, recurrences, recurrence_rate,
    #                       median_days_to_root_cause, median_days_to_fix}, oldest first
    recurrence_by_intent: list[dict]  # {intent, title, defects, recurrences, recurrence_rate}, most recurrences first
    open_defects: list[dict]  # {id, title, path, severity, state, reported_on, age_days}, oldest first
    open_by_age: dict[str, int]  # AGE_BUCKETS label -> open defects
    handover: dict  # tier 2 runbooks: {runbooks, naming_target, share, without_target: [{id, path}],
    #                 filled_from_inputs, filled_share, without_inputs: [{id, path}]}
    dates_from_git: list[dict]  # {id, path, field, date}: dates the write-up lacks, from its file's history


def health(content: ContentRoot, today: _dt.date | None = None) -> HealthReport:
    """Work out every figure of the report from a loaded content root."""
    today = today or _dt.date.today()
    published = [d for d in content.documents if d.published and d.tier is not None]
    defects = [d for d in published if d.kind == "defect"]
    resolved = [d for d in defects if d.meta.get("state") == "resolved"]
    from_git = {  # field: {path: date}, for the write-ups that lack the field
        "reported_on": history.first_commit_dates(content.root, _lacking(defects, "reported_on")),
        "root_cause_on": history.first_dates_when(content.root, _lacking(defects, "root_cause_on"), _root_cause_written),
        "resolved_on": history.first_dates_when(content.root, _lacking(resolved, "resolved_on"), _resolved_in)}
    reported, root_cause, fixed_on = ({d.id: _date(d, field) or from_git[field].get(d.rel) for d in defects}
                                      for field in ("reported_on", "root_cause_on", "resolved_on"))
    fed = [d for d in resolved if _is_fed(d)]
    by_intent: dict[str, list[str]] = {}
    for defect in defects:
        for intent in defect.intents:
            by_intent.setdefault(intent, []).append(defect.id)
    days = [days for d in defects if (days := _days(reported[d.id], root_cause[d.id])) is not None]
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
        **_defect_measures(content, defects, reported, root_cause, fixed_on, today),
        handover=_handover(published),
        dates_from_git=[{"id": d.id, "path": d.rel, "field": field, "date": dates[d.rel].isoformat()}
                        for d in defects for field, dates in from_git.items() if d.rel in dates],
    )


def _lacking(defects: list[Document], field: str) -> list[str]:
    return [d.rel for d in defects if not _date(d, field)]


def _resolved_in(text: str) -> bool:
    """A version of a write-up whose front matter says the defect is resolved."""
    front, _, _, _ = split_frontmatter(text, "")
    return bool(front and RESOLVED_RE.search(front))


def _root_cause_written(text: str) -> bool:
    """A version of a write-up whose "Root cause" section says something of its own (not a ``TODO:``)."""
    _, body, _, _ = split_frontmatter(text, "")
    section = named_sections(body).get("root cause")
    if section is None:
        return False
    written = [line for line in body.split("\n")[section[0] + 1:section[1]]
               if line.strip() and not SETEXT_RE.match(line)]
    return bool(written) and not written[0].lstrip().startswith("TODO:")


def _days(start: _dt.date | None, end: _dt.date | None) -> int | None:
    return (end - start).days if start and end and end >= start else None


def _quarter(day: _dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _defect_measures(content: ContentRoot, defects: list[Document], reported: dict[str, _dt.date | None],
                     root_cause: dict[str, _dt.date | None], fixed_on: dict[str, _dt.date | None],
                     today: _dt.date) -> dict:
    """Recurrence, time to root cause and to fix per quarter the defects were reported in, recurrence per
    intent, and the open defects by age: how Tier 3 is judged beyond feeding knowledge back."""
    ids = {d.id for d in defects}
    recurring = [d for d in defects if isinstance(d.meta.get("recurrence_of"), str)
                 and d.meta["recurrence_of"] in ids and d.meta["recurrence_of"] != d.id]
    again = {d.id for d in recurring}
    by_quarter: dict[str, list[Document]] = {}
    for defect in defects:
        if reported[defect.id]:
            by_quarter.setdefault(_quarter(reported[defect.id]), []).append(defect)
    quarters = []
    for quarter, members in sorted(by_quarter.items()):
        to_root_cause = [n for d in members if (n := _days(reported[d.id], root_cause[d.id])) is not None]
        fixed = [n for d in members if (n := _days(reported[d.id], fixed_on[d.id])) is not None]
        count = sum(d.id in again for d in members)
        quarters.append({"quarter": quarter, "reported": len(members), "recurrences": count,
                         "recurrence_rate": round(count / len(members), 4),
                         "median_days_to_root_cause": _median(to_root_cause), "median_days_to_fix": _median(fixed)})
    by_intent: dict[str, list[Document]] = {}
    for defect in defects:
        for intent in defect.intents:
            by_intent.setdefault(intent, []).append(defect)
    per_intent = [{"intent": intent, "title": _intent_title(content, intent), "defects": len(members),
                   "recurrences": (count := sum(d.id in again for d in members)),
                   "recurrence_rate": round(count / len(members), 4)} for intent, members in by_intent.items()]
    per_intent.sort(key=lambda row: (-row["recurrences"], -row["defects"], row["intent"]))
    still_open = [(d, (today - reported[d.id]).days if reported[d.id] else None) for d in defects
                  if d.meta.get("state") != "resolved"]
    still_open.sort(key=lambda item: (-(item[1] if item[1] is not None else -1), item[0].id))
    buckets = {label: 0 for _, label in AGE_BUCKETS}
    for _, age in still_open:
        if age is not None:
            buckets[next(label for limit, label in AGE_BUCKETS if limit is None or age < limit)] += 1
    return {
        "recurrences": [{"id": d.id, "recurrence_of": d.meta["recurrence_of"], "path": d.rel} for d in recurring],
        "quarters": quarters,
        "recurrence_by_intent": per_intent,
        "open_defects": [{"id": d.id, "title": d.title, "path": d.rel, "severity": d.meta.get("severity"),
                          "state": d.meta.get("state"), "age_days": age,
                          "reported_on": reported[d.id].isoformat() if reported[d.id] else None}
                         for d, age in still_open],
        "open_by_age": buckets,
    }


def _handover(published: list[Document]) -> dict:
    """Tier 2 runbooks whose escalation names the runbook Tier 3 follows next (a handover without it makes
    Tier 3 start from nothing), and those whose handover the page fills with the values the agent typed
    (runbooks that declare inputs), so Tier 3 gets the workspace or charge, not a description of it."""
    by_id = {d.id: d for d in published}
    runbooks = [d for d in published if d.kind == "runbook" and d.tier == HANDOVER_TIER]

    def names_target(runbook: Document) -> bool:
        escalation = runbook.meta.get("escalation")
        target = by_id.get(escalation.get("runbook")) if isinstance(escalation, dict) else None
        return target is not None and target.kind == "runbook" and target.tier == escalation.get("to_tier")

    missing = [d for d in runbooks if not names_target(d)]
    unfilled = [d for d in runbooks if not inputs.declared(d)]
    return {"runbooks": len(runbooks), "naming_target": len(runbooks) - len(missing),
            "share": _share(len(runbooks) - len(missing), len(runbooks)),
            "without_target": [{"id": d.id, "path": d.rel} for d in missing],
            "filled_from_inputs": len(runbooks) - len(unfilled),
            "filled_share": _share(len(runbooks) - len(unfilled), len(runbooks)),
            "without_inputs": [{"id": d.id, "path": d.rel} for d in unfilled]}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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
    lines += ["## Time from report to root cause", "", f"Median: {median}.", ""]
    lines += _trend(report)
    lines += ["## Defects by intent", ""]
    lines += _table(["Intent", "Defects", "Write-ups"],
                    [[f"{md_escape(row['title'])} (`{row['intent']}`)", str(row["defects"]), ", ".join(row["ids"])]
                     for row in report.defects_by_intent]) or ["No defects."]
    lines += ["", *_recurrence(report), *_open_defects(report), *_handover_lines(report)]
    if report.dates_from_git:
        lines += ["## Dates from Git history", "",
                  "These write-ups lack a date; the day their file was first committed stands in for it:", "",
                  *(f"- [{row['id']}]({row['path']}): `{row['field']}` {row['date']}" for row in report.dates_from_git),
                  ""]
    lines += ["## Self-service gaps", "", "Intents with no tier 0 article: customers cannot help themselves.", ""]
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


def _days_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _trend(report: HealthReport) -> list[str]:
    """Time to root cause and to fix per quarter: a table, and the same figures as a small chart."""
    if not report.quarters:
        return []
    lines = ["## Time to root cause and to fix, per quarter", "",
             "Median days from report, for the defects reported in each quarter.", ""]
    lines += _table(["Quarter", "Reported", "To root cause", "To fix"],
                    [[q["quarter"], str(q["reported"]), _days_text(q["median_days_to_root_cause"]),
                      _days_text(q["median_days_to_fix"])] for q in report.quarters])
    return lines + ["", trend_chart(report.quarters), ""]


CHART_SERIES = (("median_days_to_root_cause", "To root cause", "#3b5bdb"), ("median_days_to_fix", "To fix", "#2f9e44"))


def trend_chart(quarters: list[dict]) -> str:
    """An SVG bar chart, two bars per quarter (median days to root cause, to fix), drawn here so the
    page needs no script; the table above it holds the same figures for screen readers."""
    bar, gap, height, top, bottom = 24, 30, 140, 16, 34
    most = max([q[key] or 0 for q in quarters for key, _, _ in CHART_SERIES] + [1])
    width = max(240, 40 + len(quarters) * (2 * bar + gap))  # the legend needs 240
    parts = [f'<svg class="kb-trend" role="img" viewBox="0 0 {width} {height + top + bottom}" width="{width}" '
             f'height="{height + top + bottom}" xmlns="http://www.w3.org/2000/svg">',
             "<title>Median days to root cause and to fix, per quarter reported</title>",
             f'<line x1="30" y1="{top + height}" x2="{width}" y2="{top + height}" stroke="currentColor" '
             'stroke-opacity=".4"/>',
             f'<text x="0" y="{top + 4}" font-size="10" fill="currentColor">{most:g} d</text>']
    for index, quarter in enumerate(quarters):
        x = 36 + index * (2 * bar + gap)
        for offset, (key, label, colour) in enumerate(CHART_SERIES):
            value = quarter[key]
            if value is None:
                continue
            tall = max(1, round(value / most * height))
            parts.append(f'<rect class="kb-trend__bar" x="{x + offset * bar}" y="{top + height - tall}" '
                         f'width="{bar - 2}" height="{tall}" fill="{colour}">'
                         f"<title>{quarter['quarter']}: {label.lower()} {value:g} days</title></rect>")
        parts.append(f'<text x="{x}" y="{top + height + 14}" font-size="10" fill="currentColor">'
                     f"{quarter['quarter']}</text>")
    legend_y = top + height + 28
    for offset, (_, label, colour) in enumerate(CHART_SERIES):
        parts.append(f'<rect x="{36 + offset * 90}" y="{legend_y - 8}" width="8" height="8" fill="{colour}"/>'
                     f'<text x="{48 + offset * 90}" y="{legend_y}" font-size="10" fill="currentColor">{label}</text>')
    return "".join(parts) + "</svg>"


def _recurrence(report: HealthReport) -> list[str]:
    lines = ["## Defect recurrence", "",
             "A defect that names `recurrence_of:` came back after an earlier one.", ""]
    if report.recurrences:
        lines += [f"- [{row['id']}]({row['path']}) is a recurrence of {row['recurrence_of']}"
                  for row in report.recurrences]
        lines.append("")
    lines += _table(["Quarter", "Reported", "Recurrences", "Rate"],
                    [[q["quarter"], str(q["reported"]), str(q["recurrences"]), f"{q['recurrence_rate']:.0%}"]
                     for q in report.quarters]) or ["No defect with a report date."]
    lines += ["", *_table(["Intent", "Defects", "Recurrences", "Rate"],
                          [[f"{md_escape(row['title'])} (`{row['intent']}`)", str(row["defects"]),
                            str(row["recurrences"]), f"{row['recurrence_rate']:.0%}"]
                           for row in report.recurrence_by_intent]), ""]
    return lines


def _open_defects(report: HealthReport) -> list[str]:
    lines = ["## Open defects by age", ""]
    if not report.open_defects:
        return lines + ["None.", ""]
    lines += [" · ".join(f"{label}: {count}" for label, count in report.open_by_age.items()), ""]
    lines += _table(["Defect", "Severity", "State", "Reported", "Age (days)"],
                    [[f"[{row['id']}]({row['path']}) {md_escape(row['title'])}", _text(row["severity"]),
                      _text(row["state"]), _text(row["reported_on"]), _text(row["age_days"])]
                     for row in report.open_defects])
    return lines + [""]


def _handover_lines(report: HealthReport) -> list[str]:
    handover = report.handover
    if not handover["runbooks"]:
        return ["## Handover to Tier 3", "", "No tier 2 runbook.", ""]
    lines = ["## Handover to Tier 3", "",
             f"Tier 2 runbooks whose escalation names the runbook Tier 3 follows: **{handover['share']:.0%}** "
             f"({handover['naming_target']} of {handover['runbooks']}).", ""]
    if handover["without_target"]:
        lines += ["Without one:", "", *(f"- [{row['id']}]({row['path']})" for row in handover["without_target"]), ""]
    lines += [f"Tier 2 runbooks whose handover is filled from inputs the agent typed (beyond the ticket): "
              f"**{handover['filled_share']:.0%}** ({handover['filled_from_inputs']} of {handover['runbooks']}).", ""]
    if handover["without_inputs"]:
        lines += ["Without inputs:", "", *(f"- [{row['id']}]({row['path']})" for row in handover["without_inputs"]), ""]
    return lines


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

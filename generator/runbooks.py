"""What kbgen adds to a runbook page, for an agent following it with a customer waiting.

- Under the title: the severities and service targets of the runbook's tier (from the plugin options).
- Under ``## Escalate``: the escalation box, from the front matter: when to escalate, which tier takes
  over, and a handover template to copy into the ticket. The runbook the next tier follows is linked
  only in sites that show it; a lower site names the tier and nothing else.
- In ``## Steps``: a checkbox and a stable anchor (``#step-3``) on every step, by :mod:`generator.steps`.

The page's Markdown is changed in memory only. The structure relied on here is the one ``kbgen validate``
requires (:data:`generator.validate.RUNBOOK_SECTIONS`).
"""

from __future__ import annotations

import posixpath
import re
from .audience import in_site
from .config import PRIORITIES
from .content import Document
from .navigation import md_escape
from .steps import STEPS_CLASS
from .structure import ATX_RE, Heading, headings, sections

HANDOVER_FIELDS = ("Customer and account", "Symptoms", "What was tried, with results",
                   "Evidence (request ids, log links)", "Severity (P1-P4)", "Business impact")
ATTR_LIST_RE = re.compile(r"\{:?([^}]*)\}\s*$")


def page_markdown(markdown: str, document: Document, tier: int, by_id: dict[str, Document],
                  severities: dict[str, str], targets: dict[int, dict[str, dict[str, str]]],
                  floors: list[int] | None = None) -> str:
    """A runbook page's Markdown with kbgen's additions, for the site of tier ``tier``; ``floors`` are its
    lines' visibility from the parser (:func:`generator.structure.hidden_lines`)."""
    lines = markdown.split("\n")
    found = headings(markdown, floors)
    named: dict[str, Heading] = {}
    for name, heading in sections(found, tier):
        named.setdefault(name, heading)
    if "steps" in named:
        lines[named["steps"].index] = _with_class(lines[named["steps"].index], STEPS_CLASS)
    title = next((h for h in found if h.level == 1 and h.floor <= tier), None)
    inserts = [(_below(lines, title) if title else 0, targets_box(document.tier, severities, targets))]
    box = escalation_box(document, tier, by_id)
    if box:
        inserts.append((_below(lines, named["escalate"]) if "escalate" in named else len(lines), box))
    for at, block in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        lines[at:at] = ["", *block]
    return "\n".join(lines)


def targets_box(tier: int, severities: dict[str, str], targets: dict[int, dict[str, dict[str, str]]]) -> list[str]:
    """A table, P1 to P4, of what each priority means and the tier's service targets for it. It is
    folded away, so the steps come first; the title says the targets when no priority changes them."""
    columns = targets.get(tier, {})
    rows = [["Severity", "What it means", *columns]]
    rows += [[priority, severities[priority], *(values.get(priority, "–") for values in columns.values())]
             for priority in PRIORITIES]
    table = ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in rows]
    table.insert(1, "|" + " --- |" * len(rows[0]))
    flat = {name: set(values.values()) for name, values in columns.items() if len(values) == len(PRIORITIES)}
    if columns and len(flat) == len(columns) and all(len(texts) == 1 for texts in flat.values()):
        title = f"Service targets, Tier {tier}: " + " · ".join(
            f"{md_escape(name)} {md_escape(*texts)}" for name, texts in flat.items())
    else:
        title = f"Severity and service targets, Tier {tier}"
    return _admonition(f'??? kb-targets "{title}"', table)


def escalation_box(document: Document, tier: int, by_id: dict[str, Document]) -> list[str]:
    """When and to whom to hand over, with the handover template; nothing for a runbook without escalation."""
    escalation = document.meta.get("escalation")
    if not isinstance(escalation, dict) or type(escalation.get("to_tier")) is not int:
        return []
    to_tier = escalation["to_tier"]
    target_id = escalation.get("runbook")
    target = by_id.get(target_id) if isinstance(target_id, str) else None
    if target is not None and in_site(target, tier):
        link = posixpath.relpath(target.rel, posixpath.dirname(document.rel))
        who = f"Tier {to_tier} takes over and follows [{md_escape(target.title)}]({link})."
    else:  # the reader cannot open the next runbook: do not name it
        who = f"Tier {to_tier} takes over: assign the ticket to the Tier {to_tier} queue."
    template = _admonition('!!! kb-handover "Handover: copy it into the ticket and fill in every line"',
                           ["```text", *handover(document, to_tier), "```"])
    body = [f"**When:** {md_escape(escalation.get('when') or '')}", "", f"**Who:** {who}", "", *template]
    return _admonition(f'!!! kb-escalation "Escalate to Tier {to_tier}"', body)


def handover(document: Document, to_tier: int) -> list[str]:
    """The lines the next tier needs to carry on without asking the customer again."""
    return [f"Escalation to Tier {to_tier}",
            f"Runbook followed: {document.title} ({document.id}), up to step:",
            *(f"{field}:" for field in HANDOVER_FIELDS)]


def _admonition(opener: str, body: list[str]) -> list[str]:
    return [opener, "", *(f"    {line}" if line else "" for line in body), ""]


def _below(lines: list[str], heading: Heading) -> int:
    """Index of the first line after a heading (an underlined heading takes two lines)."""
    return heading.index + (1 if ATX_RE.match(lines[heading.index]) else 2)


def _with_class(line: str, name: str) -> str:
    """A heading line with a class added to its attribute list (attr_list syntax)."""
    atx = ATX_RE.match(line)
    prefix, text = (f"{atx[1]} ", atx[2]) if atx else ("", line.strip())
    attrs = ATTR_LIST_RE.search(text)
    if attrs:
        return f"{prefix}{text[:attrs.start(1)]}{attrs[1].rstrip()} .{name}{text[attrs.end(1):]}"
    return f"{prefix}{text} {{: .{name} }}"

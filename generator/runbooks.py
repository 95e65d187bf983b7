"""What kbgen adds to a runbook page, for an agent following it with a customer waiting.

- Under the title: when, to whom and to which queue to escalate; the severities and service targets of
  the runbook's tier (from the plugin options); the fields of the runbook's inputs (the ticket first); a
  progress bar, "3 / 6 steps" and "Start over", that stays in view; a floating "Escalate" link to the box.
- Under ``## Escalate`` (the end of the page in a layout without it): the escalation box, from the front
  matter: when to escalate, which tier takes over, and a handover template to copy into the ticket. The
  runbook the next tier follows is linked only in sites that show it; a lower site names the tier and
  nothing else.
- In the steps section of the runbook's layout: a checkbox and a stable anchor (``#step-3``) on every step,
  by :mod:`generator.steps`.

The page's Markdown is changed in memory only; the page's script (``overrides/assets/javascripts/kbgen/
runbook.js``) fills the inputs in, keeps the ticks and fills the handover. The structure relied on here is
the one ``kbgen validate`` requires of the runbook's layout (:mod:`generator.layouts`).
"""

from __future__ import annotations

import html
import posixpath
import re

from .audience import in_site
from .config import PRIORITIES
from .content import Document
from .inputs import page_inputs
from .layouts import DEFAULT as DEFAULT_LAYOUT, layout_of
from .navigation import md_escape
from .steps import STEPS_CLASS
from .structure import ATX_RE, Heading, headings, sections

BACKTICKS_RE = re.compile(r"`+")
STEPS_DONE = "Steps done:"  # the handover's line the page's script fills with the steps ticked off
ESCALATION_ANCHOR = "kb-escalation"  # where the escalation box starts: the summary and "Escalate" link to it
HANDOVER_FIELDS = ("Customer and account", "Symptoms", "What was tried, with results",
                   "Evidence (request ids, log links)", "Severity (P1-P4)", "Business impact")
ATTR_LIST_RE = re.compile(r"\{:?([^}]*)\}\s*$")


def page_markdown(markdown: str, document: Document, tier: int, by_id: dict[str, Document],
                  severities: dict[str, str], targets: dict[int, dict[str, dict[str, str]]],
                  floors: list[int] | None = None, default_layout: str = DEFAULT_LAYOUT) -> str:
    """A runbook page's Markdown with kbgen's additions, for the site of tier ``tier``; ``floors`` are its
    lines' visibility from the parser (:func:`generator.structure.hidden_lines`)."""
    layout = layout_of(document, default_layout)
    lines = markdown.split("\n")
    found = headings(markdown, floors)
    named: dict[str, Heading] = {}
    for name, heading in sections(found, tier):
        named.setdefault(name, heading)
    steps = layout.steps.casefold()
    if steps in named:
        lines[named[steps].index] = _with_class(lines[named[steps].index], STEPS_CLASS)
    title = next((h for h in found if h.level == 1 and h.floor <= tier), None)
    box = escalation_box(document, tier, by_id)
    head = [*escalation_summary(document), *targets_box(document.tier, severities, targets),
            *inputs_form(document), *progress_bar(document, bool(box))]
    inserts = [(_below(lines, title) if title else 0, head)]
    if box:
        escalate = (layout.escalate or "").casefold()
        inserts.append((_below(lines, named[escalate]) if escalate in named else len(lines), box))
    for at, block in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        lines[at:at] = ["", *block]
    return "\n".join(lines)


def escalation_summary(document: Document) -> list[str]:
    """One line under the title: when to escalate, to whom and which queue, linking the box."""
    escalation = _escalation(document)
    if escalation is None:
        return []
    to_tier = escalation["to_tier"]
    return [f'<p class="kb-escalate-summary"><strong>Escalate to Tier {to_tier}</strong> when '
            f'{html.escape(_sentence(escalation.get("when")))} Assign the ticket to {html.escape(_queue(escalation))}. '
            f'<a href="#{ESCALATION_ANCHOR}">How to hand over</a></p>', ""]


def inputs_form(document: Document) -> list[str]:
    """The fields an agent fills once: the ticket and the runbook's inputs. The page's script shows them
    (without it they would do nothing); they have no name and no form around them, so a value is never
    sent anywhere."""
    fields = []
    for item in page_inputs(document):
        attrs = {"type": "text", "data-kb-input": item["name"], "autocomplete": "off", "spellcheck": "false",
                 "placeholder": f"e.g. {item['example']}" if isinstance(item.get("example"), str) else None,
                 "data-pattern": item.get("pattern") if isinstance(item.get("pattern"), str) else None}
        written = " ".join(f'{key}="{html.escape(value)}"' for key, value in attrs.items() if value is not None)
        fields.append(f'<label class="kb-input"><span class="kb-input__label">{html.escape(item["label"])}</span>'
                      f'<input {written}></label>')
    return ['<div class="kb-inputs" hidden>', *fields, "</div>", ""]


def progress_bar(document: Document, escalates: bool) -> list[str]:
    """The ticks so far and "Start over", kept in view while the agent scrolls (filled by the page's script),
    and the link to the escalation box, in view everywhere on the page."""
    bar = [f'<div class="kb-progress" data-kb-runbook="{html.escape(document.id)}" hidden>'
           '<span class="kb-progress__count" aria-live="polite"></span>'
           '<button type="button" class="kb-progress__reset md-button">Start over</button></div>', ""]
    if escalates:
        bar += [f'<nav class="kb-escalate-link" aria-label="Escalation"><a class="md-button md-button--primary" '
                f'href="#{ESCALATION_ANCHOR}">Escalate</a></nav>', ""]
    return bar


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
    escalation = _escalation(document)
    if escalation is None:
        return []
    to_tier = escalation["to_tier"]
    target_id = escalation.get("runbook")
    target = by_id.get(target_id) if isinstance(target_id, str) else None
    if target is not None and in_site(target, tier):
        link = posixpath.relpath(target.rel, posixpath.dirname(document.rel))
        who = f"Tier {to_tier} takes over and follows [{md_escape(target.title)}]({link}); assign the ticket " \
              f"to {md_escape(_queue(escalation))}."
    else:  # the reader cannot open the next runbook: do not name it
        who = f"Tier {to_tier} takes over: assign the ticket to {md_escape(_queue(escalation))}."
    lines = handover(document, to_tier)
    fence = "`" * max(3, 1 + max((len(run) for line in lines for run in BACKTICKS_RE.findall(line)), default=0))
    template = _admonition('!!! kb-handover "Handover: copy it into the ticket and fill in every line"',
                           [f"{fence}text", *lines, fence])
    body = [f"**When:** {md_escape(escalation.get('when') or '')}", "", f"**Who:** {who}", "", *template]
    return [f'<div id="{ESCALATION_ANCHOR}"></div>', "",
            *_admonition(f'!!! kb-escalation "Escalate to Tier {to_tier}"', body)]


def handover(document: Document, to_tier: int) -> list[str]:
    """The lines the next tier needs to carry on without asking the customer again. The page's script fills
    in the inputs' ``{{ name }}`` and the steps done; without it they are left for the agent to fill."""
    return [f"Escalation to Tier {to_tier}",
            f"Runbook followed: {_one_line(document.title)} ({_one_line(document.id)})",
            *(f"{_one_line(item['label'])}: {{{{ {_one_line(item['name'])} }}}}" for item in page_inputs(document)),
            STEPS_DONE,
            *(f"{field}:" for field in HANDOVER_FIELDS)]


def _one_line(value) -> str:
    """A front matter value as one line of the handover's code block: a title or label written over
    several lines would end the block (and the box around it), and the rest would be read as Markdown."""
    return " ".join(str(value).split())


def _escalation(document: Document) -> dict | None:
    escalation = document.meta.get("escalation")
    return escalation if isinstance(escalation, dict) and type(escalation.get("to_tier")) is int else None


def _queue(escalation: dict) -> str:
    queue = escalation.get("queue")
    return queue.strip() if isinstance(queue, str) and queue.strip() else f"the Tier {escalation['to_tier']} queue"


def _sentence(text) -> str:
    """A condition written in front matter, as the end of "Escalate ... when": lower case first, full stop."""
    text = " ".join(str(text or "").split()).rstrip(".")
    return (text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text) + "."


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

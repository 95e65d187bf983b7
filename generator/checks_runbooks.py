"""Rules on runbooks and defect write-ups: the sections a layout needs, steps an agent can follow under
pressure, the escalation a handover needs, the inputs a runbook asks for and a resolved defect's record.
"""

from __future__ import annotations

import re

from . import structure
from .checks_body import HTML_COMMENT_RE, PLACEHOLDER_RE
from .content import Document
from .findings import ERROR, WARNING, did_you_mean
from .inputs import INPUT_RE, TICKET, compiled, declared
from .layouts import LAYOUTS, layout_of
from .schemas import is_date
from .structure import Heading, sections
from .writeups import approval_digest

DEFECT_DATES = ("reported_on", "root_cause_on", "resolved_on")  # in the order they happen
DEFECT_RESOLVED_SECTIONS = ("Customer-facing summary", "Root cause", "Fix")  # level 2; what a resolved defect needs
DEFECT_RESOLVED_FIELDS = {"fixed_in": "the version that carries the fix (quoted)",
                          "resolved_on": "the date the fix was released"}
ESCALATE_WHEN_RE = re.compile(r"\b(?:escalate|hand (?:it )?over)\b.*\bwhen\b", re.I)  # the condition, again
TIER_RE = re.compile(r"\btier\s*([1-3])\b", re.I)
QUEUE_RE = re.compile(r"\b([A-Za-z][\w-]*) queue\b")
FED_MARKER_RE = re.compile(r"^<!-- (/?)kbgen:defect\b")
FED_START_RE = re.compile(r"<!-- kbgen:defect (\S+) ")  # where a defect's region starts, as the feed finds it
QUEUE_WORDS = {"the", "a", "its", "this", "that", "same", "right", "their", "our", "your", "tier"}
LIST_ITEM_RE = re.compile(r"^ {0,3}(?:(\d+)\.|[-*+])[ \t]")  # a top-level list item; group 1 when numbered


class RunbookRules:
    """The runbook and defect rules of :class:`generator.validate.Validator`, a mixin: they share its
    state (``add``, ``content``, ``scanned``, ...)."""

    def check_inputs(self, document: Document) -> None:
        """Every placeholder names a declared input, every input is used, and no command keeps a literal
        value an input stands for: its copy button would copy the example, not the customer's value."""
        rel, inputs = document.rel, declared(document)
        names: dict[str, int] = {}
        for index, item in enumerate(inputs):
            if item["name"] in names:
                self.add(rel, document.where("inputs", index, "name"), "field-value", ERROR,
                         f"input '{item['name']}' is declared twice; give each input its own name")
            names.setdefault(item["name"], index)
            if isinstance(item.get("pattern"), str) and compiled(item["pattern"]) is None:
                self.add(rel, document.where("inputs", index, "pattern"), "field-value", ERROR,
                         f"the pattern of input '{item['name']}' is not a regular expression; write one such as "
                         "ws_[A-Za-z0-9]{10}")
        if not document.published:
            return
        lines, scan = self.scanned(document)
        used: set[str] = set()
        for index, line in enumerate(lines):
            for match in INPUT_RE.finditer(line):
                used.add(match[1])
                if match[1] not in names and match[1] != TICKET["name"]:
                    self.add(rel, (document.body_line + index, match.start() + 1), "input-undeclared", ERROR,
                             f"'{match[0]}' names no input of this runbook{did_you_mean(match[1], names)}; "
                             f"declare it under inputs: (name: {match[1]}, label: ...) or correct the name")
        for name, index in names.items():
            if name not in used and name != TICKET["name"]:
                self.add(rel, document.where("inputs", index, "name"), "input-unused", WARNING,
                         f"input '{name}' is never used; write {{{{ {name} }}}} where its value goes, or remove it")
        fed = _fed_lines(lines)  # the feed writes them from a defect: a literal there is the defect's to change
        for item in inputs:
            pattern = compiled(item.get("pattern"))
            if pattern is None:
                continue
            for index, line in enumerate(lines):
                found = scan.in_code[index] and index not in fed and next(
                    (m for m in pattern.finditer(line) if m.group() and _stands_alone(line, m)), None)
                if found:
                    self.add(rel, (document.body_line + index, found.start() + 1), "input-literal", ERROR,
                             f"'{found.group()}' in this command is a value of input '{item['name']}' "
                             f"({item['label']}); write {{{{ {item['name']} }}}} so the command uses the "
                             "value the agent types")

    def check_runbook(self, document: Document) -> None:
        """What makes a runbook usable under pressure: its sections in order, numbered steps, a handover;
        and one entry per known defect."""
        rel, tier = document.rel, document.tier
        self.check_fed_regions(document)
        if tier in (1, 2) and "escalation" not in document.meta:
            self.add(rel, document.where("tier"), "escalation-missing", ERROR,
                     f"a tier {tier} runbook must say when and to whom to hand over; add escalation: "
                     f"{{to_tier: {tier + 1}, when: <the condition in plain words>}} (and runbook: <id of the "
                     f"tier {tier + 1} runbook>, if there is one)")
        layout = layout_of(document, self.runbook_layout)
        wanted = layout.sections
        found = sections(self.headings(document), tier)
        first: dict[str, Heading] = {}
        for name, heading in found:
            first.setdefault(name, heading)
        required = [name.casefold() for name in wanted]
        order = ", ".join(f"'## {name}'" for name in wanted)
        kind = f"a runbook of the {layout.name} layout"
        if not first.keys() & set(required):
            self.add(rel, (document.body_line, 1), "runbook-section-missing", ERROR,
                     f"this runbook has none of the sections {kind} needs; give it, in this order: {order}"
                     + _other_layouts(layout.name, first))
            return
        for rank, name in enumerate(wanted):
            if required[rank] in first:
                continue
            later = [n for n in wanted[rank + 1:] if n.casefold() in first]
            index = first[later[0].casefold()].index if later else document.body.rstrip().count("\n")
            place = f"before '## {later[0]}'" if later else "at the end"
            self.add(rel, (document.body_line + index, 1), "runbook-section-missing", ERROR,
                     f"this runbook has no '## {name}' section; add it {place} (the {layout.name} layout's "
                     f"sections, in order: {order})")
        latest = -1
        for name, heading in sorted(((n, h) for n, h in first.items() if n in required), key=lambda i: i[1].index):
            rank = required.index(name)
            if rank < latest:
                self.add(rel, (document.body_line + heading.index, 1), "runbook-section-order", ERROR,
                         f"'## {wanted[rank]}' comes after '## {wanted[latest]}'; put the "
                         f"sections in this order: {order}")
            latest = max(latest, rank)
        if layout.name == "steps" and "steps" in first:
            self.check_steps(document, found, first["steps"])
        if "escalate" in first and isinstance(document.meta.get("escalation"), dict):
            self.check_escalate_text(document, found, first["escalate"])

    def check_escalate_text(self, document: Document, found, section: Heading) -> None:
        """The front matter's escalation is the one source of when, to whom and which queue: the page shows
        it at the top and in the escalation box. The ``## Escalate`` text may say what to attach and tell the
        customer; a second "when", or another tier or queue, would leave the agent to choose."""
        escalation = document.meta["escalation"]
        lines, scan = self.scanned(document)
        end = next((h.index for _, h in found if h.index > section.index), len(lines))
        when = _plain(escalation["when"]) if isinstance(escalation.get("when"), str) else ""
        queue = escalation.get("queue") if isinstance(escalation.get("queue"), str) else None
        to_tier = escalation.get("to_tier")
        for index in range(section.index + 1, end):
            if scan.in_code[index]:
                continue
            line, where = lines[index], (document.body_line + index, 1)
            if ESCALATE_WHEN_RE.search(line) or (len(when) > 20 and when in _plain(line)):
                self.add(document.rel, where, "escalation-text", WARNING,
                         "this says when to escalate, which the front matter's escalation.when already says (the "
                         "page shows it at the top and in the escalation box); keep the condition there only, and "
                         "here what to attach and what to tell the customer")
            other = next((int(n) for n in TIER_RE.findall(line)
                          if int(n) > (document.tier or 0) and int(n) != to_tier), None)
            if other is not None:
                self.add(document.rel, where, "escalation-text", WARNING,
                         f"this names Tier {other}, but escalation.to_tier is {to_tier}; make them agree")
            for named in QUEUE_RE.findall(line):
                if named.casefold() in QUEUE_WORDS or (queue and named.casefold() in queue.casefold()):
                    continue
                self.add(document.rel, where, "escalation-text", WARNING,
                         f"this names the {named} queue, but " + (
                             f"escalation.queue is '{queue}'; make them agree" if queue else
                             f"the escalation box says the Tier {to_tier} queue; set escalation.queue to the "
                             "queue agents assign the ticket to"))

    def check_steps(self, document: Document, found, steps: Heading) -> None:
        """The Steps section is a numbered list: kbgen gives each step a checkbox and an anchor."""
        lines, scan = self.scanned(document)
        floors = structure.hidden_lines(self.content, document)
        end = next((h.index for _, h in found if h.index > steps.index), len(lines))
        items = [(index, LIST_ITEM_RE.match(lines[index])) for index in range(steps.index + 1, end)
                 if not scan.in_code[index] and floors[index] <= document.tier]
        bullets = [index for index, item in items if item and item[1] is None]
        for index in bullets:
            self.add(document.rel, (document.body_line + index, 1), "runbook-steps", ERROR,
                     "a step written as a bullet; number it ('1. ...') so agents can tick it off and link to it")
        if not bullets and not any(item for _, item in items):
            self.add(document.rel, (document.body_line + steps.index, 1), "runbook-steps", ERROR,
                     "'## Steps' has no numbered steps; write them as a numbered list ('1. ...', '2. ...')")

    def check_defect(self, document: Document) -> None:
        """A defect's dates tell its story in order, and a resolved one says what was wrong, what fixed it
        and what customers are told: the knowledge the write-up exists to pass on."""
        meta, rel = document.meta, document.rel
        dated = [(name, meta[name]) for name in DEFECT_DATES if is_date(meta.get(name))]
        for (earlier, before), (later, after) in zip(dated, dated[1:]):
            if after < before:
                self.add(rel, document.where(later), "defect-dates", ERROR,
                         f"'{later}' ({after}) is before '{earlier}' ({before}); a defect is reported, then its "
                         "root cause is found, then it is resolved: correct the dates")
        earlier = meta.get("recurrence_of")
        if isinstance(earlier, str):
            found = self.by_id.get(earlier)
            if found is None or found.kind != "defect" or found is document:
                defects = {i: d for i, d in self.by_id.items() if d.kind == "defect" and d is not document}
                self.add(rel, document.where("recurrence_of"), "defect-recurrence", ERROR,
                         f"'recurrence_of' names '{earlier}', which is no other defect"
                         f"{did_you_mean(earlier, defects)}; name the earlier defect this one is a recurrence of")
            elif (loop := self._recurrence_loop(document)) is not None:
                self.add(rel, document.where("recurrence_of"), "defect-recurrence", ERROR,
                         f"'recurrence_of' runs in a loop ({' -> '.join(loop)}): a defect recurs after an earlier "
                         "one, never after itself; name the defect that came first in only one of them")
        self.check_defect_record(document)
        update = meta.get("customer_update")
        if isinstance(update, dict) and update.get("publish") is True and meta.get("state") != "resolved" \
                and str(update.get("approved_digest")) != approval_digest(document):
            self.add(rel, document.where("customer_update"), "defect-approval", WARNING,
                     "the title or customer-facing summary changed since it was approved for customers (or was never "
                     f"approved), so 'kbgen defect feed' will not publish it; once reviewed, run "
                     f"'kbgen defect approve {document.id} --by NAME'")
        if meta.get("state") != "resolved":
            return
        for name, meaning in DEFECT_RESOLVED_FIELDS.items():
            if name not in meta:
                self.add(rel, document.where("state"), "defect-resolved", ERROR,
                         f"a resolved defect needs '{name}', {meaning}; add it, or set state: investigating")
        if not document.published:
            return
        lines, _ = self.scanned(document)
        found = sections(self.headings(document), 3)
        for wanted in DEFECT_RESOLVED_SECTIONS:
            at = next((i for i, (name, _) in enumerate(found) if name == wanted.casefold()), None)
            if at is None:
                self.add(rel, (document.body_line, 1), "defect-section", ERROR,
                         f"a resolved defect needs a '## {wanted}' section; add it and write it")
                continue
            heading = found[at][1]
            end = found[at + 1][1].index if at + 1 < len(found) else len(lines)
            text = HTML_COMMENT_RE.sub("", "\n".join(lines[heading.index + 1:end]))
            if all(not line.strip() or PLACEHOLDER_RE.match(line) for line in text.split("\n")):
                self.add(rel, (document.body_line + heading.index, 1), "defect-section", ERROR,
                         f"'## {wanted}' is empty (or only TODO: text), but this defect is resolved; write it")


    def _recurrence_loop(self, document: Document) -> list[str] | None:
        """The ids from ``document`` round to it again along ``recurrence_of``, or None."""
        path, seen, current = [document.id], {document.id}, document
        while isinstance(current.meta.get("recurrence_of"), str):
            current = self.by_id.get(current.meta["recurrence_of"])
            if current is None or current.kind != "defect":
                return None
            path.append(current.id)
            if current is document:
                return path
            if current.id in seen:  # a loop it leads into but is not part of: reported on that loop's defects
                return None
            seen.add(current.id)
        return None

    def check_defect_record(self, document: Document) -> None:
        """``fed`` names what the feed made of the defect: the feed reads it to update that article and those
        runbooks, and refuses the defect when they are not what the record says. Said here, at review."""
        fed = document.meta.get("fed")
        if not isinstance(fed, dict):
            return
        article = fed.get("article")
        if isinstance(article, str):
            found = self.by_id.get(article)
            if found is None or found.kind != "article" or found.tier != 0:
                articles = {i: d for i, d in self.by_id.items() if d.kind == "article" and d.tier == 0}
                what = "no document" if found is None else f"{found.rel}, which is not a tier 0 article"
                self.add(document.rel, document.where("fed", "article"), "defect-record", ERROR,
                         f"'fed.article' names '{article}': {what}{did_you_mean(article, articles)}; name the "
                         "known-issue article the feed made, or remove it so the feed makes one")
        runbooks = fed.get("runbooks")
        seen: set[str] = set()
        for index, name in enumerate(runbooks if isinstance(runbooks, list) else ()):
            if not isinstance(name, str):
                continue
            found = self.by_id.get(name)
            problem = ("is named twice" if name in seen else "is no document" if found is None else
                       f"is {found.rel}, which is not a runbook" if found.kind != "runbook" else None)
            seen.add(name)
            if problem:
                self.add(document.rel, document.where("fed", "runbooks", index), "defect-record", ERROR,
                         f"'fed.runbooks' entry '{name}' {problem}; list each runbook the feed gave the defect's "
                         "entry once")

    def check_known_issue_record(self, document: Document) -> None:
        """A known-issue article's ``known_issue.defect`` names the write-up behind it: the feed finds the
        article to update by it; and the article holds one region per defect."""
        self.check_fed_regions(document)
        record = document.meta.get("known_issue")
        name = record.get("defect") if isinstance(record, dict) else None
        if not isinstance(name, str):
            return
        found = self.by_id.get(name)
        if found is None or found.kind != "defect":
            defects = {i: d for i, d in self.by_id.items() if d.kind == "defect"}
            what = "no document" if found is None else f"{found.rel}, which is not a defect"
            self.add(document.rel, document.where("known_issue", "defect"), "defect-record", ERROR,
                     f"'known_issue.defect' names '{name}': {what}{did_you_mean(name, defects)}; name the defect "
                     "write-up behind this known issue, or remove it")

    def check_fed_regions(self, document: Document) -> None:
        """One region of a defect per page, its markers found as the feed finds them: the feed keeps one up to
        date, and a second copy (pasted, or left by a merge) would go on saying what the defect said then."""
        if "kbgen:defect" not in document.body:
            return
        lines, _ = self.scanned(document)
        first: dict[str, int] = {}
        for index, line in enumerate(lines):
            for marker in FED_START_RE.finditer(line):
                number = document.body_line + index
                if marker[1] in first:
                    self.add(document.rel, (number, marker.start() + 1), "feed-region", ERROR,
                             f"a second region of {marker[1]} in this page (the first starts at line "
                             f"{first[marker[1]]}); kbgen defect feed keeps one up to date and would leave the "
                             "other stale: delete one of them, markers too")
                first.setdefault(marker[1], number)


def _fed_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines between ``<!-- kbgen:defect ... -->`` and ``<!-- /kbgen:defect -->``: kbgen defect
    feed owns them (README, "Feeding resolved defects back")."""
    inside, fed = False, set()
    for index, line in enumerate(lines):
        marker = FED_MARKER_RE.match(line)
        if marker:
            inside = not marker[1]
        elif inside:
            fed.add(index)
    return fed


def _plain(text: str) -> str:
    """Text compared as read: case, spacing, Markdown emphasis and the closing full stop left out."""
    return " ".join(re.sub(r"[*_`]", "", text).casefold().split()).rstrip(".")


def _stands_alone(line: str, match: re.Match) -> bool:
    """A match that is a whole word of the line, not the middle of a longer one."""
    before = line[match.start() - 1] if match.start() else " "
    after = line[match.end()] if match.end() < len(line) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _other_layouts(name: str, found: dict) -> str:
    """A hint when the sections found are those of another layout: the runbook may just not declare it."""
    for other in LAYOUTS.values():
        if other.name != name and len(found.keys() & {s.casefold() for s in other.sections}) > 1:
            return f"; its sections are those of the {other.name} layout: declare 'layout: {other.name}'"
    return ""

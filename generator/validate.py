"""Validation rules: everything a careful reviewer checks, without running MkDocs.

Each rule has an id (``frontmatter-unknown-key``, ``link-higher-tier``, ...) documented in
CONTRIBUTING.md; each finding points at ``path:line:col`` and says what to do.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

from . import audience, findings_cache, forks, structure, synonyms
from .content import CONTENT_DIRS, SNIPPETS_DIR, ContentRoot, Document, load, read_text
from .findings import ERROR, WARNING, Finding, did_you_mean
from .inputs import INPUT_RE, TICKET, compiled, declared
from .layouts import DEFAULT as DEFAULT_LAYOUT, LAYOUTS, layout_of
from .rules import apply
from .schemas import FIELD_KINDS, compiled_check, is_date, validator
from .site_config import SiteConfig, of as site_config_of
from .structure import (CODE_SPAN_RE, EXTERNAL_RE, Heading, headings, html_links, includes,
                        markdown_links, paragraphs, sections)
from .writeups import approval_digest

DOCUMENTS_PER_CHUNK = 250  # the rules of one document take about a millisecond
SNIPPET_SPEC_RE = re.compile(r"(?:(?::-?[0-9]*){1,2}(?:,[-0-9:]*)*|:[A-Za-z][-_0-9A-Za-z]*)$")
DEFECT_DATES = ("reported_on", "root_cause_on", "resolved_on")  # in the order they happen
DEFECT_RESOLVED_SECTIONS = ("Customer-facing summary", "Root cause", "Fix")  # level 2; what a resolved defect needs
DEFECT_RESOLVED_FIELDS = {"fixed_in": "the version that carries the fix (quoted)",
                          "resolved_on": "the date the fix was released"}
TODO_RE = re.compile(r"(?<![\w/])TODO:")  # what `kbgen new` leaves for the writer to replace
PLACEHOLDER_RE = re.compile(r"^\s*(?:(?:\d+\.|[-*+])\s+)?TODO:")  # a line that is only a TODO: text
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
BLOCK_OPENER_RE = re.compile(r"^[ \t>]*/{2,}[ \t]*internal\b", re.I)  # what a writer means as an internal block
INNER_FENCE_RE = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*\w")  # opens a fence: no closing line has a language
ESCALATE_WHEN_RE = re.compile(r"\b(?:escalate|hand (?:it )?over)\b.*\bwhen\b", re.I)  # the condition, again
TIER_RE = re.compile(r"\btier\s*([1-3])\b", re.I)
QUEUE_RE = re.compile(r"\b([A-Za-z][\w-]*) queue\b")
FED_MARKER_RE = re.compile(r"^<!-- (/?)kbgen:defect\b")
QUEUE_WORDS = {"the", "a", "its", "this", "that", "same", "right", "their", "our", "your", "tier"}
LIST_ITEM_RE = re.compile(r"^ {0,3}(?:(\d+)\.|[-*+])[ \t]")  # a top-level list item; group 1 when numbered


def _field_name(data, path) -> str:
    """How a writer recognises a field: ``escalation.to_tier``, or ``intent 'billing.refund'`` for list items."""
    parts, node = [], data
    for key in path:
        item = node[key] if isinstance(node, (dict, list)) else None
        if isinstance(key, int):
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(f"[{ident}]" if isinstance(ident, str) else f"[item {key + 1}]")
        else:
            parts.append(("." if parts else "") + str(key))
        node = item
    return "".join(parts)


def _schema_findings(rel: str, data, where, name: str, prefix: tuple = ()) -> list[Finding]:
    """Check ``data`` against a shipped schema, turning each error into a finding with a plain message."""
    check = compiled_check(name)
    if check is not None and check(data):
        return []
    findings = []
    for error in validator(name).iter_errors(data):
        path = prefix + tuple(error.absolute_path)
        field = _field_name(data, error.absolute_path) or "the front matter"
        kind = error.validator
        value = error.instance
        if kind == "additionalProperties":
            allowed = error.schema.get("properties", {})
            for key in sorted(set(value) - set(allowed)):
                line, col = where(path + (key,))
                scope = f" in '{field}'" if error.absolute_path else ""
                findings.append(Finding(rel, line, col, "unknown-key", ERROR,
                                        f"unknown key '{key}'{scope}{did_you_mean(key, allowed)}"
                                        f" (allowed: {', '.join(allowed)})"))
            continue
        line, col = where(path)
        if kind == "required":
            missing = error.message.split("'")[1]
            message = f"missing required field '{missing}'" + (f" in '{field}'" if error.absolute_path else "")
            rule = "missing-field"
        elif kind == "type":
            expected = error.validator_value
            hint = f"; write it without quotes: {error.absolute_path[-1]}: {value}" if (
                expected == "integer" and isinstance(value, str) and value.strip().isdigit()) else ""
            if expected == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
                hint = f'; quote it: "{value}"'
            if value is None:
                message = f"'{field}' is empty; give it {_article(expected)}"
            elif isinstance(value, bool):
                message = f"'{field}' is {str(value).lower()}; it must be {_article(expected)}"
            else:
                message = f"'{field}' must be {_article(expected)}, not {_json_type(value)} {value!r}{hint}"
            rule = "field-type"
        elif kind == "enum":
            choices = error.validator_value
            message = (f"'{field}' is {value!r}; use one of: {', '.join(map(str, choices))}"
                       f"{did_you_mean(value, map(str, choices))}")
            rule = "field-value"
        elif kind in ("minimum", "maximum"):
            message = f"'{field}' is {value}; it must be between {error.schema.get('minimum')} and {error.schema.get('maximum')}"
            rule = "field-value"
        elif kind == "format":
            message = f"'{field}' is {value!r}; write a date as YYYY-MM-DD"
            rule = "field-value"
        elif kind == "pattern":
            message = f"'{field}' is {value!r}, which does not have the expected form. {error.schema.get('description', '')}".rstrip()
            rule = "field-value"
        elif kind == "minItems":
            message = f"'{field}' is empty; list at least one"
            rule = "field-value"
        elif kind == "minLength":
            message = f"'{field}' is empty"
            rule = "field-value"
        elif kind == "uniqueItems":
            message = f"'{field}' lists the same value twice; remove the repeat"
            rule = "field-value"
        else:
            message = f"'{field}': {error.message}"
            rule = "field-value"
        findings.append(Finding(rel, line, col, rule, ERROR, message))
    return findings


def _article(json_type) -> str:
    names = {"integer": "an integer", "string": "text", "array": "a list", "object": "a mapping", "boolean": "true or false"}
    return names.get(json_type, str(json_type))


def _json_type(value) -> str:
    return {str: "text", bool: "a boolean", int: "an integer", float: "a number", list: "a list",
            dict: "a mapping", type(None): "empty"}.get(type(value), type(value).__name__)


class Validator:
    """Runs every rule over a loaded content root."""

    def __init__(self, content: ContentRoot, runbook_layout: str = DEFAULT_LAYOUT):
        self.content = content
        self.runbook_layout = runbook_layout  # the root's default (mkdocs.yml), for runbooks that declare none
        self.findings: list[Finding] = list(content.findings)
        self.by_rel = content.by_rel()
        self.by_url = {d.url.rstrip("/"): d for d in content.documents}
        self.by_id = content.by_id()
        self._headings: dict[str, list] = {}
        self._scanned: tuple[str | None, list[str], audience.Scan | None] = (None, [], None)
        self.reads = findings_cache.Reads()  # what the rules read of files and other documents' parse

    def add(self, rel: str, where: tuple[int, int], rule: str, severity: str, message: str) -> None:
        self.findings.append(Finding(rel, where[0], where[1], rule, severity, message))

    def run(self, settings: SiteConfig | None = None) -> list[Finding]:
        """Every rule; with the root's ``settings``, those on what mkdocs.yml adds to every page too. The
        per-document rules run only where the findings a build kept cannot be taken (:mod:`.findings_cache`)."""
        structure.prepare(self.content)
        self.check_intents_file()
        self.findings += synonyms.read(self.content.root)[1]
        self.check_ids()
        self.check_snippet_files()
        if settings is not None:
            self.check_appended_snippets(settings)
        cache = findings_cache.start(self.content, self.runbook_layout)
        rels = []
        for document in self.content.documents:
            kept = cache.recall(document)
            if kept is None:
                rels.append(document.rel)
            else:
                self.findings += kept
        for checked in forks.chunked(self.check_documents, rels, DOCUMENTS_PER_CHUNK):
            for rel, found, reads in checked:
                self.findings += found
                cache.keep(self.by_rel[rel], found, reads)
        self.check_escalation_chains()
        return sorted(set(self.findings))

    def check_documents(self, rels: list[str]) -> list[tuple[str, list[Finding], dict]]:
        """Per document, the findings of the rules run on it on its own and what they read besides it
        (:meth:`findings_cache.Reads.recorded`), on every core: see :func:`run`."""
        validator = Validator(self.content, self.runbook_layout)
        validator._headings = self._headings
        checked = []
        for rel in rels:
            document = self.by_rel[rel]
            validator.findings, validator.reads = [], findings_cache.Reads()
            validator.check_frontmatter(document)
            validator.check_body(document)
            if document.published:
                validator.check_todo(document)
            checked.append((rel, validator.findings, validator.reads.recorded()))
        return checked

    # intents.yml -----------------------------------------------------------------------------------
    def check_intents_file(self) -> None:
        parsed = self.content.intents_yaml
        if parsed is None or not isinstance(parsed.data, dict):
            return
        rel = "intents.yml"
        self.findings += _schema_findings(rel, parsed.data, parsed.where, "intents")
        seen: dict[str, int] = {}
        area_ids = set(self.content.areas)
        served = self.tiers_by_intent()
        intents = parsed.data.get("intents")
        for index, item in enumerate(intents if isinstance(intents, list) else ()):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            where = parsed.where(("intents", index, "id"))
            if item["id"] in seen:
                self.add(rel, where, "intent-duplicate", ERROR,
                         f"intent '{item['id']}' is already defined at line {seen[item['id']]}; remove one")
            else:
                self.check_resolution_tier(item, served.get(item["id"]),
                                           parsed.where(("intents", index, "resolution_tier")))
            seen.setdefault(item["id"], where[0])
            area = item["id"].split(".", 1)[0]
            if area_ids and area not in area_ids:
                self.add(rel, where, "intent-area", WARNING,
                         f"intent '{item['id']}' belongs to area '{area}', which 'areas:' does not list; add it there"
                         f"{did_you_mean(area, area_ids)}")

    def tiers_by_intent(self) -> dict[str, set[int]]:
        """The tiers of the published documents serving each intent."""
        served: dict[str, set[int]] = {}
        for document in self.content.documents:
            if document.published and document.tier is not None:
                for intent in document.intents:
                    served.setdefault(intent, set()).add(document.tier)
        return served

    def check_resolution_tier(self, item: dict, tiers: set[int] | None, where) -> None:
        """The intent ladder needs a rung where the intent is resolved. An intent no document serves
        yet has no ladder at all and is not reported."""
        tier = item.get("resolution_tier")
        if type(tier) is int and tiers and tier not in tiers:
            what = "article" if tier == 0 else "runbook or article"
            self.add("intents.yml", where, "intent-resolution-gap", WARNING,
                     f"intent '{item['id']}' is resolved at tier {tier}, but no published document of tier {tier} "
                     f"serves it (its documents are tier {', '.join(map(str, sorted(tiers)))}); write a tier {tier} "
                     f"{what} for it, or correct resolution_tier")

    # front matter ----------------------------------------------------------------------------------
    def check_ids(self) -> None:
        seen: dict[str, Document] = {}
        for document in self.content.documents:
            if not isinstance(document.meta.get("id"), str):
                continue
            key = document.id.lower()
            if key in seen:
                self.add(document.rel, document.where("id"), "id-duplicate", ERROR,
                         f"id '{document.id}' is already used by {seen[key].rel}; ids must be unique "
                         "(ignoring case), so pick another")
            else:
                seen[key] = document

    def check_frontmatter(self, document: Document) -> None:
        meta = document.meta
        rel = document.rel
        self.findings += _schema_findings(rel, meta, document.frontmatter.where, "frontmatter")
        kind, tier = meta.get("kind"), document.tier
        if kind == "runbook" and tier == 0:
            self.add(rel, document.where("tier"), "tier-kind", ERROR,
                     "runbooks are for agents and cannot be tier 0; use tier 1, 2 or 3")
        if kind == "defect" and tier is not None and tier != 3:
            self.add(rel, document.where("tier"), "tier-kind", ERROR,
                     f"defect write-ups are tier 3 (this one says {tier}); put customer-facing text in a "
                     "tier 0 known-issue article instead")
        for field, owner_kind in FIELD_KINDS.items():
            if field in meta and kind in ("article", "runbook", "defect") and kind != owner_kind:
                self.add(rel, document.where(field), "field-kind", ERROR,
                         f"'{field}' only applies to {owner_kind}s, and this is {_article_for(kind)}; remove it")
        intents_usable = self.content.intents_yaml is not None
        for index, intent in enumerate(document.intents if intents_usable else ()):
            if intent not in self.content.intents:
                self.add(rel, document.where("intents", index), "intent-unknown", ERROR,
                         f"intent '{intent}' is not defined in intents.yml"
                         f"{did_you_mean(intent, self.content.intents)}; add it there or fix the id")
        escalation = meta.get("escalation")
        if kind == "runbook" and isinstance(escalation, dict):
            self.check_escalation(document, escalation)
        if kind == "runbook" and isinstance(meta.get("inputs"), list):
            self.check_inputs(document)
        if kind == "runbook" and document.published and tier:
            self.check_runbook(document)
        if kind == "defect":
            self.check_defect(document)

    def check_escalation(self, document: Document, escalation: dict) -> None:
        to_tier, tier = escalation.get("to_tier"), document.tier
        if type(to_tier) is int and tier is not None and to_tier <= tier:
            self.add(document.rel, document.where("escalation", "to_tier"), "escalation-tier", ERROR,
                     f"escalation goes to tier {to_tier} from a tier {tier} runbook; escalate to a higher tier")
        target_id = _escalation_runbook(document)
        if target_id is None:
            return
        where = document.where("escalation", "runbook")
        target = self.by_id.get(target_id)
        if target is None:
            self.add(document.rel, where, "escalation-target", ERROR,
                     f"escalation runbook '{target_id}' does not exist{did_you_mean(target_id, self.by_id)}")
        elif target.kind != "runbook":
            self.add(document.rel, where, "escalation-target", ERROR,
                     f"escalation target '{target_id}' ({target.rel}) is {_article_for(target.kind)}, not a runbook")
        elif target.tier is not None and tier is not None and target.tier <= tier:
            self.add(document.rel, where, "escalation-tier", ERROR,
                     f"escalation runbook '{target_id}' is tier {target.tier}, not above this tier {tier} runbook; "
                     "hand over to a runbook of a higher tier")
        elif type(to_tier) is int and target.tier != to_tier:
            self.add(document.rel, where, "escalation-target", ERROR,
                     f"escalation target '{target_id}' is a tier {target.tier} runbook but to_tier is {to_tier}; "
                     "make them agree")
        elif not target.published and document.published:
            self.add(document.rel, where, "escalation-target", ERROR,
                     f"escalation target '{target_id}' is {target.status}, so agents could not open it")

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

    def check_escalation_chains(self) -> None:
        """Following ``escalation.runbook`` from any runbook must come to an end, or a ticket goes round in
        circles. (The tier rules above already forbid it; this names the whole loop.)"""
        following: dict[str, Document] = {}
        for document in self.content.documents:
            target = self.by_id.get(_escalation_runbook(document))
            if document.kind == "runbook" and target is not None and target.kind == "runbook":
                following[document.id] = target
        reported: set[str] = set()
        for start in following:
            chain = [start]
            while chain[-1] in following and following[chain[-1]].id not in chain:
                chain.append(following[chain[-1]].id)
            if chain[-1] not in following or reported.intersection(chain):
                continue
            loop = chain[chain.index(following[chain[-1]].id):]
            reported.update(loop)
            path = " → ".join(loop + loop[:1])
            for member in loop:
                document = self.by_id[member]
                self.add(document.rel, document.where("escalation", "runbook"), "escalation-cycle", ERROR,
                         f"escalations go round in a circle: {path}; each runbook must hand over to a runbook "
                         "of a higher tier, so that the chain ends")

    def check_runbook(self, document: Document) -> None:
        """What makes a runbook usable under pressure: its sections in order, numbered steps, a handover."""
        rel, tier = document.rel, document.tier
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

    def check_todo(self, document: Document) -> None:
        """Template text from ``kbgen new`` must be replaced before a document is published."""
        message = "TODO: text left from the template; replace it with the real text"
        for path, value in _strings(document.meta):
            if TODO_RE.search(value):
                self.add(document.rel, document.where(*path), "todo-text", ERROR,
                         f"'{_field_name(document.meta, path)}': {message}")
        if "TODO:" not in document.body:
            return
        lines, scan = self.scanned(document)
        for index, line in enumerate(lines):
            if not scan.in_code[index] and TODO_RE.search(CODE_SPAN_RE.sub("", line)):
                self.add(document.rel, (document.body_line + index, 1), "todo-text", ERROR, message)

    # body ------------------------------------------------------------------------------------------
    def check_body(self, document: Document) -> None:
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        page_tier = document.tier if document.tier is not None else 0
        unreadable = structure.view(self.content, document, max(audience.TIERS)).unreadable
        if unreadable:  # at the crowded line, if that is why; else the nesting is somewhere in the body
            crowded = structure.crowded_line(document.body)
            self.add(rel, (first + (crowded[0] if crowded else 0), 1), "markdown-too-deep", ERROR, unreadable)
            return
        self.check_markers(document)
        for index, floor in scan.openers:
            if floor <= page_tier and document.tier is not None:
                self.add(rel, (first + index, 1), "internal-redundant", WARNING,
                         f"this internal block is for tier {floor} and above, but the page is already tier "
                         f"{page_tier}; remove the block markers or raise the block's tier")
        comments = structure.view(self.content, document, page_tier).comments
        if document.published and page_tier == audience.PUBLIC_TIER and comments:
            at = next((i for i, line in enumerate(lines) if "<!--" in line and not scan.in_code[i]), 0)
            self.add(rel, (first + at, 1), "html-comment-public", WARNING,
                     f"an HTML comment ('<!--{comments[0][:40]}-->') is published in the page's source, "
                     "where any customer can read it; delete it, or put the note in an internal block")
        for index, spec in includes(lines):
            self.check_snippet(document.rel, (first + index, 1), spec)
        self.check_links(document)

    def check_markers(self, document: Document) -> None:
        """The internal blocks of a document, or of a snippet read as one: as written and as the parser
        reads them."""
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        for event in scan.events:
            where = (first + event.index, 1)
            if event.kind == "bad-argument":
                self.add(rel, where, "internal-argument", ERROR,
                         f"'/// internal | {event.detail}' is not understood; write '/// internal' (tier 1) "
                         "or '/// internal | tier: 2' (or 3)")
            elif event.kind == "unclosed":
                self.add(rel, where, "internal-unclosed", ERROR,
                         "internal block is never closed; add a '///' line (same number of slashes) after it")
            elif event.kind == "unclosed-fence":
                after = any(BLOCK_OPENER_RE.match(structure.as_marker(line)) or structure.marker_lookalike(line)
                            for line in lines[event.index:])
                self.add(rel, where, "fence-unclosed", ERROR if after else WARNING,
                         f"this code fence ('{event.detail}') is never closed, so where the code ends is "
                         "unclear" + (" and the internal blocks after it may be shown as code or text" if after
                                      else "") + f"; close it with a '{event.detail}' line")
            elif event.kind == "no-blank-line":
                self.add(rel, where, "internal-blank-line", WARNING,
                         "an internal block must start after a blank line, or it is read as plain text; "
                         "add a blank line before it")
        self.check_marker_lookalikes(rel, first, lines, scan)
        self.check_hiding(document)

    def check_marker_lookalikes(self, rel: str, first: int, lines: list[str], scan: audience.Scan) -> None:
        """Lines that look like an internal block's marker but that Markdown reads as text, in a document
        or in a snippet a document includes."""
        for index, line in enumerate(lines):  # indented code is the writer's indent, not a fence
            if _may_be_marker(line) and (not scan.in_code[index] or index in scan.indented_code):
                lookalike = structure.marker_lookalike(line)
                if lookalike:
                    self.add(rel, (first + index, 1), "internal-marker", ERROR,
                             f"'{line.strip()}' looks like an internal block marker but is not one, so what "
                             f"follows is shown to every reader of the page: {lookalike}")

    def check_hiding(self, document: Document) -> None:
        """The parser alone decides what a tier sees. Where the document, as written, puts a line inside an
        internal block but the parser shows it in a lower tier's page, or cannot hide a block without
        ambiguity, the document is refused: its writer meant the text to be hidden and it would not be."""
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        if not scan.openers and not structure.view(self.content, document, max(audience.TIERS)).floors \
                and not _marker_lines(lines):
            return
        self.check_openers(document)
        opener = document.body_line + (scan.openers[0][0] if scan.openers else 0)
        for problem in dict.fromkeys(p for _, v in structure.tiers_of(self.content, document, page_tier)
                                     for p in v.ambiguous):
            self.add(document.rel, (opener, 1), "internal-nesting", ERROR, problem)
        for tier in range(page_tier, max(audience.TIERS)):
            leaked = structure.shown_marked_text(self.content, document, tier)
            if leaked:
                at = next((document.body_line + i for i, line in enumerate(lines) if leaked.split()[0] in line.lower()),
                          opener)
                self.add(document.rel, (at, 1), "internal-not-hidden", ERROR,
                         f"the tier {tier} page shows text that Markdown reads as inside an internal block "
                         f"('{leaked}'): the block's markers are read two ways; check their slashes, "
                         "indentation and the blank line before them")
            self.check_written_hidden(document, tier)
        self.check_absorbed(document, page_tier)

    def check_openers(self, document: Document) -> None:
        """Every line a writer means as an internal block's opener is one the parser reads, unless a closed
        fence shows it as code (and a fence that swallows one looks closed only by accident)."""
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        parsed = structure.hidden_lines(self.content, document)
        for index in _marker_lines(lines):  # a look-alike is reported as one, unless it is in code
            line = lines[index]
            meant = BLOCK_OPENER_RE.match(structure.as_marker(line))
            if scan.in_code[index] and index not in scan.indented_code:  # text in a closed fence is text
                start, end = _fence_around(scan, index)
                inner = next((i for i in range(start + 1, end) if INNER_FENCE_RE.match(lines[i])), None)
                if inner is not None:
                    self.add(rel, (first + start, 1), "fence-unclosed", ERROR,
                             f"this code fence seems never closed: line {first + inner} opens another fence inside "
                             f"it, so the internal block at line {first + index} is shown as code to every "
                             "reader; close the fence before it")
            elif meant and parsed[index] == 0:
                self.add(rel, (first + index, 1), "internal-not-hidden", ERROR,
                         "this line opens an internal block as written, but Markdown does not read a block "
                         "here, so every reader sees what follows: " + (
                             "it is indented as code (4 spaces or more outside a list item, admonition or tab)"
                             if index in scan.indented_code else
                             "leave a blank line before it, write the marker alone on its line, and indent it "
                             "like the content around it"))

    def check_written_hidden(self, document: Document, tier: int) -> None:
        """The first line the file puts inside a block above ``tier`` that the tier's page shows anyway."""
        lines, scan = self.scanned(document)
        hidden = [i for i, floor in enumerate(scan.floors) if floor > tier and not scan.in_code[i]]
        if not hidden:
            return
        shown = structure.view(self.content, document, tier)
        shown_words = structure.words(f"{shown.text} {' '.join(shown.heading_text)}")
        visible_words = structure.words(" ".join(line for line, floor in zip(lines, scan.floors) if floor <= tier))
        for index in hidden:
            tokens = structure.words(lines[index])
            if tokens and not structure.BLOCK_MARK_RE.match(lines[index]) and \
                    structure.count_run(shown_words, tokens) > structure.count_run(visible_words, tokens):
                self.add(document.rel, (document.body_line + index, 1), "internal-not-hidden", ERROR,
                         f"this line is inside an internal block as written, but Markdown does not read "
                         f"the block that way, so the tier {tier} page would show it: check the block's "
                         "markers (a '///' line, same number of slashes, no text after it), its blank line "
                         "before, and its indentation inside lists, admonitions and tabs")
                return

    def check_absorbed(self, document: Document, tier: int) -> None:
        """The first line written after a block's end that Markdown takes into the block (an indented line
        after the end belongs to it), so that the page's own tier loses it."""
        lines, scan = self.scanned(document)
        shown = structure.view(self.content, document, tier)
        full = structure.view(self.content, document, max(audience.TIERS))
        if shown is full:
            return
        shown_words = structure.words(f"{shown.text} {' '.join(shown.heading_text)}")
        full_words = structure.words(f"{full.text} {' '.join(full.heading_text)}")
        written_words = structure.words(" ".join(line for line, floor in zip(lines, scan.floors) if floor > tier))
        after_end = False  # the last marker line above is a block's end: the text is written after the block
        for index, line in enumerate(lines):
            if structure.BLOCK_MARK_RE.match(line):
                after_end = not line.strip(" \t>/")
                continue
            tokens = structure.words(line)
            if after_end and scan.floors[index] <= tier and tokens and structure.count_run(full_words, tokens) \
                    - structure.count_run(shown_words, tokens) > structure.count_run(written_words, tokens):
                self.add(document.rel, (document.body_line + index, 1), "internal-absorbed", ERROR,
                         "this line is after the internal block as written, but Markdown takes it into the block "
                         f"(an indented line after the block's end belongs to it), so the tier {tier} page does not "
                         "show it: unindent it, or put it before the block's '///' line if it is internal")
                return

    def check_links(self, document: Document) -> None:
        """Every link and image a tier's page shows must work in that site and lead nowhere higher. The
        pages' own parse says what each tier shows; the file only says where, for the message."""
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        places: dict[str, list[tuple[int, int]]] = {}
        for start, end in paragraphs(lines, scan):
            text = "\n".join(lines[start:end])
            if not ("](" in text or "]:" in text or "=" in text):
                continue
            for offset, url in markdown_links(text):
                places.setdefault(url, []).append(self._position(document, text, start, offset))
            for offset, url in html_links(text):
                where = self._position(document, text, start, offset)
                places.setdefault(url, []).append(where)
                self.check_raw_html_link(document, where, url)
        floors = structure.hidden_lines(self.content, document)
        checked: set[tuple[str, tuple[int, int]]] = set()
        for tier, view in structure.tiers_of(self.content, document, page_tier):
            for url in dict.fromkeys(view.links):
                found = places.get(url, [])
                spots = [w for w in found if floors[w[0] - document.body_line] <= tier] or found[:1] or \
                    [(document.body_line, 1)]
                for where in spots:
                    if (url, where) not in checked:
                        checked.add((url, where))
                        self.check_link(document, where, url, tier, written=bool(found))

    @staticmethod
    def _position(document: Document, text: str, start: int, offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset)
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return document.body_line + start + line, col

    def check_snippet(self, rel: str, where, spec: str) -> Path | None:
        """Includes come only from ROOT/snippets: never a document (it has its own tier), nothing outside.
        Returns the included file when it is acceptable."""
        root = self.content.root
        base = self.reads.resolve(root / SNIPPETS_DIR)
        path = spec if self.reads.exists(base / spec) else SNIPPET_SPEC_RE.sub("", spec)
        if EXTERNAL_RE.match(path):
            self.add(rel, where, "snippet-outside", ERROR,
                     f"'{spec}' is a remote include; copy the text into {SNIPPETS_DIR}/ and include it from there")
            return None
        target = self.reads.resolve(base / path)
        if not target.is_relative_to(base):
            inside_root = target.is_relative_to(root)
            what = ("is a document with a tier of its own and cannot be included"
                    if inside_root and target.relative_to(root).parts[:1] in (("kb",), ("runbooks",))
                    else "is outside the snippets folder")
            self.add(rel, where, "snippet-outside", ERROR,
                     f"'{spec}' {what}; only files in {SNIPPETS_DIR}/ may be included (links that lead out "
                     "of it through '..', absolute paths or symbolic links are refused)")
        elif not self.reads.exists(target) or not self.reads.is_file(target):
            self.add(rel, where, "snippet-missing", ERROR, f"'{spec}' does not exist in {SNIPPETS_DIR}/")
        elif path != spec and _marker_lines((self.reads.text(target, path) or "").split("\n")):
            self.add(rel, where, "snippet-part-internal", ERROR,
                     f"'{spec}' includes part of {SNIPPETS_DIR}/{path}, which has internal blocks: a part can take "
                     "a block's text without its markers, and every tier would show it; include the whole file, "
                     "or move the part into a snippet of its own")
        else:
            return target
        return None

    def check_appended_snippets(self, settings: SiteConfig) -> None:
        """The snippets ``mkdocs.yml`` appends to every page (pymdownx.snippets' ``auto_append``) come from
        ``snippets/`` under the same rules as an include, reported where the setting is written."""
        for index, extension in enumerate(settings.data.get("markdown_extensions") or []):
            options = extension.get("pymdownx.snippets") if isinstance(extension, dict) else None
            appended = options.get("auto_append") if isinstance(options, dict) else None
            for number, spec in enumerate(appended if isinstance(appended, list) else []):
                if isinstance(spec, str):  # MkDocs' own check of the extension's settings reports the rest
                    rel, line, col = settings.position(("markdown_extensions", index, "pymdownx.snippets",
                                                        "auto_append", number))
                    self.check_snippet(rel, (line, col), spec)

    def check_snippet_files(self) -> None:
        """Snippets may include each other: the same rules hold inside them, and no file may lead out."""
        base = self.content.root / SNIPPETS_DIR
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            rel = path.relative_to(self.content.root).as_posix()
            if not path.resolve().is_relative_to(base.resolve()):
                self.add(rel, (1, 1), "snippet-outside", ERROR,
                         f"{rel} is a symbolic link to a file outside {SNIPPETS_DIR}/; copy the text in instead")
            elif path.is_file():
                text, _ = read_text(path, rel)
                for index, spec in includes((text or "").split("\n")):
                    self.check_snippet(rel, (index + 1, 1), spec)
                # Its blocks are checked as a public page's would be: where a page includes it, the same
                # markers (a look-alike, one after an unclosed fence) would show every tier their text.
                self.check_markers(Document(rel, path, {"tier": audience.PUBLIC_TIER}, text or "", 1, None))

    def check_link(self, document: Document, where: tuple[int, int], url: str, visible_from: int,
                   written: bool = True) -> None:
        """``written``: the file shows the link as a link; if not, Markdown reads one in what looks like code
        or plain text, and a target that does not exist is worth a warning, not a refusal."""
        if EXTERNAL_RE.match(url):
            return
        path, _, fragment = url.partition("#")
        path = unquote(path.split("?", 1)[0])
        rel = document.rel
        if not path:
            if fragment:
                self.check_anchor(document, document, fragment, where, visible_from)
            return
        if path.startswith("/"):
            target = self.by_url.get(_site_stem(path))
            self.add(rel, where, "link-absolute", WARNING,
                     f"'{url}' is an absolute site path; it breaks when a site is served under a sub-path. "
                     "Link the .md file with a relative path instead")
            if target is not None:
                self.check_target(document, target, url, where, visible_from)
            return
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
        if resolved == ".." or resolved.startswith("../"):
            self.add(rel, where, "link-outside-root", ERROR,
                     f"'{url}' points outside the content root; link only to files inside it")
            return
        target = self.by_rel.get(resolved) or self.by_rel.get(resolved + ".md") or \
            self.by_rel.get(resolved.rstrip("/") + "/index.md")
        if target is None and not path.endswith(".md"):
            target = self.by_url.get(resolved.rstrip("/"))
        if target is not None:
            self.check_target(document, target, url, where, visible_from)
            if fragment:
                self.check_anchor(document, target, fragment, where, visible_from)
            return
        if path.endswith(".md"):
            self.add(rel, where, "link-broken", ERROR,
                     f"'{url}' does not lead to a document (looked for {resolved})"
                     f"{did_you_mean(resolved, self.by_rel)}")
        elif not self.reads.exists(self.content.root / resolved):
            if written:
                self.add(rel, where, "link-broken", ERROR, f"'{url}' does not exist (looked for {resolved})")
            else:
                self.add(rel, where, "link-broken", WARNING,
                         f"Markdown reads a link to '{url}' in this page, which leads nowhere; if it is code, put "
                         "it in a fenced code block or backticks")
        elif resolved.split("/", 1)[0] in CONTENT_DIRS and audience.file_tier(self.content, resolved) > visible_from:
            tier = audience.file_tier(self.content, resolved)
            self.add(rel, where, "link-higher-tier", ERROR,
                     f"links to {resolved}, a file kept with tier {tier} content, from a tier {visible_from} "
                     f"{'page' if visible_from == document.tier else 'internal block'}: a site below tier {tier} "
                     f"does not carry it; move the file beside the documents of the tier that may show it, or "
                     f"the link inside {'/// internal' if tier == 1 else f'/// internal | tier: {tier}'}")

    def check_raw_html_link(self, document: Document, where, url: str) -> None:
        """MkDocs rewrites Markdown links for the built site but leaves raw HTML as written."""
        if not (EXTERNAL_RE.match(url) or url.startswith(("#", "/"))):
            self.add(document.rel, where, "link-raw-html", WARNING,
                     f"'{url}' is in raw HTML, which is not rewritten for the built site, so this relative path "
                     "breaks there; use Markdown instead: [text](path) or ![alt text](path)")

    def check_target(self, document: Document, target: Document, url: str, where, visible_from: int) -> None:
        if target.tier is not None and target.tier > visible_from:
            source = f"a tier {visible_from} page" if visible_from == document.tier else \
                f"a tier {visible_from} internal block"
            fix = ("'/// internal'" if target.tier == 1 else f"'/// internal | tier: {target.tier}'")
            self.add(document.rel, where, "link-higher-tier", ERROR,
                     f"links to {target.rel} (tier {target.tier}) from {source}: the link "
                     f"would be broken in the tier {visible_from} site and reveals the page exists; "
                     f"move it inside {fix} or link a tier {visible_from} page")
        elif not target.published and document.published:
            self.add(document.rel, where, "link-unpublished", ERROR,
                     f"links to {target.rel}, which is {target.status} and not built; link a published page")

    def check_anchor(self, document: Document, target: Document, fragment: str, where, visible_from: int) -> None:
        """The anchor must exist in every site that shows the link (hidden headings shift the numbering)."""
        tiers = range(max(visible_from, target.tier or 0), max(audience.TIERS) + 1)
        missing = [t for t in tiers if fragment not in self.anchors(target, t)]
        if not missing:
            return
        anywhere = self.anchors(target, max(audience.TIERS))
        if len(missing) == len(tiers) and fragment not in anywhere:
            self.add(document.rel, where, "link-anchor", WARNING,
                     f"'#{fragment}' is not a heading in {target.rel}{did_you_mean(fragment, anywhere)}")
        elif missing[0] == visible_from:
            self.add(document.rel, where, "link-anchor", ERROR,
                     f"'#{fragment}' in {target.rel} is inside an internal block, so it does not exist in the "
                     f"tier {visible_from} site; link the page without the anchor")
        else:
            self.add(document.rel, where, "link-anchor", WARNING,
                     f"'#{fragment}' in {target.rel} is a different heading in the tier {missing[0]} site, "
                     "because an internal heading of the same name comes first; give the heading an explicit "
                     "id, e.g. '## Steps {#steps-public}', and link that")

    def anchors(self, document: Document, tier: int) -> set[str]:
        """Ids in a document's page in the tier ``tier`` site: headings as the toc extension names them
        (hidden headings shift the numbering), steps, footnotes and HTML ids."""
        self.reads.parse_of(document)
        return structure.view(self.content, document, tier).ids

    def headings(self, document: Document) -> list[Heading]:
        """Where the document's headings are in the file, each with the lowest tier whose page shows it."""
        if document.rel not in self._headings:
            self._headings[document.rel] = headings(document.body, structure.hidden_lines(self.content, document))
        return self._headings[document.rel]

    def scanned(self, document: Document) -> tuple[list[str], audience.Scan]:
        """A document's body lines and how they read as written (code, block markers), for positions and
        for what the writer meant. Only the last document's lines are kept: rules read one at a time."""
        if self._scanned[0] != document.rel:
            self._scanned = document.rel, document.body.split("\n"), audience.body_scan(self.content, document)
        return self._scanned[1], self._scanned[2]


def _escalation_runbook(document: Document) -> str | None:
    """The id in a runbook's ``escalation.runbook``, if it is text (the schema reports any other value)."""
    escalation = document.meta.get("escalation")
    target = escalation.get("runbook") if isinstance(escalation, dict) else None
    return target if isinstance(target, str) else None


def _marker_lines(lines: list[str]) -> list[int]:
    """Indexes of the lines a writer means as an internal block's opener, spelt right or not."""
    return [index for index, line in enumerate(lines) if _may_be_marker(line) and (
        BLOCK_OPENER_RE.match(structure.as_marker(line)) or structure.marker_lookalike(line))]


def _may_be_marker(line: str) -> bool:
    """Cheap and exact: a marker, or a look-alike of one, has a slash or a character that reads as one."""
    return "/" in line or not line.isascii()


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


def _fence_around(scan: audience.Scan, index: int) -> tuple[int, int]:
    """First and last line of the fenced code block holding line ``index``."""
    def fenced(i: int) -> bool:
        return scan.in_code[i] and i not in scan.indented_code

    start = end = index
    while start > 0 and fenced(start - 1):
        start -= 1
    while end + 1 < len(scan.in_code) and fenced(end + 1):
        end += 1
    return start, end


def _article_for(kind: str) -> str:
    return {"article": "an article", "runbook": "a runbook", "defect": "a defect"}.get(kind, f"'{kind}'")


def _strings(value, path: tuple = ()):
    """(path, text) of every text value in front matter, nested ones included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _site_stem(path: str) -> str:
    stem = path.strip("/")
    for suffix in ("index.html", ".html", ".md", "/index"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem.strip("/")


def validate(root, rules: dict[str, str] | None = None) -> list[Finding]:
    """Validate a content root (a path or an already loaded :class:`ContentRoot`) and its mkdocs.yml with the
    severities ``rules`` chooses (see :mod:`generator.rules`), by default those in the root's mkdocs.yml."""
    content = root if isinstance(root, ContentRoot) else load(root)
    settings = site_config_of(content)
    chosen = settings.rules if rules is None else rules
    return apply(Validator(content, settings.runbook_layout).run(settings) + settings.findings, chosen)

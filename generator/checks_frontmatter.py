"""Rules on front matter, ids and intents.yml: the fields that decide which sites show a document, where it
escalates, and what the intents point at.
"""

from __future__ import annotations


from .content import Document, odd_character
from .findings import ERROR, WARNING, Finding, did_you_mean
from .schemas import FIELD_KINDS, compiled_check, validator


class FrontMatterRules:
    """The front matter and intents.yml rules of :class:`generator.validate.Validator`, a mixin: they share its
    state (``add``, ``content``, ``scanned``, ...)."""

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

    def check_invisible_characters(self, document: Document) -> None:
        """No value holds a control character (but tabs and line breaks) or a Unicode non-character: no
        reader sees one, a page shows it as nothing, the Atom feed of known issues stops being XML, and
        `kbgen search` would send it to the terminal (an escape sequence clears the screen)."""
        for path, text in _strings(document.meta):
            odd = odd_character(text)
            if odd is not None:
                self.add(document.rel, document.where(*path), "field-value", ERROR,
                         f"this value holds U+{ord(odd):04X}, a control character no reader sees, which breaks "
                         "the known-issues feed and terminals; delete it")

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
        self.check_invisible_characters(document)
        escalation = meta.get("escalation")
        if kind == "runbook" and isinstance(escalation, dict):
            self.check_escalation(document, escalation)
        if kind == "runbook" and isinstance(meta.get("inputs"), list):
            self.check_inputs(document)
        if kind == "runbook" and document.published and tier:
            self.check_runbook(document)
        if kind == "defect":
            self.check_defect(document)
        if kind == "article":
            self.check_known_issue_record(document)

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


def field_name(data, path) -> str:
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
        field = field_name(data, error.absolute_path) or "the front matter"
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
        rule = {"required": "missing-field", "type": "field-type"}.get(kind, "field-value")
        if kind == "required":
            missing = error.message.split("'")[1]
            message = f"missing required field '{missing}'" + (f" in '{field}'" if error.absolute_path else "")
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
        elif kind == "enum":
            choices = error.validator_value
            message = (f"'{field}' is {value!r}; use one of: {', '.join(map(str, choices))}"
                       f"{did_you_mean(value, map(str, choices))}")
        elif kind in ("minimum", "maximum"):
            message = f"'{field}' is {value}; it must be between {error.schema.get('minimum')} and {error.schema.get('maximum')}"
        elif kind == "format":
            message = f"'{field}' is {value!r}; write a date as YYYY-MM-DD"
        elif kind == "pattern":
            message = f"'{field}' is {value!r}, which does not have the expected form. {error.schema.get('description', '')}".rstrip()
        elif kind == "minItems":
            message = f"'{field}' is empty; list at least one"
        elif kind == "minLength":
            message = f"'{field}' is empty"
        elif kind == "uniqueItems":
            message = f"'{field}' lists the same value twice; remove the repeat"
        else:
            message = f"'{field}': {error.message}"
        findings.append(Finding(rel, line, col, rule, ERROR, message))
    return findings


def _article(json_type) -> str:
    names = {"integer": "an integer", "string": "text", "array": "a list", "object": "a mapping", "boolean": "true or false"}
    return names.get(json_type, str(json_type))


def _json_type(value) -> str:
    return {str: "text", bool: "a boolean", int: "an integer", float: "a number", list: "a list",
            dict: "a mapping", type(None): "empty"}.get(type(value), type(value).__name__)


def _escalation_runbook(document: Document) -> str | None:
    """The id in a runbook's ``escalation.runbook``, if it is text (the schema reports any other value)."""
    escalation = document.meta.get("escalation")
    target = escalation.get("runbook") if isinstance(escalation, dict) else None
    return target if isinstance(target, str) else None


def _article_for(kind: str) -> str:
    return {"article": "an article", "runbook": "a runbook", "defect": "a defect"}.get(kind, f"'{kind}'")


def strings_in(value, path: tuple = ()):
    """(path, text) of every text value in front matter, nested ones included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, path + (index,))


def _strings(value, path: tuple = ()):
    """(path, text) of every key and string in a front matter value, nested ones included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield path + (key,), key
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))

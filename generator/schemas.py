"""The content contract: the JSON Schemas kbgen ships for front matter and ``intents.yml``, and the fields
that belong to one kind of document. Validation checks documents against them; the editor's language
server and ``kbgen new`` read them for completion and templates."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from pathlib import Path

import fastjsonschema

SCHEMA_DIR = Path(__file__).parent / "schema"
FIELD_KINDS = {  # fields that only make sense on one kind of document
    "escalation": "runbook",
    "layout": "runbook",
    "inputs": "runbook",
    "known_issue": "article",
    "severity": "defect",
    "state": "defect",
    "affected_versions": "defect",
    "fixed_in": "defect",
    "reported_on": "defect",
    "root_cause_on": "defect",
    "resolved_on": "defect",
    "fed": "defect",
    "customer_update": "defect",
    "agent_workaround": "defect",
    "recurrence_of": "defect",
}


@functools.cache
def schema(name: str) -> dict:
    """A JSON Schema shipped in the package (``frontmatter`` or ``intents``)."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def validator(name: str):
    """jsonschema's validator of a shipped schema: it says what is wrong and where, for the findings."""
    from jsonschema import Draft202012Validator, validators

    # YAML has real integers: 1.0 is a float to YAML and to kbgen, whatever JSON Schema says.
    types = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
    strict = validators.extend(Draft202012Validator, type_checker=types)
    return strict(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


# The keywords fastjsonschema reads as jsonschema does. A schema using any other is checked by jsonschema alone.
FAST_KEYWORDS = frozenset({"$schema", "$id", "title", "description", "default", "type", "enum", "format", "pattern",
                           "minLength", "minimum", "maximum", "items", "minItems", "uniqueItems", "properties",
                           "required", "additionalProperties"})
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _keywords(node: dict) -> set[str]:
    """Every keyword a schema uses, in it and in the schemas of its properties and items."""
    found = set(node)
    for sub in [*node.get("properties", {}).values(), node.get("items")]:
        if isinstance(sub, dict):
            found |= _keywords(sub)
    return found


@functools.cache
def compiled_check(name: str):
    """A compiled yes/no check against a shipped schema, or None when it cannot stand in for jsonschema.

    jsonschema, which can say what is wrong, takes ten times as long to find that nothing is; nearly every
    document conforms, and only the others are given to it."""
    if not _keywords(schema(name)) <= FAST_KEYWORDS:
        return None
    check = fastjsonschema.compile(schema(name), use_default=False,  # a default must not become data
                                   formats={"date": _is_iso_date})

    def conforms(data) -> bool:
        if _holds_float(data):  # fastjsonschema follows JSON Schema: 1.0 would pass as an integer
            return False
        try:
            check(data)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True
    return conforms


def _is_iso_date(value: str) -> bool:
    """jsonschema's "date" format: YYYY-MM-DD, and a day that exists."""
    return bool(ISO_DATE_RE.fullmatch(value)) and is_date(value)


def _holds_float(value) -> bool:
    if isinstance(value, float):
        return True
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        if _holds_float(item):
            return True
    return False


def is_date(value) -> bool:
    """An ISO date as loading leaves it (text); schema errors about other values are reported apart."""
    try:
        return isinstance(value, str) and bool(_dt.date.fromisoformat(value))
    except ValueError:
        return False

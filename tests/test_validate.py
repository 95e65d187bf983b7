"""Validation rules: bad files, front matter, intents.yml, body links and internal blocks, the schema.

Every expectation names the rule id, the file and the exact line, so a finding that moves or changes
rule fails the test. ``BAD_FILES`` is shared with ``test_cli_validate.py``, which runs the same roots
through the command line.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from cases import (B_BODY, BAD_FILES, LINK, body_root, bom, describe, line_of, make_case, page, runbook,
                   write)
from conftest import INTENTS
from generator.content import load
from generator.findings import ERROR, WARNING, Finding
from generator.schemas import compiled_check, validator
from generator.validate import validate

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "generator" / "schema" / "frontmatter.schema.json"

@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_reported_at_its_line(make_root, name):
    case = BAD_FILES[name]
    findings = validate(make_case(make_root, name))
    for expect in case.expect:
        assert any(expect.matches(f) for f in findings), (
            f"expected {expect.severity} [{'|'.join(sorted(expect.rules()))}] at {expect.path}:{expect.line}"
            f" mentioning {expect.contains}; got:\n{describe(findings)}")
    if case.only:
        extra = [f for f in findings if not any(e.matches(f) for e in case.expect)]
        assert not extra, f"unexpected findings:\n{describe(extra)}"


def test_findings_are_sorted_and_unique(make_root):
    make_case(make_root, "unknown-key-tittle")
    make_root.file("kb/b.md", page(id="b", tier="7"))
    findings = validate(make_root.path)
    assert findings == sorted(set(findings))
    assert [(f.path, f.line, f.rule) for f in findings] == [
        ("kb/a.md", 2, "missing-field"), ("kb/a.md", 6, "unknown-key"), ("kb/b.md", 5, "field-value")]


def test_rules_run_in_forked_processes_find_what_one_process_finds(make_root, monkeypatch):
    """A large root's per-document rules run in chunks on every core: the findings are the same."""
    for number in range(12):
        problem = ["", "\nSee [gone](missing.md).\n", "\n/// internal\nNever closed.\n", "\nTODO: write this.\n"]
        make_root.file(f"kb/d{number}.md", page(id=f"d{number}") + problem[number % 4])
    make_root.file("kb/bad.md", page(id="bad", tier="7"))
    alone = validate(make_root.path)
    assert {f.rule for f in alone} >= {"field-value", "internal-unclosed", "todo-text", "link-broken"}
    monkeypatch.setattr("generator.forks.PARALLEL_FROM", 0)
    monkeypatch.setattr("generator.validate.DOCUMENTS_PER_CHUNK", 2)
    assert validate(make_root.path) == alone


def test_bom_file_is_still_loaded_and_checked(make_root):
    """After a BOM the rest of the file is still read, so its other mistakes are reported too."""
    make_root.file("kb/a.md", bom(page(tier="9")))
    rules = {(f.line, f.rule) for f in validate(make_root.path)}
    assert rules == {(1, "file-bom"), (5, "field-value")}


def test_unknown_key_lists_the_allowed_keys(make_root):
    make_root.file("kb/a.md", page(extra=("colour: blue",)))
    [finding] = validate(make_root.path)
    assert (finding.line, finding.rule) == (7, "unknown-key")
    assert "did you mean" not in finding.message
    for key in ("id", "title", "kind", "tier", "intents", "summary", "status", "owner", "review_by", "tags"):
        assert key in finding.message


@pytest.mark.parametrize("extra", [
    (),
    ("summary: One sentence.", "status: published", "owner: Support docs", "review_by: 2026-01-31",
     "tags: [password, email]"),
    ("status: archived",),
])
def test_valid_optional_fields_give_no_findings(make_root, extra):
    make_root.file("kb/a.md", page(extra=extra))
    assert validate(make_root.path) == []


def test_yaml_merge_key_with_its_own_keys_is_no_duplicate(make_root):
    """Keys written beside ``<<: *anchor`` replace the merged ones: that is what a merge is for."""
    make_root.file("intents.yml", INTENTS.replace("  - id: account\n", "  - &account\n    id: account\n")
                   .replace("  - id: billing\n    title: Billing\n", "  - {<<: *account, id: billing, title: Billing}\n"))
    assert validate(make_root.path) == []
    billing = load(make_root.path).areas["billing"]
    assert (billing.title, billing.description) == ("Billing", "Signing in, passwords and two-factor authentication.")


def test_valid_defect_and_runbook_chain_give_no_findings(make_root):
    write(make_root, {
        "kb/known-issue.md": page(id="known-issue"),
        "kb/defects/def-0042.md": page(
            "# A\n\n## Customer-facing summary\n\nPDFs were wrong.\n\n## Root cause\n\nA bug.\n\n"
            "## Fix\n\nFixed.\n", id="DEF-0042", kind="defect", tier="3",
            extra=("severity: P2", "state: resolved", "affected_versions: ['2025.9.1', '2025.10.0']",
                   "fixed_in: '2025.10.2'", "reported_on: 2025-09-30", "root_cause_on: 2025-10-02",
                   "resolved_on: 2025-10-07")),
        "runbooks/tier1/reset.md": runbook("reset", tier=1, escalation="{to_tier: 2, when: stuck, runbook: reset-2}"),
        "runbooks/tier2/reset.md": runbook("reset-2", tier=2, escalation="{to_tier: 3, when: stuck, runbook: reset-3}"),
        "runbooks/tier3/reset.md": runbook("reset-3", tier=3),
    })
    assert validate(make_root.path) == []


# --------------------------------------------------------------------------------------------------
# 2. Body rules
# --------------------------------------------------------------------------------------------------

def findings_for(findings: list[Finding], rel: str = "kb/a.md") -> set[tuple[int, str, str]]:
    return {(f.line, f.rule, f.severity) for f in findings if f.path == rel}


def test_body_root_alone_is_clean(make_root):
    body_root(make_root, "# A\n\nSee [b](b.md).\n")
    assert validate(make_root.path) == []



# name -> (body of kb/a.md, [(marker of the line, rule, severity), ...]); an empty list means no findings.
BODY_CASES = {
    # --- links to a higher tier, written in every way Markdown allows -----------------------------
    "inline-relative": (f"# A\n\n{LINK}\n", [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "inline-with-title": ('# A\n\nSee [r](../runbooks/r.md "The runbook").\n',
                          [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "inline-angle-brackets": ("# A\n\nSee [r](<../runbooks/r.md>).\n", [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "inline-directory-url": ("# A\n\nSee [r](../runbooks/r/).\n", [("runbooks/r", "link-higher-tier", ERROR)]),
    "inline-with-anchor": ("# A\n\nSee [r](../runbooks/r.md#r).\n", [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "image": ("# A\n\n![diagram](../runbooks/r.md)\n", [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "in-a-table": ("# A\n\n| Step | Where |\n| --- | --- |\n| 1 | [r](../runbooks/r.md) |\n",
                   [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "in-a-blockquote": ("# A\n\n> See [r](../runbooks/r.md).\n", [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "in-a-list": ("# A\n\n1. Open the app.\n2. See [r](../runbooks/r.md).\n",
                  [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "reference-style": ("# A\n\nSee [the steps][ref].\n\n[ref]: ../runbooks/r.md\n",
                        [("[ref]:", "link-higher-tier", ERROR)]),
    "reference-style-with-title": ('# A\n\nSee [the steps][ref].\n\n[ref]: ../runbooks/r.md "Steps"\n',
                                   [("[ref]:", "link-higher-tier", ERROR)]),
    "html-a-href": ('# A\n\nSee <a href="../runbooks/r.md">the steps</a>.\n',
                    [("runbooks/r.md", "link-higher-tier", ERROR), ("runbooks/r.md", "link-raw-html", WARNING)]),
    "html-a-href-single-quotes": ("# A\n\nSee <a class='x' href='../runbooks/r.md'>the steps</a>.\n",
                                  [("runbooks/r.md", "link-higher-tier", ERROR),
                                   ("runbooks/r.md", "link-raw-html", WARNING)]),
    "html-img-relative": ('# A\n\n<img src="img/x.png" alt="x">\n',
                          [("img/x.png", "link-broken", ERROR), ("img/x.png", "link-raw-html", WARNING)]),
    "html-a-external": ('# A\n\n<a href="https://status.example.com/">status</a>\n', []),
    "absolute-site-path": ("# A\n\nSee [r](/runbooks/r/).\n",
                           [("/runbooks/r/", "link-absolute", WARNING), ("/runbooks/r/", "link-higher-tier", ERROR)]),
    "absolute-site-path-md": ("# A\n\nSee [r](/runbooks/r.md).\n",
                              [("/runbooks/r.md", "link-absolute", WARNING),
                               ("/runbooks/r.md", "link-higher-tier", ERROR)]),
    "absolute-site-path-same-tier": ("# A\n\nSee [b](/kb/b/).\n", [("/kb/b/", "link-absolute", WARNING)]),
    "after-an-escaped-backslash": ("# A\n\nThe share is C:\\\\[r](../runbooks/r.md).\n",
                                   [("runbooks/r.md", "link-higher-tier", ERROR)]),
    # --- internal blocks ------------------------------------------------------------------------
    "internal-tier-1-to-tier-1": (f"# A\n\n/// internal\n\n{LINK}\n\n///\n", []),
    "internal-tier-2-to-tier-2": ("# A\n\n/// internal | tier: 2\n\nSee [r2](../runbooks/r2.md).\n\n///\n", []),
    "internal-tier-3-to-tier-2": ("# A\n\n/// internal | tier: 3\n\nSee [r2](../runbooks/r2.md).\n\n///\n", []),
    "internal-tier-equals-form": ("# A\n\n/// internal | tier=2\n\nSee [r2](../runbooks/r2.md).\n\n///\n", []),
    "internal-reference-definition": ("# A\n\n/// internal\n\nSee [the steps][ref].\n\n[ref]: ../runbooks/r.md\n\n///\n",
                                      []),
    "internal-html-link": ('# A\n\n/// internal\n\n<a href="../runbooks/r.md">steps</a>\n\n///\n',
                           [("runbooks/r.md", "link-raw-html", WARNING)]),
    "internal-tier-1-to-tier-2": ("# A\n\n/// internal\n\nSee [r2](../runbooks/r2.md).\n\n///\n",
                                  [("runbooks/r2.md", "link-higher-tier", ERROR)]),
    "internal-tier-2-to-absolute-tier-2": ("# A\n\n/// internal | tier: 2\n\nSee [r2](/runbooks/r2/).\n\n///\n",
                                           [("/runbooks/r2/", "link-absolute", WARNING)]),
    "link-after-the-block-closes": (f"# A\n\n/// internal\n\nInside.\n\n///\n\n{LINK}\n",
                                    [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "internal-in-a-list-item": (f"# A\n\n1. Open the app.\n\n    /// internal\n\n    {LINK}\n\n    ///\n\n2. Done.\n", []),
    "internal-in-a-list-item-too-low": (
        "# A\n\n1. Open the app.\n\n    /// internal\n\n    See [r2](../runbooks/r2.md).\n\n    ///\n\n2. Done.\n",
        [("runbooks/r2.md", "link-higher-tier", ERROR)]),
    "internal-in-a-nested-list": (
        f"# A\n\n- Sign in.\n    - Open settings.\n\n        /// internal\n\n        {LINK}\n\n        ///\n", []),
    "internal-unclosed": ("# A\n\n/// internal\n\nOnly agents.\n", [("/// internal", "internal-unclosed", ERROR)]),
    "internal-bad-tier-9": ("# A\n\n/// internal | tier: 9\n\nx\n\n///\n",
                            [("/// internal", "internal-argument", ERROR)]),
    "internal-bad-tier-0": ("# A\n\n/// internal | tier: 0\n\nx\n\n///\n",
                            [("/// internal", "internal-argument", ERROR)]),
    "internal-bad-argument-word": ("# A\n\n/// internal | agents only\n\nx\n\n///\n",
                                   [("/// internal", "internal-argument", ERROR)]),
    # --- code is not Markdown --------------------------------------------------------------------
    "fenced-code": ("# A\n\n```markdown\n[r](../runbooks/r.md)\n[ref]: ../runbooks/r.md\n```\n", []),
    "tilde-fenced-code": ("# A\n\n~~~\n<a href=\"../runbooks/r.md\">r</a>\n~~~\n", []),
    "fenced-code-in-a-list": ("# A\n\n- Example:\n\n    ```\n    [r](../runbooks/r.md)\n    ```\n", []),
    "inline-code-span": ("# A\n\nWrite `[r](../runbooks/r.md)` to link it.\n", []),
    "double-backtick-code-span": ("# A\n\nWrite ``[r](../runbooks/r.md)`` to link it.\n", []),
    "internal-inside-fenced-code": ("# A\n\n```\n/// internal\n```\n\n" + LINK + "\n",
                                    [("runbooks/r.md", "link-higher-tier", ERROR)]),
    "internal-close-inside-fenced-code": ("# A\n\n/// internal\n\n```\n///\n```\n\n" + LINK + "\n\n///\n", []),
    # --- other link rules ------------------------------------------------------------------------
    "link-to-draft": ("# A\n\nSee [d](draft.md).\n", [("draft.md", "link-unpublished", ERROR)]),
    "link-outside-root": ("# A\n\nSee [p](../../etc/passwd).\n", [("passwd", "link-outside-root", ERROR)]),
    "link-outside-root-md": ("# A\n\nSee [p](../../../other/x.md).\n", [("other/x.md", "link-outside-root", ERROR)]),
    "link-broken-md": ("# A\n\nSee [p](nope.md).\n", [("nope.md", "link-broken", ERROR)]),
    "link-broken-file": ("# A\n\n![p](img/nope.png)\n", [("nope.png", "link-broken", ERROR)]),
    "external-links": ("# A\n\nSee [x](https://example.com/runbooks/r.md), [m](mailto:help@example.com) "
                       "and [p](//cdn.example.com/r.md).\n", []),
    # --- anchors ---------------------------------------------------------------------------------
    "anchor-existing": ("# A\n\nSee [b](b.md#reset-your-password).\n", []),
    "anchor-missing": ("# A\n\nSee [b](b.md#reset-password).\n", [("b.md#", "link-anchor", WARNING)]),
    "anchor-in-tier-2-block": ("# A\n\nSee [b](b.md#secret-steps).\n", [("b.md#", "link-anchor", ERROR)]),
    "anchor-in-tier-2-block-from-tier-2-block": (
        "# A\n\n/// internal | tier: 2\n\nSee [b](b.md#secret-steps).\n\n///\n", []),
    "anchor-on-same-page": ("# A\n\n## Before you start\n\nSee [below](#before-you-start).\n", []),
    "anchor-on-same-page-missing": ("# A\n\nSee [below](#nowhere).\n", [("#nowhere", "link-anchor", WARNING)]),
    "anchor-on-same-page-hidden": ("# A\n\nSee [below](#agent-notes).\n\n/// internal | tier: 2\n\n"
                                   "## Agent notes\n\nx\n\n///\n", [("#agent-notes", "link-anchor", ERROR)]),
    # --- escaped brackets are text -------------------------------------------------------------
    "escaped-brackets": ("# A\n\nUse Foo\\[T\\](bar) for generics.\n", []),
    "escaped-brackets-runbook-path": ("# A\n\nUse Foo\\[T\\](../runbooks/r.md) for generics.\n", []),
}


@pytest.mark.parametrize("name", list(BODY_CASES))
def test_body_rules(make_root, name):
    body, expected = BODY_CASES[name]
    text = body_root(make_root, body)
    body_start = line_of(text, "# A")
    want = {(line_of(text, marker, start=body_start), rule, severity) for marker, rule, severity in expected}
    findings = validate(make_root.path)
    assert findings_for(findings) == want, describe(findings)
    assert not [f for f in findings if f.path != "kb/a.md"], describe(findings)


def test_higher_tier_link_position_and_message(make_root):
    text = body_root(make_root, f"# A\n\n{LINK}\n")
    [finding] = validate(make_root.path)
    line = line_of(text, LINK)
    assert (finding.path, finding.line, finding.col) == ("kb/a.md", line, LINK.index("../runbooks") + 1)
    assert finding.rule == "link-higher-tier" and finding.severity == ERROR
    assert "runbooks/r.md (tier 1)" in finding.message
    assert "tier 0 page" in finding.message
    assert "'/// internal'" in finding.message


def test_higher_tier_link_from_internal_block_names_the_block(make_root):
    body_root(make_root, "# A\n\n/// internal\n\nSee [r2](../runbooks/r2.md).\n\n///\n")
    [finding] = validate(make_root.path)
    assert finding.rule == "link-higher-tier"
    assert "tier 1 internal block" in finding.message
    assert "'/// internal | tier: 2'" in finding.message


def test_internal_block_in_list_item_keeps_later_text_public(make_root):
    """After a nested block closes, the rest of the list item is public again."""
    body = f"# A\n\n1. One.\n\n    /// internal\n\n    Agents only.\n\n    ///\n\n    {LINK}\n"
    text = body_root(make_root, body)
    findings = validate(make_root.path)
    assert findings_for(findings) == {(line_of(text, LINK), "link-higher-tier", ERROR)}, describe(findings)


def test_unclosed_block_hides_everything_after_it(make_root):
    """An unclosed block runs to the end of the page, so a link after it is not a public link."""
    text = body_root(make_root, f"# A\n\n/// internal\n\nAgents.\n\n{LINK}\n")
    findings = validate(make_root.path)
    assert findings_for(findings) == {(line_of(text, "/// internal"), "internal-unclosed", ERROR)}, describe(findings)


def test_page_of_tier_1_may_link_tier_1(make_root):
    body_root(make_root, f"# A\n\n{LINK}\n", tier=1)
    assert validate(make_root.path) == []


def test_internal_block_on_page_of_same_tier_is_redundant(make_root):
    text = body_root(make_root, "# A\n\n/// internal\n\nx\n\n///\n", tier=1)
    findings = validate(make_root.path)
    assert findings_for(findings) == {(line_of(text, "/// internal"), "internal-redundant", WARNING)}


# Links Python-Markdown renders as links but kbgen does not see: each leaks a higher-tier page into the
# public site without a finding. (name -> body, markers of the lines the finding may be on)
MULTI_LINE_LINKS = {
    "link-text-over-two-lines": ("# A\n\nSee [the reset\nrunbook](../runbooks/r.md) now.\n",
                                 ("See [the reset", "runbooks/r.md")),
    "reference-definition-url-on-next-line": ("# A\n\nSee [the steps][ref].\n\n[ref]:\n    ../runbooks/r.md\n",
                                              ("[ref]:", "runbooks/r.md")),
    "html-attribute-on-next-line": ('# A\n\nSee <a class="btn"\n   href="../runbooks/r.md">the steps</a>.\n',
                                    ("<a class", "runbooks/r.md")),
}


@pytest.mark.parametrize("name", list(MULTI_LINE_LINKS))
def test_higher_tier_link_split_over_lines(make_root, name):
    body, markers = MULTI_LINE_LINKS[name]
    text = body_root(make_root, body)
    start = line_of(text, "# A")
    lines = {line_of(text, marker, start=start) for marker in markers}
    findings = validate(make_root.path)
    hits = [f for f in findings if f.path == "kb/a.md" and f.rule == "link-higher-tier" and f.line in lines]
    assert hits, f"no link-higher-tier at kb/a.md lines {sorted(lines)}:\n{describe(findings)}"


def test_anchor_to_public_heading_that_repeats_a_hidden_one(make_root):
    """A tier 0 page has '## Steps' in a tier 2 block and a public '## Steps' after it.

    In the tier 0 site the hidden heading is gone, so the public one's anchor is '#steps'; a public
    link to '#steps' works there and must not be an error.
    """
    make_root.doc("kb/c.md", "# C\n\n/// internal | tier: 2\n\n## Steps\n\nHidden.\n\n///\n\n## Steps\n\nPublic.\n")
    body_root(make_root, "# A\n\nSee [the steps](c.md#steps).\n")
    findings = validate(make_root.path)
    assert not [f for f in findings if f.path == "kb/a.md" and f.severity == ERROR], describe(findings)
    assert findings_for(findings) == set(), describe(findings)


# --------------------------------------------------------------------------------------------------
# Integer fields written as YAML floats (1.0) pass JSON Schema's "integer", but kbgen then ignores them
# --------------------------------------------------------------------------------------------------


def test_link_to_a_name_too_long_for_the_file_system(make_root):
    """Nothing can be at a name the system refuses: the link is broken, not a reason to stop validating."""
    link = f"[form]({'x' * 300}.pdf)"
    text = body_root(make_root, f"# A\n\n{link}\n")
    [finding] = validate(make_root.path)
    assert (finding.path, finding.line, finding.rule, finding.severity) == \
        ("kb/a.md", line_of(text, link), "link-broken", ERROR)


def test_link_to_page_whose_tier_is_a_float(make_root):
    """A tier 0 page links a runbook whose front matter says ``tier: 1.0``.

    Either the runbook's tier is reported (line 5) or the link is; today neither is, the runbook is
    built into no site and the public page carries a dead link to it.
    """
    make_root.file("runbooks/r.md", runbook(tier=1).replace("tier: 1", "tier: 1.0"))
    make_root.doc("kb/b.md", B_BODY)
    text = make_root.doc("kb/a.md", f"# A\n\n{LINK}\n").read_text(encoding="utf-8")
    got = {(f.path, f.line, f.rule) for f in validate(make_root.path)}
    assert ("runbooks/r.md", 5, "field-type") in got or ("kb/a.md", line_of(text, LINK), "link-higher-tier") in got, got


# --------------------------------------------------------------------------------------------------
# 4. The shipped JSON Schema
# --------------------------------------------------------------------------------------------------


def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_frontmatter_schema_is_valid_draft_2020_12():
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)


def _properties(schema: dict, where: str = ""):
    """(dotted name, sub-schema) of every property, at any depth."""
    for name, sub in schema.get("properties", {}).items():
        yield f"{where}{name}", sub
        yield from _properties(sub, f"{where}{name}.")
        if isinstance(sub.get("items"), dict):
            yield from _properties(sub["items"], f"{where}{name}[].")


@pytest.mark.parametrize("name", [name for name, _ in _properties(_schema())])
def test_frontmatter_schema_property_has_description(name):
    sub = dict(_properties(_schema()))[name]
    assert isinstance(sub.get("description"), str) and sub["description"].strip(), f"{name} has no description"


def test_frontmatter_schema_matches_the_contract():
    schema = _schema()
    assert schema["required"] == ["id", "title", "kind", "tier", "intents"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "id", "title", "kind", "tier", "intents", "summary", "status", "owner", "review_by", "last_reviewed", "tags",
        "escalation", "layout", "inputs", "known_issue",
        "severity", "state", "affected_versions", "fixed_in", "reported_on", "root_cause_on", "resolved_on",
        "fed", "customer_update", "agent_workaround", "recurrence_of"}
    assert schema["properties"]["kind"]["enum"] == ["article", "runbook", "defect"]
    assert schema["properties"]["status"]["enum"] == ["draft", "published", "archived"]
    assert (schema["properties"]["tier"]["minimum"], schema["properties"]["tier"]["maximum"]) == (0, 3)
    assert set(schema["properties"]["escalation"]["properties"]) == {"to_tier", "when", "runbook", "queue"}
    assert schema["properties"]["layout"]["enum"] == ["steps", "alert"]
    assert set(schema["properties"]["inputs"]["items"]["properties"]) == {"name", "label", "example", "pattern"}
    assert set(schema["properties"]["known_issue"]["properties"]) == {"defect", "since", "fixed_in", "fixed_on", "status",
                                                                      "workaround", "updates"}


# Values put in every place of a valid document in turn: right and wrong types, floats that look like
# integers, dates that do not exist, text with a final newline (which a pattern's "$" lets through).
SAMPLES = (None, True, False, 0, 1, 3, 4, -1, 1.0, 2.5, "", "x", "a b", "x\n", "1", "P1", "draft", "article",
           "2027-02-28", "2027-02-30", "2027-2-8", "2027-02-28\n", "account.password-reset", [], ["x"], ["x", "x"],
           [1], {}, {"x": 1})
VALID = {
    "frontmatter": {"id": "a", "title": "A", "kind": "defect", "tier": 3, "intents": ["account.password-reset"],
                    "summary": "S.", "status": "published", "owner": "o", "review_by": "2027-02-28",
                    "last_reviewed": "2026-02-28", "tags": ["t"], "escalation": {"to_tier": 2, "when": "w", "runbook": "r"},
                    "known_issue": {"defect": "d", "since": "2025-01-01", "fixed_in": "1", "fixed_on": "2025-01-02"},
                    "severity": "P1", "state": "resolved", "affected_versions": ["1"], "fixed_in": "2",
                    "reported_on": "2025-01-01", "root_cause_on": "2025-01-02", "resolved_on": "2025-01-03",
                    "fed": {"article": "a", "runbooks": ["r"]}},
    "intents": {"areas": [{"id": "account", "title": "Account", "description": "D."}],
                "intents": [{"id": "account.password-reset", "title": "T", "phrasings": ["p"], "resolution_tier": 0,
                             "common": True}]},
}


def _variants(data):
    """``data`` with one value, at any depth, replaced by each sample or left out; and with a key too many."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield {k: v for k, v in data.items() if k != key}
            for replacement in [*SAMPLES, *_variants(value)]:
                yield {**data, key: replacement}
        yield {**data, "extra": "x"}
    elif isinstance(data, list) and data:
        for replacement in [*SAMPLES, *_variants(data[0])]:
            yield [replacement, *data[1:]]


@pytest.mark.parametrize("name", list(VALID))
def test_compiled_schema_check_passes_only_what_jsonschema_passes(name):
    """Documents the compiled check passes skip jsonschema: it must never pass one jsonschema refuses."""
    check = compiled_check(name)
    assert check is not None, f"{name}.schema.json uses a keyword outside FAST_KEYWORDS: every document is slow"
    assert check(VALID[name]) and not list(validator(name).iter_errors(VALID[name]))
    passed = 0
    for data in _variants(VALID[name]):
        before = json.dumps(data)
        if check(data):
            passed += 1
            assert not list(validator(name).iter_errors(data)), data
        assert json.dumps(data) == before, "the check changed the data"
    assert passed > 20  # the valid variants (a field left out, "P1" as a title, ...) still take the fast path


def test_page_helper_line_layout():
    """Guard for this module: the line numbers the cases rely on, and RootMaker.file's dedent keeps them."""
    text = page(extra=("status: draft",))
    assert textwrap.dedent(text) == text
    assert line_of(text, "tier:") == 5 and line_of(text, "status:") == 7


@pytest.mark.parametrize("first, second", [("refunds.md", "Refunds.md"), ("caf\u00e9.md", "cafe\u0301.md"),
                                           ("guides/a.md", "Guides/b.md")])
def test_names_one_file_on_macos_and_windows_are_refused(make_root, first, second):
    """Names that differ only in letter case, or in how an accent is written (NFC, NFD), are one file where
    many writers work: a checkout there keeps one of them."""
    make_root.doc(f"kb/{first}", "# One\n\nText.\n", id="one")
    make_root.doc(f"kb/{second}", "# Two\n\nText.\n", id="two")
    findings = [(f.path, f.rule) for f in validate(load(make_root.path)) if f.severity == "error"]
    assert len(findings) == 1 and findings[0][1] == "file-name", findings
    assert findings[0][0] in (f"kb/{first}", f"kb/{second}", f"kb/{first.split('/')[0]}", f"kb/{second.split('/')[0]}")

"""Property-based tests: whatever a writer puts in front matter or intents.yml (any YAML value of any type,
anchors, tags, odd strings), kbgen answers with findings (file, line, rule) or a clean exit, never a
traceback; and the commands that read content without validating it (report, search, the outline of the
sites) do not fail on it either."""

from __future__ import annotations

import datetime as _dt
import html
import re
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import INTENTS, RootMaker, runbook_body
from generator import report, search
from generator.build import build
from generator.cli import main
from generator.content import load
from generator.navigation import SiteOutline
from generator.rules import RULES
from generator.validate import validate

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRONT_MATTER_KEYS = ["id", "title", "kind", "tier", "intents", "summary", "status", "owner", "review_by",
                     "last_reviewed", "tags", "escalation", "known_issue", "severity", "state", "affected_versions",
                     "fixed_in", "reported_on", "root_cause_on", "resolved_on", "fed"]
NESTED_KEYS = ["to_tier", "when", "runbook", "since", "defect", "fixed_in", "fixed_on", "article", "runbooks", "id"]
ODD_TEXT = ["", " ", "~", "null", "yes", "<script>alert(1)</script>", "[a](b)", "*x*", "a | b", "&amp;", "TODO: x",
            "2024-02-30", "2025-01-01", "account.password-reset", "nope.missing", "r2", "a", "DEF-0001", "P1",
            "resolved", "runbook", "\u202e", "é", "🙂", "x" * 300, "line\nbreak", "---", "'", '"', "\\", "%", "{", "#"]
# Lines of YAML no value-dumper writes: anchors, aliases, tags, merge keys, complex keys, sets, binaries.
ODD_LINES = ["extra: &anchor [a, b]", "alias: *anchor", "tags: !!set {a, b}", "title: !!binary aGVsbG8=",
             "summary: !!timestamp 2024-01-01", "tier: !!float 1", "tier: 0x1", "tier: 1.0", "tier: true",
             "owner: !custom x", "<<: {owner: x}", "? [a, b]\n: c", "? {a: 1}\n: c", "review_by: 2024-13-45",
             "intents: !!omap [a: 1]", "escalation: &e {to_tier: 2, when: x}", "fed: *e", "title: *undefined",
             "when: |\n  multi\n  line", "known_issue: {since: 2024-01-01, <<: {fixed_in: x}}", "\tid: tab",
             "summary: \"\\ud800\"", "id: a\nid: b", "2024-01-01: date key", "null: null key", "1.5: float key"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(ODD_TEXT), st.text(max_size=12),
                    st.dates(_dt.date(1900, 1, 1), _dt.date(2100, 1, 1)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                      st.dictionaries(st.sampled_from(NESTED_KEYS) | st.text(max_size=4), inner, max_size=3),
                      max_leaves=8)


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)


# The mapping each kind of document may have, with random values for its known keys (and one unknown key).
NESTED = {"runbook": ("escalation", ["to_tier", "when", "runbook"]),
          "article": ("known_issue", ["since", "defect", "fixed_in", "fixed_on"]),
          "defect": ("fed", ["article", "runbooks"])}


@st.composite
def front_matters(draw) -> str:
    """Front matter text: a document that is nearly right (so the deeper checks run), with random values
    inside its kind's mapping and for known keys, and sometimes lines only hand-written YAML has."""
    kind = draw(st.sampled_from(["article", "runbook", "defect"]))
    meta = {"id": "a", "title": "A", "kind": kind, "tier": {"article": 0, "runbook": 1, "defect": 3}[kind],
            "intents": ["account.password-reset"]}
    field, keys = NESTED[kind]
    meta[field] = draw(st.fixed_dictionaries({}, optional={key: values for key in keys + ["other"]}) | values)
    meta.update(draw(st.dictionaries(st.sampled_from(FRONT_MATTER_KEYS + ["unknown"]), values, max_size=4)))
    text = dump(meta)
    extra = draw(st.lists(st.sampled_from(ODD_LINES), max_size=2))
    return text + "".join(line + "\n" for line in extra)


def entries(keys: list[str]):
    return st.dictionaries(st.sampled_from(keys), values, max_size=5)


@st.composite
def intents_files(draw) -> str:
    """intents.yml text: areas and intents lists whose items have random-typed values, or no list at all."""
    intent = st.fixed_dictionaries({"id": st.sampled_from(["account.password-reset", "billing.refund"]) | values},
                                   optional={key: values for key in ("title", "phrasings", "resolution_tier",
                                                                      "common", "other")})
    area = st.fixed_dictionaries({}, optional={key: values for key in ("id", "title", "description", "other")})
    data = draw(st.fixed_dictionaries({"intents": st.lists(intent | values, max_size=4) | values},
                                      optional={"areas": st.lists(area | values, max_size=3) | values}))
    extra = draw(st.lists(st.sampled_from(ODD_LINES), max_size=2))
    return dump(data) + "".join(line + "\n" for line in extra)


def write_root(path: Path, front_matter: str, intents: str = INTENTS) -> None:
    """A content root with the fuzzed document beside a runbook of each tier (escalation targets)."""
    make = RootMaker(path)
    make.file("intents.yml", intents)
    make.file("kb/a.md", "---\n" + front_matter + "---\n" + runbook_body("A") + "\n[Other](../runbooks/r2.md)\n")
    make.doc("runbooks/r2.md", id="r2", tier=2)
    make.doc("runbooks/r3.md", id="r3", tier=3)


def assert_answers_with_findings(root: Path) -> None:
    """Validation gives findings that name a file, a line and a known rule; what reads content without
    validating it does not fail."""
    content = load(root)
    for finding in validate(content):
        assert finding.path and finding.line >= 1 and finding.col >= 1, finding
        assert finding.rule in RULES, finding
    for tier in range(4):
        outline = SiteOutline.of(content, tier)
        outline.pages()
        for document in outline.documents:
            outline.related(document)
            outline.trail(document.rel, document)
        search.SearchIndex.build(content, tier).search("password a", 5)
    report.to_markdown(report.health(content))
    report.to_json(report.health(content))


@FUZZ
@given(front_matters())
def test_any_front_matter_gives_findings_not_a_traceback(front_matter):
    with tempfile.TemporaryDirectory() as folder:
        write_root(Path(folder) / "root", front_matter)
        assert_answers_with_findings(Path(folder) / "root")


@FUZZ
@given(intents_files())
def test_any_intents_file_gives_findings_not_a_traceback(intents):
    with tempfile.TemporaryDirectory() as folder:
        write_root(Path(folder) / "root", dump({"id": "a", "title": "A", "kind": "runbook", "tier": 1,
                                                "intents": ["account.password-reset"],
                                                "escalation": {"to_tier": 2, "when": "x", "runbook": "r2"}}),
                   intents)
        assert_answers_with_findings(Path(folder) / "root")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front_matters(), intents_files())
def test_kbgen_validate_exits_0_or_1_with_findings(front_matter, intents):
    """The command line: exit 0 (clean or warnings only) or 1 with findings printed, never a traceback."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        write_root(root, front_matter, intents)
        result = CliRunner().invoke(main, ["validate", "--root", str(root), "--format", "json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            assert '"severity": "error"' in result.output


# --------------------------------------------------------------------------------------------------
# Odd but valid: builds, and shows what was written
# --------------------------------------------------------------------------------------------------

ODD_VALID_TITLES = ["123", "null", "yes", "2024-01-01", "~", "Q&A: 50% off [beta] *now* | later <soon>",
                    "Ünïcödé 🙂 title", "#hash !bang `tick` _under_ {brace}"]


@pytest.mark.slow
def test_build_with_odd_but_valid_content(make_root, tmp_path):
    make_root.file("intents.yml", textwrap.dedent("""\
        areas:
          - id: account
            title: "123"
            description: ""
        intents:
          - id: account.password-reset
            title: "null"
            phrasings: []
            resolution_tier: 0
            common: false
          - id: account.x_y
            title: "~"
            resolution_tier: 2
    """))
    for number, title in enumerate(ODD_VALID_TITLES):
        quoted = '"' + title.replace('"', '\\"') + '"'
        make_root.doc(f"kb/account/odd-{number}.md", f"# Page {number}\n\nText.\n", id=f"odd-{number}",
                      title=quoted, summary='""', tags="[]", owner='"42"', last_reviewed="2025-02-28",
                      intents="[account.password-reset, account.x_y]")
    make_root.doc("kb/account/issue.md", "# Issue\n\nText.\n", id="issue", title='"2.0"',
                  known_issue='{since: 2025-01-01, fixed_in: "2025.10", fixed_on: 2025-02-01}')
    make_root.doc("runbooks/r.md", id="r", tier=2, title='"yes"', intents="[account.x_y]",
                  escalation='{to_tier: 3, when: "no"}')
    assert [f for f in validate(make_root.path) if f.severity == "error"] == []
    out = tmp_path / "out"
    build(make_root.path, out=out, tiers=[0, 2])
    area = html.unescape((out / "tier0/areas/account/index.html").read_text(encoding="utf-8"))
    for title in ODD_VALID_TITLES:
        assert f">{title}</a>" in area, title
    page = (out / "tier2/runbooks/r/index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>yes - ", page)
    assert "Escalates to Tier 3 when: no" in html.unescape(
        (out / "tier2/intents/account.x_y/index.html").read_text(encoding="utf-8"))

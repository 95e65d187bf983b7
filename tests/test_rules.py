"""Per-rule severity in mkdocs.yml (``plugins: [kbgen: {rules: {rule: error|warning|off}}]``): validation and
builds apply it, mistakes in it are refused, and only the rules about how a document is written can be lowered."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from conftest import INTENTS, REPO, assert_no_crash, run_cli, stderr_of
from generator.build import BuildError, build, build_tier
from generator.findings import ERROR, WARNING
from generator.rules import ADJUSTABLE, RULES
from generator.site_config import DEFAULTS
from generator.validate import validate

# A runbook in the Prometheus alert-runbook layout (no kbgen sections) with a bulleted list under "Steps".
ALERT_RUNBOOK = "# R\n\n## Meaning\n\nThe alert fired.\n\n## Steps\n\n- Look at the dashboard.\n"


def mkdocs_yml(rules: str, extra: str = "") -> str:
    """A root's mkdocs.yml: kbgen's defaults, with the ``rules`` option given as YAML flow text."""
    return (f"INHERIT: {DEFAULTS}\nsite_name: Test\n{extra}plugins:\n  - search\n  - kbgen:\n"
            f"      rules: {rules}\n")


def found(findings) -> set[tuple[str, str, str]]:
    return {(f.path, f.rule, f.severity) for f in findings}


@pytest.fixture
def alert_root(make_root):
    make_root.doc("kb/a.md")
    make_root.doc("runbooks/r.md", ALERT_RUNBOOK)
    return make_root


def test_runbook_rules_are_errors_by_default(alert_root):
    assert found(validate(alert_root.path)) == {("runbooks/r.md", "runbook-section-missing", ERROR),
                                                ("runbooks/r.md", "runbook-steps", ERROR)}


def test_rules_lowered_to_warning_and_off(alert_root):
    before = validate(alert_root.path)
    alert_root.file("mkdocs.yml", mkdocs_yml("{runbook-section-missing: warning, runbook-steps: off}"))
    after = validate(alert_root.path)
    assert found(after) == {("runbooks/r.md", "runbook-section-missing", WARNING)}
    missing = [f for f in before if f.rule == "runbook-section-missing"]
    assert [(f.line, f.col, f.message) for f in after] == [(f.line, f.col, f.message) for f in missing]


def test_validate_command_passes_with_lowered_rules(alert_root):
    alert_root.file("mkdocs.yml", mkdocs_yml("{runbook-section-missing: 'off', runbook-steps: warning}"))
    result = run_cli("validate", "--root", str(alert_root.path))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert "warning [runbook-steps]" in result.output and "runbook-section-missing" not in result.output


def test_rules_in_an_inherited_configuration(alert_root):
    """Like the sample's mkdocs.yml, a root's configuration may keep kbgen's options in the file it inherits."""
    alert_root.file("base.yml", mkdocs_yml("{runbook-section-missing: warning, runbook-steps: warning}"))
    alert_root.file("mkdocs.yml", "INHERIT: base.yml\nsite_name: Child\n")
    assert {f.severity for f in validate(alert_root.path)} == {WARNING}


def test_unreadable_configuration_chooses_nothing(alert_root):
    """A mkdocs.yml that does not parse lowers no rule, and is itself an error."""
    alert_root.file("mkdocs.yml", "site_name: [Help\n  theme: : material\n")
    assert found(validate(alert_root.path)) == {("runbooks/r.md", "runbook-section-missing", ERROR),
                                                ("runbooks/r.md", "runbook-steps", ERROR),
                                                ("mkdocs.yml", "yaml-syntax", ERROR)}


def test_any_rule_can_be_made_an_error(make_root):
    """Raising never weakens a check: a warning becomes an error, also for a rule that cannot be lowered."""
    make_root.doc("kb/a.md", "# A\n\nSee [b](/kb/b/).\n")
    make_root.doc("kb/b.md")
    make_root.file("intents.yml", INTENTS + "  - id: reports.export\n    title: Export a report\n    resolution_tier: 0\n")
    assert found(validate(make_root.path)) == {("kb/a.md", "link-absolute", WARNING),
                                               ("intents.yml", "intent-area", WARNING)}
    make_root.file("mkdocs.yml", mkdocs_yml("{link-absolute: error, intent-area: error}"))
    assert found(validate(make_root.path)) == {("kb/a.md", "link-absolute", ERROR),
                                               ("intents.yml", "intent-area", ERROR)}


@pytest.mark.parametrize("rules, expected", [
    ("{runbook-stpes: off}", "'runbook-stpes' is not a kbgen rule; did you mean 'runbook-steps'?"),
    ("{link-higher-tier: off}", "'link-higher-tier' cannot be turned off: it keeps internal content out of lower"),
    ("{snippet-outside: warning}", "'snippet-outside' cannot be made a warning: it keeps internal content out"),
    ("{id-duplicate: warning}", "'id-duplicate' cannot be made a warning: pages, links and navigation are built"),
    ("{field-type: off}", "'field-type' cannot be turned off: front matter decides which sites show a document"),
    ("{link-broken: off}", "'link-broken' cannot be turned off: without it the sites have broken links"),
    ("{todo-text: off}", "'todo-text' cannot be turned off: TODO: notes are written for colleagues"),
    ("{feed-secret: off}", "'feed-secret' cannot be turned off: it keeps private data out of the public pages"),
    ("{runbook-steps: critical}", "'runbook-steps: critical' is not a severity; use error, warning or off"),
    ("[runbook-steps]", "'rules' must map rule ids to error, warning or off"),
])
def test_mistakes_in_rules_are_refused(alert_root, rules, expected):
    alert_root.file("mkdocs.yml", mkdocs_yml(rules))
    [finding] = [f for f in validate(alert_root.path) if f.rule == "config-option"]
    assert (finding.path, finding.line, finding.col, finding.severity) == ("mkdocs.yml", 6, 7, ERROR)
    assert finding.message.startswith("kbgen option 'rules': ") and expected in finding.message
    for command in ("validate", "build"):  # a finding: validation fails, and the build refuses to start
        result = run_cli(command, "--root", str(alert_root.path), *(["--out", str(alert_root.path / "out")]
                                                                      if command == "build" else []))
        assert_no_crash(result)
        assert result.exit_code == 1, result.output
        message = " ".join((result.output + stderr_of(result)).split())
        assert "mkdocs.yml:6:7: error [config-option] kbgen option 'rules':" in message and expected in message
        assert ("the rules that can be lowered: file-bom, intent-area," in message) == rules.startswith("{")
    assert not (alert_root.path / "out").exists()


def test_every_mistake_is_named_at_once(alert_root):
    alert_root.file("mkdocs.yml", mkdocs_yml("{runbook-stpes: off, link-broken: warning}"))
    [finding] = [f for f in validate(alert_root.path) if f.rule == "config-option"]
    assert "'runbook-stpes'" in finding.message and "'link-broken'" in finding.message


def test_build_applies_lowered_rules(alert_root, tmp_path):
    """support-kb-7k's case: runbooks without kbgen's sections build once the rules are lowered, and a file
    saved with a byte-order mark builds as well (why file-bom can be turned off)."""
    alert_root.file("kb/bom.md", b"\xef\xbb\xbf" + (alert_root.path / "kb/a.md").read_bytes().replace(
        b"id: a", b"id: bom").replace(b"title: A", b"title: Saved with a BOM"))
    out = tmp_path / "site"
    with pytest.raises(BuildError) as info:
        build(alert_root.path, out=out)
    assert {f.rule for f in info.value.findings} == {"runbook-section-missing", "runbook-steps", "file-bom"}
    assert not out.exists()

    alert_root.file("mkdocs.yml", mkdocs_yml("{runbook-section-missing: warning, runbook-steps: off, file-bom: off}"))
    build(alert_root.path, out=out)
    runbook = (out / "tier1" / "runbooks" / "r" / "index.html").read_text(encoding="utf-8")
    assert "The alert fired." in runbook and "Escalate to Tier 2" in runbook
    assert "<h1" in (page := (out / "tier0" / "kb" / "bom" / "index.html").read_text(encoding="utf-8"))
    assert "Saved with a BOM" in page


def test_preview_validates_with_the_configured_rules(alert_root):
    """``kbgen serve`` (and a plain ``mkdocs build``) validate in the MkDocs plugin, from its own options."""
    with tempfile.TemporaryDirectory() as work:
        site, docs = Path(work) / "site", Path(work) / "docs"
        docs.mkdir()
        with pytest.raises(BuildError, match=r"runbook-steps"):
            build_tier(alert_root.path, 1, site, docs, run_validation=True)
        alert_root.file("mkdocs.yml", mkdocs_yml("{runbook-section-missing: warning, runbook-steps: warning}"))
        assert build_tier(alert_root.path, 1, site, docs, run_validation=True).pages == 2
        alert_root.file("mkdocs.yml", mkdocs_yml("{link-broken: off}"))
        with pytest.raises(BuildError) as info:
            build_tier(alert_root.path, 1, site, docs, run_validation=True)
        assert [f.rule for f in info.value.findings] == ["config-option"]
        assert "'link-broken' cannot be turned off" in info.value.findings[0].message


# The rule registry -----------------------------------------------------------------------------------


def _guide_section(title: str) -> str:
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return guide.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_registry_names_every_rule_kbgen_reports():
    code = "".join(p.read_text(encoding="utf-8") for p in (REPO / "generator").glob("*.py"))
    reported = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)", (?:ERROR|WARNING)', code))
    reported |= set(re.findall(r'rule = "([a-z]+(?:-[a-z]+)+)"', code))
    assert len(reported) > 30 and reported - set(RULES) == set()


def test_registry_follows_the_writers_guide():
    """The rule table lists the registry's rules in its order, and the guide lists exactly the adjustable ones."""
    section = _guide_section("Validation rules")
    table = re.findall(r"^\| `([a-z-]+)` \| (?:error|warning)", section, re.M)
    assert table == list(RULES)
    phasing = section.split("\n### Phasing rules in\n", 1)[1]
    listed = re.findall(r"^- `([a-z-]+)`", phasing, re.M)
    assert listed == list(ADJUSTABLE)

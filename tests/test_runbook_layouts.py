"""Runbooks an agent runs with a customer waiting: layouts (steps, alert) and the default in mkdocs.yml, inputs
and their placeholders, the escalation text against the front matter, and what the page gets from them.

Rules are checked on small roots; pages are checked in small roots built for tier 1 (what a browser makes of
them is in test_runbook_inputs_browser.py).
"""

from __future__ import annotations

import html
import re
import textwrap

import pytest

from cases import ALERT_ESCALATION, CERT_EXPIRY, DISK_FULL, NODE, configured
from conftest import REPO, article, assert_no_crash, run_cli
from generator.build import build
from generator.content import load
from generator.layouts import LAYOUTS
from generator.scaffold import ScaffoldError, new_document
from generator.validate import validate



@pytest.fixture
def alert_root(make_root):
    """Alert runbooks with the alert layout as the root's default (mkdocs.yml) and no rule lowered."""
    root = configured(make_root, "      runbook_layout: alert\n")
    root.doc("runbooks/disk-full.md", DISK_FULL, intents=["billing.refund"], escalation=ALERT_ESCALATION, inputs=NODE)
    root.doc("runbooks/cert-expiry.md", CERT_EXPIRY, intents=["billing.refund"], escalation=ALERT_ESCALATION)
    return root


def line_of(root, rel: str, marker: str) -> int:
    """The line of a root's file holding ``marker`` (front matter keys come in the order RootMaker writes them)."""
    return next(n for n, line in enumerate((root.path / rel).read_text().split("\n"), 1) if marker in line)


def rules_of(root) -> list[tuple[str, int, str, str]]:
    return sorted((f.path, f.line, f.rule, f.severity) for f in validate(root.path))


# 1. layouts ---------------------------------------------------------------------------------------------------


def test_alert_runbooks_validate_with_the_alert_layout_as_the_roots_default(alert_root):
    assert rules_of(alert_root) == []


def test_without_the_default_they_need_the_layout_declared(make_root):
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/disk-full.md", DISK_FULL, intents=["billing.refund"], escalation=ALERT_ESCALATION,
                  inputs=NODE)
    [finding] = [f for f in validate(make_root.path) if f.severity == "error"]
    assert (finding.rule, finding.line) == ("runbook-section-missing", line_of(make_root, "runbooks/disk-full.md", "# Node"))
    assert "those of the alert layout: declare 'layout: alert'" in finding.message
    make_root.doc("runbooks/disk-full.md", DISK_FULL, intents=["billing.refund"], escalation=ALERT_ESCALATION,
                  inputs=NODE, layout="alert")
    assert rules_of(make_root) == []


def test_each_layout_checks_its_own_sections(alert_root):
    text = textwrap.dedent(CERT_EXPIRY).replace("## Diagnosis\n", "## Diagnose\n").replace("## Impact", "## Impacts")
    alert_root.doc("runbooks/cert-expiry.md", text, intents=["billing.refund"], escalation=ALERT_ESCALATION)
    found = [(f.line, f.rule, f.message) for f in validate(alert_root.path) if f.path == "runbooks/cert-expiry.md"]
    mitigation = line_of(alert_root, "runbooks/cert-expiry.md", "## Mitigation")
    assert [(line, rule) for line, rule, _ in found] == [(mitigation, "runbook-section-missing")] * 2
    said = " ".join(message for _, _, message in found)
    assert "no '## Impact' section; add it before '## Mitigation'" in said
    assert "no '## Diagnosis' section; add it before '## Mitigation'" in said
    # a runbook of the steps layout in the same root says so, and is held to the steps sections
    alert_root.doc("runbooks/cert-expiry.md", textwrap.dedent(CERT_EXPIRY), intents=["billing.refund"],
                   escalation=ALERT_ESCALATION, layout="steps")
    [none] = [f for f in validate(alert_root.path) if f.path == "runbooks/cert-expiry.md"]
    assert none.rule == "runbook-section-missing" and "declare 'layout: alert'" in none.message
    order = textwrap.dedent(CERT_EXPIRY).replace("## Meaning\n\nA serving certificate expires within seven days.\n\n", "")
    order += "\n## Meaning\n\nLast.\n"
    alert_root.doc("runbooks/cert-expiry.md", order, intents=["billing.refund"], escalation=ALERT_ESCALATION)
    assert [f.rule for f in validate(alert_root.path) if f.path == "runbooks/cert-expiry.md"] == ["runbook-section-order"]


def test_alert_runbooks_still_need_their_escalation(alert_root):
    alert_root.doc("runbooks/cert-expiry.md", CERT_EXPIRY, intents=["billing.refund"], escalation=None)
    text = (alert_root.path / "runbooks/cert-expiry.md").read_text().replace("escalation: None\n", "")
    alert_root.file("runbooks/cert-expiry.md", text)
    assert [f.rule for f in validate(alert_root.path) if f.severity == "error"] == ["escalation-missing"]


@pytest.mark.parametrize("value, complaint", [("alerts", "'alerts'"), ("[alert]", "Expected one of")])
def test_an_unknown_default_layout_is_a_finding_in_mkdocs_yml(make_root, value, complaint):
    configured(make_root, f"      runbook_layout: {value}\n")
    [finding] = validate(make_root.path)
    assert (finding.path, finding.rule) == ("mkdocs.yml", "config-option")
    assert "runbook_layout" in finding.message and complaint in finding.message


def test_an_unknown_layout_in_front_matter(make_root):
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/r.md", intents=["billing.refund"], layout="alarm")
    [finding] = validate(make_root.path)
    assert (finding.rule, finding.line) == ("field-value", line_of(make_root, "runbooks/r.md", "layout:"))
    assert "use one of: steps, alert" in finding.message


def test_new_runbook_in_the_alert_layout(make_root):
    make_root.doc("kb/help.md")
    created = new_document(load(make_root.path), "runbook", "Disk almost full", tier=1, intents=["billing.refund"],
                           layout="alert")
    text = (make_root.path / created.rel).read_text()
    assert "\nlayout: alert\n" in text
    assert re.findall(r"^## (.+)$", text, re.M) == list(LAYOUTS["alert"].sections)
    assert {f.rule for f in validate(make_root.path) if f.path == created.rel} == {"todo-text"}
    # in a root whose default is alert, the file follows it without saying so; --layout steps says so
    configured(make_root, "      runbook_layout: alert\n")
    result = run_cli("new", "runbook", "--root", str(make_root.path), "--tier", "1", "--intent", "billing.refund",
                     "Certificate expires")
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    text = (make_root.path / "runbooks/tier1/certificate-expires.md").read_text()
    assert "layout:" not in text and "## Mitigation" in text
    result = run_cli("new", "runbook", "--root", str(make_root.path), "--tier", "1", "--intent", "billing.refund",
                     "--layout", "steps", "Refund")
    assert result.exit_code == 0, result.output
    assert "\nlayout: steps\n" in (make_root.path / "runbooks/tier1/refund.md").read_text()
    result = run_cli("new", "runbook", "--root", str(make_root.path), "--tier", "1", "--intent", "billing.refund",
                     "--layout", "alarm", "Other")
    assert result.exit_code == 2 and "alarm" in result.output
    with pytest.raises(ScaffoldError, match="layout must be one of steps, alert"):
        new_document(load(make_root.path), "runbook", "X", tier=1, intents=["billing.refund"], layout="alarm")


# 2. inputs ----------------------------------------------------------------------------------------------------
INPUTS = ('[{name: workspace, label: Workspace ID, example: ws_8KQ2M4TZ1A, pattern: "ws_[A-Za-z0-9]{10}"}, '
          '{name: charge, label: Charge ID}]')
STEPS = """\
    # Refund

    ## When to use

    A refund for {{ workspace }}.

    ## Before you start

    Nothing.

    ## Steps

    1. List the charges:

        ```bash
        tbctl billing charges --workspace {{ workspace }} --ticket {{ ticket }}
        ```

    2. Refund the charge:

        ```bash
        tbctl billing refund {{ charge }} --workspace {{workspace}}
        ```

    ## Verify

    It is refunded.

    ## Escalate

    Attach the command output.
    """


@pytest.fixture
def input_root(make_root):
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/refund.md", STEPS, intents=["billing.refund"], inputs=INPUTS,
                  escalation="{to_tier: 2, when: the refund fails, queue: Billing (Tier 2)}")
    return make_root


def test_inputs_used_as_declared_validate(input_root):
    assert rules_of(input_root) == []


def test_placeholder_without_an_input_unused_input_and_literal_values(input_root):
    text = textwrap.dedent(STEPS).replace("refund {{ charge }}", "refund {{ charges }}") \
        .replace("--workspace {{workspace}}", "--workspace ws_8KQ2M4TZ1A")
    text += "\nThe charge ws_8KQ2M4TZ1A is an example in text, not in a command.\n"
    input_root.doc("runbooks/refund.md", text, intents=["billing.refund"], inputs=INPUTS,
                   escalation="{to_tier: 2, when: the refund fails}")
    found = {(f.line, f.col if f.rule != "input-unused" else 0, f.rule, f.severity): f.message
             for f in validate(input_root.path)}
    inputs = line_of(input_root, "runbooks/refund.md", "inputs:")
    command = line_of(input_root, "runbooks/refund.md", "tbctl billing refund")
    at = "    tbctl billing refund ".index("tbctl") + 1
    undeclared = (command, at + len("tbctl billing refund "), "input-undeclared", "error")
    literal = (command, at + len("tbctl billing refund {{ charges }} --workspace "), "input-literal", "error")
    assert sorted(found) == sorted([(inputs, 0, "input-unused", "warning"), undeclared, literal])
    assert "input 'charge' is never used" in found[(inputs, 0, "input-unused", "warning")]
    assert "did you mean 'charge'" in found[undeclared]
    assert "'ws_8KQ2M4TZ1A'" in found[literal] and "Workspace ID" in found[literal]
    assert "{{ workspace }}" in found[literal]


def test_bad_inputs_in_front_matter(make_root):
    make_root.doc("kb/help.md")
    bad = ('[{name: workspace, label: W, pattern: "ws_[A-Z"}, {name: workspace, label: Again}, '
           '{name: Work Space, label: X}, {name: x}]')
    make_root.doc("runbooks/r.md", "# R\n\n## When to use\n\n{{ workspace }}\n\n## Before you start\n\nX.\n\n"
                  "## Steps\n\n1. X.\n\n## Verify\n\nX.\n\n## Escalate\n\nX.\n", intents=["billing.refund"], inputs=bad)
    found = sorted((f.rule, f.message) for f in validate(make_root.path))
    assert [rule for rule, _ in found] == ["field-value"] * 3 + ["missing-field"]
    text = " ".join(message for _, message in found)
    assert "not a regular expression" in text and "declared twice" in text and "'Work Space'" in text


def test_placeholders_are_text_in_runbooks_without_inputs(make_root):
    """A Go template's {{end}} in an alert runbook is not a placeholder: only runbooks with inputs have them."""
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/r.md", "# R\n\n## When to use\n\n`{{range .items}}{{.name}}{{end}}`\n\n## Before you start"
                  "\n\nX.\n\n## Steps\n\n1. X.\n\n## Verify\n\nX.\n\n## Escalate\n\nX.\n", intents=["billing.refund"])
    assert rules_of(make_root) == []


# 3. the escalation, said once ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, complaint", [
    ("Escalate to Tier 2 when the refund fails.", "which the front matter's escalation.when already says"),
    ("Hand it over when:\n\n- the refund fails", "which the front matter's escalation.when already says"),
    ("If the refund fails, stop. Attach the output.", "which the front matter's escalation.when already says"),
    ("Attach the output and assign it to the payments queue.", "names the payments queue, but escalation.queue is"),
    ("Attach the output for Tier 3.", "names Tier 3, but escalation.to_tier is 2"),
])
def test_the_escalate_section_does_not_say_the_front_matter_again(input_root, text, complaint):
    when = "If the refund fails, stop" if text.startswith("If") else "the refund fails"
    body = textwrap.dedent(STEPS).replace("Attach the command output.", text)
    input_root.doc("runbooks/refund.md", body, intents=["billing.refund"], inputs=INPUTS,
                   escalation=f"{{to_tier: 2, when: '{when}', queue: Billing (Tier 2)}}")
    [finding] = validate(input_root.path)
    line = line_of(input_root, "runbooks/refund.md", text.split("\n")[0])
    assert (finding.rule, finding.severity, finding.line) == ("escalation-text", "warning", line)
    assert complaint in finding.message


def test_a_queue_named_only_in_the_text(input_root):
    body = textwrap.dedent(STEPS).replace("Attach the command output.", "Assign it to the billing queue.")
    input_root.doc("runbooks/refund.md", body, intents=["billing.refund"], inputs=INPUTS,
                   escalation="{to_tier: 2, when: the refund fails}")
    [finding] = validate(input_root.path)
    assert finding.rule == "escalation-text" and "set escalation.queue" in finding.message


# 4. the page --------------------------------------------------------------------------------------------------


def built_page(root, tmp_path, rel: str) -> str:
    build(root.path, out=tmp_path / "out", tiers=[1])
    return article((tmp_path / "out" / "tier1" / rel / "index.html").read_text(encoding="utf-8"))


def test_runbook_page_has_summary_inputs_progress_and_escalate_link_at_the_top(input_root, tmp_path):
    page = built_page(input_root, tmp_path, "runbooks/refund")
    top = page[page.index("<h1"):page.index('id="when-to-use"')]
    summary = re.search(r'<p class="kb-escalate-summary">(.*?)</p>', top, re.S)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", summary)) == (
        "Escalate to Tier 2 when the refund fails. Assign the ticket to Billing (Tier 2). How to hand over")
    assert top.index("kb-escalate-summary") < top.index("kb-targets") < top.index("kb-inputs") < top.index("kb-progress")
    fields = re.findall(r'<label class="kb-input"><span class="kb-input__label">([^<]*)</span><input ([^>]*)>', top)
    assert [label for label, _ in fields] == ["Ticket", "Workspace ID", "Charge ID"]
    assert 'data-pattern="ws_[A-Za-z0-9]{10}"' in fields[1][1] and 'placeholder="e.g. ws_8KQ2M4TZ1A"' in fields[1][1]
    assert all(" name=" not in attrs for _, attrs in fields) and "<form" not in top  # nothing to submit
    assert 'data-kb-runbook="refund"' in top and '<a class="md-button md-button--primary" href="#kb-escalation">' in top
    assert page.index('id="kb-escalation"') < page.index('class="admonition kb-escalation"')
    assert "{{ workspace }}" in page and "{{ charge }}" in page  # filled in by the page's script
    handover = html.unescape(re.search(r'kb-handover.*?<code>(.*?)</code>', page, re.S)[1])
    assert "Ticket: {{ ticket }}\nWorkspace ID: {{ workspace }}\nCharge ID: {{ charge }}\nSteps done:\n" in handover


def test_escapes_what_writers_type_into_inputs(make_root, tmp_path):
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/r.md", '# R\n\n## When to use\n\n{{ x }}\n\n## Before you start\n\nX.\n\n## Steps\n\n'
                  '1. X.\n\n## Verify\n\nX.\n\n## Escalate\n\nX.\n', intents=["billing.refund"],
                  inputs='[{name: x, label: "<b>L</b>", example: "\\"><script>", pattern: "a\\"b"}]')
    page = built_page(make_root, tmp_path, "runbooks/r")
    assert "<b>L</b>" not in page and "<script>" not in page
    assert '&lt;b&gt;L&lt;/b&gt;' in page and 'placeholder="e.g. &quot;&gt;&lt;script&gt;"' in page


def test_alert_runbook_page(alert_root, tmp_path):
    page = built_page(alert_root, tmp_path, "runbooks/disk-full")
    steps = re.search(r'<h2 class="kb-steps" id="mitigation">.*', page, re.S)
    assert steps, "the Mitigation section holds the steps of an alert runbook"
    assert steps[0].count('<li class="kb-step">') == 3
    # the box ends the page (there is no Escalate section), and the warning stays inside step 2
    assert page.rindex("</ol>") < page.index('class="admonition kb-escalation"')
    step2 = re.search(r'<li class="kb-step">(?:(?!<li class="kb-step">).)*?id="step-2".*?(?=<li class="kb-step">)',
                      page, re.S)[0]
    assert "Do not drain a node of the control plane" in step2
    assert 'data-kb-input="node"' in page
    assert html.unescape(re.sub(r"<[^>]+>", "", page)).count("{{ node }}") == 5  # text, code, handover


def test_sample_runbooks_use_inputs_for_what_an_agent_types():
    """The sample's commands name no literal workspace, charge or ticket: every one comes from an input (but in
    the regions kbgen defect feed wrote, which are the defects' text)."""
    for document in (d for d in load(REPO).documents if d.kind == "runbook"):
        own = re.sub(r"<!-- kbgen:defect .*?<!-- /kbgen:defect -->", "", document.body, flags=re.S)
        fences = re.findall(r"```.*?```", own, re.S)
        for fence in fences:
            assert not re.search(r"\bws_[A-Za-z0-9]{10}\b|\bch_[A-Za-z0-9]{24}\b|--ticket \d", fence), document.rel


def test_editors_check_with_the_roots_layout_and_add_a_missing_section_of_it(alert_root):
    from generator.lsp import template_section
    from generator.workspace import Workspace

    rel = "runbooks/cert-expiry.md"
    text = (alert_root.path / rel).read_text()
    workspace = Workspace(alert_root.path)
    assert workspace.check(rel, text) == []
    [finding] = workspace.check(rel, text.replace("## Diagnosis\n", "## Notes\n"))
    assert finding.rule == "runbook-section-missing" and "'## Diagnosis'" in finding.message
    assert template_section("Diagnosis").startswith("## Diagnosis\n\nTODO: how to find the cause")
    assert template_section("Verify").startswith("## Verify\n\nTODO: how the agent confirms")


def test_a_literal_in_a_defects_fed_region_is_the_defects_to_change(input_root):
    """kbgen defect feed owns the text between its markers: a finding there could not be fixed in the runbook."""
    region = ("<!-- kbgen:defect DEF-0009 0123456789ab -->\n### A defect\n\n```sql\nSELECT 1 WHERE w = 'ws_8KQ2M4TZ1A';\n"
              "```\n<!-- /kbgen:defect -->\n")
    body = textwrap.dedent(STEPS).replace("## Before you start", f"## Known defects\n\n{region}\n## Before you start")
    input_root.doc("runbooks/refund.md", body, intents=["billing.refund"], inputs=INPUTS,
                   escalation="{to_tier: 2, when: the refund fails, queue: Billing (Tier 2)}")
    assert rules_of(input_root) == []
    input_root.doc("runbooks/refund.md", body.replace("<!-- /kbgen:defect -->\n", "").replace(
        "<!-- kbgen:defect DEF-0009 0123456789ab -->\n", ""), intents=["billing.refund"], inputs=INPUTS,
        escalation="{to_tier: 2, when: the refund fails, queue: Billing (Tier 2)}")
    assert [rule for _, _, rule, _ in rules_of(input_root)] == ["input-literal"]


def test_values_of_the_wrong_type_are_findings_not_a_crash(make_root):
    make_root.doc("kb/help.md")
    make_root.doc("runbooks/r.md", intents=["billing.refund"], escalation="{to_tier: 2, when: [null], queue: 3}",
                  inputs="[{name: x, label: X, pattern: 5}, {name: 7, label: [y]}, z]", layout="[alert]")
    found = {(f.rule, f.line) for f in validate(make_root.path)}
    assert found and {rule for rule, _ in found} <= {"field-type", "field-value", "input-unused"}


def test_only_the_agent_sites_load_the_runbook_script_and_styles(input_root, tmp_path):
    build(input_root.path, out=tmp_path / "out", tiers=[0, 1])
    public = (tmp_path / "out/tier0/kb/help/index.html").read_text(encoding="utf-8")
    agents = (tmp_path / "out/tier1/runbooks/refund/index.html").read_text(encoding="utf-8")
    for asset in ("assets/javascripts/kbgen/runbook.js", "assets/stylesheets/kbgen-runbook.css"):
        assert asset not in public
        assert f'"../../{asset}"' in agents

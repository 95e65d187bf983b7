"""Runbooks: structure rules, escalation chains, the escalation box and its handover template, service
targets, checkable steps, owner and review date, the print stylesheet and intent ladders.

Rules are checked on small roots; what agents see is checked in the built sample (tier 1, 2 and 3 sites)
and in small roots with their own settings.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from mkdocs.config.base import ValidationError

from cases import configured
from conftest import REPO, RootMaker, article, frontmatter, in_search, links_in
from generator.build import BuildError, build
from generator.config import DEFAULT_SERVICE_TARGETS, PRIORITIES, Severities, ServiceTargets
from generator.content import load
from generator.findings import ERROR, WARNING
from generator.navigation import TIER_HEADINGS
from generator.runbooks import handover
from generator.search import FIELDS as SEARCH_FIELDS
from generator.search import entries as search_entries
from generator.validate import validate

SAMPLE = load(REPO)
BY_ID = SAMPLE.by_id()
SECTIONS = ["When to use", "Before you start", "Steps", "Verify", "Escalate"]


def body(*sections: str, title: str = "R", steps: str = "1. Do it.\n2. Check it.") -> str:
    """A runbook body with these sections (``Steps`` gets ``steps``), each with a line of text."""
    parts = [f"# {title}\n"]
    for name in sections:
        parts.append(f"## {name}\n\n{steps if name == 'Steps' else 'Text.'}\n")
    return "\n".join(parts)


def line_of(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if marker in line)


def findings(root: Path, rules: set[str] | None = None) -> list[tuple[str, int, str, str]]:
    return sorted((f.path, f.line, f.rule, f.severity) for f in validate(root) if rules is None or f.rule in rules)


def messages(root: Path, rule: str) -> list[str]:
    return [f.message for f in validate(root) if f.rule == rule]


@pytest.fixture
def rb_root(make_root) -> RootMaker:
    """A root with a public article for the intent runbooks serve, so the intent's resolution tier has one."""
    make_root.doc("kb/help.md")
    return make_root


STRUCTURE = {"runbook-section-missing", "runbook-section-order", "runbook-steps"}


# 1. structure --------------------------------------------------------------------------------------------------


def test_runbook_with_every_section_is_clean(rb_root):
    rb_root.doc("runbooks/r.md", body(*SECTIONS))
    assert validate(rb_root.path) == []


@pytest.mark.parametrize("missing", SECTIONS)
def test_missing_section_names_the_section_and_where_it_goes(rb_root, missing):
    path = rb_root.doc("runbooks/r.md", body(*[s for s in SECTIONS if s != missing]))
    later = SECTIONS[SECTIONS.index(missing) + 1:]
    line = line_of(path, f"## {later[0]}") if later else len(path.read_text().rstrip().split("\n"))
    assert findings(rb_root.path, STRUCTURE) == [("runbooks/r.md", line, "runbook-section-missing", ERROR)]
    [message] = messages(rb_root.path, "runbook-section-missing")
    assert f"'## {missing}'" in message
    assert (f"before '## {later[0]}'" if later else "at the end") in message


def test_runbook_without_any_section_gets_one_finding(rb_root):
    path = rb_root.doc("runbooks/r.md", "# R\n\nJust do the thing.\n")
    assert findings(rb_root.path, STRUCTURE) == [("runbooks/r.md", line_of(path, "# R"), "runbook-section-missing",
                                                  ERROR)]
    [message] = messages(rb_root.path, "runbook-section-missing")
    assert all(f"'## {name}'" in message for name in SECTIONS)


def test_sections_out_of_order(rb_root):
    path = rb_root.doc("runbooks/r.md", body("When to use", "Before you start", "Verify", "Steps", "Escalate"))
    assert findings(rb_root.path, STRUCTURE) == [("runbooks/r.md", line_of(path, "## Steps"), "runbook-section-order",
                                                  ERROR)]
    [message] = messages(rb_root.path, "runbook-section-order")
    assert "'## Steps' comes after '## Verify'" in message


def test_headings_are_matched_leniently(rb_root):
    """Case, a final colon, inline markup, an attribute list and an underlined heading are all the same section;
    other sections may sit between the required ones."""
    rb_root.doc("runbooks/r.md", "# R\n\n## When to use:\n\nText.\n\n## before you start\n\nText.\n\n## Background\n\n"
                                 "Text.\n\n## **Steps** {#procedure}\n\n1. One.\n\nVerify\n------\n\nText.\n\n"
                                 "## Escalate\n\nText.\n")
    assert validate(rb_root.path) == []


def test_section_inside_a_higher_internal_block_does_not_count(rb_root):
    text = body(*SECTIONS).replace("## Verify\n\nText.\n", "/// internal | tier: 2\n\n## Verify\n\nText.\n\n///\n")
    rb_root.doc("runbooks/r.md", text, tier=1)
    assert [rule for *_, rule, _ in findings(rb_root.path, STRUCTURE)] == ["runbook-section-missing"]


def test_steps_must_be_numbered(rb_root):
    path = rb_root.doc("runbooks/r.md", body(*SECTIONS, steps="- Open the console.\n- Reset it."))
    assert findings(rb_root.path, STRUCTURE) == [("runbooks/r.md", line_of(path, "- Open"), "runbook-steps", ERROR),
                                                 ("runbooks/r.md", line_of(path, "- Reset"), "runbook-steps", ERROR)]


def test_steps_without_a_list(rb_root):
    path = rb_root.doc("runbooks/r.md", body(*SECTIONS, steps="Do what seems right."))
    assert findings(rb_root.path, STRUCTURE) == [("runbooks/r.md", line_of(path, "## Steps"), "runbook-steps", ERROR)]


def test_bullets_in_code_and_nested_lists_are_not_steps(rb_root):
    steps = "1. Run:\n\n    ```text\n    - not a step\n    ```\n\n2. Read it:\n    - a detail\n\n```yaml\n- nor this\n```"
    rb_root.doc("runbooks/r.md", body(*SECTIONS, steps=steps))
    assert validate(rb_root.path) == []


def test_drafts_are_not_held_to_the_structure(rb_root):
    rb_root.file("runbooks/r.md", frontmatter(id="r", title="R", kind="runbook", tier=1, intents=["account.password-reset"],
                                              status="draft") + "# R\n\nNotes.\n")
    assert validate(rb_root.path) == []


# 2. escalation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_tier_1_and_2_runbooks_need_an_escalation(rb_root, tier):
    rb_root.file("runbooks/r.md", frontmatter(id="r", title="R", kind="runbook", tier=tier,
                                              intents=["account.password-reset"]) + body(*SECTIONS))
    expected = [("runbooks/r.md", 5, "escalation-missing", ERROR)] if tier < 3 else []
    assert findings(rb_root.path) == expected
    if expected:
        [message] = messages(rb_root.path, "escalation-missing")
        assert f"to_tier: {tier + 1}" in message


def test_escalation_runbook_of_the_same_tier(rb_root):
    path = rb_root.doc("runbooks/r.md", body(*SECTIONS), tier=2, escalation="{to_tier: 3, when: stuck, runbook: t}")
    rb_root.doc("runbooks/t.md", body(*SECTIONS), tier=2)
    assert findings(rb_root.path) == [("runbooks/r.md", line_of(path, "escalation:"), "escalation-tier", ERROR)]
    assert "'t' is tier 2, not above this tier 2 runbook" in messages(rb_root.path, "escalation-tier")[0]


def test_escalation_cycle_names_the_loop(rb_root):
    a = rb_root.doc("runbooks/a.md", body(*SECTIONS), tier=2, escalation="{to_tier: 3, when: stuck, runbook: b}")
    rb_root.doc("runbooks/b.md", body(*SECTIONS), tier=2, escalation="{to_tier: 3, when: stuck, runbook: a}")
    cycles = [(path, line) for path, line, rule, _ in findings(rb_root.path) if rule == "escalation-cycle"]
    line = line_of(a, "escalation:")
    assert cycles == [("runbooks/a.md", line), ("runbooks/b.md", line)]
    assert all(m in ("escalations go round in a circle: a → b → a; each runbook must hand over to a runbook of a "
                     "higher tier, so that the chain ends", "escalations go round in a circle: b → a → b; each "
                     "runbook must hand over to a runbook of a higher tier, so that the chain ends")
               for m in messages(rb_root.path, "escalation-cycle"))


def test_valid_escalation_chain_is_clean(rb_root):
    rb_root.doc("runbooks/one.md", body(*SECTIONS), tier=1, escalation="{to_tier: 2, when: stuck, runbook: two}")
    rb_root.doc("runbooks/two.md", body(*SECTIONS), tier=2, escalation="{to_tier: 3, when: stuck, runbook: three}")
    rb_root.doc("runbooks/three.md", body(*SECTIONS), tier=3)
    assert validate(rb_root.path) == []


# 3. intents ----------------------------------------------------------------------------------------------------

REFUND_RESOLUTION_LINE = 15  # billing.refund's resolution_tier (1) in conftest.INTENTS


def test_intent_without_a_document_at_its_resolution_tier(make_root):
    make_root.doc("kb/help.md")  # account.password-reset, resolved at tier 0
    make_root.doc("kb/refunds.md", intents=["billing.refund"])  # resolved at tier 1, but only tier 0 here
    assert findings(make_root.path) == [("intents.yml", REFUND_RESOLUTION_LINE, "intent-resolution-gap", WARNING)]
    [message] = messages(make_root.path, "intent-resolution-gap")
    assert "'billing.refund' is resolved at tier 1" in message and "tier 0" in message


def test_intent_with_a_document_at_its_resolution_tier(make_root):
    make_root.doc("kb/help.md")
    make_root.doc("kb/refunds.md", intents=["billing.refund"])
    make_root.doc("runbooks/refund.md", intents=["billing.refund"])
    make_root.doc("runbooks/draft.md", intents=["account.password-reset"], status="draft")  # drafts serve nothing
    assert validate(make_root.path) == []


def test_intent_no_document_serves_is_not_reported(make_root):
    make_root.doc("kb/help.md")  # nothing serves billing.refund at all
    assert validate(make_root.path) == []


def test_sample_knowledge_base_is_clean():
    assert validate(SAMPLE) == []


# 4. the sample, as agents see it ----------------------------------------------------------------------------


def page_html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def escalation_box(page: str) -> str:
    match = re.search(r'<div class="admonition kb-escalation">.*?</code></pre></div>\s*</div>\s*</div>', page, re.S)
    assert match, "no escalation box"
    return match[0]


SAMPLE_RUNBOOKS = [d for d in SAMPLE.documents if d.kind == "runbook" and d.published]


@pytest.mark.parametrize("source,target", [("reset-two-factor", "investigate-account-takeover"),
                                           ("investigate-missing-payout", "review-data-repair-script")])
@pytest.mark.parametrize("tier", [1, 2, 3])
def test_escalation_box_links_the_next_runbook_only_where_it_can_be_opened(sample_site, source, target, tier):
    source, target = BY_ID[source], BY_ID[target]
    if tier < source.tier:
        assert not (sample_site / f"tier{tier}" / source.url).exists()
        return
    page = page_html(sample_site / f"tier{tier}", source.url)
    box = escalation_box(page)
    to_tier = source.meta["escalation"]["to_tier"]
    assert f"Escalate to Tier {to_tier}" in box
    assert source.meta["escalation"]["when"] in html.unescape(re.sub(r"<[^>]+>", "", box))
    if tier >= target.tier:
        assert links_in(box, source.url) == [target.url]
        assert html.escape(target.title) in box
    else:
        queue = source.meta["escalation"]["queue"]
        assert f"Tier {to_tier} takes over: assign the ticket to {html.escape(queue)}." in box
        assert "<a " not in box
        for trace in (target.title, target.id, target.url.rstrip("/")):
            assert trace not in page, f"{trace!r} of a tier {target.tier} runbook in the tier {tier} site"


def test_handover_template(sample_site):
    document = BY_ID["reset-two-factor"]
    box = escalation_box(page_html(sample_site / "tier1", document.url))
    handover_box = re.search(r'<div class="admonition kb-handover" data-search-exclude="">.*', box, re.S)
    assert handover_box, "the handover template is not in its own box, left out of search"
    code = html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<code>(.*?)</code>", handover_box[0], re.S)[1]))
    assert code.rstrip("\n").split("\n") == handover(document, 2)
    assert code.startswith("Escalation to Tier 2\nRunbook followed: Reset two-factor authentication "
                           "(reset-two-factor)\nTicket: {{ ticket }}\nWorkspace ID: {{ workspace }}\n"
                           "Member email: {{ email }}\nSteps done:\n")
    for field in ("Customer and account", "Symptoms", "What was tried, with results", "Evidence (request ids, log links)",
                  "Severity (P1-P4)", "Business impact"):
        assert f"\n{field}:" in code


def source_steps(document) -> int:
    """Numbered top-level items of a runbook's Steps section, as written."""
    section = re.search(r"^## Steps\n(.*?)^## ", document.body, re.S | re.M)[1]
    return len(re.findall(r"^\d+\. ", section, re.M))


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_every_runbook_has_targets_steps_and_its_escalation(sample_site, tier):
    site = sample_site / f"tier{tier}"
    for document in (d for d in SAMPLE_RUNBOOKS if d.tier <= tier):
        page = article(page_html(site, document.url))
        where = f"{document.rel} in the tier {tier} site"
        # service targets of the runbook's own tier, folded under the title, left out of search
        targets = re.search(r'<details class="kb-targets" data-search-exclude="">(.*?)</details>', page, re.S)
        assert targets, where
        assert page.index("kb-targets") > page.index("<h1")
        assert page.index("kb-targets") < page.index('id="when-to-use"'), where
        for name, value in DEFAULT_SERVICE_TARGETS[document.tier].items():
            assert f"{name} {html.escape(value)}" in targets[1], where
        assert [row for row in re.findall(r"<td>(P\d)</td>", targets[1])] == list(PRIORITIES), where
        # steps: a checkbox and an anchor each, numbered as written
        steps = re.search(r'<ol class="kb-steps">(.*?)</ol>\s*<h2', page, re.S)
        assert steps, where
        items = re.findall(r'<li class="kb-step">\s*(?:<p>)?<a class="kb-step__link" href="#(step-\d+)" id="(step-\d+)"'
                           r'[^>]*>#</a><input aria-label="Step (\d+) done" class="kb-step__check" type="checkbox" />',
                           steps[1])
        count = source_steps(document)
        assert [(a, b, int(n)) for a, b, n in items] == [(f"step-{n}", f"step-{n}", n) for n in range(1, count + 1)], where
        # the escalation box under "Escalate" when there is an escalation, else none
        if "escalation" in document.meta:
            assert page.index('id="escalate"') < page.index('class="admonition kb-escalation"'), where
        else:
            assert 'class="admonition kb-escalation"' not in page and "kb-handover" not in page, where


@pytest.mark.parametrize("tier", [0, 1, 2, 3])
def test_owner_and_last_reviewed(sample_site, tier):
    site = sample_site / f"tier{tier}"
    public = page_html(site, "kb/account/reset-password/")
    if tier == 0:
        assert "kb-facts" not in public and "support-" not in article(public)
        return
    assert '<span class="kb-fact">Owner: support-account</span>' in public
    assert '<span class="kb-fact">Last reviewed: not recorded</span>' in public
    runbook = BY_ID["reset-two-factor"]
    page = page_html(site, runbook.url)
    assert f'<span class="kb-fact">Owner: {runbook.meta["owner"]}</span>' in page
    assert f'<span class="kb-fact">Last reviewed: {runbook.meta["last_reviewed"]}</span>' in page


def test_every_sample_runbook_says_when_it_was_last_reviewed():
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d.meta.get("last_reviewed", "")) for d in SAMPLE_RUNBOOKS)


@pytest.mark.parametrize("tier", [0, 1, 2, 3])
def test_print_stylesheet(sample_site, tier):
    site = sample_site / f"tier{tier}"
    page = page_html(site, "kb/account/reset-password/")
    assert re.search(r'<link rel="stylesheet" href="[./]*assets/stylesheets/kbgen-print.css" media="print">', page)
    css = (site / "assets/stylesheets/kbgen-print.css").read_text(encoding="utf-8")
    assert "break-inside: avoid" in css and ".md-banner" in css


def test_search_leaves_out_the_boxes_but_not_the_escalation(sample_site):
    entry = next(e for e in search_entries(load(REPO), 1) if e.id == "reset-two-factor")
    text = " ".join(getattr(entry, name) for name in SEARCH_FIELDS)
    assert "Business impact" not in text and "Chat first response" not in text
    assert "the account shows takeover signs" in text  # reset-two-factor's escalation.when
    assert in_search(sample_site / "tier1", "the account shows takeover signs")


# 5. intent ladders ---------------------------------------------------------------------------------------------

LADDER_INTENT = "integrations.accounting-sync"  # resolved at tier 1, with documents at every tier


def rungs(page: str) -> list[tuple[str, bool]]:
    return [(html.unescape(re.sub(r"<[^>]+>", "", m[2])).replace("¶", "").strip(), "kb-rung--resolves" in m[1])
            for m in re.finditer(r'<h2 class="(kb-rung[^"]*)"[^>]*>(.*?)</h2>', page, re.S)]


@pytest.mark.parametrize("tier", [0, 1, 2, 3])
def test_intent_ladder(sample_site, tier):
    site = sample_site / f"tier{tier}"
    url = f"intents/{LADDER_INTENT}/"
    page = article(page_html(site, url))
    documents = [d for d in SAMPLE.documents if LADDER_INTENT in d.intents and d.published and d.tier <= tier]
    listed = [u for u in links_in(page, url) if u.startswith(("kb/", "runbooks/"))]
    assert sorted(listed) == sorted(d.url for d in documents)
    tiers_listed = [next(d.tier for d in documents if d.url == u) for u in listed]
    assert tiers_listed == sorted(tiers_listed), "the ladder goes up from the customer's own help"
    if tier == 0:
        assert rungs(page) == [] and "Help articles" in page
        return
    assert rungs(page) == [(TIER_HEADINGS[t], t == 1) for t in range(tier + 1)]
    assert "Resolved at <strong>Tier 1</strong>." in page
    runbook = BY_ID["reconnect-accounting-sync"]
    assert f"Escalates to Tier 2 when: {runbook.meta['escalation']['when']}" in html.unescape(page)


def test_intent_ladder_resolved_above_the_site(sample_site):
    page = article(page_html(sample_site / "tier1", "intents/sso.login-errors/"))
    assert "Resolved at <strong>Tier 2</strong>: hand tickets over" in page
    assert [name for name, _ in rungs(page)] == [TIER_HEADINGS[0], TIER_HEADINGS[1]]


def test_empty_rung_says_so(make_root, tmp_path):
    make_root.doc("kb/help.md", intents=["billing.refund"])
    make_root.doc("runbooks/deep.md", intents=["billing.refund"], tier=2)
    build(make_root.path, out=tmp_path / "out", tiers=[2])
    page = article(page_html(tmp_path / "out" / "tier2", "intents/billing.refund/"))
    assert [resolves for _, resolves in rungs(page)] == [False, True, False]
    assert page.count("No document for this intent at this tier.") == 1


# 6. settings and odd runbooks, built -----------------------------------------------------------------------------

OPTIONS = """\
      severities:
        P1: Everything is on fire.
      service_targets:
        1: {}
        2:
          First response: {P1: "< 15 min", P2: "< 1 h"}
          Resolution: 1 day
"""


def test_service_targets_and_severities_from_the_plugin_options(make_root, tmp_path):
    root = configured(make_root, OPTIONS)
    root.doc("runbooks/one.md", tier=1)
    root.doc("runbooks/two.md", tier=2)
    build(root.path, out=tmp_path / "out", tiers=[2])
    site = tmp_path / "out" / "tier2"
    one = article(page_html(site, "runbooks/one/"))
    assert "Severity and service targets, Tier 1" in one
    assert "<th>Severity</th>\n<th>What it means</th>\n</tr>" in one  # tier 1: no targets at all
    assert "<td>P1</td>\n<td>Everything is on fire.</td>" in one
    assert "<td>P4</td>\n<td>Low: a question, a cosmetic problem or a feature request.</td>" in one
    two = article(page_html(site, "runbooks/two/"))
    assert "Severity and service targets, Tier 2" in two  # the targets depend on the priority
    assert re.search(r"<td>P1</td>\s*<td>[^<]*</td>\s*<td>&lt; 15 min</td>\s*<td>1 day</td>", two)
    assert re.search(r"<td>P3</td>\s*<td>[^<]*</td>\s*<td>–</td>\s*<td>1 day</td>", two)


@pytest.mark.parametrize("options,complaint", [
    ("      service_targets: {4: {Resolution: 1 day}}\n", "tiers 1, 2 and 3"),
    ("      service_targets: {2: [a, b]}\n", "mapping of target names"),
    ("      service_targets: {2: {Resolution: {P5: 1 day}}}\n", "P1, P2, P3, P4"),
    ("      severities: {P9: Odd}\n", "P1, P2, P3, P4"),
    ("      contact_routes: [{url: 'https://example.com/chat'}]\n", "Sub-option 'name': Required"),
])
def test_bad_plugin_options_stop_the_build(make_root, tmp_path, options, complaint):
    """Validation names the option, in mkdocs.yml, and the build stops before MkDocs starts."""
    root = configured(make_root, options)
    with pytest.raises(BuildError) as info:
        build(root.path, out=tmp_path / "out", tiers=[1])
    [finding] = info.value.findings
    assert (finding.path, finding.rule) == ("mkdocs.yml", "config-option") and complaint in finding.message
    assert not (tmp_path / "out").exists()


def test_option_defaults():
    assert ServiceTargets().run_validation({}) == {
        tier: {name: dict.fromkeys(PRIORITIES, value) for name, value in targets.items()}
        for tier, targets in DEFAULT_SERVICE_TARGETS.items()}
    assert Severities().run_validation({"P2": "Bad."})["P2"] == "Bad."
    with pytest.raises(ValidationError):
        ServiceTargets().run_validation({1: {"Resolution": True}})


def test_underlined_headings_and_attribute_lists(make_root, tmp_path):
    make_root.doc("runbooks/odd.md", "Odd one\n=======\n\nWhen to use\n-----------\n\nText.\n\n## Before you start\n\n"
                                     "Text.\n\n## Steps {#procedure}\n\n1. One.\n2. Two.\n\n## Verify\n\nText.\n\n"
                                     "Escalate\n--------\n\nText after the box.\n", intents=["billing.refund"])
    make_root.doc("kb/help.md")
    assert validate(make_root.path) == []
    build(make_root.path, out=tmp_path / "out", tiers=[1])
    page = article(page_html(tmp_path / "out" / "tier1", "runbooks/odd/"))
    assert re.search(r'<h2 class="kb-steps" id="procedure">', page)
    assert page.count('class="kb-step"') == 2
    assert page.index("<h1") < page.index("kb-targets") < page.index('id="when-to-use"')
    assert page.index('id="escalate"') < page.index('class="admonition kb-escalation"') < page.index("Text after the box.")


def test_boxes_go_below_a_heading_written_without_a_space(make_root):
    """'#Title' and '##Escalate' are headings to Python-Markdown: what kbgen adds goes after them, whole."""
    from generator import runbooks
    from generator.config import DEFAULT_SEVERITIES
    from generator.content import load as load_root

    make_root.doc("runbooks/tier1/r.md", tier=1)
    content = load_root(make_root.path)
    document = content.by_rel()["runbooks/tier1/r.md"]
    markdown = document.body.replace("# R\n\n", "#R\nIntro words.\n\n").replace("## Escalate\n\n", "##Escalate\nAs below.\n")
    lines = runbooks.page_markdown(markdown, document, 1, content.by_id(), DEFAULT_SEVERITIES,
                                  {}).split("\n")
    assert lines[:2] == ["#R", ""] and lines.index("Intro words.") > 2
    escalate = lines.index("##Escalate")
    assert lines[escalate + 1] == "" and lines.index("As below.") > escalate + 2


def test_a_title_or_label_over_several_lines_stays_inside_the_handover(make_root, tmp_path):
    """The handover's code block took a multi-line runbook title or input label as it was: its second line
    ended the block, and '<img onerror>' after it ran on every agent's page."""
    make_root.doc("runbooks/tier1/payout.md", id="payout", tier=1, intents=["billing.refund"],
                  title='"Payout delayed\\n\\n<img src=x onerror=window.__rt=1>"',
                  inputs="[{name: email, label: \"Recipient\\n\\n<img src=x onerror=window.__l=1>\\n```\\n\"}]")
    make_root.doc("runbooks/tier2/deep.md", id="deep", tier=2, intents=["billing.refund"])
    assert [f for f in validate(make_root.path) if f.severity == ERROR] == []
    build(make_root.path, out=tmp_path / "out", tiers=[1])
    page = (tmp_path / "out/tier1/runbooks/tier1/payout/index.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and '<img src="x"' not in page
    code = re.search(r'<div class="admonition kb-handover".*?<code>(.*?)</code>', page, re.S)[1]
    assert "Runbook followed: Payout delayed &lt;img src=x onerror=window.__rt=1&gt; (payout)" in code
    assert "Recipient &lt;img src=x onerror=window.__l=1&gt; ```: {{ email }}" in code
    assert "Steps done:" in code and "Business impact:" in code, "the whole template, in the block"

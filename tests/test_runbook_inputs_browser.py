"""A Tier 1 runbook of the sample run as an agent runs it, in a real headless Chromium, on a desktop and on a
375 px phone: inputs filling commands, copy buttons and the handover; ticks kept across a reload and per
ticket; the "3 / 6 steps" counter in view; "Start over"; the Escalate link.

Uses the browser fixtures of conftest.py (system Chromium, never downloaded; a missing browser makes the tests
fail, not skip), serving the sample built once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import ALERT_ESCALATION, CERT_EXPIRY, DISK_FULL, NODE, configured
from conftest import REPO, served
from generator.build import build
from generator.content import load

RUNBOOK = load(REPO).by_id()["refund-subscription-payment"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 800}}
WORKSPACE, CHARGE, AMOUNT, TICKET = "ws_Q7W2E9R4T1", "ch_1AbCdEfGhIjKlMnOpQrStUvW", "12.50", "520117"


@pytest.fixture(scope="module")
def site_root(sample_site) -> Path:
    return sample_site


@pytest.fixture(params=list(VIEWPORTS))
def agent(request, page, base_url):
    """The refund runbook open in the tier 1 site, at the viewport's size, with clipboard access."""
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    page.set_viewport_size(VIEWPORTS[request.param])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"{base_url}/tier1/{RUNBOOK.url}", wait_until="load")
    page.locator(".kb-progress__count").filter(has_text="steps").wait_for()
    return page


def field(page, name: str):
    return page.locator(f'.kb-inputs input[data-kb-input="{name}"]')


def fill(page, **values: str) -> None:
    for name, value in values.items():
        field(page, name).fill(value)
        field(page, name).press("Tab")  # the ticket is taken when the field is left, as a person does


def step(page, number: int):
    return page.locator("li.kb-step", has=page.locator(f"#step-{number}"))


def copy(page, block) -> str:
    page.evaluate("navigator.clipboard.writeText('nothing copied')")
    block.hover()
    block.locator(".md-code__button[data-md-type=copy]").click()
    return page.evaluate("navigator.clipboard.readText()")


def test_inputs_fill_commands_and_copy_buttons(agent):
    command = step(agent, 4).locator("div.highlight").first
    assert "{{ charge }}" in command.inner_text()
    fill(agent, ticket=TICKET, workspace=WORKSPACE, charge=CHARGE, amount=AMOUNT)
    assert copy(agent, command) == (f"tbctl billing refund {CHARGE} \\\n  --amount {AMOUNT} --reason duplicate "
                                    f"--ticket {TICKET}")
    assert copy(agent, step(agent, 1).locator("div.highlight").first) == \
        f"tbctl billing charges --workspace {WORKSPACE} --limit 6"
    assert agent.locator("article .kb-value--empty").count() == 0
    assert WORKSPACE in agent.locator("#verify ~ ul").first.inner_text()  # text outside commands too
    assert agent.js_errors == []


def test_an_unfilled_placeholder_is_highlighted_and_not_copied(agent):
    command = step(agent, 4).locator("div.highlight").first
    empty = command.locator(".kb-value--empty")
    assert empty.count() == 3  # charge, amount and ticket
    assert empty.first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    fill(agent, charge=CHARGE)
    assert copy(agent, command) == "nothing copied"
    warning = agent.locator(".kb-copy-warning")
    assert warning.is_visible()
    assert warning.inner_text() == "Not copied: fill in Amount to refund, Ticket at the top of the page first."
    fill(agent, amount=AMOUNT, ticket=TICKET)
    assert copy(agent, command).startswith(f"tbctl billing refund {CHARGE}")
    assert agent.locator(".kb-copy-warning").count() == 0
    assert agent.js_errors == []


def test_handover_has_the_runbook_inputs_and_steps_done(agent):
    fill(agent, ticket=TICKET, workspace=WORKSPACE)
    step(agent, 1).locator(".kb-step__check").check()
    step(agent, 3).locator(".kb-step__check").check()
    box = agent.locator(".kb-handover")
    box.scroll_into_view_if_needed()
    lines = copy(agent, box.locator("div.highlight")).split("\n")
    assert lines[:9] == [
        "Escalation to Tier 2",
        f"Runbook followed: {RUNBOOK.title} ({RUNBOOK.id})",
        f"Ticket: {TICKET}",
        f"Workspace ID: {WORKSPACE}",
        "Charge ID: {{ charge }}",  # not filled in: left for the agent, and highlighted on the page
        "Amount to refund: {{ amount }}",
        "Steps done: 2 of 6",
        "  1. List the workspace's recent charges",
        "  3. Check eligibility",
    ]
    assert lines[9] == "Customer and account:"
    assert box.locator(".kb-value--empty").count() == 2
    assert agent.locator(".kb-handover .kb-copy-warning").inner_text() == (
        "Copied, without Charge ID, Amount to refund: fill them in at the top of the page, or in the ticket.")
    assert agent.js_errors == []


def test_progress_and_inputs_survive_a_reload(agent):
    fill(agent, ticket=TICKET, workspace=WORKSPACE)
    for number in (1, 2, 3):
        step(agent, number).locator(".kb-step__check").check()
    count = agent.locator(".kb-progress__count")
    assert count.inner_text() == "3 / 6 steps"
    agent.reload(wait_until="load")
    count.filter(has_text="3 / 6 steps").wait_for()
    assert [step(agent, n).locator(".kb-step__check").is_checked() for n in range(1, 7)] == [True] * 3 + [False] * 3
    assert field(agent, "ticket").input_value() == TICKET
    assert field(agent, "workspace").input_value() == WORKSPACE
    assert WORKSPACE in step(agent, 1).inner_text()
    assert agent.js_errors == []


def test_progress_is_kept_per_ticket(agent):
    fill(agent, ticket="111111")
    step(agent, 1).locator(".kb-step__check").check()
    fill(agent, workspace=WORKSPACE)
    fill(agent, ticket="222222")  # another customer: a fresh start
    count = agent.locator(".kb-progress__count")
    assert count.inner_text() == "0 / 6 steps" and field(agent, "workspace").input_value() == ""
    step(agent, 5).locator(".kb-step__check").check()
    fill(agent, ticket="111111")  # back to the first: its ticks and values
    assert count.inner_text() == "1 / 6 steps"
    assert step(agent, 1).locator(".kb-step__check").is_checked()
    assert not step(agent, 5).locator(".kb-step__check").is_checked()
    assert field(agent, "workspace").input_value() == WORKSPACE
    agent.reload(wait_until="load")
    count.filter(has_text="1 / 6 steps").wait_for()
    assert field(agent, "ticket").input_value() == "111111"


def test_the_counter_stays_in_view_and_counts(agent):
    count = agent.locator(".kb-progress__count")
    assert count.inner_text() == "0 / 6 steps"
    step(agent, 6).scroll_into_view_if_needed()
    step(agent, 6).locator(".kb-step__check").check()
    assert count.inner_text() == "1 / 6 steps"
    box = count.bounding_box()
    header = agent.locator(".md-header").bounding_box()
    assert box["y"] >= header["y"] + header["height"] - 1, "under the header, not behind it"
    assert box["y"] + box["height"] <= agent.viewport_size["height"], "in view after scrolling"
    assert agent.evaluate("window.scrollY") > 500


def test_start_over_forgets_ticks_and_values(agent, base_url):
    fill(agent, ticket=TICKET, workspace=WORKSPACE)
    step(agent, 2).locator(".kb-step__check").check()
    agent.locator(".kb-progress__reset").click()
    assert agent.locator(".kb-progress__count").inner_text() == "0 / 6 steps"
    assert field(agent, "ticket").input_value() == "" and field(agent, "workspace").input_value() == ""
    assert not step(agent, 2).locator(".kb-step__check").is_checked()
    assert agent.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kbgen-runbook:'))") == []
    agent.reload(wait_until="load")
    agent.locator(".kb-progress__count").filter(has_text="0 / 6 steps").wait_for()


def test_the_escalate_link_is_in_view_and_jumps_to_the_box(agent):
    link = agent.locator(".kb-escalate-link a")
    assert link.is_visible()
    box = link.bounding_box()
    assert box["y"] + box["height"] <= agent.viewport_size["height"] and box["x"] + box["width"] <= \
        agent.viewport_size["width"]
    summary = agent.locator(".kb-escalate-summary")
    assert "Escalate to Tier 2" in summary.inner_text() and "Billing (Tier 2)" in summary.inner_text()
    assert summary.bounding_box()["y"] < agent.locator("#when-to-use").bounding_box()["y"]
    link.click()
    assert agent.url.endswith("#kb-escalation")
    agent.wait_for_function("document.querySelector('.kb-escalation').getBoundingClientRect().top < innerHeight")
    assert agent.locator(".kb-escalation .admonition-title").first.is_visible()


def test_a_value_not_matching_its_pattern_is_marked(agent):
    fill(agent, workspace="ws_short")
    assert field(agent, "workspace").get_attribute("aria-invalid") == "true"
    fill(agent, workspace=WORKSPACE)
    assert field(agent, "workspace").get_attribute("aria-invalid") == "false"


def test_the_refund_warning_stays_in_its_step(agent):
    warning = agent.locator(".admonition.warning", has_text="Don't retry a failed refund")
    assert warning.count() == 1
    assert step(agent, 4).locator(".admonition.warning").count() == 1
    assert warning.bounding_box()["y"] < step(agent, 5).bounding_box()["y"]


def test_an_alert_runbook_as_an_agent_runs_it(page, make_root, tmp_path):
    """Alert layout: the Mitigation steps are counted and ticked, the node typed once fills the commands; a
    runbook without numbered steps shows no counter, and its handover no count."""
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    root = configured(make_root, "      runbook_layout: alert\n")
    root.doc("runbooks/disk-full.md", DISK_FULL, intents=["billing.refund"], escalation=ALERT_ESCALATION, inputs=NODE)
    root.doc("runbooks/cert-expiry.md", CERT_EXPIRY, intents=["billing.refund"], escalation=ALERT_ESCALATION)
    build(root.path, out=tmp_path / "out", tiers=[1])
    with served(tmp_path / "out" / "tier1") as url:
        page.goto(f"{url}/runbooks/disk-full/", wait_until="load")
        count = page.locator(".kb-progress__count")
        count.filter(has_text="0 / 3 steps").wait_for()
        fill(page, node="ip-10-0-1-17")
        step(page, 2).locator(".kb-step__check").check()
        assert count.inner_text() == "1 / 3 steps"
        assert "kubectl cordon ip-10-0-1-17" in step(page, 2).inner_text()
        assert "Do not drain a node of the control plane" in step(page, 2).inner_text()
        assert "Node: ip-10-0-1-17\nSteps done: 1 of 3\n  2. If it is still over 95%, cordon the node\n" in \
            page.locator(".kb-handover code").inner_text()
        page.goto(f"{url}/runbooks/cert-expiry/", wait_until="load")
        page.locator(".kb-progress").wait_for()
        assert count.inner_text() == "" and page.locator(".kb-progress__reset").is_visible()
        assert "\nSteps done:\nCustomer and account:" in page.locator(".kb-handover code").inner_text()
        assert page.js_errors == []

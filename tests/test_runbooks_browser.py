"""A Tier 1 runbook of the sample in a real headless Chromium: tick a step, link to it, copy the handover.

Uses the browser fixtures of test_browser.py (system Chromium, never downloaded; a missing browser makes
the tests fail, not skip), serving the sample built once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from generator.content import load
from generator.runbooks import handover

RUNBOOK = load(REPO).by_id()["reset-two-factor"]  # tier 1; Tier 2 follows a runbook tier 1 may not open
TARGET_TITLE = "Investigate a suspected account takeover"


@pytest.fixture(scope="module")
def site_root(sample_site) -> Path:
    """What ``base_url`` serves: the sample's four sites, under /tier0/ .. /tier3/."""
    return sample_site


def open_runbook(page, base_url: str, fragment: str = ""):
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    response = page.goto(f"{base_url}/tier1/{RUNBOOK.url}{fragment}", wait_until="load")
    assert response is not None and response.status == 200
    page.locator(".kb-escalation").wait_for(state="visible")
    return page


def test_tick_a_step(page, base_url):
    open_runbook(page, base_url)
    steps = page.locator("ol.kb-steps > li.kb-step")
    assert steps.count() == 6
    first = steps.nth(0).locator(".kb-step__check")
    assert not first.is_checked()
    first.click()
    assert first.is_checked()
    assert not steps.nth(1).locator(".kb-step__check").is_checked()
    assert page.js_errors == []


def test_step_anchor_to_paste_into_the_ticket(page, base_url):
    open_runbook(page, base_url, "#step-3")
    assert page.evaluate("document.querySelector(':target').id") == "step-3"
    assert "Reset 2FA for that member only" in page.locator("li.kb-step", has=page.locator("#step-3")).inner_text()
    link = page.locator("#step-5")
    assert link.get_attribute("href").endswith(f"{RUNBOOK.url}#step-5")  # Material makes it a full address
    page.locator("li.kb-step").nth(4).hover()
    link.click()
    assert page.url.endswith(f"/tier1/{RUNBOOK.url}#step-5")


def test_copy_buttons_on_commands(page, base_url):
    open_runbook(page, base_url)
    for name, value in {"ticket": "418223", "workspace": "ws_8KQ2M4TZ1A", "email": "owner@harbourbakery.example"}.items():
        page.locator(f'.kb-inputs input[data-kb-input="{name}"]').fill(value)
    command = page.locator("li.kb-step").nth(2)
    command.locator(".md-code__button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == ("tbctl security 2fa reset --workspace ws_8KQ2M4TZ1A \\\n  --email owner@harbourbakery.example "
                      '--ticket 418223 \\\n  --reason "Lost device, verified ACC-01"')


def test_escalation_box_and_handover_copy(page, base_url):
    open_runbook(page, base_url)
    box = page.locator(".kb-escalation")
    text = box.inner_text()
    assert "Escalate to Tier 2" in text
    assert RUNBOOK.meta["escalation"]["when"] in text
    assert f"Tier 2 takes over: assign the ticket to {RUNBOOK.meta['escalation']['queue']}." in text
    assert box.locator("a").count() == 0 and TARGET_TITLE not in page.content()
    box.locator(".kb-handover .md-code__button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    # the template, with nothing filled in yet and no step done (test_runbook_inputs_browser.py fills it)
    expected = [line.replace("Steps done:", "Steps done: 0 of 6") for line in handover(RUNBOOK, 2)]
    assert copied.rstrip("\n").split("\n") == expected
    assert page.js_errors == []


def test_tier2_site_links_the_next_runbook(page, base_url):
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    page.goto(f"{base_url}/tier2/{RUNBOOK.url}", wait_until="load")
    link = page.locator(".kb-escalation a", has_text=TARGET_TITLE)
    link.click()
    page.wait_for_url("**/runbooks/tier2/investigate-account-takeover/")
    assert page.locator("article h1").inner_text().startswith(TARGET_TITLE)

"""Defects at a glance: the header card on defect pages and the defect index, in real builds (the sample,
and a small root with a defect whose workaround is approved for Tier 2)."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, RootMaker, article, runbook_body
from generator import defects
from generator.build import build
from generator.content import load
from generator.defect_pages import listed

DEF3 = "kb/defects/DEF-0003-okta-custom-domain-sso-loop/index.html"
TODAY = datetime.date.today()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def card_of(page: str) -> str:
    match = re.search(r'<div class="kb-defect-card">(.*?)</div>', article(page), re.S)
    assert match, "no defect card"
    return match[1]


def facts(card: str) -> dict[str, str]:
    return {dt: re.sub(r"<[^>]+>", "", dd) for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", card, re.S)}


def test_every_defect_page_opens_with_its_facts(sample_site):
    tier3 = sample_site / "tier3"
    for defect in (d for d in load(REPO).documents if d.kind == "defect"):
        page = read(tier3 / defect.url / "index.html")
        body = article(page)
        assert body.index("</h1>") < body.index('class="kb-defect-card"') < body.index("Customer-facing summary")
        card = card_of(page)
        assert f'<span class="kb-defect-id">{defect.id}</span>' in card
        assert f'kb-severity--{defect.meta["severity"].lower()}">{defect.meta["severity"]}<' in card
        assert f'kb-state--{defect.meta["state"]}">{defect.meta["state"].capitalize()}<' in card
        shown = facts(card)
        assert shown["Affected versions"] == ", ".join(defect.meta["affected_versions"])
        assert shown["Fixed in"] == defect.meta.get("fixed_in", "not yet")
    assert "Last reviewed: not recorded" not in read(tier3 / DEF3), "the card has its dates"
    card = card_of(read(tier3 / DEF3))
    assert facts(card) == {
        "Affected versions": "2025.10.3, 2025.11.0, 2025.11.1", "Fixed in": "not yet", "Reported": "10 November 2025",
        "Root cause": "not yet", "Resolved": "not yet", "Intents": "Single sign-on fails or loops",
        "Known issue": "Known issue: SSO sign-in loops with ERR_SSO_4012 for Okta tenants with custom domains",
        "Tier 2 runbooks": "none"}
    assert 'href="../../../intents/sso.login-errors/"' in card
    assert 'href="../../sso/known-issue-okta-custom-domain-sso-loop/"' in card
    resolved = facts(card_of(read(tier3 / "kb/defects/DEF-0002-duplicate-payment-succeeded-webhooks/index.html")))
    assert (resolved["Root cause"], resolved["Resolved"], resolved["Tier 2 runbooks"]) == \
        ("24 October 2025", "4 November 2025", "Investigate webhook deliveries")


def test_the_tier3_defect_index_lists_open_defects_first(sample_site):
    page = article(read(sample_site / "tier3" / "defects" / "index.html"))
    rows = re.findall(r'<tr data-state="(\w+)" data-severity="(\w+)" data-intents="([^"]*)">(.*?)</tr>', page, re.S)
    assert [re.search(r"DEF-\d+", row[3])[0] for row in rows] == ["DEF-0003", "DEF-0004", "DEF-0002", "DEF-0001"]
    assert [row[:2] for row in rows] == [("investigating", "P2"), ("investigating", "P3"), ("resolved", "P2"),
                                         ("resolved", "P3")]
    assert rows[2][2] == "integrations.webhook-delivery integrations.webhooks"
    assert 'href="../kb/defects/DEF-0003-okta-custom-domain-sso-loop/"' in rows[0][3]
    assert '<form class="kb-defect-filters" hidden>' in page, "the filters show only where their script runs"
    nav = read(sample_site / "tier3" / "index.html")
    assert re.search(r'<a href="defects/" class="md-nav__link">\s*<span class="md-ellipsis">\s*Defects', nav)


def test_the_public_and_tier1_sites_have_no_index_and_tier2_lists_defects_fed_to_its_runbooks(sample_site):
    for tier in (0, 1):
        site = sample_site / f"tier{tier}"
        assert not (site / "defects").exists(), tier
        assert 'href="defects/"' not in read(site / "index.html"), tier
    page = article(read(sample_site / "tier2" / "defects" / "index.html"))
    rows = re.findall(r"<tr data-state=.*?</tr>", page, re.S)
    assert len(rows) == 1 and "Webhook retries sent duplicate payment.succeeded events" in rows[0]
    assert '<a href="../runbooks/tier2/investigate-webhook-deliveries/">' in rows[0]
    assert not re.search(r"DEF-\d+", page), "ids name tier 3 write-ups"


WRITE_UP = """\
# {title}

## Customer-facing summary

Some refunds stay pending.

## How Tier 2 recognises it

The refund shows as pending for more than a day.

## Root cause

A queue lost messages.

## Fix

The queue keeps them.

## Workaround

Cancel the refund and issue it again.
"""


@pytest.fixture(scope="module")
def agent_root(tmp_path_factory) -> Path:
    """Two open defects on one intent; the first has its workaround approved for Tier 2 and was fed."""
    make = RootMaker(tmp_path_factory.mktemp("agents") / "root")
    common = dict(kind="defect", tier=3, intents=["billing.refund"], reported_on="2026-10-01", state="open")
    make.doc("kb/defects/DEF-0101-refund-stuck.md", WRITE_UP.format(title="Refunds stuck in pending"),
             id="DEF-0101", title="Refunds stuck in pending", severity="P1", agent_workaround="true", **common)
    make.doc("kb/defects/DEF-0102-ledger.md", WRITE_UP.format(title="Ledger rounding drifts at month end"),
             id="DEF-0102", title="Ledger rounding drifts at month end", severity="P3", **common)
    make.doc("kb/billing/refunds.md", id="refunds", title="Get a refund", intents=["billing.refund"])
    make.doc("runbooks/tier2/diagnose-refunds.md", runbook_body("Diagnose refunds"), id="diagnose-refunds",
             title="Diagnose refunds", tier=2, intents=["billing.refund"])
    fed = defects.feed(make.path, "DEF-0101")
    assert (fed.article, fed.runbooks) == (None, ["runbooks/tier2/diagnose-refunds.md"]), "no customer update"
    with pytest.raises(defects.FeedError):
        defects.feed(make.path, "DEF-0102")
    for number, title, days in ((103, "Refund receipts show the wrong date", 10),
                                (104, "Refund emails went to the old address", 400)):
        resolved = dict(common, state="resolved", resolved_on=str(TODAY - datetime.timedelta(days=days)),
                        reported_on=str(TODAY - datetime.timedelta(days=days + 5)))
        make.doc(f"kb/defects/DEF-0{number}-fixed-{number}.md", WRITE_UP.format(title=title), id=f"DEF-0{number}",
                 title=title, severity="P3", fixed_in="'2026.1.0'", **resolved)
    assert [f.defect for f in defects.feed_all(make.path)] == ["DEF-0103", "DEF-0104"]
    return make.path


@pytest.fixture(scope="module")
def agent_site(agent_root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("agents-out") / "site"
    build(agent_root, out=out, tiers=[1, 2, 3])  # its leak audit passes: tier 2 shows what its runbook shows
    return out


def test_an_open_defect_with_an_agent_workaround_feeds_tier2_only(agent_root):
    record = load(agent_root).by_id()["DEF-0101"].meta["fed"]
    assert record == {"runbooks": ["diagnose-refunds"]}
    assert not list(agent_root.rglob("known-issue-refunds-stuck*")), "no customer article"
    runbook = (agent_root / "runbooks/tier2/diagnose-refunds.md").read_text(encoding="utf-8")
    assert "Cancel the refund and issue it again." in runbook and "Some refunds stay pending" not in runbook
    assert defects.unfed(load(agent_root)) == [], "fed already; the other one is for neither customers nor agents"


def test_tier2_lists_only_defects_whose_workaround_reached_its_runbooks(agent_root, agent_site):
    assert [d.id for d in listed(load(agent_root), 2)] == ["DEF-0101", "DEF-0103", "DEF-0104"], "not DEF-0102"
    page = article(read(agent_site / "tier2" / "defects" / "index.html"))
    assert "Refunds stuck in pending" in page
    assert "DEF-0101" not in page and "kb/defects/" not in page, "the write-up is tier 3: its runbooks instead"
    assert '<a href="../runbooks/tier2/diagnose-refunds/">Diagnose refunds</a>' in page
    everything = "\n".join(read(p) for p in (agent_site / "tier2").rglob("*.html"))
    assert "Ledger rounding" not in everything
    assert not (agent_site / "tier1" / "defects").exists()
    tier3 = article(read(agent_site / "tier3" / "defects" / "index.html"))
    assert tier3.index("DEF-0101") < tier3.index("DEF-0102"), "P1 before P3 among open defects"


def test_known_defects_in_a_runbook_are_one_line_each_and_old_fixes_fold_away(agent_site):
    page = article(read(agent_site / "tier2" / "runbooks/tier2/diagnose-refunds/index.html"))
    box = page.split('id="known-defects"', 1)[1].split("<h2", 1)[0]
    lines = re.findall(r'<details class="([^"]+)">\s*<summary>(.*?)</summary>', box)
    assert lines == [("kb-known-defect kb-known-defect--open", "Open · Refunds stuck in pending"),
                     ("kb-known-defect kb-known-defect--fixed",
                      "Fixed in 2026.1.0 · Refund receipts show the wrong date"),
                     ("kb-known-defects-older", "Older fixed defects (1)"),
                     ("kb-known-defect kb-known-defect--fixed",
                      "Fixed in 2026.1.0 · Refund emails went to the old address")]
    older = box.split('class="kb-known-defects-older"', 1)[1]
    assert "Refund receipts" not in older, "fixed within the window (180 days): not folded"
    assert box.count("Cancel the refund and issue it again.") == 3
    assert "DEF-01" not in box, "the write-up's id and link are for tier 3"
    tier3 = article(read(agent_site / "tier3" / "runbooks/tier2/diagnose-refunds/index.html"))
    assert len(re.findall(r'>DEF-010[134]</a>', tier3)) == 3


def _copied_with(root: Path, target: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of ``root`` with ``old`` replaced by ``new`` in each named file."""
    shutil.copytree(root, target)
    for rel, (old, new) in edits.items():
        text = (target / rel).read_text(encoding="utf-8")
        assert old in text, rel
        (target / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


UNFED = "kb/defects/DEF-0102-ledger.md"
RUNBOOK = "runbooks/tier2/diagnose-refunds.md"
FED_ENTRY_START = "<!-- kbgen:defect DEF-0101"


@pytest.mark.parametrize("shape", ["record-only", "entry-in-tier3-block"])
def test_tier2_lists_a_defect_only_where_its_runbooks_show_the_entry(agent_root, tmp_path, shape):
    """The record of what a defect fed is front matter anyone may edit: a tier 3 defect is listed on tier 2
    only when a runbook's tier 2 page shows its entry, not because its record names a runbook."""
    if shape == "record-only":  # a write-up that was never fed claims it was
        edits = {UNFED: ("state: open", "state: open\nfed:\n  runbooks: [diagnose-refunds]")}
        hidden = "DEF-0102"
    else:  # the fed entry, moved by hand into a block only tier 3 reads
        text = (agent_root / RUNBOOK).read_text(encoding="utf-8")
        start = text.index(FED_ENTRY_START)
        end = text.index("<!-- /kbgen:defect -->", start) + len("<!-- /kbgen:defect -->")
        region = text[start:end]
        edits = {RUNBOOK: (region, f"/////// internal | tier: 3\n{region}\n\n///////")}
        hidden = "DEF-0101"
    root = _copied_with(agent_root, tmp_path / "root", edits)
    content = load(root)
    assert hidden not in [d.id for d in listed(content, 2)]
    assert hidden in [d.id for d in listed(content, 3)]
    title = content.by_id()[hidden].title
    build(root, out=tmp_path / "out", tiers=[2])
    site = tmp_path / "out" / "tier2"
    assert not [p for p in site.rglob("*.html") if title in read(p)], f"{title!r} is for tier 3"


def test_tier2_lists_no_defect_the_feed_would_not_tell_it_of(agent_root, tmp_path):
    """An open defect whose workaround is not approved for agents, given a runbook entry written by hand
    (the feed's markers and line copied) and a record naming that runbook: the runbook shows what its
    writer wrote, but the Defects page adds nothing of the write-up (its severity, state, versions)."""
    text = (agent_root / RUNBOOK).read_text(encoding="utf-8")
    start = text.index(FED_ENTRY_START)
    end = text.index("<!-- /kbgen:defect -->", start) + len("<!-- /kbgen:defect -->")
    copied = text[start:end].replace("DEF-0101-refund-stuck", "DEF-0102-ledger").replace("DEF-0101", "DEF-0102")
    copied = copied.replace("Refunds stuck in pending", "Ledger rounding drifts at month end")
    root = _copied_with(agent_root, tmp_path / "root", {
        UNFED: ("state: open", "state: open\nfed:\n  runbooks: [diagnose-refunds]"),
        RUNBOOK: ("## Known defects\n", f"## Known defects\n\n{copied}\n")})
    content = load(root)
    assert "DEF-0102" not in [d.id for d in listed(content, 2)]
    assert "DEF-0102" in [d.id for d in listed(content, 3)]
    build(root, out=tmp_path / "out", tiers=[2])
    page = article(read(tmp_path / "out" / "tier2" / "defects" / "index.html"))
    rows = re.findall(r"<tr data-state=.*?</tr>", page, re.S)
    assert rows and not [row for row in rows if "Ledger rounding" in row]
    runbook = read(tmp_path / "out" / "tier2" / "runbooks/tier2/diagnose-refunds/index.html")
    assert "Ledger rounding drifts at month end" in runbook, "the runbook shows what its writer wrote"


def test_tier2_row_shows_no_report_date_of_a_tier3_write_up(agent_site):
    page = article(read(agent_site / "tier2" / "defects" / "index.html"))
    row = next(row for row in re.findall(r"<tr data-state=.*?</tr>", page, re.S) if "Refunds stuck" in row)
    assert "<td>-</td>" in row and "2026" not in row.replace("2026.1.0", "")


def _old_region_in_a_block(text: str, slashes: int, blank: str) -> str:
    """The runbook with its folded-away (400-day-old) entry moved into a tier 3 block of ``slashes``
    slashes, beside a secret, as a writer might."""
    start = text.index("<!-- kbgen:defect DEF-0104")
    end = text.index("<!-- /kbgen:defect -->", start) + len("<!-- /kbgen:defect -->")
    fence = "/" * slashes
    return (text[:start] + f"{fence} internal | tier: 3\n{blank}{text[start:end]}\n\nVault okapi quokka\n\n{fence}"
            + text[end:])


@pytest.mark.parametrize("slashes", [5, 6, 7, 9])  # fewer than the entries' four and one: refused (nesting)
@pytest.mark.parametrize("blank", ["", "\n"])
def test_folding_old_fixes_never_closes_a_writers_block(agent_root, slashes, blank):
    """The fold's fence is longer than any in the page: a writer's internal block around the entries hides
    from tier 2, folded, exactly what it hides unfolded (a five-slash block was closed by the fold's end)."""
    from generator import structure
    from generator.defect_pages import fold_old_fixed

    content = load(agent_root)
    text = _old_region_in_a_block(content.by_rel()[RUNBOOK].body, slashes, blank)
    folded = fold_old_fixed(text, content.by_id(), TODAY, 180)
    assert folded != text, "the 400-day-old fix folds away"
    shown = [structure.render(content, structure.strip_markers(page), 2) for page in (text, folded)]
    assert "okapi" not in shown[0].text
    assert shown[1].text == shown[0].text
    assert len(shown[1].hidden) == len(shown[0].hidden)


def test_a_folded_fix_inside_a_writers_block_builds_hidden(agent_root, tmp_path):
    text = (agent_root / RUNBOOK).read_text(encoding="utf-8")
    root = _copied_with(agent_root, tmp_path / "root", {RUNBOOK: (text, _old_region_in_a_block(text, 5, ""))})
    build(root, out=tmp_path / "out", tiers=[2, 3])
    page = "runbooks/tier2/diagnose-refunds/index.html"
    assert "okapi" not in read(tmp_path / "out" / "tier2" / page)
    assert "okapi" in read(tmp_path / "out" / "tier3" / page)

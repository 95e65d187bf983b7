"""``kbgen report``: figures on a root with known answers, in both formats, and the page only tier 3 has."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess

import pytest

from conftest import REPO, article, assert_no_crash, run_cli
from generator.content import load
from generator.report import PAGE_TITLE, health, to_markdown

INTENTS = """\
intents:
  - id: account.password-reset
    title: Reset a forgotten password
    resolution_tier: 0
  - id: billing.refund
    title: Get a refund
    resolution_tier: 1
  - id: billing.invoice-pdf
    title: Invoice PDF looks wrong
"""


@pytest.fixture
def known_root(make_root):
    """Three resolved defects (two fed back), one open; one public article overdue for review."""
    make_root.file("intents.yml", INTENTS)
    make_root.doc("kb/account/reset.md", review_by="2026-01-31", owner="team-a")
    make_root.doc("kb/billing/refunds-agents.md", tier=1, intents=["billing.refund"], review_by="2026-12-31")
    make_root.doc("runbooks/tier1/refund.md", intents=["billing.refund"], review_by="2026-03-01")
    make_root.doc("kb/billing/draft.md", intents=["billing.refund", "billing.invoice-pdf"], status="draft",
                  review_by="2020-01-01")
    make_root.doc("kb/billing/archived.md", kind="defect", tier=3, id="DEF-0009", status="archived",
                  intents=["billing.refund"], state="resolved")
    defects = [
        ("DEF-0001", "[billing.refund]", "resolved", "2026-01-01", "2026-01-03", "{article: reset}"),
        ("DEF-0002", "[billing.refund, account.password-reset]", "resolved", "2026-01-10", "2026-01-20",
         "{runbooks: [refund]}"),  # runbooks but no article: not fed back to customers
        ("DEF-0003", "[billing.refund]", "resolved", "2026-02-01", "2026-02-05",
         "{article: reset, runbooks: [refund]}"),
        ("DEF-0004", "[billing.invoice-pdf]", "open", "2026-02-10", None, None),
    ]
    for defect_id, intents, state, reported, root_cause, fed in defects:
        fields = {"id": defect_id, "kind": "defect", "tier": 3, "intents": intents, "state": state,
                  "reported_on": reported}
        fields.update({k: v for k, v in (("root_cause_on", root_cause), ("fed", fed)) if v})
        make_root.doc(f"kb/defects/{defect_id}.md", **fields)
    return make_root.path


EXPECTED = {
    "today": "2026-03-01",
    "documents": {"0": {"article": 1, "runbook": 0, "defect": 0}, "1": {"article": 1, "runbook": 1, "defect": 0},
                  "2": {"article": 0, "runbook": 0, "defect": 0}, "3": {"article": 0, "runbook": 0, "defect": 4}},
    "resolved_defects": 3,
    "fed_defects": 2,
    "contribution_rate": 0.6667,
    "not_fed": [{"id": "DEF-0002", "path": "kb/defects/DEF-0002.md"}],
    "defects_by_intent": [
        {"intent": "billing.refund", "title": "Get a refund", "defects": 3, "ids": ["DEF-0001", "DEF-0002", "DEF-0003"]},
        {"intent": "account.password-reset", "title": "Reset a forgotten password", "defects": 1, "ids": ["DEF-0002"]},
        {"intent": "billing.invoice-pdf", "title": "Invoice PDF looks wrong", "defects": 1, "ids": ["DEF-0004"]},
    ],
    "median_days_to_root_cause": 4.0,  # of 2, 10 and 4 days
    "root_causes_measured": 3,
    "self_service_gaps": [{"intent": "billing.refund", "title": "Get a refund", "resolution_tier": 1},
                          {"intent": "billing.invoice-pdf", "title": "Invoice PDF looks wrong", "resolution_tier": None}],
    "past_review_by": [{"id": "reset", "title": "Reset", "path": "kb/account/reset.md", "review_by": "2026-01-31",
                        "days_over": 29, "owner": "team-a"}],
    "unreadable_files": 0,
    "recurrences": [],
    "quarters": [{"quarter": "2026-Q1", "reported": 4, "recurrences": 0, "recurrence_rate": 0.0,
                  "median_days_to_root_cause": 4.0, "median_days_to_fix": None}],
    "recurrence_by_intent": [
        {"intent": "billing.refund", "title": "Get a refund", "defects": 3, "recurrences": 0, "recurrence_rate": 0.0},
        {"intent": "account.password-reset", "title": "Reset a forgotten password", "defects": 1, "recurrences": 0,
         "recurrence_rate": 0.0},
        {"intent": "billing.invoice-pdf", "title": "Invoice PDF looks wrong", "defects": 1, "recurrences": 0,
         "recurrence_rate": 0.0}],
    "open_defects": [{"id": "DEF-0004", "title": "Def 0004", "path": "kb/defects/DEF-0004.md", "severity": None,
                      "state": "open", "age_days": 19, "reported_on": "2026-02-10"}],
    "open_by_age": {"under a week": 0, "1 to 4 weeks": 1, "1 to 3 months": 0, "over 3 months": 0},
    "handover": {"runbooks": 0, "naming_target": 0, "share": None, "without_target": [], "filled_from_inputs": 0,
                 "filled_share": None, "without_inputs": []},
    "dates_from_git": [],
}


def test_json_figures(known_root):
    result = run_cli("report", "--root", str(known_root), "--format", "json", "--today", "2026-03-01")
    assert_no_crash(result)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == EXPECTED


def test_markdown_figures(known_root):
    result = run_cli("report", "--root", str(known_root), "--today", "2026-03-01")
    assert_no_crash(result)
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith(f"# {PAGE_TITLE}\n\nAs of 2026-03-01.")
    assert "Resolved defects fed back into the knowledge base: **67%** (2 of 3 resolved defects)." in text
    assert "Not fed back yet:\n\n- [DEF-0002](kb/defects/DEF-0002.md)\n" in text
    assert "Median: **4 days** (over 3 defects)." in text
    assert "| Get a refund (`billing.refund`) | 3 | DEF-0001, DEF-0002, DEF-0003 |" in text
    assert "| Invoice PDF looks wrong (`billing.invoice-pdf`) | not set |" in text
    assert "| [Reset](kb/account/reset.md) | 2026-01-31 | 29 | team-a |" in text
    assert "| 1 | 1 | 1 | 0 | 2 |" in text and "| All | 2 | 1 | 4 | 7 |" in text


def _git(root, *args, date="2025-05-20T12:00:00"):
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "T",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def measured_root(make_root):
    """Defects over two quarters, a recurrence, one without reported_on (its write-up committed on
    2025-05-20), two open defects of different ages, and tier 2 runbooks with and without a named handover."""
    make_root.file("intents.yml", INTENTS)
    make_root.doc("runbooks/tier3/fix-refunds.md", id="fix-refunds", tier=3, intents=["billing.refund"])
    make_root.doc("runbooks/tier2/named.md", id="named", tier=2, intents=["billing.refund"],
                  escalation="{to_tier: 3, when: it fails, runbook: fix-refunds}",
                  inputs="[{name: charge, label: Charge ID}]")
    make_root.doc("runbooks/tier2/unnamed.md", id="unnamed", tier=2, intents=["billing.refund"])
    make_root.doc("runbooks/tier2/wrong-tier.md", id="wrong-tier", tier=2, intents=["billing.refund"],
                  escalation="{to_tier: 3, when: it fails, runbook: named}")
    defects = {  # id: (intents, reported, root cause, resolved, recurrence of)
        "DEF-0001": ("[billing.refund]", "2025-04-02", "2025-04-04", "2025-04-12", None),
        "DEF-0002": ("[billing.refund]", None, "2025-05-24", "2025-06-01", None),  # reported: from Git
        "DEF-0003": ("[billing.refund]", "2025-07-01", "2025-07-09", "2025-07-31", "DEF-0001"),
        "DEF-0004": ("[billing.invoice-pdf]", "2025-08-15", None, None, None),
        "DEF-0005": ("[billing.refund]", "2025-09-20", "2025-09-21", None, "DEF-0003"),
    }
    for defect_id, (intents, reported, root_cause, resolved, earlier) in defects.items():
        fields = {"id": defect_id, "kind": "defect", "tier": 3, "intents": intents,
                  "state": "resolved" if resolved else "investigating"}
        fields.update({k: v for k, v in (("reported_on", reported), ("root_cause_on", root_cause),
                                         ("resolved_on", resolved), ("recurrence_of", earlier),
                                         ("fixed_in", "'1.0'" if resolved else None)) if v})
        make_root.doc(f"kb/defects/{defect_id}.md", **fields)
    _git(make_root.path, "init", "-q")
    _git(make_root.path, "add", "-A")
    _git(make_root.path, "commit", "-q", "-m", "Write-ups")
    return make_root.path


def test_tier3_measures(measured_root):
    figures = health(load(measured_root), today=dt.date(2025, 10, 1))
    assert figures.recurrences == [{"id": "DEF-0003", "recurrence_of": "DEF-0001", "path": "kb/defects/DEF-0003.md"},
                                   {"id": "DEF-0005", "recurrence_of": "DEF-0003", "path": "kb/defects/DEF-0005.md"}]
    assert figures.quarters == [
        {"quarter": "2025-Q2", "reported": 2, "recurrences": 0, "recurrence_rate": 0.0,
         "median_days_to_root_cause": 3.0, "median_days_to_fix": 11.0},  # 2 and 4 days; 10 and 12 days
        {"quarter": "2025-Q3", "reported": 3, "recurrences": 2, "recurrence_rate": 0.6667,
         "median_days_to_root_cause": 4.5, "median_days_to_fix": 30.0}]  # 8 and 1 days; 30 days
    assert figures.recurrence_by_intent[0] == {"intent": "billing.refund", "title": "Get a refund", "defects": 4,
                                               "recurrences": 2, "recurrence_rate": 0.5}
    assert [(row["id"], row["age_days"]) for row in figures.open_defects] == [("DEF-0004", 47), ("DEF-0005", 11)]
    assert figures.open_by_age == {"under a week": 0, "1 to 4 weeks": 1, "1 to 3 months": 1, "over 3 months": 0}
    assert figures.handover == {"runbooks": 3, "naming_target": 1, "share": 0.3333, "without_target": [
        {"id": "unnamed", "path": "runbooks/tier2/unnamed.md"},
        {"id": "wrong-tier", "path": "runbooks/tier2/wrong-tier.md"}],
        "filled_from_inputs": 1, "filled_share": 0.3333, "without_inputs": [
        {"id": "unnamed", "path": "runbooks/tier2/unnamed.md"},
        {"id": "wrong-tier", "path": "runbooks/tier2/wrong-tier.md"}]}
    assert figures.dates_from_git == [{"id": "DEF-0002", "path": "kb/defects/DEF-0002.md", "field": "reported_on",
                                       "date": "2025-05-20"}]
    text = to_markdown(figures)
    assert "| 2025-Q3 | 3 | 4.5 | 30 |" in text and "| 2025-Q3 | 3 | 2 | 67% |" in text
    assert "- [DEF-0002](kb/defects/DEF-0002.md): `reported_on` 2025-05-20" in text
    assert "names the runbook Tier 3 follows: **33%** (1 of 3)" in text
    assert "filled from inputs the agent typed (beyond the ticket): **33%** (1 of 3)" in text
    chart = re.search(r"<svg class=\"kb-trend\".*?</svg>", text)[0]
    bars = re.findall(r'<rect class="kb-trend__bar" x="\d+" y="\d+" width="\d+" height="(\d+)"[^>]*>'
                      r"<title>(.*?)</title>", chart)
    assert [title for _, title in bars] == ["2025-Q2: to root cause 3 days", "2025-Q2: to fix 11 days",
                                            "2025-Q3: to root cause 4.5 days", "2025-Q3: to fix 30 days"]
    assert int(bars[3][0]) > int(bars[1][0]) > int(bars[2][0]) > int(bars[0][0]), "bar heights follow the days"


def test_recurrence_of_names_another_defect(make_root):
    make_root.doc("kb/defects/DEF-0001.md", id="DEF-0001", kind="defect", tier=3, recurrence_of="DEF-0009")
    make_root.doc("kb/defects/DEF-0002.md", id="DEF-0002", kind="defect", tier=3, recurrence_of="reset")
    make_root.doc("kb/reset.md", id="reset")
    result = run_cli("validate", "--root", str(make_root.path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "kb/defects/DEF-0001.md:5:1: error [defect-recurrence] 'recurrence_of' names 'DEF-0009'" in result.output
    assert "kb/defects/DEF-0002.md:5:1: error [defect-recurrence]" in result.output


def test_defects_naming_each_other_as_recurrences_are_refused(make_root):
    make_root.doc("kb/defects/DEF-0001.md", id="DEF-0001", kind="defect", tier=3, recurrence_of="DEF-0002")
    make_root.doc("kb/defects/DEF-0002.md", id="DEF-0002", kind="defect", tier=3, recurrence_of="DEF-0001")
    make_root.doc("kb/defects/DEF-0003.md", id="DEF-0003", kind="defect", tier=3, recurrence_of="DEF-0001")
    result = run_cli("validate", "--root", str(make_root.path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ("kb/defects/DEF-0001.md:5:1: error [defect-recurrence] 'recurrence_of' runs in a loop "
            "(DEF-0001 -> DEF-0002 -> DEF-0001)") in result.output
    assert "kb/defects/DEF-0002.md:5:1: error [defect-recurrence]" in result.output
    assert "DEF-0003.md" not in result.output, "a recurrence of a defect in a loop is not in the loop"


def test_review_dates_follow_today(known_root):
    later = health(load(known_root), today=dt.date(2026, 3, 2))
    assert [row["id"] for row in later.past_review_by] == ["reset", "refund"]  # due 2026-03-01, now a day over


def test_empty_root_says_so(make_root):
    make_root.file("kb/broken.md", "no front matter\n")
    make_root.file("kb/bom.md", b"\xef\xbb\xbf---\nid: bom\n---\n")  # reported by validate, but loaded
    text = to_markdown(health(load(make_root.path)))
    assert "Resolved defects fed back into the knowledge base: no resolved defect yet." in text
    assert "Median: no defect with both dates yet." in text
    assert "1 file(s) did not load and are not counted" in text
    assert "## Defects by intent\n\nNo defects." in text


@pytest.mark.parametrize("args", [["--root", "{tmp}"], ["--root", "{root}", "--today", "2026-02-30"],
                                  ["--root", "{root}", "--format", "html"]])
def test_usage_errors_exit_2(known_root, tmp_path, args):
    """Not a content root, a date that does not exist, an unknown format."""
    result = run_cli("report", *(a.format(tmp=tmp_path, root=known_root) for a in args))
    assert_no_crash(result)
    assert result.exit_code == 2


def test_the_tier_3_site_has_the_report_page(sample_site):
    page = (sample_site / "tier3" / "health" / "index.html").read_text(encoding="utf-8")
    figures = health(load(REPO))
    body = re.sub(r"<[^>]+>", "", article(page))
    assert PAGE_TITLE in body
    resolved = f"({figures.fed_defects} of {figures.resolved_defects} resolved defects)"
    assert resolved in body
    assert f"over {figures.root_causes_measured} defects" in body
    for row in figures.defects_by_intent:
        assert row["intent"] in body
    # every document link works in the site
    for href in re.findall(r'href="(\.\./kb/[^"#]+)"', article(page)):
        assert (sample_site / "tier3" / "health" / href / "index.html").resolve().is_file(), href
    home = (sample_site / "tier3" / "index.html").read_text(encoding="utf-8")
    assert 'href="health/"' in home and PAGE_TITLE in home
    chart = re.search(r'<svg class="kb-trend".*?</svg>', article(page), re.S)[0]
    assert len(re.findall(r'class="kb-trend__bar"', chart)) == sum(
        (q["median_days_to_root_cause"] is not None) + (q["median_days_to_fix"] is not None) for q in figures.quarters)
    assert [row["id"] for row in figures.recurrences] == ["DEF-0004"], "the sample's credit note recurrence"
    assert "DEF-0004 is a recurrence of DEF-0001" in body


@pytest.mark.parametrize("tier", [0, 1, 2])
def test_lower_sites_have_no_report(sample_site, tier):
    site = sample_site / f"tier{tier}"
    assert not (site / "health").exists()
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".js"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert PAGE_TITLE not in text and "health/" not in text, path


def test_dates_the_write_up_lacks_come_from_the_commits_that_made_them_true(make_root):
    """Reported in the write-up; its root cause written in a later commit (the template's TODO: before),
    and resolved in another that set ``state: resolved`` but no date."""
    body = "# Refunds\n\n## Customer-facing summary\n\nText.\n\n## Root cause\n\nTODO: why it happened.\n"
    make_root.doc("kb/defects/DEF-0001.md", body, id="DEF-0001", kind="defect", tier=3,
                  intents=["account.password-reset"], state="investigating", reported_on="2025-04-01")
    path = make_root.path / "kb/defects/DEF-0001.md"
    _git(make_root.path, "init", "-q")
    _git(make_root.path, "add", "-A")
    _git(make_root.path, "commit", "-q", "-m", "Write-up", date="2025-04-02T09:00:00")
    path.write_text(path.read_text(encoding="utf-8").replace("TODO: why it happened.", "A timeout."), encoding="utf-8")
    _git(make_root.path, "commit", "-q", "-am", "Root cause", date="2025-04-05T09:00:00")
    path.write_text(path.read_text(encoding="utf-8").replace("state: investigating", "state: resolved\nfixed_in: '1.1'"),
                    encoding="utf-8")
    _git(make_root.path, "commit", "-q", "-am", "Fixed", date="2025-04-11T09:00:00")
    figures = health(load(make_root.path), today=dt.date(2025, 10, 1))
    assert [(row["field"], row["date"]) for row in figures.dates_from_git] == [
        ("root_cause_on", "2025-04-05"), ("resolved_on", "2025-04-11")]
    assert (figures.quarters[0]["median_days_to_root_cause"], figures.quarters[0]["median_days_to_fix"]) == (4.0, 10.0)

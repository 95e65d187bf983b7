"""``kbgen defect feed``: known-issue articles and tier 2 known-defect entries from resolved defects.

Every test feeds a real content root on disk and reads the files back; the last ones build the
sample and look at what the public and agent sites show.
"""

from __future__ import annotations

import datetime
import html
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import INTENTS, REPO, RootMaker, article, run_cli, stderr_of, tree_hash
from generator import defects
from generator.build import build
from generator.audit import words
from generator.content import load
from generator.findings import has_errors
from generator.search import SearchIndex
from generator.validate import validate

DEFECT = "kb/defects/DEF-0042-refunds-fail-twice.md"
ARTICLE = "kb/billing/known-issue-refunds-fail-on-the-first-attempt.md"
RUNBOOK = "runbooks/tier2/diagnose-refunds.md"
DEFECT_TEXT = """\
---
id: DEF-0042
title: Refunds fail on the first attempt
kind: defect
tier: 3
# Intents customers raise about it
intents: [billing.refund]
owner: t3-billing  # the team that fixed it
severity: P2
state: {state}
affected_versions: ["2025.10.0", "2025.10.1"]
fixed_in: "2025.10.2"
reported_on: 2025-10-03
root_cause_on: 2025-10-04
resolved_on: 2025-10-08
{extra}---

# Refunds fail on the first attempt

Written up by Tier 3.

## Customer-facing summary

{summary}

## Symptoms

The refund button shows an error once, then works.

## How Tier 2 recognises it

The payments log shows `refund.retry` twice for one payment. See [Diagnose refunds](../../runbooks/tier2/diagnose-refunds.md).

## Root cause

A timeout in the payment provider client.

## Fix

The client retries with the same idempotency key.

## Workaround

{workaround}

## Preventative measures

A contract test for retries.

## References

- Tickets 417602 and 417644, pull request #18234.
"""
SUMMARY_LINE = DEFECT_TEXT.split("\n").index("{summary}") + 1  # in the file, as findings count lines
WORKAROUND_LINE = DEFECT_TEXT.split("\n").index("{workaround}") + 1
SUMMARY = ("Between 1 and 8 October 2025, some refunds failed on the first attempt and worked on the second. "
           "No refund was paid twice. See [Get a refund](../billing/refunds.md).")
WORKAROUND = "Select **Refund** again after a minute."
RUNBOOK_TEXT = """\
---
id: diagnose-refunds
title: Diagnose refunds
kind: runbook
tier: 2
intents: [billing.refund]
escalation: {to_tier: 3, when: The refund fails three times.}
---

# Diagnose refunds

## When to use

A refund failed.

## Before you start

Open the payments log.

## Steps

1. Find the refund.

## Verify

The refund shows as paid.

## Escalate

After three failures.
"""


def defect_text(state="resolved", summary=SUMMARY, workaround=WORKAROUND, extra="") -> str:
    return DEFECT_TEXT.format(state=state, summary=summary, workaround=workaround, extra=extra)


@pytest.fixture
def root(make_root) -> Path:
    make_root.doc("kb/billing/refunds.md", id="refunds", title="Get a refund", intents=["billing.refund"])
    make_root.file(RUNBOOK, RUNBOOK_TEXT)
    make_root.doc("runbooks/tier2/other-runbook.md", id="other-runbook", tier=2, intents=["account.password-reset"])
    make_root.file(DEFECT, defect_text())
    return make_root.path


def frontmatter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def region(text: str, defect_id: str = "DEF-0042") -> str:
    match = re.search(rf"<!-- kbgen:defect {defect_id} [0-9a-f]{{12}} -->\n(.*?)<!-- /kbgen:defect -->", text, re.S)
    assert match, f"no region of {defect_id} in:\n{text}"
    return match[1]


def outside(text: str) -> str:
    """The page without the feed's regions: what belongs to writers."""
    return re.sub(r"<!-- kbgen:defect .*?<!-- /kbgen:defect -->", "", text, flags=re.S)


def test_feed_creates_the_article_and_the_runbook_entry_and_records_them(root):
    fed = defects.feed(root, "DEF-0042")
    assert (fed.article, fed.runbooks) == (ARTICLE, [RUNBOOK])
    assert sorted(fed.written) == sorted([ARTICLE, RUNBOOK, DEFECT])

    meta = frontmatter(root / ARTICLE)
    assert (meta["id"], meta["kind"], meta["tier"], meta["intents"]) == \
        ("known-issue-refunds-fail-on-the-first-attempt", "article", 0, ["billing.refund"])
    assert meta["title"] == "Known issue: Refunds fail on the first attempt"
    assert set(meta) == {"id", "title", "kind", "tier", "intents", "summary", "tags", "known_issue"}, \
        "nothing else of the write-up's front matter (its owner is Tier 3's team)"
    assert meta["known_issue"] == {"defect": "DEF-0042", "since": datetime.date(2025, 10, 3), "status": "fixed",
                                   "fixed_in": "2025.10.2", "fixed_on": datetime.date(2025, 10, 8),
                                   "updates": [{"date": datetime.date(2025, 10, 8), "status": "fixed"}]}
    owned = region((root / ARTICLE).read_text(encoding="utf-8"))
    assert owned.startswith('!!! kb-known-issue kb-known-issue--fixed "Fixed in 2025.10.2"\n'
                            "    The problem is fixed in version 2025.10.2. Last update: 8 October 2025.\n")
    assert owned.endswith("## Updates\n\n- **8 October 2025**: The problem is fixed in version 2025.10.2.\n")
    assert "some refunds failed on the first attempt" in owned
    assert "## Workaround\n\nSelect **Refund** again after a minute." in owned
    assert "[Get a refund](refunds.md)" in owned, "the link is rewritten for the article's folder"
    assert "Tier 3" not in owned and "idempotency" not in owned, "only the summary and workaround are published"

    runbook = (root / RUNBOOK).read_text(encoding="utf-8")
    assert runbook.index("## When to use") < runbook.index("## Known defects") < runbook.index("## Before you start")
    entry = region(runbook)
    assert entry.startswith("//// details | Fixed in 2025.10.2 · Refunds fail on the first attempt\n"
                            "    attrs: {class: kb-known-defect kb-known-defect--fixed}\n"), \
        "one line, opened on demand"
    assert entry.endswith("///\n\n////\n"), "the entry's block closes after the tier 3 link inside it"
    assert "Severity P2 · affects 2025.10.0, 2025.10.1 · fixed in 2025.10.2 (8 October 2025)." in entry
    assert "**How to recognise it**\n\nThe payments log shows `refund.retry` twice" in entry
    assert "[Diagnose refunds](diagnose-refunds.md)" in entry
    assert "**Workaround**\n\nSelect **Refund** again after a minute." in entry
    assert "/// internal | tier: 3\nDefect write-up: [DEF-0042](../../kb/defects/DEF-0042-refunds-fail-twice.md)" in entry
    assert "Known defects" not in (root / "runbooks/tier2/other-runbook.md").read_text(encoding="utf-8")

    record = load(root).by_id()["DEF-0042"].meta["fed"]
    assert record == {"article": "known-issue-refunds-fail-on-the-first-attempt", "runbooks": ["diagnose-refunds"], "status": "fixed"}
    assert not has_errors(validate(root)), validate(root)
    assert not list(root.rglob("*.tmp")), "no temporary file is left behind"


def test_second_feed_changes_nothing(root):
    defects.feed(root, "DEF-0042")
    before = tree_hash(root)
    again = defects.feed(root, "DEF-0042")
    assert again.written == []
    assert tree_hash(root) == before
    assert defects.feed_all(root) == [], "a fed defect is not fed again by --all"
    assert tree_hash(root) == before


def test_writer_edits_outside_the_region_survive_a_new_feed(root):
    defects.feed(root, "DEF-0042")
    path = root / ARTICLE
    text = path.read_text(encoding="utf-8")
    text = text.replace("tags: [known-issue]", "tags: [known-issue]  # keep: the home page lists these")
    text = text.replace("<!-- kbgen:defect DEF-0042 ", "Written by support: read this first.\n\n"
                                                         "<!-- kbgen:defect DEF-0042 ")
    text += "\n## Still failing?\n\nContact us with the refund's date.\n"
    path.write_text(text, encoding="utf-8")
    (root / DEFECT).write_text(defect_text(workaround="Wait five minutes, then select **Refund** again."),
                               encoding="utf-8")

    fed = defects.feed(root, "DEF-0042")
    assert ARTICLE in fed.written
    after = path.read_text(encoding="utf-8")
    assert "Wait five minutes, then select **Refund** again." in region(after)
    assert "again after a minute" not in after
    assert "tags: [known-issue]  # keep: the home page lists these\n" in after
    assert "Written by support: read this first.\n\n<!-- kbgen:defect DEF-0042 " in after
    assert after.endswith("\n## Still failing?\n\nContact us with the refund's date.\n")
    assert outside(after) == outside(text), "only the region changed"


def test_comments_and_key_order_in_front_matter_survive(root):
    defects.feed(root, "DEF-0042")
    before, after = defect_text(), (root / DEFECT).read_text(encoding="utf-8")
    assert "# Intents customers raise about it\n" in after
    assert "owner: t3-billing  # the team that fixed it\n" in after
    assert 'affected_versions: ["2025.10.0", "2025.10.1"]\nfixed_in: "2025.10.2"\n' in after
    assert after == before.replace("resolved_on: 2025-10-08\n", "resolved_on: 2025-10-08\nfed:\n"
                                   "  article: known-issue-refunds-fail-on-the-first-attempt\n  runbooks: [diagnose-refunds]\n  status: fixed\n")


def test_a_hand_written_known_issue_article_is_taken_over_without_losing_its_text(root):
    hand = """\
---
id: refunds-known-issue
title: "Known issue: refunds fail once"
kind: article
tier: 0
intents: [account.password-reset]  # also linked from sign-in help
known_issue:
  defect: DEF-0042
  since: 2025-09-30  # first ticket, before the report
---

# Known issue: refunds fail once

Our own words about it.
"""
    path = root / "kb/billing/refunds-known-issue.md"
    path.write_text(hand, encoding="utf-8")
    fed = defects.feed(root, "DEF-0042")
    assert fed.article == "kb/billing/refunds-known-issue.md"
    assert not (root / ARTICLE).exists()
    text = path.read_text(encoding="utf-8")
    assert text.index("# Known issue: refunds fail once\n\n<!-- kbgen:defect DEF-0042 ") < \
        text.index("<!-- /kbgen:defect -->\n\nOur own words about it.\n")
    assert re.search(r"\nintents: \[account.password-reset, billing.refund\] +# also linked from sign-in help\n", text)
    assert "  since: 2025-09-30  # first ticket, before the report\n" in text
    assert '  fixed_in: "2025.10.2"\n  fixed_on: 2025-10-08\n' in text
    assert frontmatter(root / DEFECT)["fed"]["article"] == "refunds-known-issue"
    assert not has_errors(validate(root))


def test_an_open_defect_is_refused_and_nothing_is_written(root):
    (root / DEFECT).write_text(defect_text(state="investigating"), encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    [finding] = refused.value.findings
    assert (finding.path, finding.line, finding.rule) == (DEFECT, 10, "feed-not-resolved")
    assert "'investigating'" in finding.message
    assert tree_hash(root) == before

    result = run_cli("defect", "feed", "DEF-0042", "--root", str(root))
    assert result.exit_code == 1
    assert f"{DEFECT}:10:1: error [feed-not-resolved]" in stderr_of(result)
    assert "nothing was written" in stderr_of(result)
    assert "Traceback" not in result.output + stderr_of(result)
    assert tree_hash(root) == before


def test_feed_all_feeds_only_resolved_defects_not_fed_yet(root, make_root):
    defects.feed(root, "DEF-0042")
    make_root.file("kb/defects/DEF-0043-open.md", defect_text(state="open").replace("DEF-0042", "DEF-0043"))
    fed_before = tree_hash(root)
    newer = defect_text().replace("DEF-0042", "DEF-0044").replace("Refunds fail on the first attempt",
                                                                  "Refund emails go missing")
    make_root.file("kb/defects/DEF-0044-refund-emails.md", newer)

    results = defects.feed_all(root)
    assert [r.defect for r in results] == ["DEF-0044"]
    assert results[0].article == "kb/billing/known-issue-refund-emails-go-missing.md"
    assert (root / "kb/billing/known-issue-refund-emails-go-missing.md").is_file()
    assert not list(root.glob("kb/billing/known-issue-open*"))
    assert "fed" not in frontmatter(root / "kb/defects/DEF-0043-open.md")
    runbook = (root / RUNBOOK).read_text(encoding="utf-8")
    assert runbook.count("## Known defects") == 1
    assert runbook.index("<!-- kbgen:defect DEF-0042 ") < runbook.index("<!-- kbgen:defect DEF-0044 ") \
        < runbook.index("## Before you start")
    unchanged = {rel for rel in fed_before if rel != RUNBOOK}
    assert {rel: h for rel, h in tree_hash(root).items() if rel in unchanged} == \
        {rel: h for rel, h in fed_before.items() if rel in unchanged}

    result = run_cli("defect", "feed", "--all", "--root", str(root))
    assert result.exit_code == 0
    assert "every resolved defect is fed already" in result.output


SENSITIVE = [  # (kind, text in the customer-facing summary, rule, column)
    ("e-mail", "Write to jane.doe@example.com for a refund.", "feed-email", 10),
    ("phone", "Call +44 20 7946 0958 for a refund.", "feed-phone", 6),
    ("US phone", "Call (415) 555-2671 for a refund.", "feed-phone", 6),
    ("IPv4", "Requests from 203.0.113.42 failed.", "feed-ip-address", 15),
    ("IPv6", "Requests from 2001:db8::8a2e:370:7334 failed.", "feed-ip-address", 15),
    ("account id", "The account acct_1Hx9LmQ2Zk was affected first.", "feed-customer-id", 13),
    ("customer id", "Refunds of cus_Q4M1Z8PX2C failed.", "feed-customer-id", 12),
    ("customer number", "It started with customer 48213 on Monday.", "feed-customer-id", 17),
    ("ticket number", "First reported in ticket #417602 by phone.", "feed-customer-id", 19),
    ("AWS key", "The key AKIAIOSFODNN7EXAMPLE was rotated.", "feed-secret", 9),
    ("bearer token", "Send Authorization: Bearer 9f8e7d6c5b4a39281706abcd.", "feed-secret", 21),
    ("Stripe key", "Use sk_live_4eC39HqLyjWDarjtT1zdp7dc in tests.", "feed-secret", 5),
    ("JWT", "A token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U was logged.", "feed-secret", 9),
    ("high-entropy string", "The value kq8Zx3VfP0wLm2Nb7Tr5Yc1Hd9Gj4Ks6 leaked.", "feed-secret", 11),
    ("internal host", "The queue on db1.payments.internal was full.", "feed-internal-host", 14),
    ("corp host", "See build.corp for the logs.", "feed-internal-host", 5),
    ("company internal domain", "The host pay3.ops.tallybook.example was slow.", "feed-internal-host", 10),
]


@pytest.mark.parametrize("kind, sentence, rule, col", SENSITIVE, ids=[s[0] for s in SENSITIVE])
def test_each_kind_of_sensitive_text_is_refused_with_its_line(root, kind, sentence, rule, col):
    (root / "mkdocs.yml").write_text("plugins:\n  - kbgen:\n      internal_domains: [ops.tallybook.example]\n",
                                     encoding="utf-8")
    (root / DEFECT).write_text(defect_text(summary=f"Some refunds failed.\n{sentence}"), encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    found = [(f.path, f.line, f.col, f.rule) for f in refused.value.findings]
    assert found == [(DEFECT, SUMMARY_LINE + 1, col, rule)], refused.value.findings
    assert "public help site" in refused.value.findings[0].message
    assert tree_hash(root) == before


def test_sensitive_text_in_the_workaround_and_title_is_refused_through_the_command(root):
    text = defect_text(workaround="Ask ops@tallybook.example to retry it.")
    text = text.replace("title: Refunds fail on the first attempt", "title: Refunds fail on 10.0.0.7")
    (root / DEFECT).write_text(text, encoding="utf-8")
    before = tree_hash(root)
    result = run_cli("defect", "feed", "DEF-0042", "--root", str(root))
    assert result.exit_code == 1
    err = stderr_of(result)
    assert f"{DEFECT}:3:24: error [feed-ip-address]" in err
    assert f"{DEFECT}:{WORKAROUND_LINE}:5: error [feed-email]" in err
    assert "Traceback" not in result.output + err
    assert tree_hash(root) == before


def test_a_link_readers_of_the_new_page_cannot_open_is_refused(root, make_root):
    make_root.doc("runbooks/tier3/hotfix.md", id="hotfix", tier=3, intents=["billing.refund"])
    summary = "Fixed by a [hotfix](../../runbooks/tier3/hotfix.md)."
    (root / DEFECT).write_text(defect_text(summary=summary), encoding="utf-8")
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    [finding] = refused.value.findings
    assert (finding.line, finding.col, finding.rule) == (SUMMARY_LINE, 21, "feed-link-tier")
    assert "runbooks/tier3/hotfix.md (tier 3)" in finding.message


def test_a_defect_without_a_customer_facing_summary_is_refused(root):
    (root / DEFECT).write_text(defect_text().replace("## Customer-facing summary", "## Summary"), encoding="utf-8")
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    assert [f.rule for f in refused.value.findings] == ["feed-section-missing"]


def test_a_region_without_its_end_marker_is_refused(root):
    defects.feed(root, "DEF-0042")
    path = root / ARTICLE
    path.write_text(path.read_text(encoding="utf-8").replace("<!-- /kbgen:defect -->", ""), encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    marker = next(number for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
                  if line.startswith("<!-- kbgen:defect DEF-0042 "))
    assert [(f.path, f.line, f.rule) for f in refused.value.findings] == [(ARTICLE, marker, "feed-region")]
    assert tree_hash(root) == before


def test_a_region_edited_by_hand_is_not_overwritten(root):
    """Text a writer changed inside the region would be lost: the feed refuses, naming the marker's line."""
    defects.feed(root, "DEF-0042")
    path = root / RUNBOOK
    edited = path.read_text(encoding="utf-8").replace("**Workaround**", "**Workaround** (ask Priya first)")
    path.write_text(edited, encoding="utf-8")
    (root / DEFECT).write_text(defect_text(workaround="Wait five minutes."), encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    marker = edited.split("\n").index(next(ln for ln in edited.split("\n") if ln.startswith("<!-- kbgen:defect "))) + 1
    assert [(f.path, f.line, f.rule) for f in refused.value.findings] == [(RUNBOOK, marker, "feed-region-edited")]
    assert tree_hash(root) == before

    path.write_text(re.sub(r"<!-- kbgen:defect DEF-0042 .*?<!-- /kbgen:defect -->\n", "", edited, flags=re.S),
                    encoding="utf-8")
    defects.feed(root, "DEF-0042")
    assert "Wait five minutes." in region(path.read_text(encoding="utf-8")), "a deleted region is written afresh"


def test_a_region_marked_by_hand_is_taken_over(root):
    """Markers a writer typed (without the digest) say where the feed's text goes."""
    path = root / "kb/billing/refunds-known-issue.md"
    path.write_text("---\nid: refunds-known-issue\ntitle: Refunds known issue\nkind: article\ntier: 0\n"
                    "intents: [billing.refund]\nknown_issue: {defect: DEF-0042, since: 2025-10-01}\n---\n\n"
                    "# Refunds known issue\n\nIntro.\n\n<!-- kbgen:defect DEF-0042 -->\nDraft.\n"
                    "<!-- /kbgen:defect -->\n\nOutro.\n", encoding="utf-8")
    defects.feed(root, "DEF-0042")
    text = path.read_text(encoding="utf-8")
    assert "Draft." not in text and "some refunds failed" in region(text)
    assert text.index("Intro.") < text.index("<!-- kbgen:defect") < text.index("Outro.")


def test_unknown_ids_and_usage_errors_are_clear(root):
    result = run_cli("defect", "feed", "DEF-9999", "--root", str(root))
    assert result.exit_code == 1
    assert "no defect has the id 'DEF-9999'; defects: DEF-0042" in stderr_of(result)
    result = run_cli("defect", "feed", "refunds", "--root", str(root))
    assert result.exit_code == 1 and "kb/billing/refunds.md, which is not a defect" in stderr_of(result)
    (root / "kb/defects/DEF-0050-broken.md").write_text("---\nid: DEF-0050\ntitle: [broken\n---\n", encoding="utf-8")
    result = run_cli("defect", "feed", "DEF-0050", "--root", str(root))
    assert result.exit_code == 1
    assert "kb/defects/DEF-0050-broken.md:4:1: error [yaml-syntax]" in stderr_of(result) and "[yaml-syntax]" in stderr_of(result)
    assert "Traceback" not in result.output + stderr_of(result)
    for args in ((), ("DEF-0042", "--all")):
        result = run_cli("defect", "feed", *args, "--root", str(root))
        assert result.exit_code == 2
        assert "give a defect ID" in result.output + stderr_of(result)


def test_crlf_files_keep_their_line_endings(root):
    for rel in (DEFECT, RUNBOOK):
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    defects.feed(root, "DEF-0042")
    for rel in (DEFECT, RUNBOOK):
        raw = (root / rel).read_bytes()
        assert raw.count(b"\n") == raw.count(b"\r\n"), rel
    assert b"\r\nfed:\r\n  article: known-issue-refunds-fail-on-the-first-attempt\r\n" in (root / DEFECT).read_bytes()


@pytest.mark.parametrize("usual, pasted", [("\n", "\r\n"), ("\r\n", "\n")], ids=["lf-file", "crlf-file"])
def test_a_line_pasted_with_another_ending_keeps_it_and_changes_no_other(root, tmp_path, usual, pasted):
    """One line pasted from another editor does not decide the endings of the file: every line the feed
    keeps keeps its own, and the lines it adds take the one most lines have."""
    plain = tmp_path / "plain"
    shutil.copytree(root, plain)
    defects.feed(plain, "DEF-0042")
    odd = {RUNBOOK: "## Before you start", DEFECT: "owner: t3-billing  # the team that fixed it"}
    for rel, line in odd.items():
        path = root / rel
        text = path.read_text(encoding="utf-8").replace("\n", usual).replace(line + usual, line + pasted)
        path.write_bytes(text.encode("utf-8"))
    defects.feed(root, "DEF-0042")
    for rel, line in odd.items():
        raw = (root / rel).read_bytes().decode("utf-8")
        assert raw.replace("\r\n", "\n") == (plain / rel).read_text(encoding="utf-8"), rel
        assert re.findall(r"\r?\n", raw).count(pasted) == 1 and line + pasted in raw, rel


def test_a_second_copy_of_a_region_is_refused_and_reported(root):
    """A region pasted twice (or left twice by a merge): the feed would update one and leave the other
    saying what the defect said then. It refuses at the second copy, and validation says so first."""
    defects.feed(root, "DEF-0042")
    lines = {}
    for rel in (RUNBOOK, ARTICLE):
        path = root / rel
        text = path.read_text(encoding="utf-8")
        copy = re.search(r"<!-- kbgen:defect DEF-0042 .*?<!-- /kbgen:defect -->\n", text, re.S)[0]
        path.write_text(f"{text}\n{copy}", encoding="utf-8")
        lines[rel] = text.count("\n") + 2
    assert {(f.path, f.line) for f in validate(root) if f.rule == "feed-region"} == set(lines.items())
    (root / DEFECT).write_text(defect_text().replace('fixed_in: "2025.10.2"', 'fixed_in: "2025.10.3"'),
                               encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    assert {(f.path, f.line, f.rule) for f in refused.value.findings} == \
        {(rel, line, "feed-region") for rel, line in lines.items()}
    assert tree_hash(root) == before


@pytest.mark.parametrize("name", ["a\x1bb", "a\nb", "a\u2028b", "a\x85b"])
def test_an_approver_named_with_a_control_character_or_line_break_is_refused(root, name):
    """Validation would refuse the value approve writes (an escape sequence reaches terminals and the
    known-issues feed), and a name is one line."""
    (root / DEFECT).write_text(open_defect_text(), encoding="utf-8")
    before = tree_hash(root)
    result = run_cli("defect", "approve", "DEF-0042", "--by", name, "--root", str(root))
    assert result.exit_code == 1 and "Traceback" not in result.output + stderr_of(result)
    assert f"--by holds U+{ord(name[1]):04X}" in stderr_of(result) and "nothing was written" in stderr_of(result)
    assert tree_hash(root) == before


# What goes public is what was checked ---------------------------------------------------------------

def refusal(root: Path) -> list[tuple[int, str]]:
    """(line, rule) of every finding that refuses DEF-0042, having checked that nothing was written."""
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    assert tree_hash(root) == before
    assert all(f.path == DEFECT for f in refused.value.findings), refused.value.findings
    return [(f.line, f.rule) for f in refused.value.findings]


def test_every_line_of_a_folded_title_is_checked(root):
    title = "title: >-\n  Refunds fail for the accounts\n  of jane.doe@example.com on\n  pay1.billing.internal"
    (root / DEFECT).write_text(defect_text().replace("title: Refunds fail on the first attempt", title),
                               encoding="utf-8")
    assert refusal(root) == [(5, "feed-email"), (6, "feed-internal-host")]
    result = run_cli("defect", "feed", "DEF-0042", "--root", str(root))
    assert result.exit_code == 1
    assert f"{DEFECT}:5:6: error [feed-email]" in stderr_of(result)


@pytest.mark.parametrize("title, rule", [
    ('"Refunds fail for jane\\x40example.com"', "feed-email"),  # a YAML escape
    ("Refunds fail for jane&#64;example.com", "feed-email"),  # a character reference, decoded in the heading
    ("Refunds fail on pay1.billing\\.internal", "feed-internal-host"),  # a Markdown escape
    ("Refunds fail <b>twice</b>", "feed-raw-html"),
    ("|-\n  Refunds fail\n  on the first attempt", "feed-title"),  # two lines: the heading would break
])
def test_a_title_is_checked_as_it_would_read(root, title, rule):
    (root / DEFECT).write_text(defect_text().replace("title: Refunds fail on the first attempt", f"title: {title}"),
                               encoding="utf-8")
    assert (3, rule) in refusal(root)


def test_front_matter_the_article_and_home_page_show_is_checked(root):
    text = defect_text().replace("reported_on: 2025-10-03", "reported_on: ask jane.doe@example.com")
    (root / DEFECT).write_text(text.replace('fixed_in: "2025.10.2"', 'fixed_in: "2025.10.2 on pay1.corp"'),
                               encoding="utf-8")
    assert refusal(root) == [(12, "feed-internal-host"), (13, "feed-email")]


def test_the_write_ups_file_name_names_nothing_public(root):
    """Tier 3 names its write-up for itself (a customer, a host): the new article is named after the title,
    which the feed checks (and an open defect's approval covers), so no word of the file name is published."""
    (root / DEFECT).rename(root / "kb/defects/DEF-0042-quokka-bank-pay1.billing.internal.md")
    fed = defects.feed(root, "DEF-0042")
    assert fed.article == ARTICLE and "quokka" not in (root / ARTICLE).read_text(encoding="utf-8").lower()
    build(root, out=root / "site", tiers=[0, 1, 2])
    sites = [root / "site" / f"tier{tier}" for tier in (0, 1, 2)]
    assert not [path for site in sites for path in site.rglob("*") if path.is_file() and (
        b"quokka" in path.read_bytes().lower() or "quokka" in str(path))], "the file name is tier 3's"


def test_a_long_title_makes_a_name_cut_at_a_word_that_ends_it(root):
    title = "Refunds to cards issued abroad fail on the first attempt and again on every retry after it"
    (root / DEFECT).write_text(defect_text().replace("title: Refunds fail on the first attempt", f"title: {title}"),
                               encoding="utf-8")
    fed = defects.feed(root, "DEF-0042")
    assert fed.article == "kb/billing/known-issue-refunds-to-cards-issued-abroad-fail-on-the-first-attempt.md"


@pytest.mark.parametrize("summary, rule, line", [
    ("Write to jane&#64;example.com for a refund.", "feed-email", 1),
    ("Write to jane@*example*.com for a refund.", "feed-email", 1),
    ("See [our status page](https://status.payments.internal/refunds).", "feed-internal-host", 1),
    ('See [our help](https://help.example.com/ "ask ops&#x40;tallybook.example").', "feed-email", 1),
    ("See [our help][help].\n\n[help]: https://pay1.corp/refunds", "feed-internal-host", 3),
    ("Refunds failed.\n\n--8<-- \"refund-notes.md\"", "feed-snippet", 3),
    ("Refunds failed <span title='x'>twice</span>.", "feed-raw-html", 1),
    ("Refunds failed.<!-- ask Priya -->", "feed-raw-html", 1),
    ("Refunds failed.\n\n/// internal\nThe retry queue was full.\n///", "feed-internal-block", 3),
])
def test_the_summary_is_checked_as_it_would_read(root, summary, rule, line):
    (root / DEFECT).write_text(defect_text(summary=summary), encoding="utf-8")
    assert (SUMMARY_LINE + line - 1, rule) in refusal(root)


def test_an_internal_block_only_the_parser_opens_is_refused(root):
    """Indented under a list item the block is the site parser's, whatever a line scan makes of it."""
    summary = "Refunds failed.\n\n- A note:\n\n    /// internal\n    The retry queue was full.\n    ///"
    (root / DEFECT).write_text(defect_text(summary=summary), encoding="utf-8")
    assert [rule for _, rule in refusal(root)].count("feed-internal-block") == 1


def test_a_snippet_is_checked_with_its_text(root, make_root):
    make_root.file("snippets/refund-notes.md", "Escalate to ops@tallybook.example.\n")
    (root / DEFECT).write_text(defect_text(summary="Refunds failed.\n\n--8<-- \"refund-notes.md\""), encoding="utf-8")
    # the included text is in no line of the write-up: its finding points at the summary
    assert sorted(refusal(root)) == [(SUMMARY_LINE, "feed-email"), (SUMMARY_LINE + 2, "feed-snippet")]


def test_a_code_fence_left_open_does_not_publish_the_sections_after_it(root):
    """Unclosed, the fence swallows "Symptoms" to "How Tier 2 recognises it", whose own fence closes it."""
    text = defect_text(summary=SUMMARY + "\n\n```text\nrefund.retry")
    text = text.replace("The payments log shows", "```\nsearch\n```\n\nThe payments log shows")
    (root / DEFECT).write_text(text, encoding="utf-8")
    assert (SUMMARY_LINE + 2, "feed-unclosed-fence") in refusal(root)


@pytest.mark.parametrize("heading", ["##Symptoms", "## Symptoms ##", "Symptoms\n---------", "##\tSymptoms"])
def test_a_section_ends_at_a_heading_however_markdown_allows_it_written(root, heading):
    """The page reads each of these as the next section's heading: the summary must end there too."""
    (root / DEFECT).write_text(defect_text().replace("## Symptoms", heading), encoding="utf-8")
    defects.feed(root, "DEF-0042")
    article = (root / ARTICLE).read_text(encoding="utf-8")
    assert "some refunds failed on the first attempt" in article
    assert "Symptoms" not in article and "error once" not in article


def test_a_code_fence_left_open_in_the_tier2_section_is_refused(root):
    """In a runbook it would swallow the tier 3 block that links the write-up, and show it at tier 2."""
    text = defect_text().replace("The payments log shows", "```\nlog search\n\nThe payments log shows")
    (root / DEFECT).write_text(text, encoding="utf-8")
    recognise = text.split("\n").index("## How Tier 2 recognises it") + 3
    assert refusal(root) == [(recognise, "feed-unclosed-fence")]


def test_a_code_fence_left_open_at_the_end_is_refused(root):
    text = defect_text(workaround="Select **Refund** again:\n\n~~~\nPOST /refunds")
    (root / DEFECT).write_text(text.split("## Preventative measures")[0], encoding="utf-8")
    assert refusal(root) == [(WORKAROUND_LINE + 2, "feed-unclosed-fence")]


EMAILS = st.builds("{}.{}@{}.{}".format, st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                   st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.from_regex(r"[a-z]{2,10}", fullmatch=True),
                   st.sampled_from(["com", "org", "co.uk"]))
HOSTS = st.builds("{}{}.{}.{}".format, st.from_regex(r"[a-z]{2,6}", fullmatch=True), st.integers(1, 9),
                  st.from_regex(r"[a-z]{3,8}", fullmatch=True),
                  st.sampled_from(["internal", "corp", "lan", "ops.tallybook.example"]))
ENCODINGS = {  # how a writer's text can carry the secret, as the public page would still show it
    "as is": lambda secret: secret,
    "decimal reference": lambda secret: secret.replace("@", "&#64;").replace(".", "&#46;", 1),
    "hexadecimal reference": lambda secret: secret.replace("@", "&#x40;"),
    "named reference": lambda secret: secret.replace("@", "&commat;").replace(".", "&period;", 1),
    "escaped dots": lambda secret: secret.replace(".", "\\."),
    "emphasis inside": lambda secret: secret[:2] + "**" + secret[2:4] + "**" + secret[4:],
}
PLACES = {  # where in the published parts of the write-up it goes
    "summary": lambda text: ("summary", f"Some refunds failed for {text} on Monday."),
    "summary link target": lambda text: ("summary", f"See [the log](https://{text}/log)."),
    "summary link title": lambda text: ("summary", f'See [the log](https://example.com/log "{text}").'),
    "summary reference": lambda text: ("summary", f"See [the log][log].\n\n[log]: https://{text}/x"),
    "summary code": lambda text: ("summary", f"Run `curl https://{text}/retry` again."),
    "summary fenced code": lambda text: ("summary", f"Run:\n\n```\ncurl {text}\n```"),
    "workaround": lambda text: ("workaround", f"Ask {text} to retry it."),
    "title": lambda text: ("title", f"Refunds fail for {text}"),
    "folded title": lambda text: ("title", f">-\n  Refunds fail\n  for {text}\n  on Mondays"),
    "quoted title": lambda text: ("title", '"Refunds fail for ' + text.replace("@", "\\x40") + '"'),
    "fixed_in": lambda text: ("fixed_in", f'"2025.10.2 ({text})"'),
}


def _write_up(place: str, text: str) -> str:
    where, value = PLACES[place](text)
    if where == "summary":
        return defect_text(summary=value)
    if where == "workaround":
        return defect_text(workaround=value)
    if where == "title":
        return defect_text().replace("title: Refunds fail on the first attempt", f"title: {value}")
    return defect_text().replace('fixed_in: "2025.10.2"', f"fixed_in: {value}")


def _as_read(text: str) -> str:
    return html.unescape(re.sub(r"[*_`\\]", "", text))


@settings(max_examples=60, deadline=None)
@given(secret=st.one_of(EMAILS.map(lambda e: ("feed-email", e)), HOSTS.map(lambda h: ("feed-internal-host", h))),
       place=st.sampled_from(sorted(PLACES)), encoding=st.sampled_from(sorted(ENCODINGS)))
def test_a_planted_secret_is_refused_or_never_written(secret, place, encoding):
    """Wherever and however a secret sits in what the article publishes, the feed refuses it, or
    nothing it writes holds it."""
    rule, value = secret
    assume(not (place in ("quoted title", "fixed_in") and encoding == "escaped dots"))  # not YAML at all
    with tempfile.TemporaryDirectory() as folder:
        make = RootMaker(Path(folder) / "root")
        make.file("mkdocs.yml", "plugins:\n  - kbgen:\n      internal_domains: [ops.tallybook.example]\n")
        make.doc("kb/billing/refunds.md", id="refunds", title="Get a refund", intents=["billing.refund"])
        make.file(RUNBOOK, RUNBOOK_TEXT)
        make.file(DEFECT, _write_up(place, ENCODINGS[encoding](value)))
        try:
            fed = defects.feed(make.path, "DEF-0042")
        except defects.FeedError as refused:
            assert rule in {f.rule for f in refused.findings}, refused.findings
            return
        for rel in fed.written:
            assert value not in _as_read((make.path / rel).read_text(encoding="utf-8")), (rel, place, encoding)


# Known issues of open defects ---------------------------------------------------------------------

PUBLISH = "customer_update:\n  publish: true\n"


def open_defect_text(extra: str = PUBLISH, **changes) -> str:
    """The defect while it is investigated: no root cause, fix or release yet."""
    text = defect_text(state="investigating", extra=extra, **changes)
    for line in ('fixed_in: "2025.10.2"\n', "root_cause_on: 2025-10-04\n", "resolved_on: 2025-10-08\n"):
        text = text.replace(line, "")
    return text


def test_an_open_defect_publishes_only_after_its_summary_is_approved(root):
    (root / DEFECT).write_text(open_defect_text(), encoding="utf-8")
    before = tree_hash(root)
    result = run_cli("defect", "feed", "DEF-0042", "--root", str(root))
    assert result.exit_code == 1 and "Traceback" not in stderr_of(result)
    line = open_defect_text().split("\n").index("customer_update:") + 1
    assert f"{DEFECT}:{line}:1: error [feed-not-approved]" in stderr_of(result)
    [warning] = [f for f in validate(root) if f.rule == "defect-approval"]
    assert (warning.path, warning.line, warning.severity) == (DEFECT, line, "warning"), "the pull request says so"
    assert "were never approved" in stderr_of(result)
    assert tree_hash(root) == before

    result = run_cli("defect", "approve", "DEF-0042", "--by", "support-billing", "--on", "2025-10-05",
                     "--root", str(root))
    assert result.exit_code == 0, stderr_of(result)
    record = frontmatter(root / DEFECT)["customer_update"]
    assert (record["publish"], record["approved_by"], record["approved_on"]) == \
        (True, "support-billing", datetime.date(2025, 10, 5))
    assert [f for f in validate(root) if f.path == DEFECT] == [], "approved as it is now: no finding"

    fed = defects.feed(root, "DEF-0042")
    assert (fed.article, fed.runbooks) == (ARTICLE, []), "no agent workaround approved: runbooks untouched"
    assert (root / RUNBOOK).read_text(encoding="utf-8") == RUNBOOK_TEXT
    meta = frontmatter(root / ARTICLE)["known_issue"]
    assert (meta["status"], meta["updates"]) == ("investigating", [{"date": datetime.date(2025, 10, 5),
                                                                    "status": "investigating"}])
    assert "fixed_in" not in meta and "fixed_on" not in meta
    owned = region((root / ARTICLE).read_text(encoding="utf-8"))
    assert owned.startswith('!!! kb-known-issue kb-known-issue--investigating "Investigating"\n'
                            "    We are looking into the problem. Last update: 5 October 2025.\n")
    assert "some refunds failed on the first attempt" in owned
    assert "Select **Refund** again" not in owned and "Workaround" not in owned, \
        "an open defect publishes its approved summary only"
    assert not has_errors(validate(root)), validate(root)

    changed = SUMMARY.replace("No refund was paid twice.", "No refund was paid twice, we think.")
    (root / DEFECT).write_text((root / DEFECT).read_text(encoding="utf-8").replace(SUMMARY, changed),
                               encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    [finding] = refused.value.findings
    assert finding.rule == "feed-not-approved" and "changed since support-billing approved" in finding.message
    assert [f.line for f in validate(root) if f.rule == "defect-approval"] == [finding.line]
    assert tree_hash(root) == before, "a summary changed since its approval is not published"


def test_an_approved_summary_still_passes_the_publication_checks(root):
    """Approval says a person read it; the feed still refuses what must never be public."""
    leaky = SUMMARY + " Ask jane.doe@acme-payments.com, or see ticket 418870."
    (root / DEFECT).write_text(open_defect_text(summary=leaky), encoding="utf-8")
    defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.feed(root, "DEF-0042")
    line = (root / DEFECT).read_text(encoding="utf-8").split("\n").index(leaky) + 1
    assert {(f.line, f.rule) for f in refused.value.findings} == {(line, "feed-email"), (line, "feed-customer-id")}
    assert tree_hash(root) == before


def test_a_known_issue_follows_its_defect_to_the_fix_updated_in_place(root):
    (root / DEFECT).write_text(open_defect_text(), encoding="utf-8")
    defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    defects.feed(root, "DEF-0042")
    page = root / ARTICLE
    page.write_text(page.read_text(encoding="utf-8") + "\nWritten by the support team.\n", encoding="utf-8")

    identified = (root / DEFECT).read_text(encoding="utf-8").replace(
        "reported_on: 2025-10-03\n", "reported_on: 2025-10-03\nroot_cause_on: 2025-10-06\n")
    (root / DEFECT).write_text(identified.replace("publish: true\n", "publish: true\n  workaround: true\n"),
                               encoding="utf-8")
    assert [d.id for d in defects.unfed(load(root))] == ["DEF-0042"], "the status customers see is stale"
    [fed] = defects.feed_all(root)
    assert fed.written == sorted([ARTICLE, DEFECT])
    owned = region(page.read_text(encoding="utf-8"))
    assert owned.startswith('!!! kb-known-issue kb-known-issue--identified "Identified (workaround available)"\n')
    assert "Last update: 6 October 2025." in owned

    (root / DEFECT).write_text(defect_text(extra=PUBLISH), encoding="utf-8")  # resolved, fixed in 2025.10.2
    defects.feed(root, "DEF-0042")
    text = page.read_text(encoding="utf-8")
    assert text.count("<!-- kbgen:defect DEF-0042 ") == 1 and text.endswith("\nWritten by the support team.\n")
    owned = region(text)
    assert owned.startswith('!!! kb-known-issue kb-known-issue--fixed "Fixed in 2025.10.2"\n')
    assert "## Workaround\n\nSelect **Refund** again after a minute." in owned, "the fix publishes the workaround"
    history = owned.split("## Updates\n\n", 1)[1]
    assert history.splitlines() == [
        "- **8 October 2025**: The problem is fixed in version 2025.10.2.",
        "- **6 October 2025**: We know what causes the problem and are working on a fix.",
        "- **5 October 2025**: We are looking into the problem."]
    meta = frontmatter(page)["known_issue"]
    assert [u["status"] for u in meta["updates"]] == ["fixed", "identified", "investigating"]
    assert "workaround" not in meta and meta["fixed_in"] == "2025.10.2"
    assert defects.feed(root, "DEF-0042").written == [], "feeding again changes nothing"
    assert not has_errors(validate(root)), validate(root)


def test_an_open_defect_with_an_approved_agent_workaround_reaches_tier2_runbooks(root):
    text = open_defect_text(extra=PUBLISH + "agent_workaround: true\n")
    (root / DEFECT).write_text(text, encoding="utf-8")
    defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    fed = defects.feed(root, "DEF-0042")
    assert fed.runbooks == [RUNBOOK]
    entry = region((root / RUNBOOK).read_text(encoding="utf-8"))
    assert "**Workaround**\n\nSelect **Refund** again after a minute." in entry
    assert "fixed in" not in entry


def test_customer_update_is_a_defect_field_and_its_values_are_checked(make_root):
    make_root.doc("kb/a.md", customer_update="{publish: yes please}")
    findings = validate(make_root.path)
    assert {f.rule for f in findings if f.path == "kb/a.md"} >= {"field-kind"}, findings


# The sample knowledge base -------------------------------------------------------------------------

def test_the_sample_is_fed(tmp_path):
    """Every resolved sample defect is fed, and feeding again would change nothing."""
    content = load(REPO)
    assert defects.unfed(content) == []
    copy = tmp_path / "sample"
    for name in ("kb", "runbooks"):
        shutil.copytree(REPO / name, copy / name)
    shutil.copy(REPO / "intents.yml", copy)
    before = tree_hash(copy)
    for defect in ("DEF-0001", "DEF-0002"):
        assert defects.feed(copy, defect).written == []
    assert tree_hash(copy) == before


def _site_text(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(site.rglob("*"))
                     if p.is_file() and p.suffix in {".html", ".json", ".xml", ".js", ".txt"})


def test_public_site_shows_the_fed_articles(sample_site):
    tier0 = sample_site / "tier0"
    page = article((tier0 / "kb/invoices/known-issue-wrong-currency-symbol/index.html").read_text(encoding="utf-8"))
    assert re.search(r'<div class="admonition kb-known-issue kb-known-issue--fixed">\s*'
                     r'<p class="admonition-title">Fixed in 2025.10.2</p>', page)
    assert "Last update: 16 October 2025." in page
    assert "Only the symbol in the PDF was wrong." in page
    assert "Filter by <strong>Currency</strong>" in page or "filter by <strong>Currency</strong>" in page
    webhooks_html = (tier0 / "kb/integrations/known-issue-duplicate-payment-succeeded-webhooks/index.html") \
        .read_text(encoding="utf-8")
    webhooks = article(webhooks_html)
    assert "The problem is fixed in version 2025.11.0" in webhooks
    for intent in ("integrations.webhook-delivery", "integrations.webhooks"):  # the defect's intents, linked
        assert f'href="../../../intents/{intent}/"' in webhooks_html
    index = SearchIndex.load(tier0)  # the index the help site's search box queries
    assert [h.title for h in index.search("wrong currency symbol on invoice PDF")][:1] == \
        ["Known issue: invoice PDFs show the wrong currency symbol"]
    assert "Known issue: some payment.succeeded webhooks were sent twice" in \
        [h.title for h in index.search("payment.succeeded webhook sent twice")]
    everything = _site_text(tier0)
    assert not re.search(r"DEF-\d{4}", everything, re.I), "no defect id is public"
    assert "kbgen:defect" not in everything
    assert not (tier0 / "kb/defects").exists()


OPEN_ARTICLE = "kb/sso/known-issue-okta-custom-domain-sso-loop"


def _runs(text: str, size: int = 6) -> set[str]:
    """Every run of ``size`` words: a sentence, or most of one, as the site's text would carry it."""
    found = words(text)
    return {" ".join(found[i:i + size]) for i in range(len(found) - size + 1)}


def test_the_open_defect_is_an_ongoing_issue_with_its_approved_summary(sample_site):
    tier0 = sample_site / "tier0"
    defect = load(REPO).by_id()["DEF-0003"]
    assert defect.meta["state"] != "resolved" and defect.meta["customer_update"]["publish"] is True
    home = article((tier0 / "index.html").read_text(encoding="utf-8"))
    ongoing = home.split('id="ongoing-issues"', 1)[1].split("</ul>", 1)[0]
    assert f'href="{OPEN_ARTICLE}/"' in ongoing and ">Investigating<" in ongoing
    page = article((tier0 / OPEN_ARTICLE / "index.html").read_text(encoding="utf-8"))
    assert re.search(r'<div class="admonition kb-known-issue kb-known-issue--investigating">\s*'
                     r'<p class="admonition-title">Investigating</p>', page)
    summary = defect.body.split("## Customer-facing summary", 1)[1].split("\n## ", 1)[0]
    assert _runs(summary) <= _runs(re.sub(r"<[^>]+>", " ", page)), "the approved summary is published as written"
    assert f"https://help.tallybook.example/{OPEN_ARTICLE}/" in (tier0 / "sitemap.xml").read_text(encoding="utf-8")
    assert OPEN_ARTICLE + "/" in [h.url for h in SearchIndex.load(tier0).search("Okta custom sign-in domain")]
    feed = (tier0 / "known-issues.xml").read_text(encoding="utf-8")
    assert f"<title>Known issue: {defect.title} (Investigating)</title>" in feed


def test_nothing_of_the_open_defect_but_its_approved_summary_reaches_tier0(sample_site):
    """Every page, the search index, the sitemap and the Atom feed of the help site, against every other
    part of the write-up: its sections, internal summary, severity, versions, tickets and workspaces."""
    tier0 = sample_site / "tier0"
    defect = load(REPO).by_id()["DEF-0003"]
    everything = _site_text(tier0)
    published = " ".join(words(everything))
    body = defect.body.split("\n## ")
    private = [part for part in body[1:] if not part.startswith("Customer-facing summary")]
    private.append(defect.meta["summary"])
    allowed = _runs(next(part for part in body if part.startswith("Customer-facing summary")))
    for other in load(REPO).documents:  # what other public pages say anyway (the write-up links some)
        if other.tier == 0 and other.kind == "article" and other.rel != OPEN_ARTICLE + ".md":
            allowed |= _runs(other.title + "\n" + other.body)
    leaked = {run for part in private for run in _runs(part) if run in published} - allowed
    assert not leaked, "only sentences of the approved summary are public"
    for fact in ("DEF-0003", "ws_Q4M1Z8PX2C", "419301", "t3-identity", "2025.11.1", "acme.tallybook.example"):
        assert fact not in everything, fact
    for own in (tier0 / OPEN_ARTICLE / "index.html", tier0 / "known-issues.xml"):
        assert not re.search(r"\bP2\b|[Ss]everity", own.read_text(encoding="utf-8")), own
    assert "Under investigation" not in everything and "Current lead" not in everything


def test_tier2_runbook_shows_the_known_defect_and_tier3_links_the_write_up(sample_site):
    rel = "runbooks/tier2/investigate-webhook-deliveries/index.html"
    tier2 = article((sample_site / "tier2" / rel).read_text(encoding="utf-8"))
    assert re.search(r'<h2 id="known-defects">Known defects', tier2)
    assert tier2.index("Known defects") < tier2.index("Before you start")
    assert "How to recognise it" in tier2 and "fixed in 2025.11.0 (4 November 2025)" in tier2
    assert "DEF-0002" not in tier2 and "kbgen:defect" not in tier2
    tier3 = article((sample_site / "tier3" / rel).read_text(encoding="utf-8"))
    assert re.search(r'<a href="[./]*kb/defects/DEF-0002-duplicate-payment-succeeded-webhooks/">DEF-0002</a>', tier3)


def test_a_file_that_cannot_be_written_stops_the_feed_before_any_file_is_replaced(root, make_root):
    """The article's folder is taken by a file: the defect, staged first, is not replaced either."""
    make_root.file("intents.yml", INTENTS + "  - id: zulu.sync\n    title: Sync\n")
    make_root.file("kb/zulu", "a file where the article's folder would go\n")
    defect = defect_text().replace("intents: [billing.refund]", "intents: [zulu.sync, billing.refund]")
    (root / DEFECT).write_text(defect, encoding="utf-8")
    before = tree_hash(root)
    result = run_cli("defect", "feed", "DEF-0042", "--root", str(root))
    assert result.exit_code == 1
    assert "cannot write kb/zulu/known-issue-refunds-fail-on-the-first-attempt.md" in stderr_of(result)
    assert "Traceback" not in result.output + stderr_of(result)
    assert tree_hash(root) == before, "no file replaced, no temporary file left"


@pytest.mark.parametrize("versions", ['\n  - "2025.10.0"\n  - "2025.10.1"', '\n- "2025.10.0"\n- "2025.10.1"',
                                      '\n    - "2025.10.0"  # first\n    - "2025.10.1"'])
def test_block_lists_keep_their_indentation(root, versions):
    before = defect_text().replace(' ["2025.10.0", "2025.10.1"]', versions)
    (root / DEFECT).write_text(before, encoding="utf-8")
    defects.feed(root, "DEF-0042")
    assert (root / DEFECT).read_text(encoding="utf-8") == before.replace(
        "resolved_on: 2025-10-08\n", "resolved_on: 2025-10-08\nfed:\n  article: known-issue-refunds-fail-on-the-first-attempt\n"
                                     "  runbooks: [diagnose-refunds]\n  status: fixed\n")


def test_approving_rewrites_only_the_approval_lines(root):
    """ruamel.yaml's round trip respaces lines it leaves alone; the writer's spacing, comments and line ends stay."""
    text = open_defect_text().replace("owner: t3-billing  # the team that fixed it",
                                      "owner:   t3-billing      # the team that fixed it,\t'quoted'")
    (root / DEFECT).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    before, after = text.replace("\n", "\r\n").split("\r\n"), (root / DEFECT).read_bytes().decode().split("\r\n")
    changed = [line for line in after if line not in before]
    assert all(line.strip().startswith(("approved_", "publish", "customer_update")) for line in changed), changed
    assert [line for line in before if line not in after] == [] or all(
        line.strip().startswith(("approved_", "publish", "customer_update")) for line in before if line not in after)
    assert "owner:   t3-billing      # the team that fixed it,\t'quoted'" in after


UNICODE_SPACES = [chr(code) for code in range(0x3001) if chr(code).isspace() and chr(code) != "\n"]


@pytest.mark.parametrize("fence", ["opening", "closing"])
@pytest.mark.parametrize("space", UNICODE_SPACES, ids=lambda space: f"U+{ord(space):04X}")
def test_feeding_finds_the_front_matter_the_loader_finds(root, fence, space):
    """A fence line with trailing whitespace of any kind (a no-break space pasted from a chat) is front
    matter to validation, and so to the feed: the new keys go inside it, never above the file."""
    path = root / DEFECT
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0 if fence == "opening" else lines.index("---", 1)
    lines[index] += space
    path.write_bytes("\n".join(lines).encode("utf-8"))
    before = load(root).by_id().get("DEF-0042")
    if before is None:  # the loader refuses a few characters outright: then so does the feed
        with pytest.raises(defects.FeedError):
            defects.feed(root, "DEF-0042")
        return
    defects.feed(root, "DEF-0042")
    fed = load(root).by_id()["DEF-0042"]
    assert fed.meta["fed"]["article"] and fed.body == before.body
    assert lines[index] in path.read_bytes().decode("utf-8").split("\n"), "the writer's fence line as written"


@pytest.mark.parametrize("command", ["approve", "feed"])
@pytest.mark.parametrize("owner, rule", [("owner:\tt3-billing", "yaml-syntax"),
                                         ("owner: t3-billing\t# the team", "yaml-syntax"),
                                         ("owner: t3-billing\nowner: t3-other", "yaml-duplicate-key")])
def test_front_matter_the_round_trip_cannot_read_is_refused_at_its_line(root, command, owner, rule):
    """The loader takes a tab after 'owner:'; ruamel.yaml's round trip does not: the writer is told where,
    and nothing is written (it was a traceback)."""
    text = (open_defect_text() if command == "approve" else defect_text()).replace(
        "owner: t3-billing  # the team that fixed it", owner)
    (root / DEFECT).write_text(text, encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        if command == "approve":
            defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
        else:
            defects.feed(root, "DEF-0042")
    findings = [(f.path, f.line, f.rule) for f in refused.value.findings]
    line = text.split("\n").index(owner.split("\n")[-1]) + 1
    assert (DEFECT, line, rule) in findings
    assert tree_hash(root) == before
    result = run_cli("defect", command, *(["--by", "support-billing"] if command == "approve" else []),
                     "--root", str(root), "DEF-0042")
    assert result.exit_code == 1 and "Traceback" not in result.output + stderr_of(result)


def test_approval_never_drops_a_customer_update_written_otherwise(root):
    text = open_defect_text(extra="customer_update:\n  - publish\n")
    (root / DEFECT).write_text(text, encoding="utf-8")
    before = tree_hash(root)
    with pytest.raises(defects.FeedError) as refused:
        defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    [finding] = refused.value.findings
    assert (finding.line, finding.rule) == (text.split("\n").index("customer_update:") + 1, "field-type")
    assert tree_hash(root) == before


WRITERS_SHAPES = {  # front matter a writer may lay out otherwise than ruamel.yaml would write it
    "folded-plain-scalar": ("owner: t3-billing  # the team that fixed it",
                            "owner: t3-billing  # the team that fixed it\nx_note: the first half\n  and the second"),
    "multi-line-flow": ('affected_versions: ["2025.10.0", "2025.10.1"]',
                        'affected_versions: [\n  "2025.10.0",\n  "2025.10.1"]'),
    "spaced-comment": ("owner: t3-billing  # the team that fixed it", "owner:    t3-billing    # spaced note"),
    "mixed-line-endings": ("severity: P2\n", "severity: P2\r\n"),
}


@pytest.mark.parametrize("shape", list(WRITERS_SHAPES))
def test_approval_rewrites_no_line_it_was_not_asked_to(root, shape):
    """A line-count change anywhere (a folded scalar) made the whole front matter ruamel's: lines joined,
    comments respaced, every line ending made CRLF. Now only the keys the approval sets are written."""
    old, new = WRITERS_SHAPES[shape]
    text = open_defect_text().replace(old, new)
    (root / DEFECT).write_bytes(text.encode("utf-8"))
    defects.approve(root, "DEF-0042", "support-billing", datetime.date(2025, 10, 5))
    after = (root / DEFECT).read_bytes().decode("utf-8")
    kept = after.split("\n")
    for line in text.split("\n")[:text.split("\n").index("---", 1)]:
        assert line in kept, f"{line!r} is no longer as written"
    added = [line for line in kept if line not in text.split("\n")]
    assert [line.split(":")[0].strip() for line in added] == ["approved_by", "approved_on", "approved_digest"]
    assert load(root).by_id()["DEF-0042"].meta["customer_update"]["approved_by"] == "support-billing"


def test_the_runbook_entry_shows_the_write_ups_values_as_written(root, tmp_path):
    """A version or title holding markup was copied into the runbook's Markdown as it was: an image's
    onerror ran on the tier 2 page (validation only warned, at the runbook)."""
    text = (root / DEFECT).read_text(encoding="utf-8")
    text = text.replace('affected_versions: ["2025.10.0", "2025.10.1"]',
                        'affected_versions: ["2025.10.0 <img src=x onerror=window.__v=1>", "2.0 {: onclick=alert(2) }"]')
    text = text.replace("title: Refunds fail on the first attempt",
                        'title: "Refunds fail [on](javascript:alert(3)) the *first* attempt"')
    (root / DEFECT).write_text(text, encoding="utf-8")
    defects.feed(root, "DEF-0042")
    assert not [f for f in validate(root) if f.path == RUNBOOK]
    build(root, out=tmp_path / "out", tiers=[2])
    page = article((tmp_path / "out/tier2/runbooks/tier2/diagnose-refunds/index.html").read_text(encoding="utf-8"))
    tags = re.findall(r"<[^>]*>", page)
    assert not [tag for tag in tags if re.search(r"<img\b|onclick=|onerror=|javascript:", tag)], tags
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "affects 2025.10.0 <img src=x onerror=window.__v=1>, 2.0 {: onclick=alert(2) }" in shown
    assert "Refunds fail [on](javascript:alert(3)) the *first* attempt" in shown


def test_records_naming_the_wrong_documents_are_refused_at_review(make_root):
    """What the feed would refuse (or misread) later, validation names at its line now."""
    make_root.doc("kb/defects/DEF-0001.md", id="DEF-0001", kind="defect", tier=3,
                  fed="{article: DEF-0001, runbooks: [reset-runbook, reset-runbook, reset, nowhere]}")
    make_root.doc("kb/defects/DEF-0002.md", id="DEF-0002", kind="defect", tier=3, fed="{article: reset}")
    make_root.doc("kb/reset.md", id="reset", known_issue="{since: 2026-01-05, defect: reset-runbook}")
    make_root.doc("runbooks/tier1/reset-runbook.md", id="reset-runbook")
    result = run_cli("validate", "--root", str(make_root.path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    found = [line for line in result.output.splitlines() if "[defect-record]" in line]
    assert any(line.startswith("kb/defects/DEF-0001.md:5:") and "'fed.article' names 'DEF-0001': "
               "kb/defects/DEF-0001.md, which is not a tier 0 article" in line for line in found)
    assert any("DEF-0001.md" in line and "'reset-runbook' is named twice" in line for line in found)
    assert any("DEF-0001.md" in line and "'reset' is kb/reset.md, which is not a runbook" in line for line in found)
    assert any("DEF-0001.md" in line and "'nowhere' is no document" in line for line in found)
    assert any(line.startswith("kb/reset.md:") and "'known_issue.defect' names 'reset-runbook'" in line
               for line in found)
    assert not any("DEF-0002.md" in line for line in found), "a tier 0 article is what fed.article names"
    assert len(found) == 5

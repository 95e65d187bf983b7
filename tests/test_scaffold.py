"""``kbgen new``: templates that validate once their TODO: text is written, in the right place, never
overwriting; and the rules that keep template text and unfinished defects out of the sites."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from cases import page
from conftest import assert_no_crash, kbgen_executable, run_cli, runbook_body, stderr_of
from generator.content import load
from generator.findings import Finding
from generator.scaffold import ScaffoldError, new_document, next_defect_id, slug_of
from generator.validate import validate

TODAY = dt.date(2026, 3, 2)


def todo_lines(text: str) -> set[int]:
    return {number for number, line in enumerate(text.split("\n"), 1) if "TODO" in line}


def written(make_root, rel: str) -> str:
    return (make_root.path / rel).read_text(encoding="utf-8")


def fill_in(text: str) -> str:
    """What a writer does with the template: write the text each TODO: asks for."""
    text = text.replace("[]  # TODO: the intents it affects, from intents.yml", "[billing.refund]")
    return re.sub(r"TODO: ", "", text)


@pytest.mark.parametrize("kind, options, rel", [
    ("article", {"intents": ["account.password-reset"]}, "kb/account/export-invoices-csv.md"),
    ("article", {"intents": ["billing.refund"], "tier": 1}, "kb/billing/export-invoices-csv.md"),
    ("runbook", {"intents": ["billing.refund"], "tier": 1}, "runbooks/tier1/export-invoices-csv.md"),
    ("runbook", {"intents": ["billing.refund"], "tier": 2}, "runbooks/tier2/export-invoices-csv.md"),
    ("runbook", {"intents": ["billing.refund"], "tier": 3}, "runbooks/tier3/export-invoices-csv.md"),
    ("defect", {"intents": ["billing.refund"], "severity": "P1"}, "kb/defects/DEF-0001-export-invoices-csv.md"),
    ("defect", {}, "kb/defects/DEF-0001-export-invoices-csv.md"),
])
def test_template_validates_but_for_its_todo_text(make_root, kind, options, rel):
    make_root.file("kb/.keep", "")
    created = new_document(load(make_root.path), kind, "Export invoices (CSV)", today=TODAY, **options)
    assert created.rel == rel
    text = written(make_root, rel)
    findings = [f for f in validate(make_root.path) if f.path == rel]  # (not intents.yml's ladder warnings)
    assert findings, "the TODO: text is reported"
    assert {f.line for f in findings} == todo_lines(text), "every finding is at a TODO, every TODO is found"
    assert {f.rule for f in findings} <= {"todo-text", "field-value"}
    (make_root.path / rel).write_text(fill_in(text), encoding="utf-8")
    assert [f for f in validate(make_root.path) if f.path == rel or f.severity == "error"] == []


def test_template_front_matter(make_root):
    content = load(make_root.path)
    new_document(content, "runbook", "Refund: a 'duplicate' charge", tier=2, intents=["billing.refund"], today=TODAY)
    document = load(make_root.path).by_id()["refund-a-duplicate-charge"]
    assert document.title == "Refund: a 'duplicate' charge"
    assert document.body.startswith("# Refund: a 'duplicate' charge\n")
    assert document.meta["escalation"]["to_tier"] == 3
    assert (document.meta["last_reviewed"], document.meta["review_by"]) == ("2026-03-02", "2027-03-02")
    new_document(load(make_root.path), "defect", "Webhooks sent twice", intents=["billing.refund"],
                 severity="P2", today=TODAY)
    defect = load(make_root.path).by_id()["DEF-0001"]
    assert {k: defect.meta[k] for k in ("kind", "tier", "severity", "state", "reported_on", "affected_versions")} \
        == {"kind": "defect", "tier": 3, "severity": "P2", "state": "open", "reported_on": "2026-03-02",
            "affected_versions": []}
    sections = re.findall(r"^## (.+)$", defect.body, re.M)
    assert sections == ["Customer-facing summary", "Symptoms", "How Tier 2 recognises it", "Root cause", "Fix",
                        "Workaround", "Preventative measures", "References"]


def test_next_defect_id_follows_the_highest(make_root):
    assert next_defect_id(load(make_root.path)) == "DEF-0001"
    make_root.doc("kb/defects/DEF-0003-old.md", id="DEF-0003", kind="defect", tier=3)
    make_root.doc("kb/defects/def-0002-older.md", id="def-0002", kind="defect", tier=3)
    assert next_defect_id(load(make_root.path)) == "DEF-0004"
    make_root.file("kb/defects/DEF-0007-broken.md", "no front matter, but the number is taken\n")
    assert next_defect_id(load(make_root.path)) == "DEF-0008"
    make_root.doc("kb/defects/wide.md", id="DEF-10000", kind="defect", tier=3)
    assert next_defect_id(load(make_root.path)) == "DEF-10001"


def test_cli_prints_the_path_and_numbers_defects_in_turn(make_root):
    make_root.doc("kb/defects/DEF-0003-old.md", id="DEF-0003", kind="defect", tier=3)
    root = str(make_root.path)
    first = run_cli("new", "defect", "--root", root, "Currency rounding off by one cent")
    second = run_cli("new", "defect", "--root", root, "--intent", "billing.refund", "Refund twice")
    assert_no_crash(first)
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stdout.strip() == f"{root}/kb/defects/DEF-0004-currency-rounding-off-by-one-cent.md"
    assert second.stdout.strip() == f"{root}/kb/defects/DEF-0005-refund-twice.md"
    assert "TODO:" in stderr_of(first)


def test_slugs():
    assert slug_of("Émettre une facture: l'export CSV") == "emettre-une-facture-lexport-csv"
    assert slug_of("snake_case -- and   spaces") == "snake-case-and-spaces"
    long = slug_of("word " * 40)
    assert len(long) <= 60 and not long.endswith("-") and long.startswith("word-word")


@pytest.mark.parametrize("args, message", [
    (["article", "--intent", "billing.refnud", "Refunds"],
     "intent 'billing.refnud' is not defined in intents.yml; did you mean 'billing.refund'?"),
    (["runbook", "--tier", "0", "--intent", "billing.refund", "Refunds"],
     "a runbook is for agents and cannot be tier 0; use --tier 1, 2 or 3"),
    (["runbook", "--intent", "billing.refund", "Refunds"], "Missing option '--tier'"),
    (["article", "Refunds"], "Missing option '--intent'"),
    (["article", "--intent", "billing.refund", "Existing page"],
     "kb/billing/existing-page.md already exists; kbgen new never overwrites a file"),
    (["runbook", "--tier", "1", "--intent", "billing.refund", "Taken id"],
     "id 'taken-id' is already used by kb/account/taken-id.md"),
    (["article", "--intent", "billing.refund", "--id", "bad id!", "Refunds"], "--id 'bad id!' is not a usable id"),
    (["article", "--intent", "billing.refund", "日本語"], "gives no usable id"),
    (["defect", "--severity", "P5", "Broken"], "'P5' is not one of 'P1', 'P2', 'P3', 'P4'"),
])
def test_refusals_are_clear_and_write_nothing(make_root, args, message):
    existing = make_root.file("kb/billing/existing-page.md", "writer's own text, not a document\n")
    make_root.doc("kb/account/taken-id.md")
    before = sorted(p for p in make_root.path.rglob("*"))
    result = run_cli("new", args[0], "--root", str(make_root.path), *args[1:])
    assert_no_crash(result)
    assert result.exit_code != 0
    assert message in result.output + stderr_of(result)
    assert sorted(p for p in make_root.path.rglob("*")) == before
    assert existing.read_text(encoding="utf-8") == "writer's own text, not a document\n"


def test_library_refuses_an_existing_file_it_did_not_list(make_root):
    """A file that exists but loads as no document (no front matter) is still never overwritten."""
    make_root.file("runbooks/tier2/refunds.md", "notes\n")
    with pytest.raises(ScaffoldError, match="runbooks/tier2/refunds.md already exists"):
        new_document(load(make_root.path), "runbook", "Refunds", tier=2, intents=["billing.refund"])
    assert (make_root.path / "runbooks/tier2/refunds.md").read_text() == "notes\n"


def test_console_script_refusal_has_no_traceback(make_root):
    proc = subprocess.run([kbgen_executable(), "new", "runbook", "--root", str(make_root.path), "--tier", "0",
                           "--intent", "billing.refund", "Refunds"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: a runbook is for agents") and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------------
# The rules: todo-text, defect-dates, defect-resolved, defect-section
# --------------------------------------------------------------------------------------------------

DEFECT_BODY = """\
# Broken

## Customer-facing summary

Invoices showed the wrong symbol.

## Root cause

The renderer used the workspace currency.

## Fix

Version 2.1 passes the invoice currency.
"""

RESOLVED = ("severity: P3", "state: resolved", "fixed_in: '2.1'", "reported_on: 2025-10-07",
            "root_cause_on: 2025-10-09", "resolved_on: 2025-10-16")  # lines 7-12; body from line 14


def defect(body: str = DEFECT_BODY, extra=RESOLVED, **fields) -> str:
    return page(body, id="DEF-0001", kind="defect", tier="3", extra=extra, **fields)


def found(make_root, text: str) -> set[tuple[int, str, str]]:
    make_root.file("kb/defects/DEF-0001.md", text)
    return {(f.line, f.rule, f.message) for f in validate(make_root.path) if f.path == "kb/defects/DEF-0001.md"}


def test_resolved_defect_with_everything_is_clean(make_root):
    assert found(make_root, defect()) == set()


@pytest.mark.parametrize("dates, line, message", [
    (("reported_on: 2025-10-07", "root_cause_on: 2025-10-01"), 9,
     "'root_cause_on' (2025-10-01) is before 'reported_on' (2025-10-07)"),
    (("root_cause_on: 2025-10-09", "resolved_on: 2025-10-08"), 9,
     "'resolved_on' (2025-10-08) is before 'root_cause_on' (2025-10-09)"),
    (("reported_on: 2025-10-09", "resolved_on: 2025-10-08"), 9,
     "'resolved_on' (2025-10-08) is before 'reported_on' (2025-10-09)"),
])
def test_defect_dates_in_order(make_root, dates, line, message):
    findings = found(make_root, defect(extra=("state: investigating",) + dates))
    assert [(f[0], f[1]) for f in findings] == [(line, "defect-dates")]
    assert message in next(iter(findings))[2]


def test_same_day_dates_are_in_order(make_root):
    assert found(make_root, defect(extra=("reported_on: 2025-10-07", "root_cause_on: 2025-10-07"))) == set()


def test_resolved_defect_needs_fixed_in_and_resolved_on(make_root):
    findings = found(make_root, defect(extra=("state: resolved", "reported_on: 2025-10-07")))
    assert {(f[0], f[1]) for f in findings} == {(7, "defect-resolved")}
    messages = " ".join(f[2] for f in findings)
    assert "needs 'fixed_in'" in messages and "needs 'resolved_on'" in messages


@pytest.mark.parametrize("body, line, message", [
    (DEFECT_BODY.replace("## Root cause\n\nThe renderer used the workspace currency.\n\n", ""), 14,
     "a resolved defect needs a '## Root cause' section"),
    (DEFECT_BODY.replace("The renderer used the workspace currency.", ""), 20,
     "'## Root cause' is empty (or only TODO: text), but this defect is resolved"),
    (DEFECT_BODY.replace("Version 2.1 passes the invoice currency.", "<!-- later -->"), 24, "'## Fix' is empty"),
    (DEFECT_BODY.replace("## Customer-facing summary", "## Customer-facing summary:"), None, None),
])
def test_resolved_defect_needs_its_sections(make_root, body, line, message):
    findings = found(make_root, defect(body))
    if line is None:
        assert findings == set()
    else:
        assert {(f[0], f[1]) for f in findings} == {(line, "defect-section")}
        assert message in next(iter(findings))[2]


def test_open_defect_may_leave_root_cause_to_come(make_root):
    body = DEFECT_BODY.replace("The renderer used the workspace currency.", "Under investigation.") \
        .replace("Version 2.1 passes the invoice currency.", "")
    assert found(make_root, defect(body, extra=("state: investigating", "reported_on: 2025-10-07"))) == set()


def test_todo_placeholder_in_a_resolved_section_is_both_rules(make_root):
    body = DEFECT_BODY.replace("The renderer used the workspace currency.", "TODO: what went wrong and why.")
    assert {(f[0], f[1]) for f in found(make_root, defect(body))} == {(20, "defect-section"), (22, "todo-text")}


def test_todo_text_only_outside_code_and_only_in_published_documents(make_root):
    body = ("# A\n\n```python\n# TODO: in code is the reader's business\n```\n\n"
            "Use `TODO:` as a label.\n\nSteps: TODO: write them.\n\nMy TODO list.\n")
    make_root.file("kb/a.md", page(body, extra=("owner: 'TODO: who'",)))
    make_root.file("kb/draft.md", page(body, id="draft", extra=("status: draft",)))
    assert validate(make_root.path) == [
        Finding("kb/a.md", 7, 1, "todo-text", "error",
                "'owner': TODO: text left from the template; replace it with the real text"),
        Finding("kb/a.md", 17, 1, "todo-text", "error", "TODO: text left from the template; replace it with the "
                "real text"),
    ]


def test_runbook_template_sections_are_the_ones_validation_requires(make_root):
    """The template and the conftest runbook body agree on the required sections, in order."""
    new_document(load(make_root.path), "runbook", "R", tier=1, intents=["billing.refund"])
    ours = re.findall(r"^## (.+)$", written(make_root, "runbooks/tier1/r.md"), re.M)
    assert ours == re.findall(r"^## (.+)$", runbook_body("R"), re.M)


def _file_size_limit_zero() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # every write fails (EFBIG), as on a full disk


@pytest.mark.parametrize("kind", ["article", "runbook"])
def test_a_failed_write_leaves_no_document_and_a_retry_works(make_root, kind):
    """A full disk used to leave an empty document: the build refused it and the retry said 'exists'."""
    root = str(make_root.path)
    before = sorted(p.relative_to(make_root.path) for p in make_root.path.rglob("*"))
    args = ["new", kind, "--root", root, "--intent", "billing.refund"] + (["--tier", "1"] if kind == "runbook" else [])
    failed = subprocess.run([kbgen_executable(), *args, "Disk full refunds"], capture_output=True, text=True,
                            preexec_fn=_file_size_limit_zero, timeout=120)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert failed.stderr.startswith("Error: ")
    after = sorted(p.relative_to(make_root.path) for p in make_root.path.rglob("*") if not p.is_dir())
    assert after == [p for p in before if not (make_root.path / p).is_dir()], "no file left behind"
    retried = run_cli(*args, "Disk full refunds")
    assert retried.exit_code == 0, retried.output + stderr_of(retried)
    assert "TODO:" in (make_root.path / retried.stdout.strip()).read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [["new", "article", "--intent", "billing.refund", "Caf\udce9 refunds"],
                                  ["new", "article", "--intent", "billing.refund", "--id", "caf\udce9", "Cafe"],
                                  ["defect", "approve", "--by", "Ren\udce9", "DEF-0001"]])
def test_text_that_is_not_utf8_is_refused_before_anything_is_written(make_root, args):
    """A name typed in a Latin-1 terminal reached a file as '\\udce9', which no YAML reader takes."""
    before = sorted(make_root.path.rglob("*"))
    result = run_cli(*args, "--root", str(make_root.path))
    assert_no_crash(result)
    assert result.exit_code == 2 and "not UTF-8" in result.output + stderr_of(result)
    assert sorted(make_root.path.rglob("*")) == before

"""Findings kept between runs: validation taking the kept findings of the documents nothing changed for
reports exactly what a validation from nothing reports, after any edit, and runs the per-document rules
only for the documents an edit can concern. A build keeps them in its cache folder; a failed one leaves
them as they were."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from cases import configured, edit
from conftest import RootMaker
from generator import findings_cache
from generator.build import BuildError, build
from generator.cli import main
from generator.content import load, write_json
from generator.findings import ERROR
from generator.incremental import CACHE_DIR
from generator.validate import validate

PNG = b"\x89PNG\r\n\x1a\n"
A_BODY = """\
    # A

    Read the [details](b.md#details) and look at the ![picture](img/picture.png).

    --8<-- "shared.md"
    """
B_BODY = "# B\n\nIntro.\n\n## Details\n\nThe details.\n"
C_BODY = "# C\n\nText.\n\n<!-- a note for writers -->\n"
RULES = "      rules: {html-comment-public: warning}\n"
EVERY = object()  # an edit after which every document is checked again


def write_root(make: RootMaker) -> RootMaker:
    configured(make, RULES)
    make.doc("kb/a.md", A_BODY)
    make.doc("kb/b.md", B_BODY)
    make.doc("kb/c.md", C_BODY)
    make.file("kb/img/picture.png", PNG)
    make.file("snippets/shared.md", "Shared text.\n")
    make.doc("runbooks/first.md", tier=1, intents=["billing.refund"],
             escalation="{to_tier: 2, when: the refund is stuck, runbook: deep}")
    make.doc("runbooks/deep.md", tier=2)
    return make


def revalidate(root: Path, kept: Path, rules: dict | None = None):
    """Validate ``root`` taking the findings kept in ``kept`` and keeping this run's there, as a build
    does: (findings, documents whose rules ran)."""
    content = load(root)
    findings_cache.load(content, kept)
    found = validate(content, rules)
    write_json(kept, findings_cache.kept_findings(content))
    return found, set(findings_cache.checked(content))


def cold(root: Path, rules: dict | None = None):
    return validate(load(root), rules)


# An edit; the documents it can concern (their rules must run again, the others' need not); and a finding
# it brings, so that the comparison is never of nothing.
EDITS = {
    "error in a": (lambda m: edit(m, "kb/a.md", "Read the", "TODO: read the"), {"kb/a.md"}, ("kb/a.md", "todo-text")),
    "b breaks a's anchor": (lambda m: edit(m, "kb/b.md", "## Details", "## Overview"), {"kb/a.md", "kb/b.md"},
                            ("kb/a.md", "link-anchor")),
    "b's body, anchor kept": (lambda m: edit(m, "kb/b.md", "The details.", "More."), {"kb/a.md", "kb/b.md"}, None),
    "c's body": (lambda m: edit(m, "kb/c.md", "Text.", "Other text."), {"kb/c.md"}, None),
    "picture removed": (lambda m: (m.path / "kb/img/picture.png").unlink(), {"kb/a.md"}, ("kb/a.md", "link-broken")),
    "snippet a includes": (lambda m: m.file("snippets/shared.md", "See [the form](form.md).\n"), EVERY,
                           ("kb/a.md", "link-broken")),
    "intents.yml": (lambda m: edit(m, "intents.yml", "id: billing.refund", "id: billing.refunds"), EVERY,
                    ("runbooks/first.md", "intent-unknown")),
    "b's tier rises": (lambda m: edit(m, "kb/b.md", "tier: 0", "tier: 1"), EVERY, ("kb/a.md", "link-higher-tier")),
    "runbook layout": (lambda m: edit(m, "mkdocs.yml", RULES, RULES + "      runbook_layout: alert\n"), EVERY,
                       ("runbooks/deep.md", "runbook-section-missing")),
    "rules in mkdocs.yml": (lambda m: edit(m, "mkdocs.yml", "html-comment-public: warning",
                                           "html-comment-public: error"), set(), ("kb/c.md", "html-comment-public")),
}


@pytest.mark.parametrize("change", list(EDITS))
def test_kept_findings_equal_a_validation_from_nothing(make_root, tmp_path, change):
    make = write_root(make_root)
    kept = tmp_path / "findings.json"
    first, checked = revalidate(make.path, kept)
    every = {document.rel for document in load(make.path).documents}
    assert first == cold(make.path) and checked == every
    apply, concerned, brought = EDITS[change]
    apply(make)
    found, checked = revalidate(make.path, kept)
    assert found == cold(make.path)
    if brought:
        assert [f for f in found if (f.path, f.rule) == brought] != [f for f in first if (f.path, f.rule) == brought]
    assert checked == (every if concerned is EVERY else concerned)


def test_severities_apply_to_kept_findings(make_root, tmp_path):
    make = write_root(make_root)
    kept = tmp_path / "findings.json"
    first, _ = revalidate(make.path, kept)
    assert [f.severity for f in first if f.rule == "html-comment-public"] == ["warning"]
    for rules in ({"html-comment-public": "error"}, {"html-comment-public": "off"}, None):
        found, checked = revalidate(make.path, kept, rules)
        assert found == cold(make.path, rules) and checked == set()
    assert not any(f.rule == "html-comment-public" for f in cold(make.path, {"html-comment-public": "off"}))


def test_a_kept_file_from_elsewhere_is_not_taken(make_root, tmp_path):
    """Entries are taken only under the context they were kept in, and a damaged file is no cache."""
    make = write_root(make_root)
    kept = tmp_path / "findings.json"
    revalidate(make.path, kept)
    moved = tmp_path / "moved"
    shutil.copytree(make.path, moved)
    found, checked = revalidate(moved, kept)
    assert found == cold(moved) and len(checked) == len(load(moved).documents)
    kept.write_text('{"format": 1, "context": 7, "documents": []}', encoding="utf-8")
    found, checked = revalidate(moved, kept)
    assert found == cold(moved) and len(checked) == len(load(moved).documents)


@pytest.mark.parametrize("damage", [
    lambda entry: entry.update(findings=[["kb/c.md", "5", 1, "html-comment-public", "warning", "x"]]),
    lambda entry: entry.update(findings=[["kb/c.md", 5]]),
    lambda entry: entry["reads"].update(files=[["unknown", "x", True]]),
    lambda entry: entry.pop("reads"),
])
def test_a_damaged_entry_is_checked_again(make_root, tmp_path, damage):
    make = write_root(make_root)
    kept = tmp_path / "findings.json"
    revalidate(make.path, kept)
    saved = json.loads(kept.read_text(encoding="utf-8"))
    damage(saved["documents"]["kb/c.md"])
    kept.write_text(json.dumps(saved), encoding="utf-8")
    found, checked = revalidate(make.path, kept)
    assert found == cold(make.path) and checked == {"kb/c.md"}


@pytest.mark.parametrize("special", ["named pipe", "device", "folder"])
def test_an_entry_naming_a_file_that_is_no_file_is_checked_again_without_waiting(make_root, tmp_path, special):
    """A cache is only a hint: one naming a named pipe (which a reader waits on for a writer for good) or a
    device (which never ends) as a file the rules read must not stop validation."""
    import os
    import threading

    make = write_root(make_root)
    kept = tmp_path / "findings.json"
    revalidate(make.path, kept)
    target = {"named pipe": tmp_path / "pipe", "device": Path("/dev/zero"), "folder": tmp_path}[special]
    if special == "named pipe":
        os.mkfifo(target)
    saved = json.loads(kept.read_text(encoding="utf-8"))
    saved["documents"]["kb/c.md"]["reads"]["files"].append(["text", str(target), "x"])
    kept.write_text(json.dumps(saved), encoding="utf-8")
    done = []
    worker = threading.Thread(target=lambda: done.append(revalidate(make.path, kept)), daemon=True)
    worker.start()
    worker.join(60)
    assert done, f"validation waits on the {special} the cache names"
    found, checked = done[0]
    assert found == cold(make.path) and checked == {"kb/c.md"}


DOCUMENTS = ("kb/a.md", "kb/b.md", "kb/c.md")
BODIES = (A_BODY, B_BODY, C_BODY, "# X\n\nSee [a](a.md#a) and [c](c.md).\n", "# Y\n\nTODO: write it.\n",
          "# Z\n\n/// internal\nAgents only.\n///\n\n## Details\n", "# W\n\n![p](img/picture.png)\n",
          '# P\n\n--8<-- "shared.md:1:2"\n')
EDIT_STEPS = st.one_of(
    st.tuples(st.just("body"), st.sampled_from(DOCUMENTS), st.sampled_from(BODIES)),
    st.tuples(st.just("tier"), st.sampled_from(DOCUMENTS), st.sampled_from(("0", "1", "3"))),
    st.tuples(st.just("snippet"), st.sampled_from(("Shared text.\n", "See [b](b.md#details).\n", "TODO: x\n",
                                                   "/// internal\nAgents only.\n///\n"))),
    st.tuples(st.just("picture"), st.booleans()),
    st.tuples(st.just("intents"), st.booleans()),
)


def apply_step(make: RootMaker, step: tuple) -> None:
    kind, *args = step
    if kind == "body":
        rel, body = args
        text = (make.path / rel).read_text(encoding="utf-8")
        make.file(rel, text[: text.index("---\n", 4) + 4] + body)
    elif kind == "tier":
        rel, tier = args
        text = (make.path / rel).read_text(encoding="utf-8")
        make.file(rel, "\n".join(f"tier: {tier}" if line.startswith("tier: ") else line
                                 for line in text.split("\n")))
    elif kind == "snippet":
        make.file("snippets/shared.md", args[0])
    elif kind == "picture":
        picture = make.path / "kb/img/picture.png"
        picture.write_bytes(PNG) if args[0] else picture.unlink(missing_ok=True)
    else:
        text = (make.path / "intents.yml").read_text(encoding="utf-8")
        make.file("intents.yml", text.replace("billing.refund", "billing.refund" if args[0] else "billing.refunded"))


@settings(max_examples=12)
@given(st.lists(EDIT_STEPS, min_size=1, max_size=4))
def test_any_edits_keep_findings_equal_to_a_validation_from_nothing(tmp_path_factory, steps):
    base = tmp_path_factory.mktemp("edits")
    make = write_root(RootMaker(base / "root"))
    kept = base / "findings.json"
    revalidate(make.path, kept)
    for step in steps:
        apply_step(make, step)
        found, _ = revalidate(make.path, kept)
        assert found == cold(make.path), step


@pytest.fixture
def built(make_root) -> RootMaker:
    """The root with its first build in ROOT/site, where `kbgen validate` finds the findings it kept (they
    are kept for the root where it is: a copy elsewhere checks every document again)."""
    build(write_root(make_root).path)
    return make_root


@pytest.mark.slow
def test_a_rebuild_checks_only_what_an_edit_concerns(built):
    kept = built.path / "site" / CACHE_DIR / findings_cache.FINDINGS_FILE
    assert kept.is_file()
    edit(built, "kb/c.md", "Text.", "Other text.")
    content = load(built.path)
    build(content)
    assert findings_cache.checked(content) == ["kb/c.md"]
    edit(built, "kb/b.md", "The details.", "More.")
    content = load(built.path)
    build(content)
    assert sorted(findings_cache.checked(content)) == ["kb/a.md", "kb/b.md"]


@pytest.mark.slow
@pytest.mark.parametrize("change", ["error in a", "b's tier rises"])
def test_a_failed_rebuild_reports_what_a_validation_from_nothing_does(built, change):
    kept = built.path / "site" / CACHE_DIR / findings_cache.FINDINGS_FILE
    before = kept.read_bytes()
    EDITS[change][0](built)
    with pytest.raises(BuildError) as failed:
        build(built.path)
    assert failed.value.findings == [f for f in cold(built.path) if f.severity == ERROR] != []
    assert kept.read_bytes() == before  # the previous build's cache, as it was
    edit(built, "kb/b.md", "## Details", "## Overview")  # `kbgen validate` takes what the build kept
    result = CliRunner().invoke(main, ["validate", "--root", str(built.path), "--format", "json"])
    assert json.loads(result.output) == [dataclasses.asdict(f) for f in cold(built.path)]

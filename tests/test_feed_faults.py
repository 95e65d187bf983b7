"""``kbgen defect feed`` is all or nothing: a target it cannot write stops it before any file changes, a
failure while writing puts every file back, and a feed killed half way is undone by the next one.

Faults are real (an immutable file, a folder where a file goes, a symbolic link out of the root, a
process killed with SIGKILL) or injected at the write itself through ``KBGEN_TEST_HOOK``; every test
runs the real ``kbgen`` command on a copy of the sample knowledge base and compares the files on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, committed, tree_hash
from generator import defects
from generator.changeset import JOURNAL, LOCK, TEMP_SUFFIX, TEST_HOOK

KBGEN = Path(sys.executable).parent / "kbgen"
DEFECT = "kb/defects/DEF-0003-okta-custom-domain-sso-loop.md"
RUNBOOK = "runbooks/tier2/diagnose-sso-login-failures.md"
ARTICLE = "kb/sso/known-issue-sso-sign-in-loops-with-err_sso_4012-for-okta-tenants.md"  # from its title
COPIES = 4  # more resolved defects like DEF-0003, so that `--all` writes a dozen files


def resolved(text: str, number: int = 3) -> str:
    """DEF-0003 of the sample, resolved (its fix released) and never fed, as defect ``DEF-000<number>``."""
    text = re.sub(r"^(?:customer_update|fed):\n(?:  .*\n)+", "", text, flags=re.M)
    text = text.replace("state: investigating", 'state: resolved\nfixed_in: "2025.11.2"\nresolved_on: 2025-11-20')
    return text.replace("DEF-0003", f"DEF-{number:04d}")


def sample_root(copy: Path, more: int = 0) -> Path:
    """A copy of the sample knowledge base (without its mkdocs.yml) in which DEF-0003 is resolved, and
    ``more`` resolved defects like it, each feeding its own article, the same runbook and its record."""
    for name in ("kb", "runbooks"):
        shutil.copytree(REPO / name, copy / name)
    shutil.copy(REPO / "intents.yml", copy)
    path = copy / DEFECT
    (copy / "kb/sso/known-issue-okta-custom-domain-sso-loop.md").unlink()  # the ongoing issue it published, so
    # that the feed writes every file anew
    text = resolved(path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    for number in range(10, 10 + more):
        (copy / f"kb/defects/DEF-{number:04d}-okta-loop-{number}.md").write_text(  # a title of its own: an article
            text.replace("DEF-0003", f"DEF-{number:04d}").replace("\ntitle: ", f"\ntitle: Case {number} of ", 1),
            encoding="utf-8")
    return copy


@pytest.fixture
def root(tmp_path) -> Path:
    return sample_root(tmp_path / "sample")


@pytest.fixture
def many(tmp_path) -> Path:
    return sample_root(tmp_path / "sample", COPIES)


def kbgen(*args: str, hook: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, TEST_HOOK: hook} if hook else {k: v for k, v in os.environ.items() if k != TEST_HOOK}
    return subprocess.run([str(KBGEN), *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=120)


def paused(root: Path, hook: str, *args: str) -> subprocess.Popen:
    """A feed started with the test hook, once it says it has paused there."""
    process = subprocess.Popen([str(KBGEN), "defect", "feed", *args, "--root", str(root)], text=True,
                               env={**os.environ, TEST_HOOK: f"{hook}:pause"}, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready, _, _ = select.select([process.stderr], [], [], 60)
    line = process.stderr.readline() if ready else ""
    if "paused at" not in line:
        process.kill()
        pytest.fail(f"the feed did not pause at {hook}: {line}{process.stderr.read()}")
    return process


def leftovers(root: Path) -> list[str]:
    """Files kbgen's feed makes for its own use, which must not outlive it."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.name.endswith(TEMP_SUFFIX) or p.name in (JOURNAL, LOCK) or p.name.endswith(".tmp"))


def refused_cleanly(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "nothing was written" in result.stderr


# a target that cannot be written stops the feed before any file changes -----------------------------

def test_an_immutable_runbook_stops_the_feed_before_any_file_changes(root):
    target = root / RUNBOOK
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable files")
    try:
        before = tree_hash(root)
        result = kbgen("defect", "feed", "DEF-0003", "--root", str(root))
        refused_cleanly(result, f"cannot write {RUNBOOK}: the file is read-only")
        assert tree_hash(root) == before, "the article was not written, nor the record, nor a temporary file"
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)


def test_a_read_only_file_is_refused_when_kbgen_is_not_root(root):
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files; the immutable file test covers this")
    (root / RUNBOOK).chmod(0o444)
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), f"cannot write {RUNBOOK}")
    assert tree_hash(root) == before


def test_a_folder_where_the_article_goes_stops_the_feed(root):
    (root / ARTICLE).mkdir(parents=True)
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)),
                    f"cannot write {ARTICLE}: it is a folder or a special file, not a file")
    assert tree_hash(root) == before


def test_a_runbook_linked_from_outside_the_root_is_not_written_through(root, tmp_path):
    """A link out of runbooks/ is no document (validation says file-outside-root): the feed leaves it alone."""
    outside = tmp_path / "elsewhere.md"
    shutil.move(root / RUNBOOK, outside)
    (root / RUNBOOK).symlink_to(outside)
    outside_before = outside.read_bytes()
    result = kbgen("defect", "feed", "DEF-0003", "--root", str(root))
    assert result.returncode in (0, 1) and "Traceback" not in result.stdout + result.stderr
    assert RUNBOOK not in result.stdout
    assert outside.read_bytes() == outside_before and (root / RUNBOOK).is_symlink()


def test_a_runbook_linked_elsewhere_in_the_root_is_not_written_through(root):
    """Inside the root but out of runbooks/, the file a link leads to is not a runbook either."""
    real = root / "shared/diagnose-sso-login-failures.md"
    real.parent.mkdir()
    shutil.move(root / RUNBOOK, real)
    (root / RUNBOOK).symlink_to(real)
    real_before = real.read_bytes()
    assert kbgen("defect", "feed", "DEF-0003", "--root", str(root)).returncode == 0
    assert (root / RUNBOOK).is_symlink() and real.read_bytes() == real_before


def test_one_file_under_two_names_is_refused(root):
    """The runbook and a link to it are both loaded; the feed would give the one file two texts."""
    (root / "runbooks/tier2/sso-loop-alias.md").symlink_to(root / RUNBOOK)
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), "under another name (a symbolic link)")
    assert tree_hash(root) == before


@pytest.mark.parametrize("point", ["commit:1", "stage:1", "replace:1", "replace:3"])
def test_a_file_edited_while_the_feed_runs_is_not_overwritten(root, point):
    """Whenever the writer saves, before the checks or after them, up to the moment the file is replaced
    (it is the third file a feed of DEF-0003 replaces): the feed changes nothing and says why."""
    before = tree_hash(root)
    process = paused(root, point, "DEF-0003")
    path = root / RUNBOOK
    edited = path.read_text(encoding="utf-8") + "\nA writer's last-minute note.\n"
    path.write_text(edited, encoding="utf-8")
    _, err = process.communicate("\n", timeout=60)
    assert process.returncode == 1 and "Traceback" not in err
    assert f"cannot write {RUNBOOK}: it was changed while the feed ran" in err
    assert path.read_text(encoding="utf-8") == edited, "the writer's note stays"
    assert tree_hash(root) == {**before, RUNBOOK: tree_hash(root)[RUNBOOK]}, "and nothing else changed"
    assert leftovers(root) == []


def test_one_feed_at_a_time(root):
    process = paused(root, "commit:1", "DEF-0003")
    try:
        second = kbgen("defect", "feed", "DEF-0003", "--root", str(root))
        refused_cleanly(second, "another kbgen defect feed is running")
    finally:
        process.communicate("\n", timeout=60)
    assert process.returncode == 0
    assert leftovers(root) == []


# a failure while writing puts every file back ------------------------------------------------------

@pytest.mark.parametrize("hook", ["stage:2:fail", "replace:1:fail", "replace:3:fail"])
def test_a_write_that_fails_puts_every_file_back(root, hook):
    (root / "kb/sso").rename(root / "kb/sso-moved")  # the article's folder is created by the feed
    before = tree_hash(root)
    result = kbgen("defect", "feed", "DEF-0003", "--root", str(root), hook=hook)
    refused_cleanly(result, f"injected fault at {hook.rsplit(':', 1)[0].replace(':', ' ')}")
    assert tree_hash(root) == before, "files replaced are restored, the created file and folder removed"


WRITES = 2 * (1 + COPIES) + 1  # with `many`: an article and a record per defect, and the one runbook


@settings(max_examples=15, deadline=None)
@given(point=st.sampled_from(["stage", "replace"]), number=st.integers(1, WRITES))
def test_a_write_failing_at_any_point_of_a_feed_all_changes_nothing(tmp_path_factory, point, number):
    root = sample_root(tmp_path_factory.mktemp("faults") / "sample", COPIES)
    before = tree_hash(root)
    os.environ[TEST_HOOK] = f"{point}:{number}:fail"
    try:
        with pytest.raises(defects.FeedError, match=f"injected fault at {point} {number}"):
            defects.feed_all(root)
    finally:
        del os.environ[TEST_HOOK]
    assert tree_hash(root) == before
    shutil.rmtree(root)


# a killed feed is undone by the next one -----------------------------------------------------------

def test_a_feed_killed_half_way_is_undone_by_the_next_run(many, tmp_path):
    root = many
    (root / "kb/sso/.draft.md.tmp").write_text("a writer's own temporary file\n", encoding="utf-8")
    (root / f"kb/sso/.notes.md{TEMP_SUFFIX}").write_text("named like kbgen's, but not kbgen's\n", encoding="utf-8")
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, symlinks=True)
    before = tree_hash(root)

    process = paused(root, "replace:5", "--all")
    process.kill()  # SIGKILL: no handler, no clean-up
    process.wait(timeout=60)
    assert tree_hash(root) != before, "four files were replaced before the kill"
    assert (root / JOURNAL).exists()
    assert len([p for p in root.rglob(f"*{TEMP_SUFFIX}")]) > 2, "staged files are left by the kill"

    refused = kbgen("defect", "feed", "DEF-9999", "--root", str(root))  # any later feed undoes it first
    assert refused.returncode == 1 and "no defect has the id 'DEF-9999'" in refused.stderr
    assert tree_hash(root) == before, "every file as before the killed run; the writer's files kept"

    done = kbgen("defect", "feed", "--all", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert kbgen("defect", "feed", "--all", "--root", str(clean)).returncode == 0
    assert tree_hash(root) == tree_hash(clean), "the same result as a feed never killed"
    assert leftovers(root) == ["kb/sso/.draft.md.tmp", f"kb/sso/.notes.md{TEMP_SUFFIX}"]


@settings(max_examples=5, deadline=None)
@given(point=st.sampled_from(["stage", "replace"]), number=st.integers(1, WRITES))
def test_a_feed_killed_at_any_point_is_undone(tmp_path_factory, point, number):
    root = sample_root(tmp_path_factory.mktemp("killed") / "sample", COPIES)
    before = tree_hash(root)
    process = paused(root, f"{point}:{number}", "--all")
    process.kill()
    process.wait(timeout=60)
    assert kbgen("defect", "feed", "DEF-9999", "--root", str(root)).returncode == 1
    assert tree_hash(root) == before
    shutil.rmtree(root)


def test_a_file_edited_after_a_killed_feed_keeps_the_edit(root):
    before = tree_hash(root)
    process = paused(root, "replace:2", "DEF-0003")
    process.kill()
    process.wait(timeout=60)
    record = root / DEFECT  # replaced first: the paths are written in order
    assert "fed:" in record.read_text(encoding="utf-8")
    edited = record.read_text(encoding="utf-8").replace("## Fix", "## Fix\n\nA writer's edit after the crash.")
    record.write_text(edited, encoding="utf-8")

    assert kbgen("defect", "feed", "DEF-9999", "--root", str(root)).returncode == 1
    assert record.read_text(encoding="utf-8") == edited, "a file changed since the killed run is left alone"
    assert {rel: h for rel, h in tree_hash(root).items() if rel != DEFECT} == \
        {rel: h for rel, h in before.items() if rel != DEFECT}


def test_a_journal_kbgen_did_not_write_is_not_followed(root, tmp_path):
    """A journal committed to the repository, or edited, cannot make the feed write outside the root."""
    outside = tmp_path / "outside.md"
    outside.write_text("mine\n", encoding="utf-8")
    digest = hashlib.sha256(b"mine\n").hexdigest()
    (root / JOURNAL).write_text(json.dumps({"files": [
        {"rel": "x.md", "path": "../outside.md", "temp": "../.outside.md" + TEMP_SUFFIX, "before": "pwned\n",
         "mode": 420, "after": digest}], "dirs": []}), encoding="utf-8")
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)),
                    f"{JOURNAL} names ../outside.md, outside the content root")
    assert outside.read_text(encoding="utf-8") == "mine\n"
    assert tree_hash(root) == before
    (root / JOURNAL).write_text("{not json", encoding="utf-8")
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), "is not a journal kbgen wrote")


def journal_naming(root: Path, path: str, before: str | None, target: Path) -> None:
    """A journal as a pull request could commit it: restore ``path`` to ``before`` (None: remove it), naming
    the digest of what ``target`` holds now, so that recovery takes it for the killed feed's text."""
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    name = path.rsplit("/", 1)
    temp = "/".join([*name[:-1], f".{name[-1]}{TEMP_SUFFIX}"])
    (root / JOURNAL).write_text(json.dumps({"files": [
        {"rel": "x.md", "path": path, "temp": temp, "before": before, "mode": 0o755, "after": digest}],
        "dirs": []}), encoding="utf-8")


@pytest.mark.parametrize("before", ["pwned\n", None], ids=["overwrite", "remove"])
@pytest.mark.parametrize("command", [("defect", "feed", "DEF-0003"),
                                     ("defect", "approve", "--by", "x", "DEF-0009")], ids=["feed", "approve"])
def test_a_journal_naming_a_path_through_a_symbolic_link_is_not_followed(root, tmp_path, before, command):
    """A folder linked out of the root and a journal, both committed by a pull request: any later feed or
    approval, even one refused, would write or remove the file out there."""
    victims = tmp_path / "victims"
    victims.mkdir()
    victim = victims / "victim.md"
    victim.write_text("original\n", encoding="utf-8")
    (root / "kb/esc").symlink_to(os.path.relpath(victims, root / "kb"))
    journal_naming(root, "kb/esc/victim.md", before, victim)
    journal = (root / JOURNAL).read_bytes()
    result = kbgen(*command, "--root", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert f"{JOURNAL} names kb/esc/victim.md, reached through a symbolic link" in result.stderr, result.stderr
    assert victim.read_text(encoding="utf-8") == "original\n" and victim.stat().st_mode & 0o777 != 0o755
    assert (root / JOURNAL).read_bytes() == journal, "kept for a person to look at"


@pytest.mark.parametrize("named", [".git/config", "kb/../.git/config", "intents.yml", "kb/sso/.hidden/x.md",
                                   "kb/sso/notes.txt"])
def test_a_journal_naming_a_file_the_feed_never_writes_is_not_followed(root, named):
    """Inside the root, a file whose bytes can be guessed (Git's configuration: hooks, fsmonitor) is no
    document: only a document under kb/ or runbooks/ is ever restored or removed."""
    target = root / os.path.normpath(named)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_text("[core]\n\tbare = false\n", encoding="utf-8")
    journal_naming(root, named, "[core]\n\tfsmonitor = touch /tmp/pwned\n", target)
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), f"{JOURNAL} names {named}, ")
    assert tree_hash(root) == before


def test_a_journal_committed_to_the_repository_is_not_followed(root):
    """Git checks out a committed journal as if a feed had just been killed; no killed feed commits one."""
    target = root / RUNBOOK
    journal_naming(root, RUNBOOK, "a runbook a pull request wrote\n", target)
    committed(root)
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)),
                    f"{JOURNAL} is committed to the Git repository")
    assert tree_hash(root) == before


def test_a_journal_that_is_no_file_is_not_read(root, tmp_path):
    """A link in the journal's place could have any file read as one; a named pipe would hang every feed."""
    outside = tmp_path / "journal-elsewhere"
    outside.write_text("{}", encoding="utf-8")
    (root / JOURNAL).symlink_to(outside)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), f"{JOURNAL} is a symbolic link")
    (root / JOURNAL).unlink()
    os.mkfifo(root / JOURNAL)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)), f"{JOURNAL} is not a file")


def test_a_link_where_the_new_article_goes_is_refused(root):
    """A link leading nowhere is an entry the feed did not make: following it would create a second
    document (kb/sso/nowhere.md) with the article's id."""
    (root / ARTICLE).symlink_to("nowhere.md")
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)),
                    f"cannot write {ARTICLE}: the feed would create it, but {ARTICLE} is there already")
    assert tree_hash(root) == before and not (root / "kb/sso/nowhere.md").exists()
    assert (root / ARTICLE).is_symlink()


def test_a_link_where_the_new_articles_folder_goes_is_refused(root):
    """The folder the feed would make is followed too: the article would land in kb/nowhere/."""
    (root / "kb/sso").rename(root / "kb/sso-moved")
    (root / "kb/sso").symlink_to("nowhere")
    before = tree_hash(root)
    refused_cleanly(kbgen("defect", "feed", "DEF-0003", "--root", str(root)),
                    f"cannot write {ARTICLE}: the feed would create it, but kb/sso is there already")
    assert tree_hash(root) == before and not (root / "kb/nowhere").exists()

"""A build never loses data and never leaves sites half-done: real ``kbgen build`` processes are killed
(SIGKILL) or failed with real OS errors at named points (``KBGEN_TEST_FAULT``), run two at once, and
pointed at output folders that hold other things; OUT must always be the old or the new set of sites,
whole, and nothing kbgen did not make may go.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RootMaker, committed, process_alive, runbook_body, tree_hash
from generator import output
from generator.audit import audit
from generator.build import BuildError, build
from generator.content import load
from generator.incremental import CACHE_DIR
from generator.site_config import DEFAULTS

TIERS = (0, 1, 2, 3)
KBGEN = Path(sys.executable).parent / "kbgen"
BUILD_DATE = "1767225600"  # sitemaps carry the build date: fixed, so two builds compare equal


def write_root(root: RootMaker) -> RootMaker:
    root.doc("kb/public.md", "# Public\n\nOriginal public sentence.\n")
    root.doc("kb/agent.md", "# Agent\n\nOriginal agent sentence.\n", tier=1)
    root.doc("runbooks/deep.md", runbook_body("Deep", "Original deep sentence."), tier=2)
    root.doc("runbooks/eng.md", runbook_body("Eng", "Original engineering sentence."), tier=3)
    return root


def edit(root: Path) -> None:
    """A change every site shows."""
    page = root / "kb/public.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Original public", "Changed public"), encoding="utf-8")


def kbgen(*args: str, fault: str | None = None, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run the real command line; with ``popen`` arguments, start it and return the process."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_DATE}
    env.pop(output.FAULT_VARIABLE, None)
    if fault:
        env[output.FAULT_VARIABLE] = fault
    command = [str(KBGEN), *args]
    if popen:
        return subprocess.Popen(command, env=env, text=True, **popen)
    return subprocess.run(command, env=env, text=True, capture_output=True, timeout=300)


def published(out: Path) -> dict[int, dict[str, str]]:
    """What a reader of OUT/tierN sees: each present site's files and their hashes."""
    return {tier: tree_hash(out / f"tier{tier}") for tier in TIERS if (out / f"tier{tier}").is_dir()}


def temporary_files(out: Path) -> list[str]:
    return sorted(p.name for folder in (out, out / output.SITES) for p in folder.iterdir()
                  if p.name.startswith(output.TEMPORARY) or p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    """A root (already edited) and OUT holding the sites of the root before the edit, built twice (so the
    first build's version waits to be deleted), and the sites after the edit built elsewhere."""
    base = tmp_path_factory.mktemp("faults")
    root = write_root(RootMaker(base / "root")).path
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_DATE)
        build(root, out=base / "out")
        build(root, out=base / "out", full=True)
        edit(root)
        build(root, out=base / "new", full=True)
    return base


@pytest.fixture
def copy(scene, tmp_path) -> Path:
    """A fresh copy of the scene: ``root`` (edited) and ``out`` (the old sites)."""
    shutil.copytree(scene / "root", tmp_path / "root")
    shutil.copytree(scene / "out", tmp_path / "out", symlinks=True)
    return tmp_path


def assert_recovers(copy: Path, new: dict) -> None:
    """The next build finishes the job: the new sites, and nothing left of the killed build."""
    out = copy / "out"
    before = output.current_version(out)
    done = kbgen("build", "--root", str(copy / "root"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert published(out) == new
    assert output.leftovers(out) == ([before] if before else [])
    assert temporary_files(out) == []


POINTS = {  # where the build stops, and which sites a reader finds in OUT then
    "building": "old", "keeping": "old", "emptying": "old", "staged": "old", "linking": "old", "switching": "old", "switched": "new",
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_a_build_killed_at_any_point_leaves_the_old_or_the_new_sites_whole(scene, copy, point):
    out = copy / "out"
    old, new = published(out), published(scene / "new")
    assert old.keys() == new.keys() == set(TIERS) and old != new
    killed = kbgen("build", "--root", str(copy / "root"), "--out", str(out), fault=f"{point}:kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert published(out) == (old if POINTS[point] == "old" else new)
    assert_recovers(copy, new)


@pytest.mark.slow
def test_a_first_build_killed_before_it_publishes_leaves_no_sites(scene, tmp_path):
    shutil.copytree(scene / "root", tmp_path / "root")
    out = tmp_path / "out"
    killed = kbgen("build", "--root", str(tmp_path / "root"), "--out", str(out), fault="switching:kill")
    assert killed.returncode == -signal.SIGKILL
    assert published(out) == {}
    assert_recovers(tmp_path, published(scene / "new"))


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def _paused(process: subprocess.Popen, point: str) -> None:
    line = process.stderr.readline()
    assert f"paused at {point}" in line, line + process.stderr.read()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="needs Linux's /proc and worker processes (two cores)")
def test_workers_die_with_a_killed_build(copy):
    build_process = kbgen("build", "--root", str(copy / "root"), "--out", str(copy / "out"),
                          fault="building:pause", stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        _paused(build_process, "building")
        workers = _children(build_process.pid)
        assert workers, "the build runs its tiers in worker processes"
    finally:
        build_process.kill()
        build_process.wait()
    deadline = time.monotonic() + 10
    while any(map(process_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(process_alive, workers)), "workers outlived the build"


@pytest.mark.slow
def test_a_second_build_into_the_same_output_is_refused_while_one_runs(scene, copy):
    out = copy / "out"
    old = published(out)
    first = kbgen("build", "--root", str(copy / "root"), "--out", str(out), fault="staged:pause",
                  stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        _paused(first, "staged")
        second = kbgen("build", "--root", str(copy / "root"), "--out", str(out))
        assert second.returncode == 1
        assert f"another kbgen build is writing into {out}" in second.stderr
        assert "Traceback" not in second.stderr
        assert published(out) == old
    finally:
        first.kill()
        first.wait()
    assert_recovers(copy, published(scene / "new"))


@pytest.mark.parametrize("where", ["tier0/mine.html", "tier2/kb/mine/notes.txt"])
def test_a_file_put_into_the_sites_while_they_build_stops_the_publication(copy, where):
    """The build looked for files it did not write before it began; one put into the published sites since
    would go with their version, deleted by the next build. It is looked for again before the switch."""
    out = copy / "out"
    old = published(out)
    process = kbgen("build", "--root", str(copy / "root"), "--out", str(out), fault="staged:wait",
                    stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _paused(process, "staged")
    new_folder = not (out / where).parent.exists()
    (out / where).parent.mkdir(parents=True, exist_ok=True)
    (out / where).write_text("mine", encoding="utf-8")
    _, err = process.communicate("\n", timeout=120)
    assert process.returncode == 2 and "Traceback" not in err, err
    assert f"holds {where}, which kbgen did not put there (while the sites were built)" in err
    assert (out / where).read_text(encoding="utf-8") == "mine"
    (out / where).unlink()
    if new_folder:
        (out / where).parent.rmdir()
    assert published(out) == old, "the previous sites, whole"


SOURCE_EDITS = {  # a writer saving while the build runs: what a page read may not be what the build started from
    "document": ("kb/agent.md", "Original agent", "Saved agent"),
    "snippet": ("snippets/contact.md", "desk", "front desk"),
    "same-size-and-time": ("kb/public.md", "Original", "Origamis"),
}


@pytest.mark.parametrize("case", list(SOURCE_EDITS))
def test_a_source_saved_while_the_sites_build_stops_the_publication(copy, case):
    """A snippet swapped while pages were rendered left a page made from the new text filed under the old
    text's key: the next builds took it as it was. Sites made while a source changed are not published."""
    rel, old_text, new_text = SOURCE_EDITS[case]
    root, out = copy / "root", copy / "out"
    (root / "snippets").mkdir(exist_ok=True)
    (root / "snippets/contact.md").write_text("Call the desk.\n", encoding="utf-8")
    old = published(out)
    process = kbgen("build", "--root", str(root), "--out", str(out), fault="staged:wait",
                    stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _paused(process, "staged")
    path = root / rel
    times = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old_text, new_text), encoding="utf-8")
    if case == "same-size-and-time":
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    _, err = process.communicate("\n", timeout=120)
    assert process.returncode == 1 and "Traceback" not in err, err
    assert f"{rel} changed while the sites were built; build again" in err
    assert published(out) == old, "the previous sites, whole"
    again = kbgen("build", "--root", str(root), "--out", str(out))
    assert again.returncode == 0, again.stderr


OS_ERRORS = {  # point, errno: what a full disk, an unwritable OUT and a rename across file systems raise
    "unwritable": ("staging", "EACCES"),
    "full-disk": ("staged", "ENOSPC"),
    "full-disk-while-tiers-build": ("keeping", "ENOSPC"),  # the caches are written in a thread of their own
    "undeletable-leftover": ("emptying", "EACCES"),  # deleted in a thread of its own too
    "other-file-system": ("switching", "EXDEV"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(OS_ERRORS))
def test_os_errors_are_reported_and_leave_the_previous_sites(copy, case):
    point, code = OS_ERRORS[case]
    out = copy / "out"
    old, leftovers = published(out), set(output.leftovers(out))
    failed = kbgen("build", "--root", str(copy / "root"), "--out", str(out), fault=f"{point}:{code}")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    strerror = os.strerror(getattr(errno, code))
    assert f"build failed: {strerror}" in failed.stderr and str(out) in failed.stderr
    assert failed.stderr.rstrip().endswith("the previous output is unchanged")
    assert published(out) == old
    assert set(output.leftovers(out)) <= leftovers and temporary_files(out) == []


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 18 MB (a tmpfs; only where this test may mount one): room for one set of
    sites, not for two."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount") or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=18m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (the ENOSPC case above simulates one)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.slow
def test_a_full_disk_is_reported_and_leaves_the_previous_sites(scene, small_disk):
    out = small_disk / "site"
    first = kbgen("build", "--root", str(scene / "root"), "--out", str(out))
    assert first.returncode == 0, first.stderr
    old = published(out)
    full = kbgen("build", "--root", str(scene / "root"), "--out", str(out), "--full")
    assert full.returncode == 1
    assert f"No space left on device while writing {out}/" in full.stderr and "Traceback" not in full.stderr
    assert full.stderr.rstrip().endswith("the previous output is unchanged")
    assert published(out) == old
    assert output.leftovers(out) == [] and temporary_files(out) == []


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders (the EACCES case covers it)")
def test_a_read_only_output_folder_is_reported(copy):
    out = copy / "out"
    old = published(out)
    (out / output.SITES).chmod(0o555)
    try:
        failed = kbgen("build", "--root", str(copy / "root"), "--out", str(out))
    finally:
        (out / output.SITES).chmod(0o755)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "Permission denied" in failed.stderr and "the previous output is unchanged" in failed.stderr
    assert published(out) == old


@pytest.mark.slow
def test_output_on_another_file_system(scene, tmp_path):
    """Sites are written where they are published: an OUT on another file system than the root works."""
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system here")
    out = Path(os.path.realpath(other)) / f"kbgen-test-{os.getpid()}" / "site"
    try:
        for _ in range(2):
            done = kbgen("build", "--root", str(scene / "root"), "--out", str(out))
            assert done.returncode == 0, done.stderr
        assert published(out) == published(scene / "new")
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


# What is not kbgen's ------------------------------------------------------------------------------------


@pytest.mark.parametrize("runs", [1, 2])
def test_an_output_folder_holding_the_root_is_refused(scene, tmp_path, runs):
    """``--root P/tier1 --out P`` would publish over the sources: refused, nothing touched."""
    parent = tmp_path / "P"
    shutil.copytree(scene / "root", parent / "tier1")
    before = tree_hash(parent)
    for _ in range(runs):
        refused = kbgen("build", "--root", str(parent / "tier1"), "--out", str(parent))
        assert refused.returncode == 2
        assert f"output folder {parent} holds the content root {parent / 'tier1'}" in refused.stderr
    assert tree_hash(parent) == before


def test_a_users_file_in_the_output_folder_is_never_deleted(scene, tmp_path):
    """``U/tier0/mine.html`` is not kbgen's: every build is refused and names it; the file stays."""
    users = tmp_path / "U"
    (users / "tier0").mkdir(parents=True)
    (users / "tier0" / "mine.html").write_text("mine", encoding="utf-8")
    for _ in range(2):
        refused = kbgen("build", "--root", str(scene / "root"), "--out", str(users))
        assert refused.returncode == 2
        assert f"output folder {users} holds tier0, and kbgen did not make it" in refused.stderr
    assert sorted(p.relative_to(users).as_posix() for p in users.rglob("*")) == ["tier0", "tier0/mine.html"]
    assert (users / "tier0" / "mine.html").read_text(encoding="utf-8") == "mine"


@pytest.mark.slow
@pytest.mark.parametrize("where", ["tier0/mine.html", "notes.txt", ".kbgen-sites/notes.txt", "tier0/linked"])
def test_a_file_put_into_a_built_output_folder_stops_the_next_build(copy, where):
    """A file, or a link to a folder of one's own (deleting the version would take the link, and a copy
    made to publish what it leads to)."""
    out = copy / "out"
    old = published(out)
    if where.endswith("linked"):
        (copy / "mine").mkdir()
        (out / where).symlink_to(copy / "mine")
    else:
        (out / where).write_text("mine", encoding="utf-8")
    refused = kbgen("build", "--root", str(copy / "root"), "--out", str(out))
    assert refused.returncode == 2
    assert f"holds {where}, which kbgen did not put there" in refused.stderr
    assert (out / where).is_symlink() if where.endswith("linked") else \
        (out / where).read_text(encoding="utf-8") == "mine"
    (out / where).unlink()
    assert published(out) == old
    assert kbgen("build", "--root", str(copy / "root"), "--out", str(out)).returncode == 0


@pytest.mark.parametrize("folder", ["overrides", "snippets", "kb", "runbooks/tier1", "theme", "."])
def test_an_output_folder_inside_what_the_build_reads_is_refused(scene, tmp_path, folder):
    root = tmp_path / "root"
    shutil.copytree(scene / "root", root)
    (root / "mkdocs.yml").write_text("site_name: Help\ntheme: {name: material, custom_dir: theme}\n",
                                     encoding="utf-8")
    (root / "theme").mkdir()
    out = root / folder / "site" if folder != "." else root
    before = tree_hash(root)
    refused = kbgen("build", "--root", str(root), "--out", str(out))
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr and "choose" in refused.stderr
    assert tree_hash(root) == before


def test_the_default_output_folder_inside_the_root_works(scene, tmp_path):
    """ROOT/site is fine, also with kbgen's defaults inherited (their docs_dir is the root: kbgen hands MkDocs
    a folder of its own instead)."""
    root = tmp_path / "root"
    shutil.copytree(scene / "root", root)
    (root / "mkdocs.yml").write_text(f"INHERIT: {DEFAULTS}\nsite_name: Help\n", encoding="utf-8")
    done = kbgen("build", "--root", str(root), "--tier", "0")
    assert done.returncode == 0, done.stderr
    assert (root / "site" / "tier0" / "index.html").is_file()


SEGMENTS = st.sampled_from(["kb", "runbooks", "overrides", "snippets", "docs", "site", "root", "x", ".."])


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENTS, max_size=4))
def test_placement_refuses_exactly_the_overlapping_output_folders(tmp_path_factory, segments):
    """Any --out, written as a path from the content root: refused when it is inside a folder the build
    reads or holds the root, accepted otherwise."""
    base = tmp_path_factory.getbasetemp() / "placement"
    root = base / "root"
    sources = [root / name for name in ("kb", "runbooks", "overrides", "snippets", "docs")]
    out = Path(os.path.normpath(root.joinpath(*segments)))

    def within(path: Path, folder: Path) -> bool:
        return str(path) == str(folder) or str(path).startswith(str(folder) + os.sep)

    overlapping = within(root, out) or any(within(out, s) or within(s, out) for s in sources)
    try:
        output.check_placement(out, root, sources)
    except output.OutputError:
        assert overlapping, out
    else:
        assert not overlapping, out


# Builds of some tiers ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_tier_build_after_a_document_moved_up_leaves_no_other_tier_showing_it(copy):
    """A document moved from tier 1 to tier 3, then ``--tier 3``: tiers 1 and 2 are built again without it
    (the audit of all sites finds nothing), tier 0 is kept as it was."""
    root, out = copy / "root", copy / "out"
    tier0 = tree_hash(out / "tier0")
    page = root / "kb/agent.md"
    page.write_text(page.read_text(encoding="utf-8").replace("tier: 1", "tier: 3"), encoding="utf-8")
    edit_back = (root / "kb/public.md")
    edit_back.write_text(edit_back.read_text(encoding="utf-8").replace("Changed public", "Original public"),
                         encoding="utf-8")
    done = kbgen("build", "--root", str(root), "--out", str(out), "--tier", "3")
    assert done.returncode == 0, done.stderr
    for tier in (1, 2):
        assert f"tier {tier}: the content changed since this site was built; building it too" in done.stdout
        assert not (out / f"tier{tier}" / "kb" / "agent").exists()
        assert "kb/agent/" not in (out / f"tier{tier}" / "sitemap.xml").read_text(encoding="utf-8")
    assert (out / "tier3" / "kb" / "agent" / "index.html").is_file()
    assert tree_hash(out / "tier0") == tier0
    audit = kbgen("audit", "--root", str(root), "--out", str(out))
    assert audit.returncode == 0, audit.stdout + audit.stderr


STEPS = st.lists(st.tuples(st.sampled_from(["kb/public.md", "kb/agent.md"]), st.integers(0, 3),
                           st.sets(st.integers(0, 3), min_size=1, max_size=2)), min_size=1, max_size=2)


@pytest.mark.slow
@settings(max_examples=4, deadline=None)
@given(STEPS)
def test_tier_builds_never_leave_a_site_showing_what_the_content_no_longer_allows(tmp_path_factory, steps):
    """Any sequence of documents moved between tiers, each followed by a build of some tiers: afterwards
    every site in OUT shows each document exactly when its tier allows, and the audit finds nothing."""
    base = tmp_path_factory.mktemp("moves")
    root = write_root(RootMaker(base / "root"))
    out = base / "out"
    build(root.path, out=out)
    tiers_of = {"kb/public.md": 0, "kb/agent.md": 1}
    for rel, tier, tiers in steps:
        name = Path(rel).stem
        root.doc(rel, f"# {name.capitalize()}\n\nThe {name} sentence.\n", tier=tier)
        tiers_of[rel] = tier
        build(root.path, out=out, tiers=sorted(tiers))
        for site in TIERS:
            for document, floor in tiers_of.items():
                page = out / f"tier{site}" / "kb" / Path(document).stem / "index.html"
                assert page.is_file() == (floor <= site), (site, document, floor)
        assert audit(load(root.path), out) == []


def test_build_errors_from_the_library_name_the_folder(scene, tmp_path):
    users = tmp_path / "U"
    users.mkdir()
    (users / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BuildError, match="holds notes.txt, and kbgen did not make it"):
        build(scene / "root", out=users)
    assert [p.name for p in users.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("name, damage", [(name, damage) for name in ("views.json", "findings.json", "tier0.json")
                                           for damage in ("nested too deep", "named pipe")])
def test_a_damaged_cache_is_no_cache(copy, scene, name, damage):
    """A cache is always safe to delete, so one damaged (restored from a CI cache, written by hand) is
    ignored: the build starts cold, never stops with a traceback or waits on a pipe. (A list of the files a
    build wrote that names others says that someone put files into the sites: the build refuses then.)"""
    cached = copy / "out" / CACHE_DIR / name
    cached.unlink()
    if damage == "named pipe":
        os.mkfifo(cached)
    else:
        cached.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    done = kbgen("build", "--root", str(copy / "root"), "--out", str(copy / "out"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert published(copy / "out") == published(scene / "new")


@pytest.mark.parametrize("damage", ["empty", "magic only", "checksum cut", "noise"])
def test_a_compiled_template_cut_short_is_compiled_again(copy, damage):
    """Jinja reads a compiled template's checksum with pickle and stopped every later build on one cut short
    (its file is named by a hash, and the error named none): such a file is compiled again."""
    out = copy / "out"
    assert kbgen("build", "--root", str(copy / "root"), "--out", str(out)).returncode == 0  # compiles them
    compiled = sorted((out / CACHE_DIR / "templates").iterdir())
    assert compiled
    for path in compiled:
        path.write_bytes({"empty": b"", "magic only": bc_magic, "checksum cut": bc_magic + b"\x80\x04\x95\x2a\x00",
                          "noise": bc_magic + bytes(range(256)) * 4}[damage])
    page = sorted((copy / "root" / "kb").rglob("*.md"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    done = kbgen("build", "--root", str(copy / "root"), "--out", str(out))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert all(path.stat().st_size > 1000 for path in (out / CACHE_DIR / "templates").iterdir())  # compiled again


def test_a_build_with_its_output_closed_builds(copy, scene):
    """'kbgen build >&-': Python has no standard output then; the build goes on without its status lines."""
    done = kbgen("build", "--root", str(copy / "root"), "--out", str(copy / "out"), stdout=None,
                 stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    _, stderr = done.communicate(timeout=300)
    assert done.returncode == 0 and "Traceback" not in stderr, stderr
    assert published(copy / "out") == published(scene / "new")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits as Linux sets them")
def test_a_build_out_of_memory_says_so_and_leaves_the_sites(copy):
    """Short of memory (here 'ulimit -v'), the tiers fail and no thread can start: a message, exit 1, no
    traceback, and the previous sites as they were."""
    import resource

    before = published(copy / "out")
    limit = 350 * 2 ** 20

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = kbgen("build", "--root", str(copy / "root"), "--out", str(copy / "out"), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, preexec_fn=limited)
    stdout, stderr = done.communicate(timeout=300)
    assert done.returncode != 0 and "Traceback" not in stderr, stderr
    assert "build failed" in stderr and "out of memory" in stderr
    assert published(copy / "out") == before


def test_a_file_put_into_a_site_is_refused_with_the_cache_deleted(copy):
    """Deleting what OUT/.kbgen-cache holds is always safe: the list of files a build wrote is kept beside the
    sites, so a writer's file in them is still refused, not deleted with their version."""
    mine = copy / "out" / "tier0" / "mine.html"
    mine.write_text("mine", encoding="utf-8")
    shutil.rmtree((copy / "out" / CACHE_DIR).resolve())
    done = kbgen("build", "--root", str(copy / "root"), "--out", str(copy / "out"))
    assert done.returncode == 2 and "tier0/mine.html" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert mine.read_text(encoding="utf-8") == "mine"


def test_an_output_folder_committed_to_git_is_not_trusted(make_root):
    """A pull request can commit any file into site/: a page the next build would reuse unaudited, or
    validation's kept findings saying a document it changed has none. kbgen reads nothing kbgen did not
    write there: validation works everything out again, and the build refuses the folder."""
    from generator import findings_cache
    from generator.findings_cache import document_key

    make_root.doc("kb/reset.md", id="reset")
    root = make_root.path
    build(root, tiers=[0])
    with (root / "kb/reset.md").open("a", encoding="utf-8") as page:
        page.write("\n/// internal\nAgents only.\n")  # never closed: an error
    kept = (root / "site" / CACHE_DIR / findings_cache.FINDINGS_FILE).resolve()
    forged = json.loads(kept.read_text(encoding="utf-8"))  # the verdict on the document as it was, re-keyed
    forged["documents"]["kb/reset.md"]["key"] = document_key(load(root).by_rel()["kb/reset.md"])
    kept.write_text(json.dumps(forged), encoding="utf-8")
    assert kbgen("validate", "--root", str(root)).returncode == 0, "a writer's own cache is taken as kept"
    committed(root)
    checked = kbgen("validate", "--root", str(root))
    assert checked.returncode == 1 and "[internal-unclosed]" in checked.stdout
    refused = kbgen("build", "--root", str(root))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "committed to Git" in refused.stderr and ".kbgen-output" in refused.stderr


def _without_root_powers() -> list[str]:
    """A command prefix under which file permissions hold, also for root (which a CI runner may be)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to hold")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def test_a_published_version_made_read_only_is_no_obstacle_to_later_builds(make_root, tmp_path):
    """An archive step may protect what kbgen published. Once replaced, that version is kbgen's garbage: a
    build that cannot move it into the new version builds the tier afresh, and deletes it later."""
    make_root.doc("kb/reset.md", id="reset")
    out = tmp_path / "out"
    assert kbgen("build", "--root", str(make_root.path), "--out", str(out)).returncode == 0
    subprocess.run(["chmod", "-R", "a-w", str((out / "tier0").resolve())], check=True)
    for sentence in ("One more sentence.", "And another.", "And a third."):
        with (make_root.path / "kb/reset.md").open("a", encoding="utf-8") as page:
            page.write(f"\n{sentence}\n")
        done = subprocess.run([*_without_root_powers(), str(KBGEN), "build", "--root", str(make_root.path),
                               "--out", str(out)], capture_output=True, text=True,
                              env={**os.environ, "SOURCE_DATE_EPOCH": BUILD_DATE})
        assert done.returncode == 0, done.stderr
        assert sentence in (out / "tier0/kb/reset/index.html").read_text(encoding="utf-8")
    versions = [path for path in (out / output.SITES).iterdir() if path.name not in (output.LOCK, output.CURRENT)]
    assert len(versions) == 2, "the current one and the one the last build replaced: the read-only one is gone"


@pytest.mark.parametrize("lock", ["a link leading nowhere", "a link to a file", "a folder", "a named pipe"])
def test_a_lock_that_is_no_file_of_kbgens_is_refused_and_nothing_is_made_through_it(make_root, tmp_path, lock):
    """The lock is OUT's file: made through a link, it would be made where the link leads, outside OUT."""
    make_root.doc("kb/reset.md", id="reset")
    out = tmp_path / "out"
    assert kbgen("build", "--root", str(make_root.path), "--out", str(out), "--tier", "0").returncode == 0
    path, elsewhere = out / output.SITES / output.LOCK, tmp_path / "elsewhere"
    path.unlink()
    if lock == "a link leading nowhere":
        path.symlink_to(elsewhere)
    elif lock == "a link to a file":
        elsewhere.write_text("mine\n", encoding="utf-8")
        path.symlink_to(elsewhere)
    elif lock == "a folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    before = tree_hash(out)
    refused = kbgen("build", "--root", str(make_root.path), "--out", str(out), "--tier", "0")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert "not the lock file kbgen makes" in refused.stderr
    assert tree_hash(out) == before
    assert lock == "a link to a file" and elsewhere.read_text(encoding="utf-8") == "mine\n" or not elsewhere.exists()

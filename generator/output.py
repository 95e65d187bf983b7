"""The output folder a build owns: what kbgen may delete there, and how new sites replace the old at once.

::

    OUT/.kbgen-output                 marker: kbgen made this folder and deletes only what it put here
    OUT/.kbgen-sites/lock             held while a build writes into OUT (a second build is refused)
    OUT/.kbgen-sites/<version>/       one build's sites (tier0..tier3) and cache (.kbgen-cache: manifests,
                                      search analyses, and the list of every file the build wrote into its sites)
    OUT/.kbgen-sites/current       -> <version>: the published set
    OUT/tierN                      -> .kbgen-sites/current/tierN
    OUT/.kbgen-cache               -> .kbgen-sites/current/.kbgen-cache

A build writes a new version beside the published one and publishes it by renaming one symbolic link
over ``current``: a reader of ``OUT/tierN`` sees every tier of the old set or every tier of the new one,
whenever the build stops, even killed. Versions other than the current one are what killed or replaced
builds left; the next build recycles the newest (:func:`recycle`) and deletes the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import stat
import sys
import time
from pathlib import Path

from .audience import TIERS
from .content import kept_text
from .incremental import CACHE_DIR, analyses_path, link_or_copy, manifest_path

MARKER = ".kbgen-output"
SITES = ".kbgen-sites"
CURRENT = "current"
LOCK = "lock"
FILES = ".kbgen-files.txt"  # in a version, beside its sites (not in its cache, which is always safe to delete):
# every file its build wrote into them
TEMPORARY = ".kbgen-tmp-"  # prefix of the links a build makes before renaming them into place
MARKER_TEXT = ("This folder is the output of kbgen build. A build replaces and deletes what it made here,\n"
               "and refuses to run while anything else is in it: keep nothing else here.\n")
LINKS = {**{f"tier{tier}": f"{SITES}/{CURRENT}/tier{tier}" for tier in TIERS},
         CACHE_DIR: f"{SITES}/{CURRENT}/{CACHE_DIR}"}
VERSION_RE = re.compile(r"[0-9a-f]+-[0-9]+")  # the names of version folders (see new_version)
FAULT_VARIABLE = "KBGEN_TEST_FAULT"  # "point:action,...": see fault()

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: builds are not locked
    fcntl = None


class OutputError(Exception):
    """The output folder cannot be used; the message says what is in the way and why."""


class OutputBusy(Exception):
    """Another build is writing into the output folder."""


def check_placement(out: Path, root: Path, sources: list[Path]) -> None:
    """Refuse an output folder that would hold the content root, or share a folder the build reads:
    a build replaces what is in its output folder."""
    if root.is_relative_to(out):
        raise OutputError(f"output folder {out} holds the content root {root}: a build replaces what is in its "
                          "output folder; choose an --out outside the content root (default ROOT/site)")
    for folder in sources:
        if out.is_relative_to(folder) or folder.is_relative_to(out):
            raise OutputError(f"output folder {out} and {folder}, which the build reads, overlap: built sites "
                              "would be read as sources; choose another --out (default ROOT/site)")


def claim(out: Path, unwritten: list[str] | None = None) -> None:
    """Make ``out`` kbgen's (a new or empty folder), or check that it holds only what kbgen puts there.
    ``unwritten``: what :func:`unwritten_files` found, if it was looked for beforehand."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(path.name for path in out.iterdir())
    if MARKER not in names:
        if names:
            raise OutputError(
                f"output folder {out} holds {listed(names)}, and kbgen did not make it (no {MARKER} in it): "
                "a build replaces and deletes what is in its output folder; choose a new or empty --out "
                "(the output of a kbgen older than this one: delete it once)")
        (out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")  # however cut short, the marker is there
        return
    strangers = [name for name in names if not _ours(out, name)]
    if (out / SITES).is_dir():
        strangers += [f"{SITES}/{path.name}" for path in sorted((out / SITES).iterdir())
                      if path.name not in (LOCK, CURRENT) and not _is_leftover(path.name)]
    refuse_unwritten(out, strangers + (unwritten if unwritten is not None else unwritten_files(out)))


def refuse_unwritten(out: Path, strangers: list[str], when: str = "") -> None:
    """Stop a build whose output folder holds files kbgen did not put there (``when`` they came)."""
    if strangers:
        raise OutputError(f"output folder {out} holds {listed(strangers)}, which kbgen did not put there"
                          f"{' (' + when + ')' if when else ''}: move it out of the output folder; nothing was "
                          f"{'published' if when else 'built'}")


def listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _ours(out: Path, name: str) -> bool:
    path = out / name
    if name == MARKER:
        return path.is_file()
    if name == SITES:
        return path.is_dir() and not path.is_symlink()
    if name in LINKS:
        return path.is_symlink() and os.readlink(path) == LINKS[name]
    return name.startswith(TEMPORARY)


@contextlib.contextmanager
def locked(out: Path):
    """Hold OUT's lock while the block runs; refuse if another build holds it. The system releases the lock
    when its holder dies, however it dies: a killed build never leaves OUT locked."""
    sites = out / SITES
    sites.mkdir(exist_ok=True)
    try:  # never through a link (one committed or left there would have the lock file made where it leads)
        descriptor = os.open(sites / LOCK, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
                             | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OutputError(f"{sites / LOCK} is not the lock file kbgen makes ({exc.strerror}): remove it") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OutputError(f"{sites / LOCK} is not the lock file kbgen makes (not a regular file): remove it")
    try:
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputBusy(f"another kbgen build is writing into {out}; run this one when it has "
                                 "finished") from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


def current_version(out: Path) -> Path | None:
    """The folder of the published sites in ``out``, if any."""
    try:
        version = out / SITES / os.readlink(out / SITES / CURRENT)
    except OSError:
        return None
    return version if version.is_dir() and version.parent == out / SITES else None


def leftovers(out: Path) -> list[Path]:
    """What killed and replaced builds left in ``out``: every version but the current one, and temporary
    links. Only this build may write into ``out`` (it holds the lock), so none of it is in use."""
    current = current_version(out)
    found = [path for path in (out / SITES).iterdir() if _is_leftover(path.name)] if (out / SITES).is_dir() else []
    return [path for path in found if path != current] + \
        [path for path in out.iterdir() if path.name.startswith(TEMPORARY)]


def _is_leftover(name: str) -> bool:
    """Whether a name in OUT/.kbgen-sites is one a build gives its versions and temporary links."""
    return bool(VERSION_RE.fullmatch(name)) or name.startswith(TEMPORARY)


def remove(path: Path) -> None:
    """Delete a leftover, whatever it is (a site folder, a link, a file). A folder someone made read-only
    after kbgen published it (an archive step, say) is made writable again to be emptied: kbgen made it."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_writable_then_again)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _writable_then_again(function, path: str, _) -> None:
    """rmtree's answer to a file or folder it could not delete: its folder made writable, tried once more;
    what still cannot be deleted waits for the next build."""
    with contextlib.suppress(OSError):
        folder = os.path.dirname(path)
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if function in (os.rmdir, os.unlink):
            function(path)
        elif function in (os.scandir, os.listdir, os.open):  # a folder it could not read: read it now
            os.chmod(path, os.stat(path).st_mode | stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR)
            shutil.rmtree(path, ignore_errors=True)


def new_version(out: Path) -> Path:
    """An empty folder for this build's sites, beside the published ones (so on the same file system)."""
    version = out / SITES / f"{time.time_ns():x}-{os.getpid()}"  # VERSION_RE
    fault("staging", version)
    version.mkdir()
    return version


def recycle(leftovers: list[Path], version: Path, tiers: list[int]) -> None:
    """Move the sites of ``tiers`` from the newest leftover version into ``version``, which is building them
    again from the published ones: the pages a rebuild takes unchanged are mostly there already, in their
    folders (see :meth:`generator.incremental.PageCache.place`, which deletes the rest). A leftover is
    garbage that only this build may touch (it holds the lock), and is never published again."""
    versions = [path for path in leftovers if VERSION_RE.fullmatch(path.name) and path.is_dir()
                and not path.is_symlink()]
    if not versions:
        return
    donor = max(versions, key=lambda path: int(path.name.split("-")[0], 16))  # named by the time it began
    for tier in tiers:
        site = donor / f"tier{tier}"
        if site.is_dir() and not site.is_symlink():
            try:
                site.rename(version / f"tier{tier}")
            except OSError:  # a version made read-only after it was published: the tier is built afresh
                continue


def carry_over(previous: Path, version: Path, tier: int) -> None:
    """Put a tier's published site and manifest into the new version unchanged, as hard links (no bytes
    copied, and nothing ever writes into a published file)."""
    shutil.copytree(previous / f"tier{tier}", version / f"tier{tier}", copy_function=link_or_copy)
    for kept in (manifest_path, analyses_path):
        if kept(previous, tier).is_file():
            kept(version, tier).parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(kept(previous, tier), kept(version, tier))


def site_files(version: Path, tier: int) -> list[str]:
    """Every file and link in one tier's site of a version (``tierN/...``), sorted; a link to a folder is
    listed, not entered (kbgen makes none: one is someone else's). A scan of its own: os.walk takes half as
    long again."""
    found = []
    pending = [(f"tier{tier}/", version / f"tier{tier}")]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{entry.name}/", entry.path))
            else:
                found.append(prefix + entry.name)
    return sorted(found)


def _site_files(version: Path, listed: dict[int, list[str]] | None = None) -> list[str]:
    """Every file and link in the sites of a version, sorted: as :func:`site_files` lists each, or as
    ``listed`` gives it for a tier that was listed when it was built."""
    listed = listed or {}
    return [rel for tier in TIERS for rel in (listed[tier] if tier in listed else site_files(version, tier))]


def unwritten_files(out: Path) -> list[str]:
    """Files someone put into the published sites of ``out`` (a walk of every file of every tier: a build
    looks while it validates, on another core)."""
    current = current_version(out)
    return _not_written(current) if current else []


def _not_written(version: Path) -> list[str]:
    """Files someone put into the published sites of ``version`` (kbgen did not write them, and must not
    delete them with that version). Nothing is known without the version's list of files."""
    listed = kept_text(version / FILES)
    if listed is None:
        return []
    written = set(listed.splitlines())
    return [rel for rel in _site_files(version) if rel not in written]


def publish(out: Path, version: Path, listed: dict[int, list[str]] | None = None) -> None:
    """Make ``version`` the published set: its list of files is written, OUT's links are put in place (they
    lead through ``current``, so they show the old set until then), then one rename switches every tier.
    ``listed``: the :func:`site_files` of tiers listed as they were built (a tier is not written to after)."""
    listing = version / FILES
    listing.write_text("".join(f"{rel}\n" for rel in _site_files(version, listed)), encoding="utf-8")
    fault("linking", out)
    for name, target in LINKS.items():
        if name == CACHE_DIR or (version / name).is_dir():
            link(out / name, target)
    fault("switching", out / SITES / CURRENT)
    link(out / SITES / CURRENT, version.name)
    fault("switched", out / SITES / CURRENT)


def link(path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` with one rename (a reader never finds it missing)."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    temporary = path.parent / f"{TEMPORARY}{path.name}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target)
    temporary.replace(path)


def describe(exc: OSError, writing: Path) -> str:
    """An operating system error as a sentence: what failed, on which file. A full disk or a read-only file
    system is named by where the build was writing (a copy's error may name the file it copied)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return f"{exc.strerror} while writing {writing}"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def fault(point: str, path: Path | None = None) -> None:
    """Fault injection for tests: with ``KBGEN_TEST_FAULT=point:action`` (comma-separated), a build that
    reaches ``point`` kills itself with SIGKILL (``kill``), stops until killed (``pause``, after saying so on
    stderr) or until a line arrives on standard input (``wait``), or fails with a real OS error named by its errno (``ENOSPC``, ``EXDEV``, ``EACCES``, ...)."""
    wanted = os.environ.get(FAULT_VARIABLE)
    if not wanted:
        return
    for entry in wanted.split(","):
        name, _, action = entry.partition(":")
        if name != point:
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action in ("pause", "wait"):
            print(f"kbgen: paused at {point} (pid {os.getpid()})", file=sys.stderr, flush=True)
            if action == "wait":  # for a line on standard input, then on
                sys.stdin.readline()
                return
            while True:
                time.sleep(60)
        code = getattr(errno, action)
        raise OSError(code, os.strerror(code), str(path) if path else None)

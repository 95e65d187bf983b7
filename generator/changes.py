"""What a pull request touched: the files to report on in ``kbgen validate --changed-since REF``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .content import shown_path
from .errors import KbgenUsageError


class ChangesError(KbgenUsageError):
    """Git is missing, the root is not in a repository, or the ref is unknown."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise ChangesError("git is not installed; --changed-since needs it") from None


def changed_since(root: Path, ref: str) -> set[str]:
    """Root-relative POSIX paths of files changed since ``ref``: committed, uncommitted and new. Git lists
    them NUL-separated and unquoted (``-z``: else a name with 'é' or '"' comes quoted, and matches no
    document), decoded as findings name files (bytes that are not UTF-8 as '\\xe9')."""
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise ChangesError(f"'{ref}' is not a commit in the repository holding {root}")
    diff = _git(root, "diff", "-z", "--name-only", "--relative", ref)
    new = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    for done in (diff, new):
        if done.returncode != 0:
            raise ChangesError(done.stderr.decode("utf-8", "replace").strip())
    return {shown_path(os.fsdecode(path)) for path in (diff.stdout + new.stdout).split(b"\0") if path}


def committed(folder: Path) -> list[str]:
    """Files under ``folder`` that the Git repository holding it tracks, as paths from the folder. A build's
    output and cache are kbgen's to write: committed there, by a pull request say, they would be taken as
    what a build made (pages reused unaudited, validation's findings of unchanged documents). Nothing when
    the folder does not exist, is in no repository, or Git is missing (then no commit can have put files
    there)."""
    if not folder.is_dir():
        return []
    try:
        listed = subprocess.run(["git", "-C", str(folder), "ls-files", "-z", "--", "."], capture_output=True,
                                check=False)
    except OSError:
        return []
    if listed.returncode != 0:
        return []
    return [shown_path(os.fsdecode(path)) for path in listed.stdout.split(b"\0") if path]

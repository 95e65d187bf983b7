"""Dates a write-up does not give, from the Git history of its file.

A defect written up before kbgen, or in a hurry, may lack its dates. The history of its write-up is the
closest record: ``reported_on`` is the day the write-up was first committed, ``root_cause_on`` the day a
commit first gave its "Root cause" section words of its own (not the template's ``TODO:``), and
``resolved_on`` the day a commit first set ``state: resolved``. Only a root in a Git work tree has a
history; without Git, or outside one, nothing is found and the measures skip the defect.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path
from typing import Callable

GIT_TIMEOUT = 30  # seconds for one git command: a repository too slow to ask gives no dates


def first_commit_dates(root: Path, rels: list[str]) -> dict[str, _dt.date]:
    """The date each file (root-relative path) was first committed, following renames; files Git does
    not know are left out."""
    return first_dates_when(root, rels, lambda text: True)


def first_dates_when(root: Path, rels: list[str], holds: Callable[[str], bool]) -> dict[str, _dt.date]:
    """For each file, the date of the first commit (following renames) whose version of it ``holds``;
    files Git does not know, or whose versions never hold, are left out."""
    found: dict[str, _dt.date] = {}
    for rel in rels:
        try:
            for day, text in _versions(root, rel):
                if holds(text):
                    found[rel] = day
                    break
        except (OSError, subprocess.TimeoutExpired):  # no git, or a repository too slow to ask
            return found
    return found


def _versions(root: Path, rel: str):
    """(date, text) of each committed version of a file, oldest first."""
    log = _git(root, "log", "--follow", "--format=%x00%H %as", "--name-only", "--", rel)
    if log.returncode:
        return
    commits = []
    for record in log.stdout.split("\0")[1:]:
        header, _, paths = record.partition("\n")
        commit, _, day = header.partition(" ")
        path = paths.strip().split("\n")[-1] if paths.strip() else rel
        commits.append((commit, day, path))
    for commit, day, path in reversed(commits):
        shown = _git(root, "show", f"{commit}:{path}")
        if shown.returncode:
            continue
        try:
            yield _dt.date.fromisoformat(day), shown.stdout
        except ValueError:
            continue


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT,
                          check=False, encoding="utf-8", errors="replace")

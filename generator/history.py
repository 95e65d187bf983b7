"""Dates a write-up does not give, from the Git history of its file.

A defect written up before kbgen, or in a hurry, may lack ``reported_on``: the day its write-up was first
committed is the closest record of when it was known; or ``resolved_on``: the day a commit first set its
``state: resolved``. Only a root in a Git work tree has a history; without
Git, or outside one, nothing is found and the measures skip the defect.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path


RESOLVED_LINE = r"^state:[[:space:]]*[\"']?resolved"  # a defect's front matter once it is resolved (POSIX regex)


def first_commit_dates(root: Path, rels: list[str], line: str | None = None) -> dict[str, _dt.date]:
    """The date each file (root-relative path) was first committed, following renames, or with ``line``
    (a POSIX regular expression) the date of the first commit that added or removed a line matching it:
    when a defect's write-up first said it was resolved. Files Git does not know are left out."""
    found: dict[str, _dt.date] = {}
    change = ["-G", line] if line else ["--diff-filter=A"]
    for rel in rels:
        try:
            result = subprocess.run(["git", "-C", str(root), "log", "--follow", *change, "--format=%as",
                                     "--", rel], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):  # no git, or a repository too slow to ask
            return found
        dates = result.stdout.split() if result.returncode == 0 else []
        try:
            if dates:
                found[rel] = _dt.date.fromisoformat(dates[-1])
        except ValueError:
            continue
    return found

"""Defect feed speed: ``python benchmarks/feed_speed.py [--docs N]``.

Generates a corpus with benchmarks/corpus.py (about 3 % of its documents are resolved defects, written
up with the sections a feed publishes), then times ``kbgen defect feed --all`` (every defect fed:
known-issue articles, tier 2 runbook entries, the records), the same command again (nothing left to
feed) and feeding one defect again (nothing changes, nothing is written). Prints seconds and counts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate  # noqa: E402

KBGEN = Path(sys.executable).parent / "kbgen"


def timed(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(KBGEN), "defect", "feed", *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = generate(args.docs, Path(work) / "root")
        defects = sorted((root / "kb" / "defects").glob("*.md"))
        seconds, output = timed("--all", "--root", str(root))
        written = output.count("  wrote ")
        entries = sum(p.read_text(encoding="utf-8").count("<!-- kbgen:defect ") for p in root.glob("runbooks/**/*.md"))
        print(f"{args.docs} documents, {len(defects)} resolved defects")
        print(f"feed --all:            {seconds:6.2f} s  ({written} files written, {entries} runbook entries)")
        seconds, output = timed("--all", "--root", str(root))
        print(f"feed --all again:      {seconds:6.2f} s  ({output.strip().splitlines()[-1]})")
        seconds, output = timed(_id(defects[0]), "--root", str(root))
        print(f"feed one fed defect:   {seconds:6.2f} s  ({output.strip().splitlines()[-1]})")


def _id(path: Path) -> str:
    return next(line[4:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("id: "))


if __name__ == "__main__":
    main()

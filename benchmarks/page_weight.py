"""Page weight of a site: ``python benchmarks/page_weight.py [--docs N] [--root DIR] [--tier N]``.

Builds the site of one tier (default 0, the public help centre) of a generated corpus (benchmarks/corpus.py,
5,000 documents by default) or of an existing content root, and prints the size of the home page, the largest
area and intent pages, and the median and largest document pages, with the most links any document page
carries. A help centre that scales keeps every one of these flat as the corpus grows. In an agent site
(``--tier 1`` to 3) it also prints the median runbook page and the runbook page script, raw and gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate  # noqa: E402
from generator.build import build  # noqa: E402

LINK_RE = re.compile(rb"<a [^>]*href=")


def kib(path: Path) -> float:
    return path.stat().st_size / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="size of the generated corpus")
    parser.add_argument("--root", type=Path, help="measure this content root instead of a generated one")
    parser.add_argument("--tier", type=int, choices=(0, 1, 2, 3), default=0, help="the site to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = args.root.resolve() if args.root else generate(args.docs, work / "corpus")
        started = time.perf_counter()
        result = build(root, out=work / "out", tiers=[args.tier])
        seconds = time.perf_counter() - started
        site = result.sites[args.tier].path
        documents = [p for folder in ("kb", "runbooks") for p in (site / folder).glob("**/index.html")]
        sizes = sorted(kib(p) for p in documents)
        links = max(len(LINK_RE.findall(p.read_bytes())) for p in documents)
        print(f"corpus: {root}; tier {args.tier} site: {len(documents)} document pages, built in {seconds:.1f} s")
        print(f"{'page':34} {'KiB':>8}")
        rows = [("home", kib(site / "index.html")),
                ("largest area page", max(kib(p) for p in site.glob("areas/*/index.html"))),
                ("largest intent page", max(kib(p) for p in site.glob("intents/*/index.html"))),
                ("median document page", statistics.median(sizes)),
                ("largest document page", sizes[-1])]
        runbooks = [p for p in (site / "runbooks").glob("**/index.html")]
        script = site / "assets" / "javascripts" / "kbgen" / "runbook.js"
        if runbooks:
            rows.append(("median runbook page", statistics.median(kib(p) for p in runbooks)))
            rows.append(("median runbook page, gzipped",
                         statistics.median(len(gzip.compress(p.read_bytes(), 9)) / 1024 for p in runbooks)))
        if script.exists():
            rows += [("runbook page script", kib(script)),
                     ("runbook page script, gzipped", len(gzip.compress(script.read_bytes(), 9)) / 1024)]
        for name, size in rows:
            print(f"{name:34} {size:8.1f}")
        print(f"most links on a document page: {links}")


if __name__ == "__main__":
    main()

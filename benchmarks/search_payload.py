"""Search payload and first-search latency: ``python benchmarks/search_payload.py [--docs N] [--root DIR]``.

On a generated corpus (benchmarks/corpus.py, default 5,000 documents) it builds the tier 0 help site
with kbgen and, as the reference, a plain mkdocs-material build of the same pages with the default
search plugin. It prints, for each:

* the bytes a browser fetches for search before the first result, gzip-compressed (the search index
  file(s) and the worker with lunr; page and theme bundle are the same for both and left out);
* the milliseconds from the page becoming interactive (DOMContentLoaded) to the first result shown
  for a query typed into the search box, in headless Chromium (median of ``--runs`` fresh pages);

and the ratios kbgen / mkdocs-material.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from browser import chromium_page, served  # noqa: E402
from corpus import generate  # noqa: E402
from search_quality import material_site  # noqa: E402

QUERY = "webhook signature"  # words every generated corpus uses


def gzipped(paths: list[Path]) -> int:
    return sum(len(gzip.compress(path.read_bytes(), 6)) for path in paths)


def kbgen_payload(site: Path) -> int:
    scripts = site / "assets" / "javascripts" / "kbgen"
    return gzipped([site / "search" / "search_index.json", site / "search" / "kbgen-index.json",
                    scripts / "search.js", scripts / "search-worker.js", scripts / "lunr.js"])


def material_payload(site: Path) -> int:
    return gzipped([site / "search" / "search_index.json",
                    *(site / "assets" / "javascripts" / "workers").glob("search.*.min.js")])


def first_search_ms(page, url: str) -> float:
    """From DOMContentLoaded to the first result of QUERY typed into the theme's search box."""
    page.goto("about:blank")
    page.goto(url, wait_until="domcontentloaded")
    interactive = time.perf_counter()
    box = page.locator("input[data-md-component=search-query]")
    box.fill(QUERY)
    box.press("End")  # the theme reads the query on key events
    page.locator(".md-search-result__item").first.wait_for(state="attached", timeout=120_000)
    return (time.perf_counter() - interactive) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="size of the generated corpus")
    parser.add_argument("--root", type=Path, help="measure this content root instead of a generated one")
    parser.add_argument("--runs", type=int, default=3, help="page loads per site (median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = args.root.resolve() if args.root else generate(args.docs, work / "corpus")
        out = work / "out"
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "kbgen"), "build", "--root", str(root), "--out", str(out),
                        "--tier", "0"], check=True, stdout=subprocess.DEVNULL)
        kbgen_build = time.perf_counter() - started
        started = time.perf_counter()
        material, _ = material_site(root, work)
        material_build = time.perf_counter() - started
        kbgen_site = out / "tier0"
        pages = sum(1 for _ in kbgen_site.glob("kb/**/index.html"))
        print(f"corpus: {root} ({pages} tier 0 pages); built in {kbgen_build:.0f} s (kbgen, tier 0) and "
              f"{material_build:.0f} s (plain mkdocs-material)")
        sizes = {"kbgen": kbgen_payload(kbgen_site), "material": material_payload(material)}
        times = {}
        with chromium_page() as page:
            for name, site in (("kbgen", kbgen_site), ("material", material)):
                with served(site) as url:
                    times[name] = statistics.median(first_search_ms(page, url + "/") for _ in range(args.runs))
        print(f"{'':10} {'search bytes (gzip)':>20} {'first search ms':>16}")
        for name in sizes:
            print(f"{name:10} {sizes[name]:20,} {times[name]:16.0f}")
        print(f"{'ratio':10} {sizes['kbgen'] / sizes['material']:20.2f} {times['kbgen'] / times['material']:16.2f}")


if __name__ == "__main__":
    main()

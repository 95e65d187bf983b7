"""Search payload and first-search latency: ``python benchmarks/search_payload.py [--docs N] [--root DIR [--pages N]]``.

On a generated corpus (benchmarks/corpus.py, default 5,000 documents), or on ``--pages`` tier 0 articles
of a real content root drawn at random (``--root ../shared/corpora/support-kb-7k``), it builds the tier 0 help site
with kbgen and, as the reference, a plain mkdocs-material build of the same pages with the default
search plugin. It prints, for each:

* the bytes a browser fetches for search before the first result, gzip-compressed: the files under
  ``search/`` the browser asked for (recorded in Chromium) and the search worker's scripts; the page and
  the theme's bundle are the same for both and left out; and the search files it asked for twice;
* the milliseconds from the page becoming interactive (DOMContentLoaded) to the first result shown
  for a query put into the search box at that moment, in headless Chromium: on a first visit (nothing
  cached) and the median of ``--runs`` later page loads (the browser's cache as the server allows);

and the ratios kbgen / mkdocs-material.
"""

from __future__ import annotations

import argparse
import gzip
import json
import posixpath
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from browser import chromium_page, served  # noqa: E402
from corpus import generate  # noqa: E402
from search_quality import material_site, subset  # noqa: E402

LINK_RE = re.compile(r"\[([^\]]*)\]\(\s*([^)\s#]+\.md)(#[^)\s]*)?\s*\)")
QUERY = "webhook signature"  # words every generated corpus uses; --query for another corpus


def drawn(root: Path, pages: int, work: Path) -> Path:
    """``pages`` tier 0 articles of ``root`` drawn at random (benchmarks/search_quality.py), their links to
    articles left behind turned into plain text so that the sample builds."""
    target = subset(root, set(), pages, work)
    for path in (target / "kb").rglob("*.md"):
        text = path.read_text(encoding="utf-8")

        def unlink(match: re.Match) -> str:
            linked = posixpath.normpath(posixpath.join(path.parent.as_posix(), match.group(2)))
            return match.group(0) if Path(linked).is_file() else match.group(1)
        path.write_text(LINK_RE.sub(unlink, text), encoding="utf-8")
    return target


def gzipped(paths: list[Path]) -> int:
    return sum(len(gzip.compress(path.read_bytes(), 6)) for path in paths)


def search_scripts(site: Path) -> list[Path]:
    kbgen = site / "assets" / "javascripts" / "kbgen"
    if kbgen.is_dir():
        return [kbgen / "search.js", kbgen / "search-worker.js", kbgen / "lunr.js"]
    return list((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))


# Typed as soon as the page is interactive: at DOMContentLoaded the query is put into the theme's search box
# (the theme reads it on keyup), and the time of the first result in the list is noted, both in the page's
# own clock, so the harness driving the browser adds nothing to the figure.
FIRST_SEARCH_SCRIPT = """query => {
    document.addEventListener('DOMContentLoaded', () => {
        const started = performance.now();
        new MutationObserver((changes, observer) => {
            if (document.querySelector('.md-search-result__item')) {
                window.kbFirstResult = performance.now() - started;
                observer.disconnect();
            }
        }).observe(document.body, {childList: true, subtree: true});
        const box = document.querySelector('input[data-md-component=search-query]');
        box.value = query;
        box.dispatchEvent(new KeyboardEvent('keyup', {key: 'End'}));
    });
}"""


def first_search_ms(page, url: str, fetched: list[str] | None = None) -> float:
    """From DOMContentLoaded to the first result of the query in the theme's search box; the paths the page and
    its worker asked for go into ``fetched``."""
    page.goto("about:blank")
    listener = lambda request: fetched.append(urlsplit(request.url).path)  # noqa: E731
    if fetched is not None:
        page.context.on("request", listener)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.kbFirstResult !== undefined", timeout=120_000)
    if fetched is not None:
        page.context.remove_listener("request", listener)
    return page.evaluate("() => window.kbFirstResult")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="size of the generated corpus")
    parser.add_argument("--root", type=Path, help="measure this content root instead of a generated one")
    parser.add_argument("--pages", type=int, default=1500, help="tier 0 pages drawn from --root")
    parser.add_argument("--query", default=QUERY, help="the query typed (it must have results)")
    parser.add_argument("--runs", type=int, default=3, help="page loads per site (median is shown)")
    parser.add_argument("--no-material", action="store_true", help="skip the mkdocs-material reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = drawn(args.root.resolve(), args.pages, work) if args.root else generate(args.docs, work / "corpus")
        out = work / "out"
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "kbgen"), "build", "--root", str(root), "--out", str(out),
                        "--tier", "0"], check=True, stdout=subprocess.DEVNULL)
        kbgen_build = time.perf_counter() - started
        started = time.perf_counter()
        sites = {"kbgen": out / "tier0"}
        if not args.no_material:
            sites["material"] = material_site(root, work)[0]
        material_build = time.perf_counter() - started
        pages = sum(1 for _ in sites["kbgen"].glob("kb/**/index.html"))
        print(f"corpus: {root} ({pages} tier 0 pages); built in {kbgen_build:.0f} s (kbgen, tier 0) and "
              f"{material_build:.0f} s (plain mkdocs-material)")
        sizes, first_visit, times = {}, {}, {}
        with chromium_page() as page:
            page.add_init_script(script=f"({FIRST_SEARCH_SCRIPT})({json.dumps(args.query)})")
            for name, site in sites.items():
                with served(site) as url:
                    fetched: list[str] = []
                    first_visit[name] = first_search_ms(page, url + "/", fetched)  # nothing in the browser's cache
                    times[name] = statistics.median(first_search_ms(page, url + "/") for _ in range(args.runs))
                index_files = [site / path.lstrip("/") for path in sorted(set(fetched)) if path.startswith("/search/")]
                scripts = {"/" + str(path.relative_to(site)) for path in search_scripts(site)}
                twice = sorted({path for path in fetched if fetched.count(path) > 1
                                and (path.startswith("/search/") or path in scripts)})
                sizes[name] = gzipped(index_files + search_scripts(site))
                print(f"{name}: {len(index_files)} search files fetched for the first result; fetched twice: "
                      f"{', '.join(twice) or 'none'}")
        print(f"{'':10} {'search bytes (gzip)':>20} {'first visit ms':>15} {'later pages ms':>15}")
        for name in sizes:
            print(f"{name:10} {sizes[name]:20,} {first_visit[name]:15.0f} {times[name]:15.0f}")
        if "material" in sizes:
            print(f"{'ratio':10} {sizes['kbgen'] / sizes['material']:20.2f} "
                  f"{first_visit['kbgen'] / first_visit['material']:15.2f} {times['kbgen'] / times['material']:15.2f}")


if __name__ == "__main__":
    main()

"""Search quality: ``python benchmarks/search_quality.py [--large DIR] [--large-pages N] [--no-material]``.

Runs the queries of ``benchmarks/search_queries.yml`` (phrased as customers type them: symptoms, pasted
error messages, "how do I ...", typos) against the tier 0 pages of the sample knowledge base and, when
present, of a larger corpus (default ``../shared/corpora/support-kb-7k``; the expected pages plus
``--large-pages`` others drawn at random, so that a plain mkdocs-material build stays affordable). On the
same pages it compares three searches and prints hit@1, hit@3 and MRR@10 per kind of query (for a
query nothing answers, a hit is an empty list):

* kbgen: the tier 0 index and ranking of the help site (``generator.search``);
* lunr.py: a plain lunr.py index over title and body with lunr's defaults (the query's lunr syntax
  characters removed, or "Error: ..." would be a field query);
* material: mkdocs-material's own search out of the box, a plain Material build of the same pages with
  the default ``search`` plugin, queried through its search worker in headless Chromium.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from lunr import lunr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import chromium_page, served, worker_results  # noqa: E402
from generator import structure  # noqa: E402
from generator.audience import in_site, scan  # noqa: E402
from generator.content import load  # noqa: E402
from generator.search import SearchIndex  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
QUERIES = HERE / "search_queries.yml"
LARGE = REPO.parent / "shared" / "corpora" / "support-kb-7k"
DEFAULTS = REPO / "generator" / "defaults" / "mkdocs.yml"
LUNR_SYNTAX_RE = re.compile(r"[:~^*+\-]")
KINDS = ("symptom", "error", "howto", "typo", "compound", "rare", "verbatim", "customer", "noanswer")
SYSTEMS = ("kbgen", "lunr.py", "material")


def subset(root: Path, keep: set[str], others: int, work: Path) -> Path:
    """A content root with the tier 0 documents ``keep`` and ``others`` more drawn at random (seeded)."""
    content = load(root)
    public = sorted((d for d in content.documents if in_site(d, 0)), key=lambda d: d.rel)
    rest = [d for d in public if d.id not in keep]
    chosen = [d for d in public if d.id in keep] + random.Random(11).sample(rest, min(others, len(rest)))
    target = work / "large"
    target.mkdir(parents=True)
    shutil.copy(root / "intents.yml", target / "intents.yml")
    if (root / "snippets").is_dir():
        shutil.copytree(root / "snippets", target / "snippets")
    for document in chosen:
        (target / document.rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(document.path, target / document.rel)
    return target


def public_pages(root: Path) -> list:
    return [d for d in load(root).documents if in_site(d, 0)]


def public_markdown(document) -> str:
    """A page's Markdown without its internal blocks, for the plain baselines (which know no tiers): the
    lines the scan of the source puts inside a block are left out."""
    lines = document.body.split("\n")
    return "\n".join(line for line, floor in zip(lines, scan(lines).floors) if floor == 0)


def lunr_defaults(root: Path):
    content = load(root)
    documents = [{"id": d.id, "title": d.title, "body": structure.view(content, d, 0).text}
                 for d in content.documents if in_site(d, 0)]
    index = lunr(ref="id", fields=("title", "body"), documents=documents)

    def search(query: str) -> list[str]:
        cleaned = LUNR_SYNTAX_RE.sub(" ", query).strip()
        return [hit["ref"] for hit in index.search(cleaned)] if cleaned else []
    return search


def material_site(root: Path, work: Path) -> tuple[Path, dict[str, str]]:
    """A plain mkdocs-material build of the same pages (as the tier 0 site shows them) with default search."""
    docs = work / "material" / "docs"
    urls = {}
    for document in public_pages(root):
        target = docs / document.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        body = public_markdown(document)
        target.write_text(f"---\ntitle: {yaml.safe_dump(document.title).splitlines()[0]}\n---\n{body}\n",
                          encoding="utf-8")
        urls[document.url] = document.id
    (docs / "index.md").write_text("# Help\n", encoding="utf-8")
    config = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    config.update(site_name="Plain", docs_dir="docs", plugins=["search"])
    config["markdown_extensions"] = [e for e in config["markdown_extensions"] if "blocks" not in str(e)]
    config_file = work / "material" / "mkdocs.yml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    site = work / "material" / "site"
    subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "-q", "-f", str(config_file),
                    "-d", str(site)], check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return site, urls


def ranks(results: list[list[str]], cases: list[dict]) -> list[int | None]:
    """The rank of the first expected page (None: not in the top 10); for a query nothing answers, 1 when
    nothing is listed and None when anything is."""
    found = []
    for hits, case in zip(results, cases):
        if not case["expect"]:
            found.append(None if hits else 1)
        else:
            found.append(next((n for n, hit in enumerate(hits[:10], 1) if hit in case["expect"]), None))
    return found


def report(name: str, pages: int, cases: list[dict], by_system: dict[str, list]) -> None:
    print(f"\n{name}: {len(cases)} queries over {pages} tier 0 pages")
    print(f"{'kind':10} {'n':>4}  " + "  ".join(f"{s + ' hit@1':>14} {'hit@3':>6} {'MRR@10':>6}" for s in by_system))
    for kind in (*KINDS, "all"):
        chosen = [i for i, case in enumerate(cases) if kind in ("all", case["kind"])]
        if not chosen:
            continue
        cells = []
        for found in by_system.values():
            picked = [found[i] for i in chosen]
            hit1 = sum(r == 1 for r in picked) / len(picked)
            hit3 = sum(r is not None and r <= 3 for r in picked) / len(picked)
            mrr = sum(1 / r for r in picked if r) / len(picked)
            cells.append(f"{hit1:14.2f} {hit3:6.2f} {mrr:6.2f}")
        print(f"{kind:10} {len(chosen):4}  " + "  ".join(cells))


def evaluate(name: str, root: Path, cases: list[dict], material: bool, work: Path) -> None:
    queries = [case["query"] for case in cases]
    index = SearchIndex.build(load(root), 0)
    by_system = {"kbgen": ranks([[h.id for h in index.search(q, 10)] for q in queries], cases)}
    plain = lunr_defaults(root)
    by_system["lunr.py"] = ranks([plain(q) for q in queries], cases)
    if material:
        site, urls = material_site(root, work / name)
        with served(site) as url, chromium_page() as page:
            locations = worker_results(page, url + "/", queries)
        by_system["material"] = ranks([[urls.get(loc, loc) for loc in hits] for hits in locations], cases)
    report(name, index.count, cases, by_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=Path, default=LARGE, help="larger content root (optional)")
    parser.add_argument("--large-pages", type=int, default=400,
                        help="pages of the larger corpus besides the expected ones")
    parser.add_argument("--no-material", action="store_true", help="skip the mkdocs-material baseline")
    args = parser.parse_args()
    queries = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        evaluate("sample", REPO, queries["sample"], not args.no_material, work)
        if args.large.is_dir():
            cases = queries["support-kb-7k"]
            root = subset(args.large, {i for case in cases for i in case["expect"]}, args.large_pages, work)
            evaluate("support-kb-7k", root, cases, not args.no_material, work)
        else:
            print(f"\n{args.large}: not found, larger corpus skipped")
        total = sum(len(v) for v in queries.values() if isinstance(v, list))
        print(f"\n{total} queries in {QUERIES.name}")


if __name__ == "__main__":
    main()

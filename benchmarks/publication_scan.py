"""Publication safety on real text: ``python benchmarks/publication_scan.py [--root DIR] [--articles N] [--show N]``.

Scans every line of the published tier 0 articles of a content root (default: the repository's sample;
for scale, ``--root ../shared/corpora/support-kb-7k``) with the checks ``kbgen defect feed`` runs on text
bound for the public site, and prints how fast that is and what it would refuse, by rule. Public help
articles are text a customer may read, so every refusal here is either a real find (a support address, a
phone number) or a false alarm worth a look: ``--show`` prints examples.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from generator.content import load  # noqa: E402
from generator.publication import hostname_re, scan_line  # noqa: E402
from generator.site_config import read as read_site_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--show", type=int, default=0, help="examples to print per rule")
    parser.add_argument("--articles", type=int, default=None, help="scan only the first N articles")
    args = parser.parse_args()
    content = load(args.root)
    hosts = hostname_re(read_site_config(content.root).checked().kbgen_options.get("internal_domains") or [])
    articles = [d for d in content.documents if d.tier == 0 and d.kind == "article" and d.published][:args.articles]
    lines = [(d, d.body_line + i, line) for d in articles for i, line in enumerate(d.body.split("\n")) if line.strip()]
    started = time.perf_counter()
    by_rule: dict[str, list] = collections.defaultdict(list)
    for document, number, line in lines:
        for hit in scan_line(line, hosts):
            by_rule[hit.rule].append(f"{document.rel}:{number}:{hit.col}: {hit.message}")
    seconds = time.perf_counter() - started
    flagged = len({example.rsplit(":", 2)[0] for hits in by_rule.values() for example in hits})
    print(f"{len(articles)} tier 0 articles, {len(lines)} non-blank lines scanned in {seconds:.2f} s "
          f"({len(lines) / seconds:,.0f} lines/s)")
    print(f"lines with a refusal: {flagged} ({100 * flagged / max(len(lines), 1):.2f} %)")
    for rule, hits in sorted(by_rule.items()):
        print(f"  {rule}: {len(hits)}")
        for example in hits[:args.show]:
            print(f"    {example}")


if __name__ == "__main__":
    main()

"""Shared-intent benchmark: ``python benchmarks/shared_intent.py [--docs 1000 2000 4000] [--profile N]``.

A knowledge base where thousands of tier 0 articles serve one intent (a common shape after a migration:
every imported article tagged with the same catch-all intent), half of them with a second intent of their
own. Generated pages (the intent page, the area page, each page's related list and breadcrumbs) then see
every document; their cost must grow with the number of documents, not with its square. It prints the
time of a full tier 0 build at each size, its CPU time (steadier on a shared machine) and the ratio of CPU
times to the previous size (about 2 when linear).
``--profile N`` builds N documents once under cProfile and prints the 25 most expensive functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from generator.build import build  # noqa: E402

SHARED = "account.catch-all"


def generate(n: int, root: Path) -> None:
    """N tier 0 articles on one shared intent; every second one also on an intent of its own."""
    own = [f"account.topic-{number}" for number in range(0, n, 2)]
    lines = ["areas:", "  - id: account", "    title: Account", "intents:",
             f"  - {{id: {SHARED}, title: Anything about accounts, resolution_tier: 0}}",
             *(f"  - {{id: {intent}, title: Topic {intent[-5:]}, resolution_tier: 0}}" for intent in own)]
    root.mkdir(parents=True)
    (root / "intents.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = root / "kb" / "account"
    folder.mkdir(parents=True)
    for number in range(n):
        intents = [SHARED] + ([f"account.topic-{number}"] if number % 2 == 0 else [])
        (folder / f"article-{number:05d}.md").write_text(
            f"---\nid: article-{number:05d}\ntitle: Article {number}\nkind: article\ntier: 0\n"
            f"intents: [{', '.join(intents)}]\nsummary: What article {number} explains.\n---\n"
            f"# Article {number}\n\nHow to do thing {number} with your account.\n", encoding="utf-8")


def cpu_seconds() -> float:
    """CPU time of this process and of the workers it waited for: steadier than the clock on a shared machine."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def build_time(n: int) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of a full tier 0 build of N documents."""
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "root"
        generate(n, root)
        started, cpu = time.perf_counter(), cpu_seconds()
        build(root, out=Path(work) / "out", tiers=[0], full=True)
        return time.perf_counter() - started, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--profile", type=int, default=None, metavar="N")
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(build_time, args.profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return
    previous = None
    for n in args.docs:
        seconds, cpu = build_time(n)
        ratio = f"  x{cpu / previous[1]:.2f} CPU for x{n / previous[0]:.2f} documents" if previous else ""
        print(f"{n:>6} documents sharing one intent: tier 0 build {seconds:6.1f} s ({cpu:6.1f} s CPU){ratio}",
              flush=True)
        previous = (n, cpu)


if __name__ == "__main__":
    main()

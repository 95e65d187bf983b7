"""Deterministic synthetic knowledge base for benchmarks: ``python benchmarks/corpus.py N OUT``.

N documents over all four tiers and kinds, with intents, areas, links between documents (never to a
higher tier), internal blocks in public articles, headings, lists, tables and code, so validation,
building and search do the work real content makes them do. The same N always gives the same files.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

AREAS = ["account", "sso", "billing", "invoices", "payments", "integrations", "reports", "mobile"]
TOPICS = ["password", "two-factor", "sign-in", "export", "webhook", "refund", "payout", "currency", "reminder",
          "api-key", "tax", "receipt", "team", "role", "audit-log", "import", "template", "sync", "limit", "token"]
VERBS = ["reset", "configure", "troubleshoot", "recover", "change", "verify", "rotate", "repair", "explain", "escalate"]
WORDS = ("account invoice payment customer workspace setting request error response token session webhook "
         "balance currency payout refund report export import template schedule reminder member admin owner "
         "browser device network timeout retry header status ledger record amount receipt signature").split()
ERRORS = ["ERR_SSO_4012", "ERR_PAY_2001", "502 Bad Gateway", "429 Too Many Requests", "Invalid redirect_uri",
          "Webhook signature mismatch", "ERR_INV_3300", "card_declined"]


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 5)))


def plan(n: int, rng: random.Random) -> list[dict]:
    """Who is who: path, id, tier, kind and intent of every document."""
    docs = []
    for i in range(n):
        area = AREAS[i % len(AREAS)]
        topic = TOPICS[(i // len(AREAS)) % len(TOPICS)]
        roll = rng.random()
        if roll < 0.62:
            kind, tier, folder = "article", 0, f"kb/{area}"
        elif roll < 0.72:
            kind, tier, folder = "article", 1, f"kb/{area}/agents"
        elif roll < 0.97:
            tier = rng.choice([1, 1, 2, 2, 3])
            kind, folder = "runbook", f"runbooks/tier{tier}/{area}"
        else:
            kind, tier, folder = "defect", 3, "kb/defects"
        ident = f"{rng.choice(VERBS)}-{topic}-{i:05d}"
        docs.append({"id": ident, "tier": tier, "kind": kind, "area": area, "topic": topic,
                     "intent": f"{area}.{topic}", "path": f"{folder}/{ident}.md"})
    return docs


def body(doc: dict, docs: list[dict], rng: random.Random) -> str:
    title = doc["id"].replace("-", " ").capitalize()
    runbook = doc["kind"] == "runbook"  # the sections kbgen validate requires; fixed text keeps rng's sequence
    lines = [f"# {title}", "", *(["## When to use", ""] if runbook else []), paragraph(rng), ""]
    if rng.random() < 0.5:
        lines += [f"If you see `{rng.choice(ERRORS)}`, read on.", ""]
    lines += ["## Before you start", "", "Open the admin console.", "", "## Steps", ""] if runbook else \
        ["## What to do", ""]
    for step in range(1, rng.randint(3, 7)):
        lines += [f"{step}. {sentence(rng, rng.randint(6, 12))}"]
        if doc["tier"] == 0 and step == 2 and rng.random() < 0.4:
            lines += ["", "    /// internal", f"    {sentence(rng)}", "    ///", ""]
    lines.append("")
    peers = [d for d in rng.sample(docs, min(4, len(docs))) if d["tier"] <= doc["tier"] and d is not doc]
    if peers:
        lines += ["## Related", ""]
        for peer in peers:
            rel = Path(*[".."] * (len(Path(doc["path"]).parts) - 1), peer["path"]).as_posix()
            lines.append(f"- [{peer['id'].replace('-', ' ')}]({rel})")
        lines.append("")
    if rng.random() < 0.3:
        lines += ["| Setting | Value |", "|---|---|"] + [f"| {rng.choice(WORDS)} | {rng.randint(1, 99)} |"
                                                         for _ in range(4)] + [""]
    if rng.random() < 0.3:
        lines += ["```bash", f"tbctl {rng.choice(WORDS)} --{rng.choice(WORDS)} {rng.randint(1000, 9999)}", "```", ""]
    if doc["tier"] == 0 and rng.random() < 0.25:
        lines += ["/// internal | tier: 2", paragraph(rng), "///", ""]
    lines += [paragraph(rng), ""]
    if runbook:
        lines += ["## Verify", "", "The customer confirms it works.", "",
                  "## Escalate", "", "Hand over as the box says.", ""]
    if doc["kind"] == "defect":  # the sections a resolved defect needs, and those a feed publishes
        lines += ["## Customer-facing summary", "", "For a few days some pages showed an old value. It was fixed in "
                  "version 2025.10.2.", "", "## How Tier 2 recognises it", "", "The page shows the old value after "
                  "a refresh.", "", "## Root cause", "", "A cache expired too late.", "", "## Fix", "",
                  "The cache is refreshed on every change.", "", "## Workaround", "", "Refresh the page after a minute.",
                  ""]
    return "\n".join(lines)


def frontmatter(doc: dict) -> str:
    lines = ["---", f"id: {doc['id']}", f"title: {doc['id'].replace('-', ' ').capitalize()}",
             f"kind: {doc['kind']}", f"tier: {doc['tier']}", f"intents: [{doc['intent']}]",
             "summary: A synthetic document for benchmarks.", "owner: support-benchmarks"]
    if doc["kind"] == "runbook" and doc["tier"] < 3:
        lines.append(f"escalation: {{to_tier: {doc['tier'] + 1}, when: the steps did not resolve it}}")
    if doc["kind"] == "defect":
        lines += ["severity: P3", "state: resolved", 'fixed_in: "2025.10.2"', "reported_on: 2025-09-01",
                  "root_cause_on: 2025-09-08", "resolved_on: 2025-10-02"]
    return "\n".join(lines + ["---", ""])


def generate(n: int, out: Path, seed: int = 7) -> Path:
    """Write a content root of ``n`` documents into ``out`` (which must not exist yet)."""
    rng = random.Random(seed)
    docs = plan(n, rng)
    out.mkdir(parents=True)
    intents = sorted({(d["area"], d["topic"]) for d in docs})
    first_tier = {}  # an intent is resolved at the lowest tier that has a document for it
    for doc in docs:
        first_tier[doc["intent"]] = min(doc["tier"], first_tier.get(doc["intent"], 3))
    with open(out / "intents.yml", "w", encoding="utf-8") as stream:
        stream.write("areas:\n" + "".join(f"  - id: {a}\n    title: {a.capitalize()}\n" for a in AREAS))
        stream.write("intents:\n")
        for area, topic in intents:
            stream.write(f"  - id: {area}.{topic}\n    title: {topic.replace('-', ' ').capitalize()} ({area})\n"
                         f"    phrasings: [{topic.replace('-', ' ')} problem, how do I {topic.replace('-', ' ')}]\n"
                         f"    resolution_tier: {first_tier[f'{area}.{topic}']}\n")
    for doc in docs:
        path = out / doc["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(frontmatter(doc) + body(doc, docs, rng), encoding="utf-8")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python benchmarks/corpus.py N OUT")
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))

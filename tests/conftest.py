"""Shared fixtures: small content roots written into tmp_path, and the sample built once per session."""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from generator.build import build

REPO = Path(__file__).resolve().parent.parent

# Property tests search for inputs that break a promise: enough examples in every run to matter, many more
# with HYPOTHESIS_PROFILE=deep (e.g. before a release). Each example builds a small content root: no deadline.
settings.register_profile("default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

INTENTS = """\
areas:
  - id: account
    title: Account and sign-in
    description: Signing in, passwords and two-factor authentication.
  - id: billing
    title: Billing
intents:
  - id: account.password-reset
    title: Reset a forgotten password
    phrasings: [forgot password, locked out of my account]
    resolution_tier: 0
  - id: billing.refund
    title: Get a refund
    phrasings: [refund my subscription]
    resolution_tier: 1
"""


def frontmatter(**fields) -> str:
    """Front matter text for a document; values are written as YAML flow scalars."""
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def runbook_body(title: str, text: str = "Text.") -> str:
    """A runbook body with the sections ``kbgen validate`` requires; ``text`` goes under "When to use"."""
    return (f"# {title}\n\n## When to use\n\n{text}\n\n## Before you start\n\nNothing.\n\n## Steps\n\n"
            "1. Do it.\n\n## Verify\n\nIt works.\n\n## Escalate\n\nAs below.\n")


class RootMaker:
    """Writes a content root: ``make.doc("kb/a.md", body, **front_matter)``, ``make.file(path, text)``."""

    def __init__(self, path: Path):
        self.path = path
        self.file("intents.yml", INTENTS)

    def file(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def doc(self, rel: str, body: str = "", **fields) -> Path:
        fields.setdefault("id", Path(rel).stem)
        fields.setdefault("title", Path(rel).stem.replace("-", " ").capitalize())
        fields.setdefault("kind", "runbook" if rel.startswith("runbooks/") else "article")
        fields.setdefault("tier", 1 if rel.startswith("runbooks/") else 0)
        fields.setdefault("intents", ["account.password-reset"])
        if fields["kind"] == "runbook" and fields["tier"] in (1, 2) and "escalation" not in fields:
            fields["escalation"] = "{to_tier: %d, when: the steps did not help}" % (fields["tier"] + 1)
        default = runbook_body(fields["title"]) if fields["kind"] == "runbook" else f"# {fields['title']}\n\nText.\n"
        body = textwrap.dedent(body) or default
        return self.file(rel, frontmatter(**fields) + body)


def article(html: str) -> str:
    """The page's own content (Material's <article>), without navigation or theme chrome."""
    match = re.search(r'<article class="md-content__inner[^"]*">(.*?)</article>', html, re.S)
    assert match, "no <article> in page"
    return match[1]


def toc_links(html: str) -> list[str]:
    """Anchors listed in the page's table of contents (Material's secondary sidebar)."""
    match = re.search(r'<nav class="md-nav md-nav--secondary".*?</nav>', html, re.S)
    return re.findall(r'<a href="#([^"]+)" class="md-nav__link"', match[0]) if match else []


def tree_hash(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file and ``<dir>`` of every folder: to prove output untouched."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return found


@pytest.fixture
def make_root(tmp_path) -> RootMaker:
    return RootMaker(tmp_path / "root")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's own sample knowledge base, built once: returns OUT with tier0..tier3."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(REPO, out=out)
    return out


def search_terms(site: Path) -> set[str]:
    """The words (stemmed, as lunr keeps them) in a built site's kbgen search index."""
    from generator.search import SearchIndex

    return set(SearchIndex.load(site).terms())


def in_search(site: Path, text: str) -> bool:
    """Whether every word of ``text`` is in the site's search index."""
    from generator.search import text_terms

    return text_terms(text) <= search_terms(site)


def pytest_collection_modifyitems(items):
    """Tests that share a built site or a browser (module- or session-wide fixtures, kept because they are
    expensive) are ``slow``: ``pytest -m "not slow"`` is the quick loop of Markdown, validation and CLI tests."""
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        shared = definitions is not None and any(
            definition.scope in ("module", "package", "session") and _ours(definition.func)
            for chain in definitions.name2fixturedefs.values() for definition in chain)
        if shared or "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _ours(function) -> bool:
    """A fixture written in this folder (pytest's own, such as tmp_path_factory, are session-wide too)."""
    code = getattr(function, "__code__", None)
    return code is not None and Path(code.co_filename).parent == Path(__file__).parent

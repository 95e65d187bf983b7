"""Shared fixtures: small content roots written into tmp_path, and the sample built once per session."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.build import build

REPO = Path(__file__).resolve().parent.parent

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
        body = textwrap.dedent(body) or f"# {fields['title']}\n\nText.\n"
        return self.file(rel, frontmatter(**fields) + body)


@pytest.fixture
def make_root(tmp_path) -> RootMaker:
    return RootMaker(tmp_path / "root")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's own sample knowledge base, built once: returns OUT with tier0..tier3."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(REPO, out=out)
    return out

"""The parts of a defect write-up other modules read: its level 2 sections, and the digest of what a
reviewer approves for customers (:mod:`generator.defects` publishes it, :mod:`generator.validate` says
when it changed since)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .content import Document
from .structure import headings, section_name

SUMMARY, RECOGNISE, WORKAROUND = "customer-facing summary", "how tier 2 recognises it", "workaround"
DIGEST_LENGTH = 12  # hexadecimal digits of SHA-256 kept: in a feed region's start marker, in an approval


@dataclass
class Section:
    line: int  # file line of the section's first line of text
    text: str


def sections_of(defect: Document) -> dict[str, Section]:
    """The defect's level 2 sections by name, each with its text (trimmed) and first line in the file."""
    lines = defect.body.split("\n")
    found = [h for h in headings(defect.body) if h.level in (1, 2) and h.text is not None]
    sections = {}
    for heading, following in zip(found, found[1:] + [None]):
        if heading.level != 2:
            continue
        start, end = heading.index + 1, following.index if following else len(lines)
        while start < end and not lines[start].strip():
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        if start < end:
            text = "\n".join(lines[start:end])
            sections.setdefault(section_name(heading.text), Section(defect.body_line + start, text))
    return sections


def for_agents(defect: Document) -> bool:
    """Whether tier 2 may be told of the defect: it is resolved, or its workaround is approved for agents.
    The feed writes tier 2 runbooks' entries only then, and the tier 2 Defects page lists no other."""
    return defect.meta.get("state") == "resolved" or defect.meta.get("agent_workaround") is True


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def approval_digest(defect: Document) -> str | None:
    """The digest of what a reviewer approves for customers while the defect is open: its title and
    customer-facing summary. Any change to either needs a new approval. None without a summary."""
    sections = sections_of(defect)
    return digest(f"{defect.title.strip()}\n{sections[SUMMARY].text}") if SUMMARY in sections else None

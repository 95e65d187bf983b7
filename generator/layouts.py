"""Runbook layouts: the sections a runbook is written in, checked by ``kbgen validate`` and read by its page.

- ``steps`` (the default): an agent's procedure: When to use, Before you start, Steps, Verify, Escalate.
- ``alert``: an operations alert's runbook, as prometheus-operator's and OpenShift's collections write them:
  Meaning, Impact, Diagnosis, Mitigation. Escalation is still required, in the front matter.

A runbook picks one with ``layout:`` in its front matter; a root sets the default for the others with the
kbgen plugin option ``runbook_layout`` in ``mkdocs.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .content import Document


@dataclass(frozen=True)
class Layout:
    name: str
    sections: tuple[str, ...]  # level 2 headings, in this order
    steps: str  # the section whose numbered lists are the steps to tick off
    escalate: str | None  # the section the escalation box goes under (else the end of the page)


LAYOUTS = {layout.name: layout for layout in (
    Layout("steps", ("When to use", "Before you start", "Steps", "Verify", "Escalate"), "Steps", "Escalate"),
    Layout("alert", ("Meaning", "Impact", "Diagnosis", "Mitigation"), "Mitigation", None),
)}
DEFAULT = "steps"


def layout_of(document: Document, default: str = DEFAULT) -> Layout:
    """The layout a runbook declares, else the root's default (an unknown name is the schema's finding)."""
    declared = document.meta.get("layout")
    return LAYOUTS.get(declared if isinstance(declared, str) else default) or LAYOUTS[default]

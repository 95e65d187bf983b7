"""Markdown extension for runbook steps: each item of the numbered lists right under a runbook's
``## Steps`` heading gets a checkbox to tick off and a stable anchor (``#step-3``) to paste into a ticket."""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.extensions.toc import unique
from markdown.treeprocessors import Treeprocessor

STEPS_CLASS = "kb-steps"  # set on the Steps heading of a runbook page; the steps are the lists after it
# Generated boxes that read the same on every runbook: Material's search leaves them out, or every
# runbook would match a search for "business impact".
NOT_SEARCHED = {"kb-targets", "kb-handover"}
TREE_PRIORITY = 7  # after attr_list (8) has set the heading's class


class RunbookTreeprocessor(Treeprocessor):
    """Each item of the numbered lists right under a runbook's Steps heading becomes a step an agent
    can tick off and link to: ``#step-3`` is the third step, in every site and on every build.
    Marks the boxes in :data:`NOT_SEARCHED` for Material's search to leave out."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in ("div", "details") and NOT_SEARCHED.intersection((element.get("class") or "").split()):
                element.set("data-search-exclude", "")
        in_steps, used = False, set()
        for element in root:
            if element.tag in ("h1", "h2"):
                in_steps = STEPS_CLASS in (element.get("class") or "").split()
            elif in_steps and element.tag == "ol":
                start = int(element.get("start") or 1)
                element.set("class", f"{element.get('class') or ''} {STEPS_CLASS}".strip())
                for offset, item in enumerate(element.findall("li")):
                    self.mark(item, start + offset, used)

    @staticmethod
    def mark(item: etree.Element, number: int, used: set[str]) -> None:
        anchor = unique(f"step-{number}", used)  # (adds it to ``used``)
        loose = not (item.text or "").strip() and len(item) and item[0].tag == "p"
        host = item[0] if loose else item  # the step's first line of text
        item.set("class", "kb-step")
        # The anchor is on the link, not on the <li>: Material names code blocks after their closest id.
        link = etree.Element("a", {"class": "kb-step__link", "id": anchor, "href": f"#{anchor}",
                                   "title": f"Link to step {number}, to paste into the ticket"})
        link.text = "#"
        check = etree.Element("input", {"type": "checkbox", "class": "kb-step__check",
                                        "aria-label": f"Step {number} done"})
        check.tail, host.text = host.text, None
        host.insert(0, check)
        host.insert(0, link)


class RunbookExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(RunbookTreeprocessor(md), "kbgen_runbook", TREE_PRIORITY)

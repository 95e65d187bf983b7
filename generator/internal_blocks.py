"""Markdown extension for ``/// internal`` blocks (pymdownx.blocks syntax).

Configured with the tier of the site being built (default 0, the public site, so a forgotten setting
hides rather than shows). The Markdown parser alone decides where a block starts and ends: no other
reading of the source says what a tier sees.

* A block the site may show renders as a labelled callout, so agents see at a glance what customers
  do not.
* A block above the site's tier takes its content **raw**: it is never parsed, so no footnote, link
  reference, abbreviation, heading id or attribute inside it can exist anywhere on the page. The raw
  text is then dropped from the tree, with everything in it, before any tree processor runs, whether
  or not the block was closed; and again after the last one, for the blocks a tree processor parses
  late (footnotes parse their definitions in theirs, so a block written in one is made there).

Each conversion leaves a :class:`Parse` record on the extension (``extension.parse``): the internal
blocks the parser found, the raw text of those it hid, the text of those it showed, and anything that
makes the hiding ambiguous (a block inside a hidden block with the same number of slashes, which the
raw content cannot nest). The document model (:mod:`generator.structure`) and the build read it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

from markdown import Markdown
from markdown.treeprocessors import Treeprocessor
from pymdownx.blocks import RE_START, BlocksExtension
from pymdownx.blocks.block import Block

from .audience import PUBLIC_TIER, TIERS, parse_floor

HIDDEN_ATTRIBUTE = "data-kb-hidden"
TIER_ATTRIBUTE = "data-kb-tier"
TITLE_CLASS = "kb-internal-title"
# Before every other tree processor (footnotes run at 50, inline text at 20): hidden text is gone
# before anything can look at it. After every other (MkDocs' own run at 0 and 1): a block that a tree
# processor made by parsing text late is gone before the page is written.
DROP_PRIORITY = 100
LATE_DROP_PRIORITY = -1000
# After inline text (20) and heading ids (toc, 5): what a shown block says, as the page says it.
RECORD_PRIORITY = 3
PLACEHOLDER_RE = re.compile("\x02[^\x03]*\x03")


@dataclass
class Parse:
    """What the parser made of the internal blocks of one conversion."""

    tier: int
    floors: list[int] = field(default_factory=list)  # every internal block it opened, in order
    hidden: list[tuple[int, str]] = field(default_factory=list)  # (floor, raw text) of those it dropped
    shown: list[tuple[int, str, int]] = field(default_factory=list)  # (floor, text, floor around it) of those shown
    ambiguous: list[str] = field(default_factory=list)  # why the hiding may not match the page's intent


class InternalBlock(Block):
    """An internal block: a callout in a site that may show it, raw text to drop in one that may not."""

    NAME = "internal"
    ARGUMENT = None  # optional: "tier: N"

    def on_validate(self, parent: etree.Element) -> bool:
        # Never refuse the block: a refused block would be rendered as plain text.
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        floor = parse_floor(self.argument)
        self.floor = max(TIERS) if floor is None else floor
        parse: Parse = self.config["parse"]()
        parse.floors.append(self.floor)
        self.hidden = self.floor > parse.tier
        el = etree.SubElement(parent, "div", {"class": "admonition kb-internal", TIER_ATTRIBUTE: str(self.floor)})
        if self.hidden:
            el.set(HIDDEN_ATTRIBUTE, "")
        else:
            title = etree.SubElement(el, "p", {"class": f"admonition-title {TITLE_CLASS}"})
            title.text = f"Internal: tier {self.floor} and above"
        return el

    def on_markdown(self) -> str:
        return "raw" if self.hidden else "auto"

    def on_end(self, block: etree.Element) -> None:
        if not self.hidden:
            return
        parse: Parse = self.config["parse"]()
        for line in (block.text or "").split("\n"):
            start = RE_START.match(line.strip(" "))
            if start and len(start[1]) == self.length:
                parse.ambiguous.append(
                    f"a block opened with {self.length} slashes ('{line.strip()}') inside an internal block "
                    f"opened with as many: give the internal block more slashes than the blocks inside it "
                    f"('{'/' * (self.length + 1)} internal' ... '{'/' * (self.length + 1)}')")


class _DropHidden(Treeprocessor):
    """Removes every hidden block, closed or not, keeping its raw text for the record."""

    def __init__(self, md: Markdown, extension: InternalBlocksExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        for child in list(root):  # in document order: the record is read in the order of the file
            if child.get(HIDDEN_ATTRIBUTE) is not None:
                self.extension.parse.hidden.append((int(child.get(TIER_ATTRIBUTE)), child.text or ""))
                root.remove(child)
            else:
                self.run(child)


class _RecordShown(Treeprocessor):
    """Keeps the text of every block the site shows: what the parser marks internal on this page, with
    the highest floor of the blocks around it (0 for an outermost block)."""

    def __init__(self, md: Markdown, extension: InternalBlocksExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        self._walk(root, 0)

    def _walk(self, element: etree.Element, around: int) -> None:
        for child in element:
            if child.get(HIDDEN_ATTRIBUTE) is not None:  # made late (see LATE_DROP_PRIORITY): not shown
                continue
            floor = child.get(TIER_ATTRIBUTE) if child.tag == "div" else None
            if floor is None:
                self._walk(child, around)
                continue
            text = " ".join(PLACEHOLDER_RE.sub(" ", part) for grandchild in child
                            if TITLE_CLASS not in (grandchild.get("class") or "") for part in grandchild.itertext())
            self.extension.parse.shown.append((int(floor), text, around))
            self._walk(child, max(around, int(floor)))


class InternalBlocksExtension(BlocksExtension):
    def __init__(self, *args, **kwargs):
        self.config = {"tier": [PUBLIC_TIER, "Tier of the site being built (0 = public)"]}
        super().__init__(*args, **kwargs)
        self.parse = Parse(int(self.getConfig("tier")))

    def extendMarkdownBlocks(self, md: Markdown, block_mgr) -> None:
        md.registerExtension(self)
        block_mgr.register(InternalBlock, {"parse": lambda: self.parse})
        md.treeprocessors.register(_DropHidden(md, self), "kbgen_internal_drop", DROP_PRIORITY)
        md.treeprocessors.register(_DropHidden(md, self), "kbgen_internal_drop_late", LATE_DROP_PRIORITY)
        md.treeprocessors.register(_RecordShown(md, self), "kbgen_internal_record", RECORD_PRIORITY)

    def reset(self) -> None:
        self.parse = Parse(int(self.getConfig("tier")))


def makeExtension(*args, **kwargs) -> InternalBlocksExtension:
    return InternalBlocksExtension(*args, **kwargs)

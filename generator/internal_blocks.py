"""Markdown extension for ``/// internal`` blocks (pymdownx.blocks syntax).

Configured with the tier of the site being built (default 0, the public site, so a forgotten
setting hides rather than shows). Blocks above that tier are removed before parsing; the ones a
site may show render as a labelled callout so agents see at a glance what customers do not.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.preprocessors import Preprocessor
from pymdownx.blocks import BlocksExtension
from pymdownx.blocks.block import Block

from .audience import PUBLIC_TIER, TIERS, parse_floor, strip_hidden

# After snippets (32) and fenced code stashing (25): included text is filtered too, and
# `/// internal` inside a code fence is already out of sight.
STRIP_PRIORITY = 24


class HiddenBlockStripper(Preprocessor):
    def __init__(self, md: Markdown, tier: int):
        super().__init__(md)
        self.tier = tier

    def run(self, lines: list[str]) -> list[str]:
        return strip_hidden(lines, self.tier)


class InternalBlock(Block):
    """Renders a visible internal block; removes it if it is somehow above the site's tier."""

    NAME = "internal"
    ARGUMENT = None  # optional: "tier: N"

    def on_validate(self, parent: etree.Element) -> bool:
        # Never refuse the block: a refused block would be rendered as plain text.
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        floor = parse_floor(self.argument)
        self.floor = max(TIERS) if floor is None else floor
        self.parent = parent
        el = etree.SubElement(parent, "div", {"class": "admonition kb-internal", "data-kb-tier": str(self.floor)})
        title = etree.SubElement(el, "p", {"class": "admonition-title"})
        title.text = f"Internal: tier {self.floor} and above"
        return el

    def on_end(self, block: etree.Element) -> None:
        if self.floor > self.config["tier"]:
            self.parent.remove(block)


class InternalBlocksExtension(BlocksExtension):
    def __init__(self, *args, **kwargs):
        self.config = {"tier": [PUBLIC_TIER, "Tier of the site being built (0 = public)"]}
        super().__init__(*args, **kwargs)

    def extendMarkdownBlocks(self, md: Markdown, block_mgr) -> None:
        tier = int(self.getConfig("tier"))
        block_mgr.register(InternalBlock, {"tier": tier})
        md.preprocessors.register(HiddenBlockStripper(md, tier), "kbgen_internal_strip", STRIP_PRIORITY)


def makeExtension(*args, **kwargs) -> InternalBlocksExtension:
    return InternalBlocksExtension(*args, **kwargs)

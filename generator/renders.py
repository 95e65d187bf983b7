"""Markdown renders of document pages shared by the tiers of one build.

A public document without internal blocks reads the same in all four sites: only the frame around it
(banner, colours, navigation) differs. So the tiers of a build keep each document's rendered body in one
folder, under a key from the document model (:func:`generator.structure.render_key`: the view the tier
gets, which names every internal block it shows and hides, the page's Markdown with the boxes kbgen adds
for the tier, the page's place and the pipeline's settings). A tier takes a render only under its own key,
and only if every link the render resolved resolves to the same file in its own site; any other page it
renders itself. Nothing in a render depends on the tier that made it but what is in the key, so a shared
render holds what the tier taking it would have rendered, byte for byte, and the leak audit still reads
every file of every site.

Tiers building at once walk their pages in opposite orders (:func:`render_order`), so they meet in the
middle instead of rendering the same pages side by side.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import markdown
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from .internal_blocks import InternalBlocksExtension
from .site_config import canonical_json
from .steps import RunbookExtension

RENDERS_FORMAT = 1

# Markdown extensions whose reset leaves nothing of one page for the next, as tests/test_kept_renderers.py
# checks with pages that use each of them: a tier keeps one pipeline only when it has no other extension.
RESET_SAFE = frozenset({
    "toc", "tables", "fenced_code", "admonition", "attr_list", "def_list", "footnotes", "md_in_html", "abbr",
    "sane_lists", "smarty", "pymdownx.details", "pymdownx.highlight", "pymdownx.inlinehilite",
    "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.blocks.admonition",
    "pymdownx.blocks.details", "pymdownx.blocks.tab", "pymdownx.snippets", "pymdownx.keys", "pymdownx.mark",
    "pymdownx.caret", "pymdownx.tilde", "pymdownx.critic", "pymdownx.betterem", "pymdownx.smartsymbols",
})
PAGES_LOGGER = "mkdocs.structure.pages"  # where MkDocs reports what it found while rendering a page


class SharedRenders:
    """The renders of one build, in ``folder`` (one JSON file per key, written whole or not at all)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rendered = self.taken = 0  # pages this tier rendered itself / took from another tier

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def take(self, key: str, page: Page, files: Files) -> bool:
        """Give ``page`` the render kept under ``key`` if its links resolve alike in ``files``."""
        try:
            kept = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if kept.get("format") != RENDERS_FORMAT or \
                any(_target(files.get_file_from_path(path)) != target for path, target in kept["lookups"].items()):
            return False
        page.content = kept["content"]
        page.toc = get_toc(kept["toc"])
        page._title_from_render = kept["title"]
        page.present_anchor_ids = set(kept["anchors"])
        page.links_to_anchors = {files.get_file_from_path(uri): links for uri, links in kept["links_to_anchors"]}
        logger = logging.getLogger(PAGES_LOGGER)
        for level, message in kept["log"]:  # what MkDocs said rendering it, said again for this site
            logger.log(level, message)
        self.taken += 1
        return True

    def content(self, key: str) -> str:
        """The HTML kept under ``key``: a page reads it when it is written rather than holding it."""
        return json.loads(self._path(key).read_text(encoding="utf-8"))["content"]

    def render(self, key: str, page: Page, config, files: Files, render) -> None:
        """Render ``page`` with ``render(config, files)`` and keep the result under ``key``."""
        recording = _RecordingFiles(files)
        said = _Said()
        logger = logging.getLogger(PAGES_LOGGER)
        logger.addHandler(said)
        try:
            render(config, recording)
        finally:
            logger.removeHandler(said)
        self.rendered += 1
        kept = {"format": RENDERS_FORMAT, "lookups": recording.lookups, "content": page.content,
                "toc": [_token(anchor) for anchor in page.toc], "title": page._title_from_render,
                "anchors": list(page.present_anchor_ids or ()), "log": said.records,
                "links_to_anchors": [[file.src_uri, links] for file, links in (page.links_to_anchors or {}).items()]}
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self._path(key).with_name(f"{key}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, self._path(key))


class Pipeline:
    """One Markdown pipeline for every page a tier renders, reset between pages, where MkDocs makes a new
    one per page (a millisecond each: every extension built and registered again). Python-Markdown's
    ``reset()`` is what a converter offers for the next document; the document model already parses every
    document this way (:func:`generator.structure.view`), and the tests render pages both ways and compare."""

    def __init__(self, config):
        self.markdown = markdown.Markdown(extensions=config.markdown_extensions,
                                          extension_configs=config.mdx_configs or {})

    @staticmethod
    def suits(extensions: list) -> bool:
        """Whether a pipeline of ``extensions`` can be kept: each is one whose reset is known to be whole
        (:data:`RESET_SAFE`, or kbgen's own); with any other, every page gets a new pipeline."""
        return all(_resets_whole(extension) for extension in extensions)

    def render(self, page: Page, config, files: Files) -> None:
        """What :meth:`mkdocs.structure.pages.Page.render` does, with this pipeline."""
        md = self.markdown.reset()
        raw_html = mkdocs_pages._RawHTMLPreprocessor()
        raw_html._register(md)
        anchors = mkdocs_pages._ExtractAnchorsTreeprocessor(page.file, files, config)
        anchors._register(md)
        relative = mkdocs_pages._RelativePathTreeprocessor(page.file, files, config)
        relative._register(md)
        title = mkdocs_pages._ExtractTitleTreeprocessor()
        title._register(md)
        page.content = md.convert(page.markdown)
        page.toc = get_toc(getattr(md, "toc_tokens", []))
        page._title_from_render = title.title
        page.present_anchor_ids = anchors.present_anchor_ids | raw_html.present_anchor_ids
        if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
            page.links_to_anchors = relative.links_to_anchors


def _resets_whole(extension) -> bool:
    if isinstance(extension, str):
        return extension.removeprefix("markdown.extensions.") in RESET_SAFE
    return isinstance(extension, (InternalBlocksExtension, RunbookExtension))


def settings_of(config) -> str:
    """What a page's render depends on in a site's MkDocs configuration, the internal blocks' tier left out
    (the view in the key stands for it): the Markdown extensions and their settings, URLs, link checks."""
    names = [name if isinstance(name, str) else type(name).__name__ for name in config.markdown_extensions]
    return canonical_json([names, config.mdx_configs, config.use_directory_urls, config.validation])


def render_order(uris: list[str], tier: int) -> list[str]:
    """The order a tier renders its pages in: odd tiers from the end, so the two tiers a 2-core build
    runs at once meet in the middle and share the rest."""
    return list(reversed(uris)) if tier % 2 else list(uris)


def in_order(files: Files, uris: list[str]) -> Files:
    """``files`` listed in the order of ``uris`` (files not named there last): MkDocs renders pages, and
    lists them in the sitemap, in the order of its files."""
    rank = {uri: index for index, uri in enumerate(uris)}
    for file in sorted(files, key=lambda file: rank.get(file.src_uri, len(rank))):
        files.remove(file)
        files.append(file)
    return files


def _target(file: File | None) -> list | None:
    """What a link resolved to, as far as the rendered HTML can show it."""
    return None if file is None else [file.url, file.inclusion.is_excluded()]


def _token(anchor) -> dict:
    return {"name": anchor.title, "id": anchor.id, "level": anchor.level,
            "children": [_token(child) for child in anchor.children]}


class _RecordingFiles:
    """A site's files that note every lookup a render makes (MkDocs resolves each relative link here)."""

    def __init__(self, files: Files):
        self._files = files
        self.lookups: dict[str, list | None] = {}

    def get_file_from_path(self, path: str) -> File | None:
        found = self._files.get_file_from_path(path)
        self.lookups[path] = _target(found)
        return found

    def __getattr__(self, name: str):
        return getattr(self._files, name)


class _Said(logging.Handler):
    """What MkDocs logs while rendering a page (a link it cannot resolve, ...)."""

    def __init__(self):
        super().__init__(logging.NOTSET)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))

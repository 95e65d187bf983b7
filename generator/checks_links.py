"""Rules on links and snippets: every link resolves on every site that shows it, no link leads a reader to a
page of a higher tier, and a snippet is read only from the snippets folder.
"""

from __future__ import annotations

import html
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import audience, structure
from .checks_body import marker_lines
from .content import (AUDITED_BYTES, AUDITED_SUFFIXES, CONTENT_DIRS, SNIPPETS_DIR, Document, attachments,
                      audited_bytes, read_text)
from .findings import ERROR, WARNING, did_you_mean
from .site_config import SiteConfig
from .structure import EXTERNAL_RE, html_links, includes, markdown_links, paragraphs, snippet_target


class LinkRules:
    """The link and snippet rules of :class:`generator.validate.Validator`, a mixin: they share its
    state (``add``, ``content``, ``scanned``, ...)."""

    def check_links(self, document: Document) -> None:
        """Every link and image a tier's page shows must work in that site and lead nowhere higher. The
        pages' own parse says what each tier shows; the file only says where, for the message."""
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        places: dict[str, list[tuple[int, int]]] = {}
        for start, end in paragraphs(lines, scan):
            text = "\n".join(lines[start:end])
            if not ("](" in text or "]:" in text or "=" in text):
                continue
            for offset, url in markdown_links(text):
                places.setdefault(url, []).append(self._position(document, text, start, offset))
            for offset, url in html_links(text):
                url = html.unescape(url)  # as the browser reads the attribute (and the page's parse lists it)
                where = self._position(document, text, start, offset)
                places.setdefault(url, []).append(where)
                self.check_raw_html_link(document, where, url)
        floors = structure.hidden_lines(self.content, document)
        checked: set[tuple[str, tuple[int, int]]] = set()
        for tier, view in structure.tiers_of(self.content, document, page_tier):
            for url in dict.fromkeys(view.links):
                found = places.get(url, [])
                spots = [w for w in found if floors[w[0] - document.body_line] <= tier] or found[:1] or \
                    [(document.body_line, 1)]
                for where in spots:
                    if (url, where) not in checked:
                        checked.add((url, where))
                        self.check_link(document, where, url, tier, written=bool(found))

    @staticmethod
    def _position(document: Document, text: str, start: int, offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset)
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return document.body_line + start + line, col

    def check_snippet(self, rel: str, where, spec: str) -> Path | None:
        """Includes come only from ROOT/snippets: never a document (it has its own tier), nothing outside.
        Returns the included file when it is acceptable."""
        root = self.content.root
        base = self.reads.resolve(root / SNIPPETS_DIR)
        path, part = snippet_target(spec)
        if EXTERNAL_RE.match(path):
            self.add(rel, where, "snippet-outside", ERROR,
                     f"'{spec}' is a remote include; copy the text into {SNIPPETS_DIR}/ and include it from there")
            return None
        target = self.reads.resolve(base / path)
        if not target.is_relative_to(base):
            inside_root = target.is_relative_to(root)
            what = ("is a document with a tier of its own and cannot be included"
                    if inside_root and target.relative_to(root).parts[:1] in (("kb",), ("runbooks",))
                    else "is outside the snippets folder")
            self.add(rel, where, "snippet-outside", ERROR,
                     f"'{spec}' {what}; only files in {SNIPPETS_DIR}/ may be included (links that lead out "
                     "of it through '..', absolute paths or symbolic links are refused)")
        elif not self.reads.exists(target) or not self.reads.is_file(target):
            self.add(rel, where, "snippet-missing", ERROR, f"'{spec}' " + (
                "is not a file" if self.reads.exists(target) else "does not exist") + f" in {SNIPPETS_DIR}/")
        elif part and marker_lines((self.reads.text(target, path) or "").split("\n")):
            self.add(rel, where, "snippet-part-internal", ERROR,
                     f"'{spec}' includes part of {SNIPPETS_DIR}/{path}, which has internal blocks: a part can take "
                     "a block's text without its markers, and every tier would show it; include the whole file, "
                     "or move the part into a snippet of its own")
        else:
            return target
        return None

    def check_appended_snippets(self, settings: SiteConfig) -> None:
        """The snippets ``mkdocs.yml`` appends to every page (pymdownx.snippets' ``auto_append``) come from
        ``snippets/`` under the same rules as an include, reported where the setting is written."""
        for index, extension in enumerate(settings.data.get("markdown_extensions") or []):
            options = extension.get("pymdownx.snippets") if isinstance(extension, dict) else None
            appended = options.get("auto_append") if isinstance(options, dict) else None
            for number, spec in enumerate(appended if isinstance(appended, list) else []):
                if isinstance(spec, str):  # MkDocs' own check of the extension's settings reports the rest
                    rel, line, col = settings.position(("markdown_extensions", index, "pymdownx.snippets",
                                                        "auto_append", number))
                    self.check_snippet(rel, (line, col), spec)

    def check_site_assets(self, settings: SiteConfig) -> None:
        """The files ``mkdocs.yml`` has every page load (the logo, the favicon, extra CSS and JavaScript) are
        linked from every site, the public one too: none may be a file kept with content above tier 0, which
        the audit would then find linked from the public site's every page."""
        for path, url in _site_assets(settings.data):
            site_path = posixpath.normpath(unquote(urlsplit(url).path).lstrip("/")) if url else ""
            if EXTERNAL_RE.match(url) or url.startswith("//") or site_path.split("/", 1)[0] not in CONTENT_DIRS:
                continue
            target = self.by_rel.get(site_path) or self.by_url.get(site_path.rstrip("/"))
            tier = (target.tier or 0) if target is not None else \
                audience.file_tier(self.content, site_path) if self.reads.exists(self.content.root / site_path) else 0
            if tier > audience.PUBLIC_TIER:
                rel, line, col = settings.position(path)
                what = f"a tier {tier} document" if target is not None else f"a file kept with tier {tier} content"
                self.add(rel, (line, col), "link-higher-tier", ERROR,
                         f"{'.'.join(map(str, path))}: {site_path} is {what}, but every page of every site loads "
                         "it, the public site's too; name a file of the theme folder (overrides/) or of public "
                         "content instead")

    def check_snippet_files(self) -> None:
        """Snippets may include each other: the same rules hold inside them, and no file may lead out."""
        base = self.content.root / SNIPPETS_DIR
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            rel = path.relative_to(self.content.root).as_posix()
            if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(base)):
                self.add(rel, (1, 1), "snippet-outside", ERROR,
                         f"{rel} is a symbolic link to a file outside {SNIPPETS_DIR}/; copy the text in instead")
            elif path.is_file():
                text, unreadable = read_text(path, rel)
                self.findings += unreadable  # as a document's: a page that includes it would show it
                specs = list(includes((text or "").split("\n")))
                included = [(index, target) for index, spec in specs
                            if (target := self.check_snippet(rel, (index + 1, 1), spec)) is not None]
                # Its blocks are checked as a public page's would be: where a page includes it, the same
                # markers (a look-alike, one after an unclosed fence) would show every tier their text.
                snippet = audience.snippet_document(rel, path, text or "")
                self.check_markers(snippet)
                if len(included) == len(specs):
                    self.check_included_hiding(snippet, included)

    def check_attachment_sizes(self) -> None:
        """The leak audit reads each file of a site that can hold text whole: an attachment with more text
        than it reads (a compressed one, once decompressed) is refused, rather than published unread."""
        for rel in attachments(self.content):
            path = self.content.root / rel
            try:  # a plain file's size is its text's (no need to read it); a compressed one is decompressed
                size = path.stat().st_size if path.suffix in AUDITED_SUFFIXES else len(audited_bytes(path) or b"")
            except OSError:
                continue  # the build reports a file it cannot read when it copies it
            if size > AUDITED_BYTES:
                self.add(rel, (1, 1), "attachment-too-large", ERROR,
                         f"the file holds more than {AUDITED_BYTES // 2 ** 20} MiB of text"
                         f"{' once decompressed' if rel.endswith('.gz') else ''}, more than the leak audit reads "
                         "of a file; split it into smaller files, or link it where it is kept instead")

    def check_link(self, document: Document, where: tuple[int, int], url: str, visible_from: int,
                   written: bool = True) -> None:
        """``written``: the file shows the link as a link; if not, Markdown reads one in what looks like code
        or plain text, and a target that does not exist is worth a warning, not a refusal."""
        if EXTERNAL_RE.match(url):
            return
        path, _, fragment = url.partition("#")
        path = unquote(path.split("?", 1)[0])
        rel = document.rel
        if not path:
            if fragment:
                self.check_anchor(document, document, fragment, where, visible_from)
            return
        if path.startswith("/"):
            target = self.by_url.get(_site_stem(path))
            self.add(rel, where, "link-absolute", WARNING,
                     f"'{url}' is an absolute site path; it breaks when a site is served under a sub-path. "
                     "Link the .md file with a relative path instead")
            if target is not None:
                self.check_target(document, target, url, where, visible_from)
            return
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
        target = None if resolved == ".." or resolved.startswith("../") else (
            self.by_rel.get(resolved) or self.by_rel.get(resolved + ".md") or
            self.by_rel.get(resolved.rstrip("/") + "/index.md") or
            (self.by_url.get(resolved.rstrip("/")) if not path.endswith(".md") else None))
        self.check_as_served(document, where, url, path, visible_from, target)
        if resolved == ".." or resolved.startswith("../"):
            self.add(rel, where, "link-outside-root", ERROR,
                     f"'{url}' points outside the content root; link only to files inside it")
            return
        if target is not None:
            self.check_target(document, target, url, where, visible_from)
            if fragment:
                self.check_anchor(document, target, fragment, where, visible_from)
            return
        if path.endswith(".md"):
            self.add(rel, where, "link-broken", ERROR,
                     f"'{url}' does not lead to a document (looked for {resolved})"
                     f"{did_you_mean(resolved, self.by_rel)}")
        elif not self.reads.exists(self.content.root / resolved):
            if written:
                self.add(rel, where, "link-broken", ERROR, f"'{url}' does not exist (looked for {resolved})")
            else:
                self.add(rel, where, "link-broken", WARNING,
                         f"Markdown reads a link to '{url}' in this page, which leads nowhere; if it is code, put "
                         "it in a fenced code block or backticks")
        elif resolved.split("/", 1)[0] in CONTENT_DIRS and audience.file_tier(self.content, resolved) > visible_from:
            tier = audience.file_tier(self.content, resolved)
            self.add(rel, where, "link-higher-tier", ERROR,
                     f"links to {resolved}, a file kept with tier {tier} content, from a tier {visible_from} "
                     f"{'page' if visible_from == document.tier else 'internal block'}: a site below tier {tier} "
                     f"does not carry it; move the file beside the documents of the tier that may show it, or "
                     f"the link inside {'/// internal' if tier == 1 else f'/// internal | tier: {tier}'}")

    def check_as_served(self, document: Document, where, url: str, path: str, visible_from: int,
                        rewritten: Document | None) -> None:
        """MkDocs rewrites a Markdown link only to a page it finds from the source file; the browser follows
        any other link, and every link in raw HTML, from the page's own address, where the same path may
        name another page or file: that one may not be above the tier either."""
        page = document.url
        served = posixpath.normpath(posixpath.join(page if page.endswith("/") else posixpath.dirname(page), path))
        if served == ".." or served.startswith("../"):
            return
        target = self.by_url.get(_site_stem(served))
        if target is not None:
            if target is not rewritten and target is not document:
                self.check_target(document, target, url, where, visible_from)
        elif served.split("/", 1)[0] in CONTENT_DIRS and self.reads.exists(self.content.root / served):
            tier = audience.file_tier(self.content, served)
            if tier > visible_from:
                self.add(document.rel, where, "link-higher-tier", ERROR,
                         f"'{url}' leads, from this page's address, to {served}, a file kept with tier {tier} "
                         f"content, from a tier {visible_from} {'page' if visible_from == document.tier else 'internal block'}: "
                         f"a site below tier {tier} does not carry it; link a file of the page's tier")

    def check_raw_html_link(self, document: Document, where, url: str) -> None:
        """MkDocs rewrites Markdown links for the built site but leaves raw HTML as written."""
        if not (EXTERNAL_RE.match(url) or url.startswith(("#", "/"))):
            self.add(document.rel, where, "link-raw-html", WARNING,
                     f"'{url}' is in raw HTML, which is not rewritten for the built site, so this relative path "
                     "breaks there; use Markdown instead: [text](path) or ![alt text](path)")

    def check_target(self, document: Document, target: Document, url: str, where, visible_from: int) -> None:
        if target.tier is not None and target.tier > visible_from:
            source = f"a tier {visible_from} page" if visible_from == document.tier else \
                f"a tier {visible_from} internal block"
            fix = ("'/// internal'" if target.tier == 1 else f"'/// internal | tier: {target.tier}'")
            self.add(document.rel, where, "link-higher-tier", ERROR,
                     f"links to {target.rel} (tier {target.tier}) from {source}: the link "
                     f"would be broken in the tier {visible_from} site and reveals the page exists; "
                     f"move it inside {fix} or link a tier {visible_from} page")
        elif not target.published and document.published:
            self.add(document.rel, where, "link-unpublished", ERROR,
                     f"links to {target.rel}, which is {target.status} and not built; link a published page")

    def check_anchor(self, document: Document, target: Document, fragment: str, where, visible_from: int) -> None:
        """The anchor must exist in every site that shows the link (hidden headings shift the numbering)."""
        tiers = range(max(visible_from, target.tier or 0), max(audience.TIERS) + 1)
        missing = [t for t in tiers if fragment not in self.anchors(target, t)]
        if not missing:
            return
        anywhere = self.anchors(target, max(audience.TIERS))
        if len(missing) == len(tiers) and fragment not in anywhere:
            self.add(document.rel, where, "link-anchor", WARNING,
                     f"'#{fragment}' is not a heading in {target.rel}{did_you_mean(fragment, anywhere)}")
        elif missing[0] == visible_from:
            self.add(document.rel, where, "link-anchor", ERROR,
                     f"'#{fragment}' in {target.rel} is inside an internal block, so it does not exist in the "
                     f"tier {visible_from} site; link the page without the anchor")
        else:
            self.add(document.rel, where, "link-anchor", WARNING,
                     f"'#{fragment}' in {target.rel} is a different heading in the tier {missing[0]} site, "
                     "because an internal heading of the same name comes first; give the heading an explicit "
                     "id, e.g. '## Steps {#steps-public}', and link that")


def _site_stem(path: str) -> str:
    stem = path.strip("/")
    for suffix in ("index.html", ".html", ".md", "/index"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem.strip("/")


def _site_assets(data: dict):
    """(path of keys, URL) of each file the settings have every page load."""
    theme = data.get("theme")
    for key in ("logo", "favicon"):
        value = theme.get(key) if isinstance(theme, dict) else None
        if isinstance(value, str):
            yield ("theme", key), value
    for key in ("extra_css", "extra_javascript"):
        for index, item in enumerate(data.get(key) if isinstance(data.get(key), list) else []):
            value = item.get("path") if isinstance(item, dict) else item
            if isinstance(value, str):
                yield (key, index), value

"""The MkDocs plugin: a thin adapter from kbgen's content model to a MkDocs site of one tier.

All audience decisions live in :mod:`generator.audience` and :mod:`generator.internal_blocks`;
this module only hands MkDocs the documents, generated pages and assets a tier may show.
"""

from __future__ import annotations

import copy
import datetime as _dt
import html
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import FileSystemBytecodeCache
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from . import defect_pages, frames, known_issues, renders, report, runbooks, search, structure
from .audience import file_tier, page_facts
from .config import KbgenConfig, site_url_of
from .content import SNIPPETS_DIR, WATCHED, ContentError, ContentRoot, Document, attachments, load
from .findings import has_errors, render
from .incremental import PageCache
from .navigation import SiteOutline, intent_uri, page_url
from .validate import validate

PACKAGE_OVERRIDES = Path(__file__).parent / "defaults" / "overrides"
ASSET_REF_RE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'#?]+)""")

# Theme files only the agent sites load (overrides/main.html), by the lowest tier that does: the help
# centre does not carry them, so no text of theirs sits beside customer pages.
AGENT_ASSETS = {"assets/stylesheets/kbgen-internal.css": 1, "assets/stylesheets/kbgen-runbook.css": 1,
                "assets/javascripts/kbgen/runbook.js": 1, "assets/javascripts/kbgen/defects.js": 2}


class _PageFile(File):
    """A page MkDocs renders only when ``rebuild`` is set (in a dirty build): the others were copied
    from the previous build by :class:`generator.incremental.PageCache`."""

    rebuild = True

    def is_modified(self) -> bool:
        return self.rebuild


class _DocumentPage(Page):
    """A document's page, whose Markdown is rendered once for every tier of the build that shows the same
    of it (:mod:`generator.renders`); the frame around it is still rendered per tier. Its HTML stays in
    the shared renders on disk until the page is written: a tier holds no document's HTML in memory but
    the one it is working on (the theme reads a page's HTML several times), however many documents
    there are."""

    def __init__(self, file: File, config, plugin: "KbgenPlugin"):
        self.plugin = plugin
        self.kept: tuple[str, str] | None = None  # (key, sha256) of the HTML read from the shared renders
        self._content: str | None = None
        super().__init__(None, file, config)

    @property
    def content(self) -> str | None:
        if self._content is not None or self.kept is None:
            return self._content
        key, expected = self.kept
        held = self.plugin.held
        if held is None or held[0] != key:
            html = self.plugin.renders.content(key)
            if structure.page_digest(html) != expected:
                raise PluginError(f"the render of {self.file.src_uri} changed on disk during the build")
            held = self.plugin.held = key, html
        return held[1]

    @content.setter
    def content(self, html: str | None) -> None:
        """The render read back (as a plugin hands it on unchanged) stays on disk; other HTML is held."""
        held = self.plugin.held
        same = self.kept is not None and html is not None and (
            held is not None and held[0] == self.kept[0] and html is held[1] or structure.page_digest(html) == self.kept[1])
        self._content = None if same else html

    def read_source(self, config) -> None:
        """The document's body and front matter as kbgen read them, not as MkDocs would read the file again:
        where two readers of front matter differ (a fence followed by an invisible space), MkDocs showed
        the front matter, and any text it swallowed, on every tier's page."""
        document = self.plugin.by_rel[self.file.src_uri]
        self.markdown, self.meta = document.body, copy.deepcopy(document.meta)

    def render(self, config, files: Files) -> None:
        plugin = self.plugin
        key = structure.render_key(plugin.content, plugin.by_rel[self.file.src_uri], plugin.config.tier,
                                   self.markdown, renders.settings_of(config))
        self.kept = None
        if not plugin.renders.take(key, self, files):
            plugin.renders.render(key, self, config, files, plugin.renderer(self, config, super().render))
        self.kept = (key, structure.page_digest(self._content))
        plugin.held, self._content = (key, self._content), None
        self.markdown = ""  # rendered: not needed any more ("" and not None, which MkDocs reads as "not read")


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, where a file cut short or damaged is compiled again: Jinja's own
    raises reading one (its checksum is a pickle), and every later build failed with that error."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - pickle and marshal raise many kinds on damaged data: a miss
            bucket.reset()


class _GeneratedPage(Page):
    """A page kbgen writes the Markdown of (home, areas, intents, known issues): it differs between tiers,
    so it is not shared, but it is rendered with the tier's one pipeline like the documents' pages."""

    def __init__(self, title: str | None, file: File, config, plugin: "KbgenPlugin"):
        self.plugin = plugin
        super().__init__(title, file, config)  # MkDocs gives a page made before the navigation no title of it

    def render(self, config, files: Files) -> None:
        self.plugin.renderer(self, config, super().render)(config, files)


def _only_with_search_attributes(handler):
    """The theme's search plugin, on each page, hands the page to its index (the stub) and strips the
    page's ``data-search-*`` attributes with a pattern that reads all of its HTML (a few tenths of a second
    of a build at 5,000 documents): it is called only for a page that holds one."""

    def on_page_context(context, *, page, config, nav):
        if "data-search-" in (page.content or ""):
            return handler(context, page=page, config=config, nav=nav)
        return None

    return on_page_context


class _ThemeIndexStub:
    """Stands in for mkdocs-material's search index, which parses the HTML of every page (a fifth of a
    plain build's time): kbgen builds its own index from the content, and the theme needs only a stub."""

    def add_entry_from_context(self, page) -> None:
        pass

    def generate_search_index(self, previous) -> str:
        return json.dumps(search.THEME_INDEX_STUB)


class KbgenPlugin(BasePlugin[KbgenConfig]):
    """Builds the site of one tier from a kbgen content root."""

    supports_multiple_instances = False

    def __init__(self):
        self.cache: PageCache | None = None  # in an incremental build: pages to reuse, parts to keep
        self.renders: renders.SharedRenders | None = None
        self.held: tuple[str, str] | None = None  # (key, HTML) of the shared render last read
        self.pipeline: renders.Pipeline | bool | None = None  # the tier's Markdown pipeline (False: none kept)
        self.pages_done = self.pages_total = 0
        self.content: ContentRoot | None = None
        self.by_id: dict[str, Document] = {}
        self.by_rel: dict[str, Document] = {}
        self.outline: SiteOutline | None = None
        self.assets: dict[str, File] = {}
        self.used_assets: dict[str, set[str]] = {}  # page -> the assets it shows
        self.files: Files | None = None
        self.today = _dt.date.today()
        self.listing: list[str] = []  # the files' order in the site (sitemap), when rendered in another

    def on_config(self, config):
        root = Path(self.config.root or Path(config.config_file_path).parent).resolve()
        tier = self.config.tier
        self.content = self.config.content  # kbgen build hands over what it loaded
        if self.content is None or self.content.root != root:
            try:
                self.content = load(root)
            except ContentError as exc:
                raise PluginError(str(exc)) from None
        self.cache = self.config.page_cache
        findings = validate(self.content, self.config.rules) if self.config.run_validation else []
        if has_errors(findings):
            raise PluginError("kbgen validation failed:\n" + render(findings, "text"))
        self.today = _dt.date.today()  # one date for the whole build: what is recent, what folds away
        self.pipeline = None  # made again for this build's Markdown settings
        self.outline = SiteOutline.of(self.content, tier, self.config.recently_fixed_days, self.today)
        self.by_id = self.content.by_id()
        self.by_rel = self.content.by_rel()

        config.markdown_extensions, config.mdx_configs = structure.page_extensions(
            config.markdown_extensions, config.mdx_configs, tier, root / SNIPPETS_DIR)
        config.nav = self.outline.nav()
        if defect_pages.listed(self.content, tier):
            config.nav.append({defect_pages.INDEX_TITLE: defect_pages.INDEX_URI})
        if tier >= report.SITE_TIER:
            config.nav.append({report.PAGE_TITLE: report.PAGE_URI})
        custom = root / "overrides"
        dirs = [d for d in config.theme.dirs if Path(d).resolve() != custom.resolve()]
        first = [str(custom)] if custom.is_dir() else []
        config.theme.dirs = first + [str(PACKAGE_OVERRIDES)] + dirs
        self.renders = renders.SharedRenders(Path(self.config.shared_renders)) if self.config.shared_renders else None
        config.extra["kbgen"] = {"tier": tier, "internal": tier > 0,
                                 "known_issues_feed": bool(self.outline.known_issues),
                                 "contact_routes": [dict(route) for route in self.config.contact_routes]}
        if tier > 0:
            config.site_name = f"{config.site_name} · Tier {tier} (internal)"
            config.site_url = site_url_of(tier, config.site_url, self.config.internal_site_url)
        # Source links would reveal file names and history of every tier: never emit them.
        config.repo_url = None
        config.edit_uri = None
        return config

    def renderer(self, page: Page, config, render):
        """How ``page`` is rendered: with the tier's one pipeline, or by ``render``, MkDocs' own, which makes
        a new one per page (``keep_renderers: false``, or an extension not known to reset whole)."""
        if self.pipeline is None:
            keep = self.config.keep_renderers and renders.Pipeline.suits(config.markdown_extensions)
            self.pipeline = renders.Pipeline(config) if keep else False
        if not self.pipeline:
            return render
        return lambda config, files: self.pipeline.render(page, config, files)

    def on_pre_build(self, config):
        """mkdocs-material's search plugin must stay enabled for the theme to show its search box, but the
        index it would build from every rendered page would be fetched by every browser only to be indexed
        again there: kbgen's index replaces it (on_post_build), and the theme's plugin writes a stub."""
        for name in ("material/search", "search"):
            theme_search = config.plugins.get(name)
            if hasattr(theme_search, "search_index"):
                theme_search.search_index = _ThemeIndexStub()
                handlers = config.plugins.events["page_context"]
                handlers[:] = [_only_with_search_attributes(handler) if getattr(handler, "__self__", None)
                               is theme_search else handler for handler in handlers]

    def on_files(self, files: Files, config) -> Files:
        """Replace whatever MkDocs found with exactly the documents, pages and assets of this tier."""
        content, outline = self.content, self.outline
        ours = Files([])
        self.used_assets = {}
        for document in outline.documents:
            page = _PageFile(document.rel, str(content.root), config.site_dir, config.use_directory_urls)
            source = document.path.read_bytes()
            if document.kind == "runbook":  # which known defects fold away changes with the date, not the file
                source += " ".join(defect_pages.folded(source.decode("utf-8", "replace"), self.by_id, self.today,
                                                       self.config.fold_fixed_defects_days)).encode()
            ours.append(self._reuse(page, source, config))
            if self.renders is not None:
                _DocumentPage(page, config, self)
        titles = {uri: title for item in config.nav for title, uri in item.items()}
        for uri, markdown in report.generated_pages(content, outline, self.config.tier).items():
            page = _PageFile.generated(config, uri, content=markdown)
            ours.append(self._reuse(page, markdown.encode(), config))
            _GeneratedPage(titles.get(uri), page, config, self)
        if self.cache is not None:
            self.cache.place(Path(config.site_dir), left_to_writer=search.INDEX_DIR)
        self.assets = {}
        for rel in attachments(content):
            asset = File(rel, str(content.root), config.site_dir, config.use_directory_urls)
            self.assets[asset.url] = asset
            ours.append(asset)
        ours.append(File.generated(config, search.LUNR_JS_URI, content=search.worker_lunr()))
        if outline.known_issues:
            ours.append(File.generated(config, known_issues.ATOM_URI, content=known_issues.atom(
                outline.known_issues, config.site_name, config.site_url)))
        docs_dir = Path(config.docs_dir).resolve()
        for file in files:  # keep theme assets and pages other plugins generate, nothing from docs_dir
            if file.abs_src_path is None or not Path(file.abs_src_path).resolve().is_relative_to(docs_dir):
                if self.config.tier >= AGENT_ASSETS.get(file.src_uri, 0):
                    ours.append(file)
        self.pages_total = len(ours.documentation_pages())
        self.pages_done = sum(not file.rebuild for file in ours.documentation_pages() if isinstance(file, _PageFile))
        self.files = ours
        if self.renders is not None:
            self.listing = [file.src_uri for file in ours]
            ours = renders.in_order(ours, renders.render_order([file.src_uri for file in ours], self.config.tier))
        return ours

    def _reuse(self, page: _PageFile, source: bytes, config) -> _PageFile:
        """Mark a page MkDocs need not render: its previous output was copied into the site."""
        if self.cache is not None:
            key = self.cache.key(page.src_uri, source)
            page.rebuild = not self.cache.reuse(page.src_uri, key, page.dest_uri)
            if not page.rebuild:
                self.used_assets[page.src_uri] = set(self.cache.get(page.src_uri, "assets", []))
        return page

    def on_page_markdown(self, markdown, page, config, files):
        document = self.by_rel.get(page.file.src_uri)
        if document is not None and document.kind == "runbook":
            markdown = defect_pages.fold_old_fixed(markdown, self.by_id, self.today,
                                                   self.config.fold_fixed_defects_days)
        markdown = structure.strip_markers(markdown)
        meta = page.meta
        meta["kb_trail"] = [{"title": title, "url": url}
                            for title, url in self.outline.trail(page.file.src_uri, document)]
        if document is not None:
            meta["title"] = html.escape(document.title)  # MkDocs and the theme print a page's title as HTML
            meta["kb_related"] = [{"title": d.title, "url": d.url} for d in self.outline.related(document)]
            meta["kb_intents"] = [
                {"title": self.content.intents[i].title, "url": page_url(intent_uri(i))}
                for i in document.intents if i in self.content.intents
            ]
            meta["kb_facts"] = page_facts(document, self.config.tier)
            if document.kind == "defect":
                markdown = defect_pages.with_card(markdown, document, self.content, self.by_id)
            if document.kind == "runbook":
                markdown = runbooks.page_markdown(markdown, document, self.config.tier, self.by_id,
                                                  self.config.severities, self.config.service_targets,
                                                  structure.hidden_lines(self.content, document, markdown),
                                                  self.config.runbook_layout)
        return markdown

    def on_page_content(self, html, page, config, files):
        """Note which assets a page really shows, after internal blocks were removed."""
        base = posixpath.dirname(page.file.url.rstrip("/") + "/x") if page.file.url else ""
        used = self.used_assets.setdefault(page.file.src_uri, set())
        for ref in ASSET_REF_RE.findall(html):
            if urlsplit(ref).scheme or ref.startswith("//"):
                continue
            target = posixpath.normpath(posixpath.join(base, unquote(ref))).lstrip("/")
            if target in self.assets:
                used.add(target)
        if self.cache is not None:
            self.cache.put(page.file.src_uri, "assets", sorted(used))
        return html

    def on_env(self, env, config, files):
        """Drop assets no page of this tier uses, and any kept with content above it: an image of a tier 2
        page must not reach tier 0, even when a tier 0 page links it.
        Theme templates compiled by an earlier build are loaded, not compiled again, and the partials that
        are the same on many pages are rendered once for them (:mod:`generator.frames`)."""
        if self.config.template_cache:  # keyed by each template's source: never stale
            Path(self.config.template_cache).mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = _CompiledTemplates(self.config.template_cache)
        if self.config.keep_renderers:
            # Every template stays loaded: Jinja's default cache keeps the 400 used last in an order it updates
            # at every lookup, in time that grows with their number (a second of a build at 5,000 documents:
            # a page looks up dozens of partials and icons), and a kept partial must not be loaded anew.
            env.cache = {}
            frames.Fragments.install(env)
        if self.renders is not None:  # the pages are rendered: the site lists them in the content's order
            renders.in_order(files, self.listing)
        used = set().union(*self.used_assets.values())
        for url, asset in self.assets.items():
            if url not in used or file_tier(self.content, asset.src_uri) > self.config.tier:
                files.remove(asset)
        return env

    def on_post_page(self, output, page, config):
        self.pages_done += 1
        if self.config.progress is not None:
            self.config.progress(self.pages_done, self.pages_total)
        return output

    def on_post_build(self, config):
        cache = self.cache
        previous = cache.previous_site if cache is not None and cache.previous else None
        written = search.write_site_index(self.content, self.config.tier, config.site_dir, config.site_url,
                                          config.extra["kbgen"]["contact_routes"], previous,
                                          cache.previous_pairs if previous else None)
        if cache is not None:
            cache.taken.update(written.taken)
            cache.pairs = written.pairs

    def on_shutdown(self) -> None:
        """Let go of the site's pages once it is built: ``kbgen build`` audits the site next, and the pages
        (each with its table of contents and meta, tens of thousands of them) would stay in memory meanwhile. A
        page and its file hold each other: the link is cut so that both are freed at once."""
        for file in self.files or ():
            file.page = None
        self.files = self.held = self.pipeline = None
        self.assets, self.used_assets = {}, {}

    def on_serve(self, server, config, builder):
        root = self.content.root
        for name in WATCHED:
            if (root / name).exists():
                server.watch(str(root / name))
        return server

"""Theme partials and blocks rendered once per tier for every page that would get the same output.

Most of a page's frame is the same on every page of a site: the search dialog, the colour switch, the logo,
the navigation of a page the navigation does not list. The theme renders each again for every page, and a
tier of 5,000 documents spends a quarter of its frame time doing so. A partial is kept here only when what
it reads is known (:func:`reads`, from the template's own syntax tree and those it includes), and its kept
output is given to a page only when everything it read is the same for that page: the variables of the
page's context it reads, and every URL it made relative (``url``, ``script_tag``), worked out again for
the page. A partial that reads anything else, or calls another filter that reads the page's context, is
rendered for every page as before. The cache lives in one tier's theme environment, so one tier's output
never reaches another's pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateNotFound, meta, nodes, pass_context
from jinja2.utils import missing

# Partials of mkdocs-material and kbgen's overrides worth keeping: each is read through :func:`reads` first.
PARTIALS = ("partials/nav.html", "partials/search.html", "partials/palette.html", "partials/logo.html",
            "partials/icons.html", "partials/javascripts/base.html", "partials/javascripts/content.html",
            "partials/javascripts/palette.html", "partials/integrations/analytics.html",
            "partials/copyright.html", "partials/social.html", "partials/kb-help.html")

# Blocks of the theme's base template worth keeping, read through :func:`block_reads` first. A site's
# main.html that overrides one is rendered for every page as before, and calls the kept one with super().
BASE = "base.html"
BLOCKS = ("config", "styles", "libs", "fonts", "analytics", "scripts")

# The same for every page of one build: MkDocs' context (``config``, ``nav``, ``pages``, the versions and
# date), and the theme's translations (``lang``, whose macros read only the configured language) while they
# are mkdocs-material's own (:func:`fixed`).
FIXED = frozenset({"config", "nav", "pages", "mkdocs_version", "build_date_utc", "lang"})
TRANSLATIONS = ("partials/language.html", "partials/languages")

# A partial that reads ``page`` only to find it in the navigation renders the same for every page the
# navigation does not list (MkDocs marks no item active for it, and no item is it). Any partial that reads
# ``nav`` is given a kept output only for such pages too: MkDocs marks the items of a listed page active.
NAVIGATION = frozenset({"partials/nav.html"})

# Filters that read the page's context: MkDocs' own read exactly the page's URL and base URL.
URL_FILTERS = frozenset({"url", "script_tag"})

_READS_CONTEXT = pass_context(lambda context: None).jinja_pass_arg  # how Jinja marks such a function

_ICONS = ".icons/"  # the theme's icons: SVG files, no template syntax (:func:`static_icons`)
_SYNTAX = ("{{", "{%", "{#")

UNKNOWN = None  # what reads() says of a partial whose reads cannot be worked out


@functools.cache
def material_templates() -> Path:
    """mkdocs-material's folder of templates (and the static files it copies into every site)."""
    import material

    return (Path(material.__file__).parent / "templates").resolve()


def _site_folders(env: Environment) -> list[Path]:
    """The folders of templates a site adds before mkdocs-material's own."""
    theme = material_templates()
    return [Path(folder) for folder in getattr(env.loader, "searchpath", ()) if Path(folder).resolve() != theme]


def fixed(env: Environment) -> frozenset[str]:
    """:data:`FIXED`, without ``lang`` when a site's theme folder has translations of its own (which could
    read the page)."""
    if any((folder / name).exists() for folder in _site_folders(env) for name in TRANSLATIONS):
        return FIXED - {"lang"}
    return FIXED


def static_icons(env: Environment) -> bool:
    """Whether the icons a template may include by a computed name read nothing: mkdocs-material's own are
    plain SVG; icons a site adds in its theme folders are read for template syntax."""
    for folder in _site_folders(env):
        icons = folder / _ICONS
        if not icons.is_dir():
            continue
        for path in icons.rglob("*"):
            if path.is_file() and any(mark in path.read_text(encoding="utf-8", errors="replace") for mark in _SYNTAX):
                return False
    return True


def reads(env: Environment, name: str, seen: frozenset[str] = frozenset(),
          icons: bool = True) -> frozenset[str] | None:
    """The variables a template reads from the context it is rendered in, with those of the templates it
    includes or imports with context; None when that cannot be known (an include by a computed name, but of
    an icon while ``icons`` says they read nothing)."""
    source, _, _ = env.loader.get_source(env, name)
    return _tree_reads(env, env.parse(source), name, seen, icons)


def block_reads(env: Environment, name: str, blocks: tuple[str, ...],
                icons: bool = True) -> dict[str, frozenset[str] | None]:
    """:func:`reads` of each of ``blocks`` of a template, by name; None also for a block that holds blocks
    (a template extending this one may replace them with anything) or that the template does not have."""
    source, _, _ = env.loader.get_source(env, name)
    found = {node.name: node for node in env.parse(source).find_all(nodes.Block) if node.name in blocks}
    return {block: UNKNOWN if block not in found or any(True for _ in found[block].find_all(nodes.Block)) else
            _tree_reads(env, nodes.Template(found[block].body).set_environment(env), name, frozenset(), icons)
            for block in blocks}


def _tree_reads(env: Environment, tree: nodes.Template, name: str, seen: frozenset[str],
                icons: bool) -> frozenset[str] | None:
    found = set(meta.find_undeclared_variables(tree))
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            if target.value in seen or target.value == name:
                continue
            inner = reads(env, target.value, seen | {name}, icons)
            if inner is UNKNOWN:
                return UNKNOWN
            found |= inner
        elif not (icons and isinstance(target, nodes.Concat) and isinstance(target.nodes[0], nodes.Const)
                  and str(target.nodes[0].value).startswith(_ICONS)):
            return UNKNOWN
    return frozenset(found)


def _key_part(value: Any) -> Any:
    """A context value as part of a key, or _UNKEYABLE for one that is not a plain value."""
    if value is missing or value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return _UNKEYABLE


_UNKEYABLE = object()
_OUTSIDE_NAVIGATION = "page outside the navigation"
MOST_KEPT = 8  # outputs kept under one key (pages at different depths make their URLs differently)


class _Recording:
    """The URL filter calls of one partial being rendered for a page, to be made again for the next."""

    __slots__ = ("page", "base", "calls", "usable")

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.calls: list[tuple[str, str, str]] = []
        self.usable = True


class Fragments:
    """The kept partials of one tier's theme environment."""

    def __init__(self):
        self.kept: dict[tuple, list[tuple[tuple[tuple[str, str, str], ...], str]]] = {}
        self.recordings: list[_Recording] = []
        self.filters: dict[str, Callable] = {}
        self._navigation: tuple[Any, frozenset[int]] = (None, frozenset())
        self.hits = 0  # pages given a kept output

    @classmethod
    def install(cls, env: Environment) -> "Fragments":
        """Keep, in ``env``, the partials of :data:`PARTIALS` and the blocks of :data:`BLOCKS` whose reads are
        known."""
        fragments, icons, same = cls(), static_icons(env), fixed(env)
        for table in (env.filters, env.globals):
            for name, function in list(table.items()):
                if callable(function) and getattr(function, "jinja_pass_arg", None) is _READS_CONTEXT:
                    table[name] = fragments._watched(name if table is env.filters else "", function)
        for name in PARTIALS:
            try:
                template = env.get_template(name)
            except TemplateNotFound:  # a partial this theme does not have: nothing to keep
                continue
            read = reads(env, name, icons=icons)
            if read is UNKNOWN or ("page" in read and name not in NAVIGATION):
                continue
            read = read - same | ({"page"} if "nav" in read else set())  # the items' active marks: see NAVIGATION
            template.root_render_func = fragments._kept(name, template.root_render_func, sorted(read))
        try:
            base = env.get_template(BASE)
        except TemplateNotFound:
            return fragments
        for block, read in block_reads(env, BASE, BLOCKS, icons).items():
            if read is UNKNOWN or block not in base.blocks or "page" in read or "nav" in read:
                continue
            base.blocks[block] = fragments._kept(f"{BASE}#{block}", base.blocks[block], sorted(read - same))
        return fragments

    def _watched(self, name: str, function: Callable) -> Callable:
        """``function`` (a filter or global that reads the context), noted by the partials being rendered."""
        replayable = name in URL_FILTERS
        if replayable:
            self.filters[name] = function

        @pass_context
        def watched(context, *args, **kwargs):
            result = function(context, *args, **kwargs)
            if self.recordings:
                page, base = context.get("page"), context.get("base_url")
                call = (name, args[0], result) if replayable and len(args) == 1 and not kwargs and \
                    isinstance(args[0], str) and isinstance(result, str) else None
                for recording in self.recordings:
                    if call is not None and page is recording.page and base == recording.base:
                        recording.calls.append(call)
                    else:
                        recording.usable = False
            return result

        return watched

    def _outside_navigation(self, nav, page) -> bool:
        if self._navigation[0] is not nav:
            self._navigation = nav, frozenset(map(id, getattr(nav, "pages", ())))
        return page is not None and id(page) not in self._navigation[1]

    def _kept(self, name: str, render: Callable, read: list[str]) -> Callable:
        """``render`` (a partial's), giving a page the output kept for it when that is what it would render."""

        def kept(context) -> Iterator[str]:
            key = [name]
            for variable in read:
                value = context.resolve_or_missing(variable)
                if variable == "page":
                    value = _OUTSIDE_NAVIGATION if self._outside_navigation(
                        context.resolve_or_missing("nav"), value) else _UNKEYABLE
                else:
                    value = _key_part(value)
                if value is _UNKEYABLE:
                    yield from render(context)
                    return
                key.append(value)
            key = tuple(key)
            page, base = context.get("page"), context.get("base_url")
            outputs = self.kept.setdefault(key, [])
            for calls, output in outputs:
                if all(self.filters[filter_name](context, arg) == result for filter_name, arg, result in calls):
                    self.hits += 1
                    for recording in self.recordings:  # a partial this one is part of made these calls too
                        if page is recording.page and base == recording.base:
                            recording.calls.extend(calls)
                        else:
                            recording.usable = False
                    yield output
                    return
            recording = _Recording(page, base)
            self.recordings.append(recording)
            try:
                output = "".join(render(context))
            finally:
                self.recordings.pop()
            if recording.usable and len(outputs) < MOST_KEPT:
                outputs.append((tuple(recording.calls), output))
            yield output

        return kept

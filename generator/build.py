"""``kbgen build``: validate, build each tier's site with MkDocs, then publish the new sites at once.

Every tier is built into a new version of the sites inside the output folder; only when all of them built
cleanly and passed the leak audit does one rename publish that version (:mod:`generator.output`), so a
failed or killed build leaves the previous sites as they were. Tiers are built in parallel processes, as
many at once as there are cores, and die with the build. Pages nothing changed for are taken from the
previous build instead of being rendered again (:mod:`generator.incremental`).

The versions a build replaced, and what killed builds left, are garbage the next build owns. An incremental
build recycles the newest: its tier folders are moved into the new version, where the folders of the pages
and the files that already are the unchanged pages are kept and the rest deleted (making thousands of
folders is most of what taking unchanged pages costs). The others are deleted while the tiers build
(Bazel deletes its old sandboxes the same way). Their pages are mostly the current pages under a second
name, so they hold little.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import itertools
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.livereload import LiveReloadServer, _Handler as _LiveReloadHandler
import watchdog.events

from . import analyses, changes, findings_cache, forks, output, search, site_config, structure
from .audience import TIERS
from .audit import Leak, audit_site
from .config import site_url_of
from .content import (CONTENT_DIRS, SNIPPETS_DIR, WATCHED, ContentRoot, load, shown_path, sources_stamp,
                      write_json)
from .errors import KbgenError, KbgenUsageError
from .findings import ERROR, Finding, has_errors, printable
from .incremental import (CACHE_DIR, PageCache, analyses_path, environment_digest, manifest_path, reusable_with,
                          template_cache)
from .navigation import SiteOutline
from .report import generated_pages
from .known_issues import RECENTLY_FIXED_DAYS
from .site_config import SiteConfig
from .validate import validate

PROGRESS_EVERY = 25  # pages between progress reports from a worker
RENDERS_DIR = ".kbgen-renders"  # in a version of the sites while its tiers build (generator.renders)
DIRTY_WARNING = "A 'dirty' build is being performed"  # MkDocs' caution; kbgen renders all a change touches


class BuildError(KbgenError):
    """The build did not replace the output: ``findings`` or ``leaks`` say why when that was the reason."""

    def __init__(self, message: str, findings: list[Finding] | None = None, leaks: list[Leak] | None = None):
        super().__init__(message)
        self.findings = findings or []
        self.leaks = leaks or []


class OutputFolderError(KbgenUsageError, BuildError):
    """The output folder cannot be used (it overlaps the sources, or holds what kbgen did not make): the
    build wrote nothing. A usage error: exit 2."""


@dataclass
class SiteResult:
    tier: int
    path: Path
    pages: int
    warnings: list[str] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    reused: int = 0  # pages copied from the previous build
    shared: int = 0  # document pages whose render another tier of the build made
    files: list[str] | None = None  # every file of the site as built (output.site_files), for publishing


@dataclass
class BuildResult:
    sites: dict[int, SiteResult]
    seconds: float


class _Collect(logging.Handler):
    """Keeps MkDocs' warnings so they are reported with the tier they came from, and notes the page
    each came from (a reused page's warnings are reported again from the manifest)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.by_page: dict[str, list[str]] = {}
        self.config = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(DIRTY_WARNING):
            return
        self.messages.append(message)
        page = getattr(self.config, "_current_page", None)
        if page is not None:
            self.by_page.setdefault(page.file.src_uri, []).append(message)


def _plugins(settings: SiteConfig, root: Path, tier: int, run_validation: bool = False,
             reuse: "Reuse | None" = None, handed: dict | None = None) -> list:
    """The configured plugins, with kbgen (added if missing) set to this root and tier, to the folders
    a build shares with the next build (compiled templates) and between its tiers (renders), and to the
    objects ``handed`` over (see :mod:`generator.config`)."""
    folders = {"template_cache": reuse.templates, "shared_renders": reuse.renders} if reuse else {}
    return settings.plugins + [{"kbgen": {**settings.kbgen_options, "tier": tier, "root": str(root),
                                          "run_validation": run_validation,
                                          **{name: str(path) for name, path in folders.items() if path},
                                          **(handed or {})}}]


def _mkdocs_config(settings: SiteConfig, root: Path, tier: int, run_validation: bool = False,
                   reuse: "Reuse | None" = None, handed: dict | None = None, **options):
    """MkDocs' configuration of a tier's site, from the settings kbgen read and checked: MkDocs never parses
    a writer's mkdocs.yml itself (its loader runs Python tags)."""
    return load_config(io.StringIO(settings.mkdocs_yaml()), config_file_path=str(settings.path),
                       plugins=_plugins(settings, root, tier, run_validation, reuse, handed), **options)


Progress = Callable[[int, int, int], None]  # (tier, pages done, pages in all)


@dataclass
class Reuse:
    """Where an incremental build of a tier finds the previous build, and where it leaves its manifest."""

    environment: str  # see generator.incremental.environment_digest
    previous_out: Path | None  # OUT of the previous build (None: render every page)
    manifest: Path  # the new manifest, written when the tier built and passed the audit
    templates: Path | None = None  # compiled theme templates, carried from build to build
    renders: Path | None = None  # renders of document pages the tiers of this build share (generator.renders)
    analyses: Path | None = None  # the search analyses of its documents, kept beside the manifest for the next build


@forks.collecting_rarely()
def build_tier(root: Path, tier: int, site_dir: Path, docs_dir: Path, progress: Progress | None = None,
               run_validation: bool = False, reuse: Reuse | None = None,
               content: ContentRoot | None = None) -> SiteResult:
    """Build one tier's site with MkDocs into ``site_dir``, then audit it for leaks.

    With ``reuse``, pages whose sources and environment are unchanged are copied from the previous build;
    ``content``, if given, is the root already loaded (it is not read again)."""
    settings = site_config.of(content) if content is not None else site_config.read(root)
    if has_errors(settings.findings):
        raise BuildError("mkdocs.yml is not valid", [f for f in settings.findings if f.severity == ERROR])
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    logger.propagate = False
    cache = None
    if reuse is not None:
        previous = reuse.previous_out
        cache = PageCache.open(manifest_path(previous, tier), previous / f"tier{tier}", reuse.environment) \
            if previous else PageCache(reuse.environment)
    handed = {"content": content, "page_cache": cache,
              "progress": functools.partial(progress, tier) if progress is not None else None}
    try:
        config = _mkdocs_config(settings, root, tier, run_validation, reuse,
                                {name: value for name, value in handed.items() if value is not None},
                                site_dir=str(site_dir), docs_dir=str(docs_dir))
    except MkDocsException as exc:  # a bad option: MkDocs logged which one
        logger.removeHandler(collect)
        raise BuildError("\n".join(collect.messages) or str(exc)) from None
    collect.config = config
    plugin = config.plugins["kbgen"]
    dirty = bool(cache and cache.previous)
    known = None
    if content is not None and reuse is not None and reuse.previous_out is not None:
        known = analyses.load(analyses_path(reuse.previous_out, tier), reuse.environment)
        search.take_analyses(content, known)
    try:
        # Not dirty for the plugins: the search plugin would keep its index for the next build in this
        # process and merge it in (MkDocs reuses plugin instances); kbgen completes the index itself.
        config.plugins.on_startup(command="build", dirty=False)
        mkdocs_build(config, dirty=dirty)
    except MkDocsException as exc:  # MkDocs logged the reason and raised a bare "Aborted"
        raise BuildError("\n".join(collect.messages) or str(exc)) from None
    finally:
        config.plugins.on_shutdown()
        logger.removeHandler(collect)
        if content is not None:
            search.take_analyses(content, None)
    if cache:
        collect.messages += cache.settle("warnings", collect.by_page)
    leaks = audit_site(plugin.content, tier, site_dir, reused={**cache.reused, **cache.taken} if cache else None,
                       placed=cache.placed if cache else None)
    if cache and not leaks:
        cache.finish(site_dir)
        cache.save(reuse.manifest)
        if reuse.analyses is not None:
            analyses.save(reuse.analyses, reuse.environment, search.analyses_of(plugin.content, tier), known)
    return SiteResult(tier, site_dir, len(plugin.outline.documents), collect.messages, leaks,
                      len(cache.reused) if cache else 0, plugin.renders.taken if plugin.renders else 0)


def site_settings(content: ContentRoot, tier: int) -> tuple[str | None, list[dict]]:
    """(address, contact routes) of a tier's site from its configuration, without building it."""
    settings = site_config.of(content).checked()
    with tempfile.TemporaryDirectory(prefix="kbgen-config-") as empty:
        config = _mkdocs_config(settings, content.root, tier, docs_dir=empty)
    options = config.plugins["kbgen"].config
    return (site_url_of(tier, config.site_url, options.internal_site_url),
            [dict(route) for route in options.contact_routes])


_progress_queue = None  # set in each worker process when the parent shows progress
_loaded_content: ContentRoot | None = None  # the root the parent loaded, inherited by forked workers


def _start_worker(queue, parent: int) -> None:
    """Set a worker up: where to report progress, and to die with the build that started it."""
    global _progress_queue
    _progress_queue = queue
    forks.die_with(parent)


def _report_to_queue(tier: int, done: int, total: int) -> None:
    if done == total or done % PROGRESS_EVERY == 0:
        _progress_queue.put((tier, done, total))


def _build_tier_safely(root: Path, tier: int, site_dir: Path, docs_dir: Path, progress: Progress | None = None,
                       reuse: Reuse | None = None, content: ContentRoot | None = None) -> SiteResult | str:
    """Run in a worker: return the result, or the error as text (exceptions may not pickle)."""
    if progress is None and _progress_queue is not None:
        progress = _report_to_queue
    try:
        result = build_tier(root, tier, site_dir, docs_dir, progress, reuse=reuse,
                            content=content or _loaded_content)
        result.files = output.site_files(site_dir.parent, tier)  # listed here, beside the other tiers' work
        return result
    except Exception as exc:  # noqa: BLE001 - a Markdown extension's error must not become a traceback
        return f"tier {tier}: {_failure(exc, site_dir)}"


def _failure(exc: Exception, site_dir: Path) -> str:
    """Why a tier's build failed, as a sentence: kbgen's and MkDocs' errors say it, an OS error names the file,
    anything else (a Markdown extension's error) gives its type."""
    if isinstance(exc, (KbgenError, MkDocsException)):
        return str(exc)
    if isinstance(exc, OSError):
        return output.describe(exc, site_dir)
    if isinstance(exc, MemoryError):
        return "the machine ran out of memory"
    return f"{type(exc).__name__}: {exc}"


def serve(root: Path | str, tier: int = 0, dev_addr: str = "127.0.0.1:8000",
          say: Callable[[str], None] = print) -> None:
    """Preview one tier's site while writing: rebuilt on every save, reloaded in the browser.

    Every rebuild validates first and goes into a folder of its own; only one that succeeded and passed
    the leak audit is served (one rename of a link), so after an error, or a leak, the last good build
    stays served whole. SIGTERM and SIGHUP stop it as Ctrl+C does, and the temporary folder, which holds
    an internal site, goes with it."""
    content = load(root)
    root = content.root
    host, _, port = dev_addr.rpartition(":")
    with tempfile.TemporaryDirectory(prefix="kbgen-serve-") as work, _stopped_as_by_ctrl_c():
        served, docs_dir = Path(work) / "site", Path(work) / "docs"
        docs_dir.mkdir()
        builds = itertools.count()

        def rebuild() -> None:
            site_dir = Path(work) / f"build-{next(builds)}"
            try:
                result = build_tier(root, tier, site_dir, docs_dir, run_validation=True)
                if result.leaks:
                    raise BuildError(f"the leak audit found {len(result.leaks)} trace(s) of content above tier "
                                     f"{tier}", leaks=result.leaks)
            except BaseException:
                shutil.rmtree(site_dir, ignore_errors=True)
                raise
            previous = os.readlink(served) if served.is_symlink() else None
            output.link(served, site_dir.name)
            if previous:
                shutil.rmtree(Path(work) / previous, ignore_errors=True)
            for message in result.warnings:
                say(f"warning: {message}")
            say(f"tier {tier}: built {result.pages} documents")

        def rebuild_on_save() -> None:
            """A save that breaks the build is said, not raised: the server would print a traceback."""
            try:
                rebuild()
            except Exception as exc:  # noqa: BLE001 - as in a build's worker
                for finding in getattr(exc, "findings", ()):
                    say(finding.as_text())
                for leak in getattr(exc, "leaks", ()):
                    say(f"leak: {leak.as_text()}")
                say(f"error: {_failure(exc, served)}\nthe last good build is still served")

        rebuild()
        server = _PreviewServer(builder=rebuild_on_save, host=host or "127.0.0.1", port=int(port),
                                root=str(served))
        server.watch_sources(root, [root / name for name in WATCHED] + _folders_read(content))
        say(f"serving the tier {tier} site on http://{host or '127.0.0.1'}:{port}/ (Ctrl+C to stop)")
        try:
            server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


@contextlib.contextmanager
def _stopped_as_by_ctrl_c():
    """SIGTERM and SIGHUP (a supervisor, a closed terminal) end the block as Ctrl+C does, so what it holds
    is cleaned up; in the main thread only, where Python runs signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


LIVERELOAD_PATH_MAX = 100  # "/livereload/<epoch>/<request id>" as the preview's pages poll it


class _PreviewServer(LiveReloadServer):
    """MkDocs' preview server, answering a path no file can have (a NUL byte in it) and a reload poll no
    page sends (a number longer than Python reads) as a missing page rather than logging a traceback."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.RequestHandlerClass = _PrintableRequests

    def _serve_request(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "\0" in path or path.startswith("/livereload/") and len(path) > LIVERELOAD_PATH_MAX:
            return None  # 404
        return super()._serve_request(environ, start_response)

    def watch_sources(self, root: Path, sources: list[Path]) -> None:
        """Rebuild on any change under ``sources`` (files or folders), those made after the server started
        too: MkDocs watches only folders that exist, and loses one deleted and made again. One recursive
        watch of the root, whose events outside the sources are let be."""
        sources = [os.path.abspath(path) for path in sources]

        def callback(event) -> None:
            changed = [event.src_path, getattr(event, "dest_path", "") or ""]
            if any(path == source or path.startswith(source + os.sep) for path in changed for source in sources):
                with self._rebuild_cond:
                    self._want_rebuild = True
                    self._rebuild_cond.notify_all()

        handler = watchdog.events.FileSystemEventHandler()
        handler.on_any_event = callback
        self._watched_paths[str(root)] = 1  # as MkDocs' own watch() records it: serve() starts the observer then
        self._watch_refs[str(root)] = self.observer.schedule(handler, str(root), recursive=True)


class _PrintableRequests(_LiveReloadHandler):
    """MkDocs' request handler, logging a request line as the terminal can print it: anyone who reaches the
    port chooses its bytes (an escape sequence would clear the writer's screen)."""

    def log_request(self, code="-", size="-"):
        self.requestline = printable(self.requestline)
        super().log_request(code, size)


def _folders_read(content: ContentRoot) -> list[Path]:
    """The folders of a content root a build reads (where they lead, when linked): an output folder must
    not overlap any of them. mkdocs.yml's ``docs_dir`` is not among them: MkDocs gets an empty folder of
    the build's own, and kbgen hands it the documents."""
    folders = [content.root / name for name in (*CONTENT_DIRS, SNIPPETS_DIR, "overrides")]
    settings = site_config.of(content)
    theme = settings.data.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
        folders.append(settings.path.parent / theme["custom_dir"])
    return [folder.resolve() for folder in folders]


@forks.collecting_rarely()
def build(
    root: Path | str | ContentRoot,
    out: Path | str | None = None,
    tiers: list[int] | tuple[int, ...] | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = None,
    live: Callable[[dict[int, tuple[int, int]]], None] | None = None,
    full: bool = False,
) -> BuildResult:
    """Build the sites of ``tiers`` (default all) into ``out``/tierN (default ROOT/site).

    ``progress`` receives a line per finished tier; ``live``, if given, the pages done per tier as
    they are built (for a terminal's status line). Pages the previous build into ``out`` made from the
    same sources and settings are reused, unless ``full``. Any other tier already in ``out`` that the
    content changed for is built too."""
    started = time.perf_counter()
    read = [(root.root if isinstance(root, ContentRoot) else Path(root).resolve()) / name for name in WATCHED]
    before = sources_stamp(read)  # before anything is read: a file changed after this is noticed
    content = root if isinstance(root, ContentRoot) else load(root)
    root = content.root
    themes = [folder for folder in _folders_read(content) if folder not in read]
    before.update(sources_stamp(themes))

    def changed_sources() -> list[str]:
        after = sources_stamp(read + themes)
        return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    out = Path(out).resolve() if out else root / "site"
    tiers = sorted(set(tiers)) if tiers else list(TIERS)
    say = progress or (lambda message: None)
    try:
        output.check_placement(out, root, _folders_read(content))
    except output.OutputError as exc:
        raise OutputFolderError(str(exc)) from None
    tracked = changes.committed(out)
    if tracked:
        raise OutputFolderError(
            f"output folder {out} holds files committed to Git ({output.listed(tracked)}): a build takes what is "
            "there as what earlier builds made (pages it reuses, validation's findings), and a commit can put "
            "anything there; remove them from the repository (git rm -r --cached) and build again")

    # Whether anyone put files into the published sites is a walk of every file: done on another core
    # while the documents are validated.
    with forks.Aside(functools.partial(output.unwritten_files, out)) as walk:
        if not full:  # the previous build's views of the documents whose bodies did not change, and findings
            findings_cache.take_kept(content, out)
        findings = validate(content)
        if has_errors(findings):
            raise BuildError("validation found errors", [f for f in findings if f.severity == "error"])
        unwritten = walk.result()

    try:
        output.claim(out, unwritten)
        with output.locked(out):
            sites = _build_into(content, out, tiers, jobs, say, live, full, changed_sources)
    except output.OutputError as exc:
        raise OutputFolderError(str(exc)) from None
    except output.OutputBusy as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:
        raise BuildError(output.describe(exc, out)) from None
    for site in sites.values():
        site.path = out / f"tier{site.tier}"
    return BuildResult(sites, time.perf_counter() - started)


def _build_into(content: ContentRoot, out: Path, tiers: list[int], jobs: int | None, say, live,
                full: bool, changed_sources: Callable[[], list[str]]) -> dict[int, SiteResult]:
    """Build a new version of the sites beside the published one and publish it; what earlier builds
    left is deleted while the tiers build. On any failure the new version is deleted, nothing else.
    Sites made while a source changed are not published: a page may hold a snippet's new text under
    the key of its old one, and the next build would take it as it is."""
    previous = output.current_version(out)
    leftovers = output.leftovers(out)  # listed before this build makes anything
    version = output.new_version(out)
    try:
        docs_dir = version / ".empty-docs"  # MkDocs wants one; kbgen hands it the documents itself
        docs_dir.mkdir()
        reuses, carried = _plan(content, previous, version, tiers, full, say)
        output.recycle(leftovers, version, [tier for tier, reuse in reuses.items() if reuse and reuse.previous_out])
        # The views and findings are all worked out by now (validation): taken here, written while the
        # tiers build rather than after them, as what earlier builds left is deleted.
        kept = {structure.VIEWS_FILE: structure.kept_views(content),
                findings_cache.FINDINGS_FILE: findings_cache.kept_findings(content)}
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kbgen-meanwhile") as pool:
            started = []

            def meanwhile() -> None:
                started.append(pool.submit(_remove_all, leftovers))
                started.append(pool.submit(_keep, version / CACHE_DIR, kept))
                output.fault("building")

            try:
                sites = _build_all(content, sorted(reuses), version, docs_dir, jobs, say, live, reuses, meanwhile)
            finally:
                for job in started:
                    job.result()  # what deleting or writing raised is raised here
        output.remove(version / RENDERS_DIR)  # the sites hold what they took from it
        for tier in carried:
            output.carry_over(previous, version, tier)
        docs_dir.rmdir()
        output.fault("staged", version)
        changed = changed_sources()
        if changed:
            shown = ", ".join(shown_path(os.path.relpath(path, content.root)) for path in changed[:3])
            raise BuildError(f"{shown}{' and others' if len(changed) > 3 else ''} changed while the sites were "
                             "built; build again")
        output.refuse_unwritten(out, output.unwritten_files(out), "while the sites were built")  # looked for
        # again: a file put into the published sites since the build looked would go with their version
        output.publish(out, version, {tier: site.files for tier, site in sites.items() if site.files is not None})
    except BaseException:
        if output.current_version(out) != version:
            output.remove(version)
        raise
    return sites


def _keep(folder: Path, kept: dict[str, dict | None]) -> None:
    """Write the caches the next build starts from (a cache with nothing to keep is not written)."""
    output.fault("keeping")
    for name, data in kept.items():
        if data is not None:
            write_json(folder / name, data)


def _plan(content: ContentRoot, previous: Path | None, version: Path, tiers: list[int], full: bool,
          say: Callable[[str], None]) -> tuple[dict[int, Reuse | None], list[int]]:
    """Per tier to build, what it may reuse from the previous build and where its manifest goes; and the
    published tiers kept as they are.

    A published tier not asked for is kept only if its manifest proves it is what a build would make of
    the content now; any other is built too, so no site keeps showing what the content no longer allows.
    Nothing is reused (nor recorded) when mkdocs.yml cannot be read: the tier build reports why."""
    settings = site_config.of(content)
    try:
        reusable = reusable_with(_plugins(settings, content.root, 0))
        environment = environment_digest(content, settings)
    except OSError:
        reusable, environment = False, None
    published = [tier for tier in TIERS if previous is not None and (previous / f"tier{tier}").is_dir()]
    carried = [tier for tier in published if tier not in tiers and reusable
               and _up_to_date(content, previous, tier, environment,
                               settings.kbgen_options.get("recently_fixed_days") or RECENTLY_FIXED_DAYS)]
    building = sorted(set(tiers) | set(published) - set(carried))
    for tier in sorted(set(building) - set(tiers)):
        say(f"tier {tier}: the content changed since this site was built; building it too")
    if environment is None:
        return dict.fromkeys(building), carried
    renders = version / RENDERS_DIR if reusable else None  # other plugins may render a page per tier
    reusable = reusable and not full
    templates = None
    if reusable:  # in the new version: a failed build leaves the published one as it was
        templates = template_cache(version)
        if previous is not None and template_cache(previous).is_dir():
            shutil.copytree(template_cache(previous), templates)
    return {tier: Reuse(environment, previous if reusable else None, manifest_path(version, tier), templates, renders,
                        analyses_path(version, tier)) for tier in building}, carried


def _up_to_date(content: ContentRoot, previous: Path, tier: int, environment: str, recently_fixed_days: int) -> bool:
    """Whether the published site of ``tier`` was built from exactly the pages the content makes now."""
    cache = PageCache.open(manifest_path(previous, tier), previous / f"tier{tier}", environment)
    outline = SiteOutline.of(content, tier, recently_fixed_days)
    sources = {document.rel: document.path.read_bytes() for document in outline.documents}
    sources.update((uri, markdown.encode()) for uri, markdown in generated_pages(content, outline, tier).items())
    return cache.up_to_date(sources)


def _build_all(content: ContentRoot, tiers: list[int], version: Path, docs_dir: Path, jobs: int | None, say, live,
               reuses: dict[int, Reuse | None], meanwhile: Callable[[], None] = lambda: None) -> dict:
    """Build the tiers into the ``version`` folder; ``meanwhile`` is called once the tiers are under way."""
    global _loaded_content
    root = content.root
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tiers)))
    results: dict[int, SiteResult] = {}
    errors: list[str] = []
    state: dict[int, tuple[int, int]] = {}

    def show(tier: int, done: int, total: int) -> None:
        state[tier] = (done, total)
        live(dict(state))

    def collect(outcome: SiteResult | str) -> None:
        if isinstance(outcome, str):
            errors.append(outcome)
            return
        results[outcome.tier] = outcome
        reused = f" ({outcome.reused} pages unchanged, reused)" if outcome.reused else ""
        say(f"tier {outcome.tier}: built {outcome.pages} documents{reused}")
        for warning in outcome.warnings:
            say(f"tier {outcome.tier}: warning: {warning}")

    if jobs == 1:
        meanwhile()
        for tier in tiers:
            collect(_build_tier_safely(root, tier, version / f"tier{tier}", docs_dir, show if live else None,
                                       reuses[tier], content))
    else:
        _loaded_content = content
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        queue = context.Queue() if live else None
        listener = threading.Thread(target=_relay, args=(queue, show), daemon=True) if live else None
        # What the workers inherit is only read: kept out of the collector's reach, its pages are not
        # copied into every worker when the collector walks them (Python's advice for fork without exec).
        gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                                     initargs=(queue, os.getpid())) as pool:
                futures = [pool.submit(_build_tier_safely, root, t, version / f"tier{t}", docs_dir, None, reuses[t])
                           for t in tiers]
                # The pool forks all its workers at the first submit: threads start after, never copied half-way.
                if listener:
                    listener.start()
                meanwhile()
                for future in as_completed(futures):
                    collect(future.result())
        finally:
            gc.unfreeze()
        if listener:
            queue.put(None)
            listener.join()
    if errors:
        raise BuildError("; ".join(sorted(errors)))
    leaks = [leak for site in results.values() for leak in site.leaks]
    if leaks:
        raise BuildError(f"the leak audit found {len(leaks)} trace(s) of content above a site's tier", leaks=leaks)
    return results


def _relay(queue, show) -> None:
    """Pass the workers' progress reports to ``show`` until told to stop."""
    for report in iter(queue.get, None):
        show(*report)


def _remove_all(paths: list[Path]) -> None:
    """Delete what earlier builds left, each site in it in a thread of its own (deleting thousands of
    folders is waiting on the file system, not computing). A folder's files that cannot be deleted wait
    for the next build; a leftover that is no folder and cannot be deleted fails the build, by name."""
    trees = [tree for path in paths if path.is_dir() and not path.is_symlink()
             for tree in path.iterdir() if tree.is_dir() and not tree.is_symlink()]
    with ThreadPoolExecutor() as pool:
        list(pool.map(output.remove, trees))
    for path in paths:
        output.fault("emptying", path)
        output.remove(path)

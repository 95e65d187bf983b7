"""``kbgen build``: validate, build each tier's site with MkDocs, then swap the new output in.

Every tier is built into a staging folder beside the output; only when all of them built cleanly
does the staging replace the previous sites, so a failed build leaves the old output untouched.
Tiers are built in parallel processes, as many at once as there are cores. Pages nothing changed for
are taken from the previous build instead of being rendered again (:mod:`generator.incremental`).

The replaced sites go to a trash folder in the cache, and the next build deletes them while its tiers
build: deleting thousands of folders is waiting on the disk, which need not delay the build that made
them garbage (Bazel deletes its old sandboxes the same way). Their pages are mostly the current
pages under a second name, so the trash holds little.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import logging
import multiprocessing
import os
import shutil
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
from mkdocs.livereload import LiveReloadServer

from .audience import TIERS
from .audit import Leak, audit_site
from .config import site_url_of
from .content import CONTENT_DIRS, WATCHED, ContentRoot, load
from .errors import KbgenError
from .findings import ERROR, Finding, has_errors
from .incremental import CACHE_DIR, PageCache, environment_digest, manifest_path, reusable_with, template_cache
from .site_config import DEFAULTS as DEFAULT_CONFIG  # noqa: F401 - the name tests build configurations on
from .site_config import SiteConfig, read as read_site_config
from .validate import validate

PROGRESS_EVERY = 25  # pages between progress reports from a worker
GC_THRESHOLD = 20_000  # new objects between looks for garbage cycles while a tier builds (Python: 700)
DIRTY_WARNING = "A 'dirty' build is being performed"  # MkDocs' caution; kbgen renders all a change touches


class BuildError(KbgenError):
    """The build did not replace the output: ``findings`` or ``leaks`` say why when that was the reason."""

    def __init__(self, message: str, findings: list[Finding] | None = None, leaks: list[Leak] | None = None):
        super().__init__(message)
        self.findings = findings or []
        self.leaks = leaks or []


@dataclass
class SiteResult:
    tier: int
    path: Path
    pages: int
    warnings: list[str] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    reused: int = 0  # pages copied from the previous build


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


def _plugins(settings: SiteConfig, root: Path, tier: int, run_validation: bool = False) -> list:
    """The configured plugins, with kbgen (added if missing) set to this root and tier."""
    return settings.plugins + [{"kbgen": {**settings.kbgen_options, "tier": tier, "root": str(root),
                                          "run_validation": run_validation}}]


def _mkdocs_config(settings: SiteConfig, root: Path, tier: int, run_validation: bool = False, **options):
    """MkDocs' configuration of a tier's site, from the settings kbgen read and checked: MkDocs never parses
    a writer's mkdocs.yml itself (its loader runs Python tags)."""
    return load_config(io.StringIO(settings.mkdocs_yaml()), config_file_path=str(settings.path),
                       plugins=_plugins(settings, root, tier, run_validation), **options)


Progress = Callable[[int, int, int], None]  # (tier, pages done, pages in all)


@dataclass
class Reuse:
    """Where an incremental build of a tier finds the previous build, and where it leaves its manifest."""

    environment: str  # see generator.incremental.environment_digest
    previous_out: Path | None  # OUT of the previous build (None: render every page)
    manifest: Path  # the new manifest, written when the tier built and passed the audit
    templates: Path | None = None  # compiled theme templates, carried from build to build


@contextlib.contextmanager
def _collecting_rarely():
    """A tier build makes millions of small objects that live until it ends (pages, words, postings).
    Python's default looks for garbage cycles every 700 new objects and found none there: a tenth
    of a tier's time at 5,000 documents. Looking every 20,000 takes a third of that."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@_collecting_rarely()
def build_tier(root: Path, tier: int, site_dir: Path, docs_dir: Path, progress: Progress | None = None,
               run_validation: bool = False, reuse: Reuse | None = None,
               content: ContentRoot | None = None) -> SiteResult:
    """Build one tier's site with MkDocs into ``site_dir``, then audit it for leaks.

    With ``reuse``, pages whose sources and environment are unchanged are copied from the previous build;
    ``content``, if given, is the root already loaded (it is not read again)."""
    settings = read_site_config(root)
    if has_errors(settings.findings):
        raise BuildError("mkdocs.yml is not valid", [f for f in settings.findings if f.severity == ERROR])
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    logger.propagate = False
    try:
        config = _mkdocs_config(settings, root, tier, run_validation,
                                site_dir=str(site_dir), docs_dir=str(docs_dir))
    except MkDocsException as exc:  # a bad option: MkDocs logged which one
        logger.removeHandler(collect)
        raise BuildError("\n".join(collect.messages) or str(exc)) from None
    collect.config = config
    plugin = config.plugins["kbgen"]
    plugin.content = content
    if progress is not None:
        plugin.on_progress = functools.partial(progress, tier)
    if reuse is not None:
        previous = reuse.previous_out
        plugin.cache = PageCache.open(manifest_path(previous, tier), previous / f"tier{tier}", reuse.environment) \
            if previous else PageCache(reuse.environment)
        plugin.template_cache = reuse.templates
    dirty = bool(plugin.cache and plugin.cache.previous)
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
    cache = plugin.cache
    if cache:
        collect.messages += cache.settle("warnings", collect.by_page)
    leaks = audit_site(plugin.content, tier, site_dir, reused=cache.reused if cache else None)
    if cache and not leaks:
        cache.finish(site_dir)
        cache.save(reuse.manifest)
    return SiteResult(tier, site_dir, len(plugin.outline.documents), collect.messages, leaks,
                      len(cache.reused) if cache else 0)


def site_settings(root: Path, tier: int) -> tuple[str | None, list[dict]]:
    """(address, contact routes) of a tier's site from its configuration, without building it."""
    settings = read_site_config(root).checked()
    with tempfile.TemporaryDirectory(prefix="kbgen-config-") as empty:
        config = _mkdocs_config(settings, root, tier, docs_dir=empty)
    options = config.plugins["kbgen"].config
    return (site_url_of(tier, config.site_url, options.internal_site_url),
            [dict(route) for route in options.contact_routes])


_progress_queue = None  # set in each worker process when the parent shows progress
_loaded_content: ContentRoot | None = None  # the root the parent loaded, inherited by forked workers


def _share_progress(queue) -> None:
    global _progress_queue
    _progress_queue = queue


def _report_to_queue(tier: int, done: int, total: int) -> None:
    if done == total or done % PROGRESS_EVERY == 0:
        _progress_queue.put((tier, done, total))


def _build_tier_safely(root: Path, tier: int, site_dir: Path, docs_dir: Path, progress: Progress | None = None,
                       reuse: Reuse | None = None, content: ContentRoot | None = None) -> SiteResult | str:
    """Run in a worker: return the result, or the error as text (exceptions may not pickle)."""
    if progress is None and _progress_queue is not None:
        progress = _report_to_queue
    try:
        return build_tier(root, tier, site_dir, docs_dir, progress, reuse=reuse,
                          content=content or _loaded_content)
    except (BuildError, MkDocsException) as exc:
        return f"tier {tier}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a Markdown extension's error must not become a traceback
        return f"tier {tier}: {type(exc).__name__}: {exc}"


def serve(root: Path | str, tier: int = 0, dev_addr: str = "127.0.0.1:8000",
          say: Callable[[str], None] = print) -> None:
    """Preview one tier's site while writing: rebuilt on every save, reloaded in the browser.

    Every rebuild validates first; after an error the last good build stays served."""
    root = load(root).root
    host, _, port = dev_addr.rpartition(":")
    with tempfile.TemporaryDirectory(prefix="kbgen-serve-") as work:
        site_dir, docs_dir = Path(work) / "site", Path(work) / "docs"
        docs_dir.mkdir()

        def rebuild() -> None:
            result = build_tier(root, tier, site_dir, docs_dir, run_validation=True)
            for message in result.warnings + [f"leak: {leak.as_text()}" for leak in result.leaks]:
                say(f"warning: {message}")
            say(f"tier {tier}: built {result.pages} documents")

        rebuild()
        server = LiveReloadServer(builder=rebuild, host=host or "127.0.0.1", port=int(port), root=str(site_dir))
        for name in WATCHED:
            if (root / name).exists():
                server.watch(str(root / name))
        say(f"serving the tier {tier} site on http://{host or '127.0.0.1'}:{port}/ (Ctrl+C to stop)")
        try:
            server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


def _check_out(root: Path, out: Path) -> None:
    for folder in CONTENT_DIRS:
        if out == root or out.is_relative_to(root / folder):
            raise BuildError(f"output folder {out} would mix built sites with the sources; choose another --out")


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
    same sources and settings are reused, unless ``full``."""
    started = time.perf_counter()
    content = root if isinstance(root, ContentRoot) else load(root)
    root = content.root
    out = Path(out).resolve() if out else root / "site"
    _check_out(root, out)
    tiers = sorted(set(tiers)) if tiers else list(TIERS)
    say = progress or (lambda message: None)

    findings = validate(content)
    if has_errors(findings):
        raise BuildError("validation found errors", [f for f in findings if f.severity == "error"])

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    docs_dir = staging / "empty-docs"
    docs_dir.mkdir(parents=True)
    reuses = _reuse_plan(content, out, staging, tiers, full)
    emptying = threading.Thread(target=_remove_all, args=(_trash_entries(out),))
    try:
        try:
            sites = _build_all(content, tiers, staging, docs_dir, jobs, say, live, reuses, emptying.start)
        finally:
            if emptying.ident is not None:
                emptying.join()
        _swap_in(staging, out, tiers)
        _discard_previous(staging, out)
    finally:
        _remove_all([staging])
    for site in sites.values():
        site.path = out / f"tier{site.tier}"
    return BuildResult(sites, time.perf_counter() - started)


def _reuse_plan(content: ContentRoot, out: Path, staging: Path, tiers: list[int], full: bool) -> dict:
    """Per tier, what the build may reuse from the previous one in ``out`` and where its manifest goes.
    Nothing is reused (nor recorded) when mkdocs.yml cannot be read: the tier build reports why."""
    settings = read_site_config(content.root)
    try:
        reusable = not full and reusable_with(_plugins(settings, content.root, 0))
        environment = environment_digest(content, settings)
    except OSError:
        return dict.fromkeys(tiers)
    templates = None
    if reusable:  # the staging copy is swapped in with the sites: a failed build leaves OUT as it was
        templates = template_cache(staging)
        if template_cache(out).is_dir():
            shutil.copytree(template_cache(out), templates)
    return {tier: Reuse(environment, out if reusable else None, manifest_path(staging, tier), templates)
            for tier in tiers}


def _build_all(content: ContentRoot, tiers: list[int], staging: Path, docs_dir: Path, jobs: int | None, say, live,
               reuses: dict[int, Reuse | None], meanwhile: Callable[[], None] = lambda: None) -> dict:
    """Build the tiers into ``staging``; ``meanwhile`` is called once the tiers are under way."""
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
            collect(_build_tier_safely(root, tier, staging / f"tier{tier}", docs_dir, show if live else None,
                                       reuses[tier], content))
    else:
        _loaded_content = content
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        queue = context.Queue() if live else None
        listener = threading.Thread(target=_relay, args=(queue, show), daemon=True) if live else None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_share_progress,
                                 initargs=(queue,)) as pool:
            futures = [pool.submit(_build_tier_safely, root, t, staging / f"tier{t}", docs_dir, None, reuses[t])
                       for t in tiers]
            # The pool forks all its workers at the first submit: threads start after, never copied half-way.
            if listener:
                listener.start()
            meanwhile()
            for future in as_completed(futures):
                collect(future.result())
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


def _remove_all(folders: list[Path]) -> None:
    """Delete the folders, each tree in them in a thread of its own (deleting thousands of folders is
    waiting on the file system, not computing)."""
    trees = [path for folder in folders if folder.is_dir() for path in folder.iterdir() if path.is_dir()]
    with ThreadPoolExecutor() as pool:
        list(pool.map(functools.partial(shutil.rmtree, ignore_errors=True), trees))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _trash(out: Path) -> Path:
    return out / CACHE_DIR / "trash"


def _trash_entries(out: Path) -> list[Path]:
    """What earlier builds into ``out`` left to delete (listed now: a later entry is not this build's)."""
    return list(_trash(out).iterdir()) if _trash(out).is_dir() else []


def _discard_previous(staging: Path, out: Path) -> None:
    """Move the sites and templates the swap replaced into the trash, for the next build to delete."""
    previous = [path for path in staging.iterdir() if path.name.startswith("previous-") and path.is_dir()]
    if previous:
        _trash(out).mkdir(exist_ok=True)
        entry = Path(tempfile.mkdtemp(prefix="replaced-", dir=_trash(out)))
        for path in previous:
            path.rename(entry / path.name)


def _swap_in(staging: Path, out: Path, tiers: list[int]) -> None:
    """Replace each OUT/tierN by its new build with renames, old copies removed only at the end.

    A tier's old manifest goes first and its new one comes last: if the swap is cut short, a site
    is never paired with the manifest of another build (the next build then renders every page)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / CACHE_DIR).mkdir(exist_ok=True)
    for tier in tiers:
        manifest, target = manifest_path(out, tier), out / f"tier{tier}"
        if manifest.exists():
            manifest.rename(staging / f"previous-tier{tier}.json")
        if target.exists():
            target.rename(staging / f"previous-tier{tier}")
        (staging / f"tier{tier}").rename(target)
        if manifest_path(staging, tier).exists():
            manifest_path(staging, tier).rename(manifest)
    if template_cache(staging).is_dir():
        if template_cache(out).is_dir():
            template_cache(out).rename(staging / "previous-templates")
        template_cache(staging).rename(template_cache(out))

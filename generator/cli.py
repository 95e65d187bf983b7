"""The ``kbgen`` command line: a thin layer over the library API.

Each command imports what it needs when it runs: ``kbgen validate`` runs on every save and commit, and
MkDocs, the search index and publication safety would more than double its start.
"""

from __future__ import annotations

import errno
import json
import re
import sys
import textwrap
import time
from pathlib import Path

import click

from . import findings_cache
from .content import load, not_utf8
from .layouts import LAYOUTS
from .errors import KbgenError, KbgenUsageError
from .findings import has_errors, printable, render
from .scaffold import SEVERITIES, new_document
from .validate import validate as run_validate

ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
    help="Content root: the folder with intents.yml, kb/ and runbooks/.")


class _Text(click.ParamType):
    """Text kbgen writes into a document (a title, a reviewer's name): refused when the command line held
    bytes that are not UTF-8 (typed in a Latin-1 terminal), which no reader of the file would take."""

    name = "text"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not_utf8(value):
            self.fail(f"{value.encode('utf-8', 'surrogateescape')!r} is not UTF-8 text; type it in a UTF-8 "
                      "terminal", param, ctx)
        return value


TEXT = _Text()


class _Command(click.Command):
    """A kbgen command, where every error becomes a message and an exit code, never a traceback: a kbgen
    error its findings, message and exit code (2 for usage errors), an unexpected OSError the path and reason.
    ``failure`` frames the message, e.g. "build failed: {}; the previous output is unchanged"."""

    def __init__(self, *args, failure: str = "Error: {}", **kwargs):
        super().__init__(*args, **kwargs)
        self.failure = failure

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KbgenError as exc:
            if exc.findings:
                click.echo(render(exc.findings, "text"), err=True)
            if isinstance(exc, KbgenUsageError):
                raise click.UsageError(exc.format_message(), ctx) from None
            for leak in getattr(exc, "leaks", ()):  # a BuildError's
                click.echo(f"leak: {leak.as_text()}", err=True)
            click.echo(self.failure.format(exc.format_message()), err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away (kbgen search ... | head): click settles it
                raise
            click.echo(self.failure.format(_os_problem(exc)), err=True)
            ctx.exit(1)
        except (MemoryError, RuntimeError) as exc:  # the machine's limits, not a fault of the content
            if isinstance(exc, RuntimeError) and "can't start new thread" not in str(exc):
                raise
            click.echo(self.failure.format("the machine ran out of memory or threads; free some (or raise "
                                           "'ulimit -v' / 'ulimit -u') and run it again"), err=True)
            ctx.exit(1)


def _os_problem(exc: OSError) -> str:
    """What the system refused, on which path: "cannot use /srv/site: Permission denied"."""
    paths = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    return f"cannot use {paths}: {exc.strerror or exc}" if paths else f"{exc.strerror or exc}"


class _Group(click.Group):
    command_class = _Command
    group_class = type  # subgroups are kbgen groups too


class _Query(_Command):
    """``kbgen search``: a query may start with '-' (``kbgen search -refund``); every word that is not one of
    the command's options is the query, as is everything after ``--``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {name: not option.is_flag for option in self.get_params(ctx)
                       if isinstance(option, click.Option) for name in option.opts + option.secondary_opts}
        options, words, rest = [], [], list(args)
        while rest:
            arg = rest.pop(0)
            name = arg.split("=", 1)[0]
            if arg == "--":
                words += rest
                break
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and rest:
                    options.append(rest.pop(0))
            else:
                words.append(arg)
        return super().parse_args(ctx, options + ["--"] + words if words else options)


class _Address(click.ParamType):
    """HOST:PORT, the port from 1 to 65535; without a host, 127.0.0.1."""

    name = "HOST:PORT"

    def convert(self, value, param, ctx):
        host, colon, port = str(value).rpartition(":")
        if not colon or not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
            self.fail(f"'{value}' is not HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:8000", param, ctx)
        return str(value)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kbgen")
def main() -> None:
    """kbgen: a knowledge base and runbooks for tiered support teams, as code."""


@main.command()
@ROOT_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text for people, json for tools, github for GitHub Actions annotations.")
@click.option("--changed-since", "ref", metavar="REF",
              help="Report only on files changed since this git ref (links still resolve against everything).")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate(root: Path, fmt: str, ref: str | None, paths: tuple[Path, ...]) -> None:
    """Check front matter, ids, intents, links and tier rules. Exit 0 clean, 1 on errors.

    With PATHS (files or folders) or --changed-since, the whole root is still checked but only
    findings in those files are reported: what a pull request touched."""
    started = time.perf_counter()
    content = load(root)
    # The pages' parse and findings the last build into the default output kept, for what did not change.
    findings_cache.take_kept(content, content.root / "site")
    findings = run_validate(content)
    wanted = _selected(content.root, ref, paths) if ref or paths else None
    if wanted is not None:
        findings = [f for f in findings if any(f.path == w or f.path.startswith(w + "/") for w in wanted)]
    output = render(findings, fmt)
    if fmt == "text":
        output += f" in {len(content.documents)} documents ({time.perf_counter() - started:.2f} s)"
    if output:
        click.echo(output)
    sys.exit(1 if has_errors(findings) else 0)


def _selected(root: Path, ref: str | None, paths: tuple[Path, ...]) -> set[str] | None:
    """Root-relative files and folders to report on, from --changed-since and PATHS; None for all."""
    from .changes import changed_since

    wanted: set[str] = set()
    if ref:
        wanted |= changed_since(root, ref)
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise click.UsageError(f"{path} is not inside the content root {root}")
        if resolved == root:
            return None
        wanted.add(resolved.relative_to(root).as_posix())
    return wanted


@main.command(failure="build failed: {}; the previous output is unchanged")
@ROOT_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default ROOT/site); each tier goes to OUT/tierN.")
@click.option("--tier", "tiers", type=click.IntRange(0, 3), multiple=True,
              help="Build only this tier (repeatable). Default: all four.")
@click.option("--full", is_flag=True,
              help="Render every page again instead of reusing the pages of the previous build nothing changed for.")
def build(root: Path, out: Path | None, tiers: tuple[int, ...], full: bool) -> None:
    """Validate, then build the public site (tier 0) and the internal sites (tiers 1-3)."""
    from . import build as build_module

    content = load(root)
    live = _status_line if sys.stdout is not None and sys.stdout.isatty() else None  # line-based output in CI logs
    result = build_module.build(content, out=out, tiers=tiers or None, progress=_finished_line(live),
                                live=live, full=full)
    for tier, site in sorted(result.sites.items()):
        click.echo(f"tier {tier}: {site.pages} documents -> {site.path}")
    click.echo(f"built {len(result.sites)} site(s) in {result.seconds:.1f} s")


def _status_line(state: dict[int, tuple[int, int]]) -> None:
    parts = [f"tier {tier} {done}/{total}" for tier, (done, total) in sorted(state.items())]
    click.echo("\r\033[K" + " · ".join(parts), nl=False)


def _finished_line(live):
    """Lines for finished tiers; on a terminal they first clear the status line."""
    return (lambda message: click.echo("\r\033[K" + message)) if live else click.echo


@main.command()
@ROOT_OPTION
@click.option("--tier", type=click.IntRange(0, 3), default=0, show_default=True, help="Tier of the site to preview.")
@click.option("--dev-addr", type=_Address(), default="127.0.0.1:8000", show_default=True,
              help="Address to serve on.")
def serve(root: Path, tier: int, dev_addr: str) -> None:
    """Preview one tier's site, rebuilt and reloaded in the browser on every save."""
    from . import build as build_module

    load(root)
    try:
        build_module.serve(root, tier=tier, dev_addr=dev_addr, say=click.echo)
    except OSError as exc:  # the address is taken or not ours
        raise click.ClickException(f"cannot serve on {dev_addr}: {exc.strerror}") from None


@main.command()
@ROOT_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Built output to check (default ROOT/site), holding tier0..tier3.")
def audit(root: Path, out: Path | None) -> None:
    """Search every built site for traces of content above its tier. Exit 1 on any leak."""
    from .audit import audit as run_audit

    content = load(root)
    out = out or content.root / "site"
    sites = [out / f"tier{tier}" for tier in range(4) if (out / f"tier{tier}").is_dir()]
    if not sites:
        raise click.UsageError(f"no built sites (tier0..tier3) in {out}; run kbgen build first")
    leaks = run_audit(content, out)
    for leak in leaks:
        click.echo(leak.as_text())
    click.echo(f"audited {len(sites)} site(s): {len(leaks)} leak(s)", err=True)
    sys.exit(1 if leaks else 0)


@main.command(cls=_Query)
@click.argument("query")
@ROOT_OPTION
@click.option("--tier", type=click.IntRange(0, 3), default=None,
              help="Search the site of this tier (everything of this tier and below)  [default: 0, or the tier of "
              "the site given by --site]")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True, help="Results to show at most.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (id, title, url, path, score, tier, snippet).")
@click.option("--site", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Search the index saved in a built site (OUT or OUT/tierN) instead of indexing the content; "
              "no content root needed.")
def search(query: str, root: Path, tier: int | None, limit: int, as_json: bool, site: Path | None) -> None:
    """Search a tier's site as its search box does: same index, same ranking."""
    from mkdocs.exceptions import MkDocsException

    from . import build as build_module
    from .search import SearchIndex

    if site is not None:  # the built site says everything: its tier, address and contact routes
        index = SearchIndex.load(site / f"tier{tier or 0}" if (site / f"tier{tier or 0}").is_dir() else site)
        if tier is not None and index.tier != tier:
            raise click.UsageError(f"{site} holds the tier {index.tier} site, not tier {tier}")
        tier, address, routes = index.tier, index.address, index.contact_routes
    else:
        tier = tier or 0
        content = load(root)
        index = SearchIndex.build(content, tier)
        try:
            address, routes = build_module.site_settings(content, tier)
        except MkDocsException as exc:  # a setting MkDocs refuses (kbgen's own are checked before)
            raise click.ClickException(f"mkdocs.yml: {exc}") from None
    answer = index.answer(query, limit)
    hits = answer.hits
    results = [dict(hit.as_json(), path=hit.url, url=(address or "").rstrip("/") + "/" + hit.url if address else hit.url)
               for hit in hits]
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if answer.corrected and results:
        click.echo(f"Showing results for {answer.corrected!r}; search instead for '\"{query}\"'.")
    for number, hit in enumerate(results, 1):
        title, url, snippet = (printable(hit[key]) for key in ("title", "url", "snippet"))
        click.echo(f"{number}. {click.style(title, bold=True)}  (tier {hit['tier']}, score {hit['score']:g})")
        click.echo(f"   {url}")
        click.echo(textwrap.fill(snippet, width=100, initial_indent="   ", subsequent_indent="   "))
    if not results:
        click.echo(f"No good match for {query!r} in the tier {tier} site.")
        for route in routes if tier == 0 else []:
            hours = f" ({route['hours']})" if route.get("hours") else ""
            click.echo(f"Still need help? {route['name']}: {route['url']}{hours}")


@main.group()
def new() -> None:
    """Start a document from a template that passes kbgen validate but for its TODO: text."""


def _new_options(command):
    command = click.argument("title", type=TEXT)(command)
    command = click.option("--id", "doc_id", metavar="ID", type=TEXT, help="The id (and file name) to use instead "
                           "of one made from the title.")(command)
    return ROOT_OPTION(command)


def _tiered_options(tier_option):
    """Options of the kinds with a tier and at least one intent: articles and runbooks."""
    def apply(command):
        command = click.option("--intent", "intents", metavar="ID", multiple=True, required=True,
                               help="Intent from intents.yml (repeatable); an article goes in the folder of the "
                               "first one's area.")(command)
        return _new_options(tier_option(command))
    return apply


def _create(root: Path, kind: str, title: str, **options) -> None:
    """Write the file, print its path (stdout, for scripts) and what is left to do (stderr)."""
    created = new_document(load(root), kind, title, **options)
    click.echo(root / created.rel)
    click.echo(f"created {kind} '{created.id}': replace every TODO: text, then run kbgen validate", err=True)


@new.command("article")
@_tiered_options(click.option("--tier", type=click.IntRange(0, 3), default=0, show_default=True,
                              help="0 for customers (public), 1-3 for agents."))
def new_article(root: Path, title: str, doc_id: str | None, tier: int, intents: tuple[str, ...]) -> None:
    """Write kb/<area>/<id>.md, an article titled TITLE."""
    _create(root, "article", title, tier=tier, intents=intents, doc_id=doc_id)


@new.command("runbook")
@_tiered_options(click.option("--tier", type=click.IntRange(0, 3), required=True,
                              help="Tier of the agents who follow it: 1, 2 or 3."))
@click.option("--layout", type=click.Choice(tuple(LAYOUTS)), default=None,
              help="steps (When to use ... Escalate) or alert (Meaning, Impact, Diagnosis, Mitigation); "
                   "default: the root's runbook_layout in mkdocs.yml, else steps.")
def new_runbook(root: Path, title: str, doc_id: str | None, tier: int, intents: tuple[str, ...],
                layout: str | None) -> None:
    """Write runbooks/tier<N>/<id>.md, a runbook titled TITLE with the sections validation requires."""
    _create(root, "runbook", title, tier=tier, intents=intents, doc_id=doc_id, layout=layout)


@new.command("defect")
@_new_options
@click.option("--intent", "intents", metavar="ID", multiple=True, help="Affected intent (repeatable).")
@click.option("--severity", type=click.Choice(SEVERITIES), default="P3", show_default=True,
              help="P1 (critical) to P4 (low).")
def new_defect(root: Path, title: str, doc_id: str | None, intents: tuple[str, ...], severity: str) -> None:
    """Write kb/defects/DEF-NNNN-<slug>.md, a tier 3 defect write-up with the next free id."""
    _create(root, "defect", title, intents=intents, severity=severity, doc_id=doc_id)


@main.command()
@ROOT_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="md for people (the tier 3 site shows the same page), json for dashboards.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Date that review_by is compared with (default: today).")
@click.option("--searches", "searches_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Instead: the searches customers did not find answers to, from an analytics export (CSV or JSON "
              "with query, count, results and optionally clicks), each with its closest intent.")
def report(root: Path, fmt: str, today, searches_file: Path | None) -> None:
    """The knowledge base's health: knowledge contribution, defects by intent, time to root cause,
    self-service gaps, reviews overdue, documents per tier and kind."""
    if searches_file is not None:
        from .searches import read_log, search_report, to_json, to_text

        gaps = search_report(load(root), read_log(searches_file))
        click.echo(to_json(gaps) if fmt == "json" else to_text(gaps))
        return
    from .report import health, to_json, to_markdown

    figures = health(load(root), today.date() if today else None)
    click.echo(to_json(figures) if fmt == "json" else to_markdown(figures), nl=fmt == "json")


@main.command()
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Content root (default: the folder the editor opened).")
def lsp(root: Path | None) -> None:
    """Language server for editors, over stdio: findings as you type, completion, hover, go to
    definition and quick fixes. Needs the lsp extra: pip install 'kbgen[lsp]'."""
    try:
        from .lsp import serve
    except ImportError as exc:
        raise KbgenError(f"kbgen lsp needs the lsp extra ({exc.name} is missing): "
                         "pip install 'kbgen[lsp]'") from None
    serve(root.resolve() if root else None)


@main.group()
def defect() -> None:
    """Tier 3 defect write-ups."""


@defect.command(failure="feed refused: {}; nothing was written")
@ROOT_OPTION
@click.option("--all", "every", is_flag=True, help="Feed every resolved defect not fed yet.")
@click.argument("defect_id", required=False, metavar="[ID]")
def feed(root: Path, every: bool, defect_id: str | None) -> None:
    """Feed a resolved defect into the knowledge base: a tier 0 known-issue article and a known-defect
    entry in the tier 2 runbooks for its intents. Exit 1, writing nothing, when it is refused."""
    from . import defects

    if every == bool(defect_id):
        raise click.UsageError("give a defect ID (e.g. DEF-0042) or --all, not both")
    content = load(root)
    results = defects.feed_all(content) if every else [defects.feed(content, defect_id)]
    for result in results:
        runbooks = ", ".join(result.runbooks) or "none"
        click.echo(f"{result.defect}: known-issue article {result.article or 'none'}; runbooks: {runbooks}")
    written = sorted({rel for result in results for rel in result.written})
    for rel in written:
        click.echo(f"  wrote {rel}")
    if not results:
        click.echo("every resolved defect is fed already")
    click.echo(f"{len(written)} file(s) changed")


@defect.command(failure="approval refused: {}; nothing was written")
@ROOT_OPTION
@click.option("--by", "by", required=True, metavar="NAME", type=TEXT,
              help="Who reviewed the title and summary for customers.")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Date of the review (default: today).")
@click.argument("defect_id", metavar="ID")
def approve(root: Path, by: str, on, defect_id: str) -> None:
    """Record that the defect's title and customer-facing summary were reviewed for customers, as they are
    now, so that `kbgen defect feed` may publish them while the defect is open (with
    customer_update.publish: true). A later change to either needs a new approval."""
    import datetime as _dt

    from . import defects

    written = defects.approve(load(root), defect_id, by, on.date() if on else _dt.date.today())
    for rel in written:
        click.echo(f"  wrote {rel}")
    click.echo(f"{len(written)} file(s) changed")

"""Shared fixtures: small content roots written into tmp_path, and the sample built once per session."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import posixpath
import re
import sys
import shutil
import subprocess
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from generator.build import build
from generator.cli import main

REPO = Path(__file__).resolve().parent.parent
# The browser tests drive the system's Chromium (never a downloaded one) with Playwright.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000

# Property tests search for inputs that break a promise: enough examples in every run to matter, many more
# with HYPOTHESIS_PROFILE=deep (e.g. before a release). Each example builds a small content root: no deadline.
settings.register_profile("default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

INTENTS = """\
areas:
  - id: account
    title: Account and sign-in
    description: Signing in, passwords and two-factor authentication.
  - id: billing
    title: Billing
intents:
  - id: account.password-reset
    title: Reset a forgotten password
    phrasings: [forgot password, locked out of my account]
    resolution_tier: 0
  - id: billing.refund
    title: Get a refund
    phrasings: [refund my subscription]
    resolution_tier: 1
"""


def frontmatter(**fields) -> str:
    """Front matter text for a document; values are written as YAML flow scalars."""
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def runbook_body(title: str, text: str = "Text.") -> str:
    """A runbook body with the sections ``kbgen validate`` requires; ``text`` goes under "When to use"."""
    return (f"# {title}\n\n## When to use\n\n{text}\n\n## Before you start\n\nNothing.\n\n## Steps\n\n"
            "1. Do it.\n\n## Verify\n\nIt works.\n\n## Escalate\n\nAs below.\n")


class RootMaker:
    """Writes a content root: ``make.doc("kb/a.md", body, **front_matter)``, ``make.file(path, text)``."""

    def __init__(self, path: Path):
        self.path = path
        self.file("intents.yml", INTENTS)

    def file(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def doc(self, rel: str, body: str = "", **fields) -> Path:
        fields.setdefault("id", Path(rel).stem)
        fields.setdefault("title", Path(rel).stem.replace("-", " ").capitalize())
        fields.setdefault("kind", "runbook" if rel.startswith("runbooks/") else "article")
        fields.setdefault("tier", 1 if rel.startswith("runbooks/") else 0)
        fields.setdefault("intents", ["account.password-reset"])
        if fields["kind"] == "runbook" and fields["tier"] in (1, 2) and "escalation" not in fields:
            fields["escalation"] = "{to_tier: %d, when: the steps did not help}" % (fields["tier"] + 1)
        default = runbook_body(fields["title"]) if fields["kind"] == "runbook" else f"# {fields['title']}\n\nText.\n"
        body = textwrap.dedent(body) or default
        return self.file(rel, frontmatter(**fields) + body)


def article(html: str) -> str:
    """The page's own content (Material's <article>), without navigation or theme chrome."""
    match = re.search(r'<article class="md-content__inner[^"]*">(.*?)</article>', html, re.S)
    assert match, "no <article> in page"
    return match[1]


def links_in(html: str, page_url: str) -> list[str]:
    """Site-relative URLs (``kb/a/``) of the in-site links of an HTML fragment, in document order."""
    urls = []
    for href in re.findall(r'<a [^>]*href="([^"#]*)"', html):
        if not href or re.match(r"^[a-z]+:|^//", href):
            continue
        target = posixpath.normpath(posixpath.join("/" + page_url, href)).lstrip("/")
        urls.append("" if target in (".", "") else target.rstrip("/") + "/")
    return urls


def toc_links(html: str) -> list[str]:
    """Anchors listed in the page's table of contents (Material's secondary sidebar)."""
    match = re.search(r'<nav class="md-nav md-nav--secondary".*?</nav>', html, re.S)
    return re.findall(r'<a href="#([^"]+)" class="md-nav__link"', match[0]) if match else []


def tree_hash(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file and ``<dir>`` of every folder: to prove output untouched."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return found


def committed(root: Path) -> None:
    """Make ``root`` a Git repository with everything in it committed, as a pull request's checkout is
    (``.gitignore`` aside: a pull request can force-add anything)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-C", str(root), "-c", "user.email=w@example.com", "-c", "user.name=Writer"]
    for args in (["init", "-q", "."], ["add", "-A", "-f", "."], ["commit", "-q", "-m", "a pull request"]):
        subprocess.run(git + args, check=True, capture_output=True)


def kbgen_executable() -> str:
    script = Path(sys.executable).parent / ("kbgen.exe" if os.name == "nt" else "kbgen")
    found = str(script) if script.exists() else shutil.which("kbgen")
    if not found:
        pytest.skip("the kbgen console script is not installed")
    return found


def process_alive(pid: int) -> bool:
    """Whether a process runs (a zombie, finished but not yet waited for, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def run_cli(*args: str):
    """Invoke ``kbgen`` in-process, with stdout and stderr kept apart where click allows it."""
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 always keeps result.stderr apart
    return runner.invoke(main, list(args), catch_exceptions=True)


def stderr_of(result) -> str:
    try:
        return result.stderr or ""
    except ValueError:
        return ""


def assert_no_crash(result) -> None:
    """The command ended by itself (sys.exit / click's usage error), not by an exception."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"kbgen raised {result.exception!r}:\n{tb}\noutput:\n{result.output}")
    assert "Traceback" not in result.output
    assert "Traceback" not in stderr_of(result)


@pytest.fixture
def make_root(tmp_path) -> RootMaker:
    return RootMaker(tmp_path / "root")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's own sample knowledge base, built once: returns OUT with tier0..tier3."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(REPO, out=out)
    return out


def search_terms(site: Path) -> set[str]:
    """The words (stemmed, as lunr keeps them) in a built site's kbgen search index."""
    from generator.search import SearchIndex

    return set(SearchIndex.load(site).terms())


def in_search(site: Path, text: str) -> bool:
    """Whether every word of ``text`` is in the site's search index."""
    from generator.search import text_terms

    return text_terms(text) <= search_terms(site)


def pytest_collection_modifyitems(items):
    """Tests that share a built site or a browser (module- or session-wide fixtures, kept because they are
    expensive) are ``slow``: ``pytest -m "not slow"`` is the quick loop of Markdown, validation and CLI tests."""
    for item in items:
        definitions = getattr(item, "_fixtureinfo", None)
        shared = definitions is not None and any(
            definition.scope in ("module", "package", "session") and _ours(definition.func)
            for chain in definitions.name2fixturedefs.values() for definition in chain)
        if shared or "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _ours(function) -> bool:
    """A fixture written in this folder (pytest's own, such as tmp_path_factory, are session-wide too)."""
    code = getattr(function, "__code__", None)
    return code is not None and Path(code.co_filename).parent == Path(__file__).parent


# Browser tests -----------------------------------------------------------------------------------
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@contextlib.contextmanager
def served(folder: Path):
    """``folder`` over HTTP on a free localhost port, for as long as the block runs; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def base_url(site_root):
    with served(site_root) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    """The launched browser, or the reason it could not be launched (each test then fails with it)."""
    if not CHROMIUM.exists():
        yield f"{CHROMIUM} not found: install Chromium (apt-get install chromium); browser tests cannot run"
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a test dependency
        yield f"playwright is not installed: {exc}"
        return
    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - report any launch failure as the test failure
            yield f"could not launch {CHROMIUM}: {exc}"
            return
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(chromium):
    """A fresh page, or the reason there is none: ``open_doc`` then makes the test FAIL (never skip).

    The failure is raised in the test itself, not here, so that it counts as a failed test rather
    than as an error in a fixture.
    """
    if isinstance(chromium, str):
        yield chromium
        return
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def search(page, word: str) -> None:
    # The header's search label opens the search on narrow screens; on wide ones the box itself is in
    # the header and covers the form's label, so it is clicked directly.
    label = page.locator('label.md-header__button[for="__search"]')
    if label.is_visible():
        label.click()
    box = page.locator("input.md-search__input")
    box.click()
    page.wait_for_function("() => document.getElementById('__search').checked")
    # One query for the whole word: typed letter by letter, a prefix's answer ("No matching documents")
    # could be taken for the word's.
    box.fill(word)
    box.press("End")

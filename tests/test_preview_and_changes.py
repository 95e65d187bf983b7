"""``kbgen serve`` (live preview) and ``kbgen validate --changed-since`` / PATHS (what a pull request touched)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import runbook_body
from generator.cli import main

KBGEN = str(Path(sys.executable).parent / "kbgen")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(url: str, needle: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = fetch(url)
        if page and needle in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} did not appear at {url} within {seconds} s")


def test_serve_previews_a_tier_and_rebuilds_on_save(make_root):
    make_root.doc("kb/a.md", "# A\n\nPublic words.\n\n/// internal\nAgent-only words.\n///\n")
    make_root.doc("runbooks/r.md", runbook_body("R", "Runbook words."), tier=2)
    port = free_port()
    server = subprocess.Popen([KBGEN, "serve", "--root", str(make_root.path), "--tier", "1",
                               "--dev-addr", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/kb/a/", "Public words.")
        assert "Agent-only words." in page  # the tier 1 preview shows tier 1 blocks
        assert fetch(f"http://127.0.0.1:{port}/runbooks/r/") is None or \
            "Runbook words." not in fetch(f"http://127.0.0.1:{port}/runbooks/r/")  # but not tier 2 pages
        source = make_root.path / "kb" / "a.md"
        source.write_text(source.read_text(encoding="utf-8") + "\nWords saved a moment ago.\n", encoding="utf-8")
        wait_for(f"http://127.0.0.1:{port}/kb/a/", "Words saved a moment ago.")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_save_that_breaks_validation_is_said_and_the_last_good_site_stays(make_root):
    """MkDocs' server prints a traceback for whatever its builder raises: the preview says the finding, keeps
    serving the last good build (tier 0: without the block), and builds the next good save."""
    make_root.doc("kb/a.md", "# A\n\nPublic words.\n\n/// internal\nAgent-only words.\n///\n")
    port = free_port()
    server = subprocess.Popen([KBGEN, "serve", "--root", str(make_root.path), "--dev-addr", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said: list[str] = []
    threading.Thread(target=lambda: said.extend(server.stdout), daemon=True).start()
    url = f"http://127.0.0.1:{port}/kb/a/"
    try:
        assert "Agent-only words." not in wait_for(url, "Public words.")
        source = make_root.path / "kb" / "a.md"
        source.write_text(source.read_text(encoding="utf-8").replace("tier: 0", "tier: nine"), encoding="utf-8")
        deadline = time.monotonic() + 60
        while "the last good build is still served" not in "".join(said) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "kb/a.md" in "".join(said) and "the last good build is still served" in "".join(said), said
        assert "Traceback" not in "".join(said) and server.poll() is None
        assert "Public words." in fetch(url)
        source.write_text(source.read_text(encoding="utf-8").replace("tier: nine", "tier: 0")
                          .replace("Public words.", "Words saved again."), encoding="utf-8")
        assert "Agent-only words." not in wait_for(url, "Words saved again.", 60)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _serving(make_root, port: int, **popen) -> tuple[subprocess.Popen, list[str]]:
    server = subprocess.Popen([KBGEN, "serve", "--root", str(make_root.path), "--dev-addr", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    said: list[str] = []
    threading.Thread(target=lambda: said.extend(server.stdout), daemon=True).start()
    return server, said


def _said(said: list[str], words: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while words not in "".join(said) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert words in "".join(said), said
    return "".join(said)


@pytest.mark.parametrize("save", ["theme-error", "leak"])
def test_a_rebuild_that_fails_or_leaks_leaves_the_last_good_site_whole(make_root, save):
    """The preview built into the folder it served: a template error on save emptied it (every page 404)
    while it said the last good build was still served; and a leak the audit found was only a warning."""
    make_root.doc("kb/a.md", "# A\n\nPublic words.\n")
    port = free_port()
    server, said = _serving(make_root, port)
    url = f"http://127.0.0.1:{port}/kb/a/"
    try:
        wait_for(url, "Public words.")
        if save == "theme-error":
            make_root.file("overrides/main.html", '{% extends "base.html" %}{% block content %}{{ 1 // 0 }}'
                                                  '{% endblock %}\n')
        else:  # validation takes the page's own sentence as public; the audit knows the snippet's block
            make_root.file("snippets/vault.md", "/// internal | tier: 2\nThe escrow override code lives in the "
                                                "quokka vault now.\n///\n")
            make_root.doc("kb/a.md", "# A\n\nChanged words.\n\n--8<-- \"vault.md\"\n\nThe escrow override code "
                                     "lives in the quokka vault now.\n")
        text = _said(said, "the last good build is still served")
        assert "Traceback" not in text and server.poll() is None
        assert save != "leak" or "leak: " in text
        assert "Public words." in fetch(url) and fetch(f"http://127.0.0.1:{port}/") is not None
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_stopped_preview_leaves_no_internal_site_behind(make_root, tmp_path):
    """SIGTERM (a supervisor, an editor closing) left the temporary folder, a whole tier's site, in /tmp."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    make_root.doc("kb/a.md", "# A\n\nPublic words.\n")
    port = free_port()
    server, said = _serving(make_root, port, env={**os.environ, "TMPDIR": str(temporary)})
    try:
        wait_for(f"http://127.0.0.1:{port}/kb/a/", "Public words.")
        assert [p.name for p in temporary.iterdir() if p.name.startswith("kbgen-serve-")]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not [p.name for p in temporary.iterdir() if p.name.startswith("kbgen-serve-")]


def test_serve_refuses_invalid_content_with_the_finding(make_root):
    make_root.file("kb/bad.md", "---\nid: bad\ntitle: Bad\nkind: article\ntier: 9\nintents: [billing.refund]\n---\n# B\n")
    result = CliRunner().invoke(main, ["serve", "--root", str(make_root.path), "--dev-addr", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "kb/bad.md:5:1" in result.output and "field-value" in result.output
    assert "Traceback" not in result.output


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=w@example.com", "-c", "user.name=Writer", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(make_root):
    make_root.doc("kb/a.md", "# A\n\nFine.\n")
    make_root.doc("kb/b.md", "# B\n\nFine.\n")
    make_root.doc("kb/old-bad.md", "# Old\n\nSee [gone](missing.md).\n")  # an error that was already there
    git(make_root.path, "init", "-q")
    git(make_root.path, "add", "-A")
    git(make_root.path, "commit", "-qm", "base")
    return make_root


def test_changed_since_reports_only_what_changed(repo):
    repo.doc("kb/a.md", "# A\n\nSee [b](b.md#nowhere) and [c](c.md).\n")  # a changed file with two problems
    repo.doc("kb/new.md", "# New\n\nSee [x](x.md).\n", tier='"0"')  # a new, untracked file
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), "--changed-since", "HEAD"])
    paths = {line.split(":")[0] for line in result.output.splitlines() if ": error " in line or ": warning " in line}
    assert paths == {"kb/a.md", "kb/new.md"}
    assert result.exit_code == 1
    clean = CliRunner().invoke(main, ["validate", "--root", str(repo.path), "--changed-since", "HEAD", "--format",
                                      "json"])
    assert '"kb/old-bad.md"' not in clean.output


def test_changed_since_still_resolves_links_against_the_whole_tree(repo):
    repo.doc("kb/a.md", "# A\n\nSee [b](b.md).\n")  # b.md is unchanged but must still count as existing
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), "--changed-since", "HEAD"])
    assert result.exit_code == 0, result.output


def test_paths_limit_the_report(repo):
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), str(repo.path / "kb" / "a.md")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), str(repo.path / "kb")])
    assert result.exit_code == 1 and "kb/old-bad.md" in result.output


@pytest.mark.parametrize("args", [["--changed-since", "no-such-ref"], ["/etc/passwd"]])
def test_bad_ref_or_outside_path_is_a_usage_error(repo, args):
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_changed_since_outside_a_repository_is_a_usage_error(make_root):
    make_root.doc("kb/a.md")
    result = CliRunner().invoke(main, ["validate", "--root", str(make_root.path), "--changed-since", "HEAD"])
    assert result.exit_code == 2 and "not a commit" in result.output


def _said_while_asked(make_root, ask, until: str | None = None) -> str:
    """What a preview of one page printed while ``ask(port)`` sent it a request (up to ``until``, when
    given: a request is logged just after it is answered), once it is stopped."""
    make_root.doc("kb/a.md", "# A\n\nPublic words.\n")
    port = free_port()
    server, said = _serving(make_root, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/kb/a/", "Public words.")
        ask(port)
        assert "Public words." in fetch(f"http://127.0.0.1:{port}/kb/a/")
        if until:
            _said(said, until, 10)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return "".join(said)


@pytest.mark.parametrize("path", ["/kb/a%00b/", "/livereload/" + "9" * 5000 + "/1"])
def test_a_request_no_file_can_answer_is_a_missing_page_not_a_traceback(make_root, path):
    """A NUL byte in the path (``/a%00b``) made MkDocs' file lookup raise, and a reload poll with a number
    longer than Python reads its reload handler: its server logged a traceback."""
    def ask(port: int) -> None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 404

    said = _said_while_asked(make_root, ask)
    assert "Traceback" not in said, said


def test_a_request_line_is_logged_as_the_terminal_can_print_it(make_root):
    """Anyone who reaches the port chooses the request line's bytes: an escape sequence in it reached the
    writer's terminal as it came (clearing the screen, setting the window's title)."""
    def ask(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(b"GET /\x1b]0;pwned\x07\x1b[2Jmissing HTTP/1.0\r\n\r\n")
            answer = b""
            while chunk := connection.recv(65536):  # to the end: a response cut short is not logged
                answer += chunk
            assert answer.startswith(b"HTTP/1.0 404")

    said = _said_while_asked(make_root, ask, until="missing")
    assert "\x1b" not in said and "\x07" not in said
    assert "\\x1b]0;pwned\\x07\\x1b[2Jmissing" in said, said


def test_changed_since_reports_files_git_would_quote(repo):
    """Git quotes a name with 'é', '"' or a byte that is not UTF-8 ("kb/caf\\303\\251.md"): such a changed
    file matched no document, and a pull request adding a broken café.md passed the review gate."""
    broken = "# Broken\n\nSee [x](missing.md).\n"
    repo.doc("kb/café.md", broken, id="cafe")
    repo.doc('kb/say-"hi".md', broken, id="say-hi")
    (repo.path / os.fsdecode(b"kb/caf\xe9-latin.md")).write_bytes((repo.path / "kb/café.md").read_bytes())
    result = CliRunner().invoke(main, ["validate", "--root", str(repo.path), "--changed-since", "HEAD"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    found = {(line.split(":")[0], line.split("[")[1].split("]")[0]) for line in result.output.splitlines()
             if ": error " in line}
    assert found == {("kb/café.md", "link-broken"), ('kb/say-"hi".md', "file-name"),
                     ("kb/caf\\xe9-latin.md", "file-name")}, result.output
    assert result.exit_code == 1
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-qm", "more")
    again = CliRunner().invoke(main, ["validate", "--root", str(repo.path), "--changed-since", "HEAD~1"])
    assert {line.split(":")[0] for line in again.output.splitlines() if ": error " in line} == {p for p, _ in found}

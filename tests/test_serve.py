"""``kbgen serve``: the real console script previews one tier's site and builds it again on a save.

The preview builds without ``kbgen build`` handing the plugin a loaded root, so the plugin loads and
validates the root itself: what a writer sees while writing must be what that tier's site shows."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import kbgen_executable

pytestmark = pytest.mark.slow  # a server and its builds in processes of their own

PUBLIC = "Open Settings and choose Reset password."
NOTE = "Agents check the audit log for a lockout first."
EDITED = "Choose Forgot password on the sign-in page."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _until(condition, seconds: float = 60):
    """The first true value of ``condition()`` within ``seconds``; None when there was none."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    return None


class _Served:
    """A running ``kbgen serve``: its address, and what it said so far."""

    def __init__(self, root, tier: int):
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}/"
        self.process = subprocess.Popen([kbgen_executable(), "serve", "--root", str(root), "--tier", str(tier),
                                         "--dev-addr", f"127.0.0.1:{port}"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()
        assert _until(lambda: _get(self.base)), f"nothing served on {self.base}: {self.said}"

    @property
    def said(self) -> str:
        return "".join(self.lines)

    def page(self, url: str) -> str:
        return _article(_get(self.base + url) or "")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def preview(make_root):
    """Serve ``make_root`` at a tier: ``preview(tier)`` starts the server, stopped after the test."""
    make_root.doc("kb/reset.md", f"# Reset\n\n{PUBLIC}\n\n/// internal\n{NOTE}\n///\n")
    started: list[_Served] = []

    def serve(tier: int) -> _Served:
        started.append(_Served(make_root.path, tier))
        return started[-1]

    yield serve
    for served in started:
        served.stop()


def _article(html: str) -> str:
    found = re.search(r"<article\b.*?</article>", html, re.S)
    return found.group(0) if found else ""


@pytest.mark.parametrize("tier", [0, 1])
def test_serve_shows_what_the_tier_shows_and_builds_again_on_a_save(preview, make_root, tier):
    served = preview(tier)
    assert PUBLIC in served.page("kb/reset/")
    assert (NOTE in served.page("kb/reset/")) == (tier >= 1)

    source = make_root.path / "kb/reset.md"
    source.write_text(source.read_text(encoding="utf-8").replace(PUBLIC, EDITED), encoding="utf-8")
    assert _until(lambda: EDITED in served.page("kb/reset/")), f"not built again after the save: {served.said}"
    assert (NOTE in served.page("kb/reset/")) == (tier >= 1)
    assert f"serving the tier {tier} site" in served.said and "Traceback" not in served.said


def test_a_save_that_breaks_validation_is_said_and_the_last_good_site_stays(preview, make_root):
    served = preview(0)
    source = make_root.path / "kb/reset.md"
    source.write_text(source.read_text(encoding="utf-8").replace("tier: 0", "tier: nine"), encoding="utf-8")
    assert _until(lambda: "the last good build is still served" in served.said), served.said
    assert "kb/reset.md" in served.said and "Traceback" not in served.said
    assert served.process.poll() is None and PUBLIC in served.page("kb/reset/")

    source.write_text(source.read_text(encoding="utf-8").replace("tier: nine", "tier: 0").replace(PUBLIC, EDITED),
                      encoding="utf-8")
    assert _until(lambda: EDITED in served.page("kb/reset/")), served.said

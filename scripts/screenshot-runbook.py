"""Screenshot of a sample Tier 1 runbook for the README: ``.venv/bin/python scripts/screenshot-runbook.py``.

Builds the sample's tier 1 site into a temporary folder, serves it on localhost, opens the runbook in
the system's headless Chromium (never a downloaded one), ticks the first step and saves the whole page
to docs/screenshots/runbook.png (or the path given).
"""

from __future__ import annotations

import functools
import http.server
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from generator.build import build  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RUNBOOK = "runbooks/tier1/reset-two-factor/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        build(REPO, out=site, tiers=[1])
        handler = functools.partial(_QuietHandler, directory=str(site / "tier1"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{RUNBOOK}", wait_until="load")
                page.locator(".kb-step__check").first.check()
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots" / "runbook.png")

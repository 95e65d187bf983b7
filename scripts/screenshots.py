"""Screenshots of the sample for the README: ``.venv/bin/python scripts/screenshots.py [OUT_DIR]``.

Builds the sample's tier 0, 1 and 3 sites into a temporary folder, serves them on localhost and opens
them in the system's headless Chromium (never a downloaded one): the help centre's home page, a help
article, a Tier 1 runbook with its first step ticked, an ongoing known issue, and the tier 3 defect index
and health page. Saves home.png, article.png, runbook.png, known-issue.png, defects.png and health.png in
docs/screenshots/ (or OUT_DIR) and prints their paths.
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
VIEWPORT = {"width": 1100, "height": 900}
SHOTS = {  # file name: (page in the built sample, whether to tick the first runbook step)
    "home.png": ("tier0/", False),
    "article.png": ("tier0/kb/invoices/invoice-pdf-troubleshooting/", False),
    "runbook.png": ("tier1/runbooks/tier1/reset-two-factor/", True),
    "known-issue.png": ("tier0/kb/sso/known-issue-okta-custom-domain-sso-loop/", False),
    "defects.png": ("tier3/defects/", False),
    "health.png": ("tier3/health/", False),
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


def main(out_dir: Path) -> list[Path]:
    saved = []
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        build(REPO, out=site, tiers=sorted({int(url[len("tier")]) for url, _ in SHOTS.values()}))
        handler = functools.partial(_QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
                out_dir.mkdir(parents=True, exist_ok=True)
                for name, (url, tick) in SHOTS.items():
                    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{url}", wait_until="load")
                    if tick:
                        page.locator(".kb-step__check").first.check()
                    page.screenshot(path=str(out_dir / name), full_page=True)
                    saved.append(out_dir / name)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return saved


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"):
        print(path)

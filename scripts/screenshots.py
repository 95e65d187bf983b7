"""Screenshots of the sample for the README: ``.venv/bin/python scripts/screenshots.py [OUT_DIR]``.

Builds the sample's tier 0, 1 and 3 sites into a temporary folder, serves them on localhost and opens
them in the system's headless Chromium (never a downloaded one): the help centre's home page, a help
article, a Tier 1 runbook as an agent runs it (its inputs filled in, into the commands and the handover,
and three steps ticked: the whole page on a desktop and, on a 375 px phone, the screen at step 4 with the
step counter and the Escalate button in view), an ongoing known issue, and the tier 3 defect index and
health page. Saves home.png, article.png, runbook.png, runbook-phone.png, known-issue.png, defects.png and
health.png in docs/screenshots/ (or OUT_DIR) and prints their paths.
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
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 375, "height": 760}
RUNBOOK_INPUTS = {"ticket": "418402", "workspace": "ws_8KQ2M4TZ1A", "charge": "ch_3QxK8L2eZvKYlo2C0a1b2c3d",
                  "amount": "29.00"}
RUNBOOK = "tier1/runbooks/tier1/refund-subscription-payment/"
SHOTS = {  # file name: (page in the built sample, viewport, the step to show (None: the whole page))
    "home.png": ("tier0/", DESKTOP, None),
    "article.png": ("tier0/kb/invoices/invoice-pdf-troubleshooting/", DESKTOP, None),
    "runbook.png": (RUNBOOK, DESKTOP, None),
    "runbook-phone.png": (RUNBOOK, PHONE, 4),
    "known-issue.png": ("tier0/kb/sso/known-issue-okta-custom-domain-sso-loop/", DESKTOP, None),
    "defects.png": ("tier3/defects/", DESKTOP, None),
    "health.png": ("tier3/health/", DESKTOP, None),
}
TICKED = 3


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


def main(out_dir: Path) -> list[Path]:
    saved = []
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        build(REPO, out=site, tiers=sorted({int(url[len("tier")]) for url, _, _ in SHOTS.values()}))
        handler = functools.partial(_QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                out_dir.mkdir(parents=True, exist_ok=True)
                for name, (url, viewport, step) in SHOTS.items():
                    page = browser.new_page(viewport=viewport, color_scheme="light")
                    page.goto(f"http://127.0.0.1:{server.server_address[1]}/{url}", wait_until="load")
                    if url == RUNBOOK:
                        for field, value in RUNBOOK_INPUTS.items():
                            page.locator(f'.kb-inputs input[data-kb-input="{field}"]').fill(value)
                        for check in page.locator(".kb-step__check").all()[:TICKED]:
                            check.check()
                        top = page.evaluate(f"document.getElementById('step-{step}').getBoundingClientRect().top"
                                            " + scrollY - 150" if step else "0")
                        page.evaluate(f"window.scrollTo(0, {top})")
                    page.screenshot(path=str(out_dir / name), full_page=step is None)
                    saved.append(out_dir / name)
                    page.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return saved


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"):
        print(path)

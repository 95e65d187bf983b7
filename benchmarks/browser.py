"""Headless Chromium for the search benchmarks: serve a built site and ask its search worker.

Uses the system Chromium (/usr/bin/chromium) through Playwright, as the tests do; never downloads one.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def served(folder: Path):
    """``http://127.0.0.1:PORT`` serving ``folder`` for the duration of the block, from a process of its
    own: a server sharing this process with Playwright's driver would answer late and blur timings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


@contextlib.contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(600_000)
            yield page
        finally:
            browser.close()


# Starts the site's own search worker as the theme does (the worker URL from the page's configuration,
# the theme's search_index.json as the setup message) and answers queries through it.
WORKER_SCRIPT = """async () => {
    const config = JSON.parse(document.getElementById('__config').textContent);
    const worker = new Worker(new URL(config.search, location.href));
    const replies = [];
    let waiting = null;
    worker.onmessage = event => { if (waiting) { const w = waiting; waiting = null; w(event.data); } };
    const ask = message => new Promise(resolve => { waiting = resolve; worker.postMessage(message); });
    const index = await (await fetch(new URL('search/search_index.json', new URL(config.base, location.href)))).json();
    await ask({type: 0, data: {config: index.config, docs: index.docs, options: {suggest: false}}});
    window.kbAsk = async query => {
        const reply = await ask({type: 2, data: query});
        return reply.data.items.map(group => group[0].location.split('#')[0]);
    };
}"""


def worker_results(page, site_url: str, queries: list[str], limit: int = 10) -> list[list[str]]:
    """Page locations each query's results lead to, best first, from the site's own search worker."""
    page.goto(site_url, wait_until="load")
    page.evaluate(WORKER_SCRIPT)
    return [page.evaluate("q => kbAsk(q)", query)[:limit] for query in queries]

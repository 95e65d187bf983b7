"""Editor speed: ``python benchmarks/lsp_speed.py [--root DIR] [--docs N] [--seed S]``.

How long a writer waits for ``kbgen lsp``'s diagnostics, e.g. on ``--root ../shared/corpora/support-kb-7k``:

- over the protocol, the real ``kbgen lsp`` started as a subprocess: from ``initialize`` to the first
  document's diagnostics (the root is loaded once), then from ``didChange`` to diagnostics per keystroke;
- in the process, :meth:`generator.workspace.Workspace.check` of N documents picked at random: the first
  check of each (its views rendered), a keystroke in its body (rendered again), then one in its front matter
  (the body's views reused).

Prints medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from generator.content import iter_document_paths
from generator.workspace import Workspace

KBGEN = Path(sys.executable).parent / "kbgen"


def figures(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"  {name:<34} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   ({len(ms)} runs)")


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def keystroke(text: str, in_body: bool) -> str:
    """The text with one character typed at the end of the last non-blank body line, or of the title."""
    lines = text.split("\n")
    if in_body:
        at = max(i for i, line in enumerate(lines) if line.strip())
    else:
        at = next((i for i, line in enumerate(lines) if line.startswith("title:")), 1)
    lines[at] += "x"
    return "\n".join(lines)


def in_process(root: Path, rels: list[str]) -> None:
    load = []
    workspace = None

    def loaded():
        nonlocal workspace
        workspace = Workspace(root)
    load.append(timed(loaded))
    print(f"in the process ({len(workspace.documents)} documents):")
    figures("load the root", load)
    first, body, front = [], [], []
    for rel in rels:
        text = (root / rel).read_text(encoding="utf-8")
        first.append(timed(lambda: workspace.check(rel, text)))
        typed = keystroke(text, True)
        body.append(timed(lambda: workspace.check(rel, typed)))
        front.append(timed(lambda: workspace.check(rel, keystroke(typed, False))))  # the body as just checked
        workspace.close(rel)
    figures("first check of a document", first)
    figures("keystroke in the body", body)
    figures("keystroke in the front matter", front)


class Client:
    """Just enough of a protocol client to time ``kbgen lsp``."""

    def __init__(self):
        self.server = subprocess.Popen([str(KBGEN), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, message: dict) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.server.stdin.flush()

    def receive(self) -> dict:
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += self.server.stdout.read(1)
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        return json.loads(self.server.stdout.read(length))

    def diagnostics(self, uri: str) -> list:
        while True:
            message = self.receive()
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]

    def close(self) -> None:
        self.send({"id": 2, "method": "shutdown"})
        self.receive()
        self.send({"method": "exit"})
        self.server.wait(30)


def over_protocol(root: Path, rels: list[str]) -> None:
    client = Client()
    started = time.perf_counter()
    client.send({"id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": root.as_uri()}})
    client.receive()
    client.send({"method": "initialized", "params": {}})
    opening, typing = [], []
    for number, rel in enumerate(rels):
        uri = (root / rel).as_uri()
        text = (root / rel).read_text(encoding="utf-8")
        if number:
            started = time.perf_counter()
        client.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "markdown", "version": 1, "text": text}}})
        client.diagnostics(uri)
        opening.append(time.perf_counter() - started)
        for version in range(2, 7):
            text = keystroke(text, version % 2 == 0)
            started = time.perf_counter()
            client.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})
            client.diagnostics(uri)
            typing.append(time.perf_counter() - started)
        client.send({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
        client.diagnostics(uri)
    client.close()
    print("over the protocol (kbgen lsp, stdio):")
    figures("start, load, first diagnostics", opening[:1])
    figures("open a document to diagnostics", opening[1:] or opening)
    figures("keystroke to diagnostics", typing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--docs", type=int, default=100, help="documents to check (picked at random)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    root = options.root.resolve()
    everything = [rel for _, rel in iter_document_paths(root)]
    rels = random.Random(options.seed).sample(everything, min(options.docs, len(everything)))
    in_process(root, rels)
    over_protocol(root, rels[: max(1, len(rels) // 5)])


if __name__ == "__main__":
    main()

"""Work spread over forked processes (:mod:`generator.forks`): the workers die with the command that
started them, however it is stopped (a supervisor's ``kill PID`` signals the command alone)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO, process_alive

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                                reason="needs Linux's /proc and two cores for worker processes")

# Each worker says its process id, then works for longer than any test waits.
WORKERS = {
    "chunked": "forks.chunked(work, list(range(800)), 100, jobs=2)",
    "aside": "forks.Aside(lambda: work([])).result()",
}


@pytest.mark.parametrize("how", sorted(WORKERS))
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_workers_die_with_the_process_that_forked_them(how, stop):
    """SIGTERM to `kbgen validate` alone left its two validation workers blocked for good, keeping the
    caller's pipe open."""
    script = textwrap.dedent(f"""
        import os, sys, time
        from generator import forks

        def work(part):
            print(os.getpid(), flush=True)
            time.sleep(600)

        {WORKERS[how]}
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        worker = int(process.stdout.readline())
        assert worker != process.pid
        process.send_signal(stop)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while process_alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(worker), "a worker outlived the process that started it"

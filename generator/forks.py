"""Work spread over the cores by forking: the children inherit what the parent loaded (a content root, its
views), so only each chunk's results travel back.

Used where a step reads every document and nothing but its results is needed after: the views of
every document (:func:`generator.structure.prepare`), the rules run per document
(:mod:`generator.validate`); and for work that waits on the file system while the parent computes
(:class:`Aside`)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, TypeVar

GC_THRESHOLD = 20_000  # new objects between looks for garbage cycles while kbgen works (Python: 700)
PARALLEL_FROM = 400  # items: fewer are done faster than processes start
MAX_JOBS = 8
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends

Item, Result = TypeVar("Item"), TypeVar("Result")
_work: Callable | None = None  # what the children of :func:`chunked` run (they inherit it)


def chunked(work: Callable[[list[Item]], Result], items: list[Item], chunk: int,
            jobs: int | None = None) -> list[Result]:
    """``work`` of each chunk of ``items``, in order: in forked processes, one per core, when there are
    enough items and a fork is safe (no other thread: a fork copies none, and their locks could hang it)."""
    global _work
    chunks = [items[start:start + chunk] for start in range(0, len(items), chunk)]
    jobs = jobs or min(os.cpu_count() or 1, MAX_JOBS)
    if jobs < 2 or len(items) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods() \
            or threading.active_count() > 1:
        return [work(part) for part in chunks]
    _work = work
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=die_with,
                                 initargs=(os.getpid(),)) as pool:
            return list(pool.map(_run, chunks))
    finally:
        _work = None


def _run(part: list):
    return _work(part)


def die_with(parent: int) -> None:
    """A killed command must not leave its workers running (blocked on a pipe nobody reads, holding the
    caller's output open): Linux kills this process when the thread that forked it ends
    (PR_SET_PDEATHSIG); the parent check covers a parent that ended before the request."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent:
        os._exit(1)


class Aside:
    """``work()`` done in a forked child while the parent goes on (as a context: the child is stopped on
    leaving it); :meth:`result` waits for it. Where no child can do it (no fork, another thread running, a
    child that failed or died), :meth:`result` does the work itself: the result is always one ``work()``
    gave. No thread is started, so the parent may still fork its own pools (:func:`chunked` does not fork
    beside a thread)."""

    def __init__(self, work: Callable[[], Result]):
        self._work, self._child, self._pipe = work, None, None
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1 \
                or (os.cpu_count() or 1) < 2:
            return
        context = multiprocessing.get_context("fork")
        self._pipe, sending = context.Pipe(duplex=False)
        self._child = context.Process(target=_send, args=(work, sending, os.getpid()), daemon=True)
        self._child.start()
        sending.close()

    def result(self) -> Result:
        if self._child is None:
            return self._work()
        try:
            ok, value = self._pipe.recv()
        except (EOFError, OSError):
            ok = False
        finally:
            self.close()
        return value if ok else self._work()

    def __enter__(self) -> "Aside":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child if it is still working (the parent no longer wants its result)."""
        if self._child is not None:
            self._pipe.close()
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child = None


def _send(work: Callable, sending, parent: int) -> None:
    die_with(parent)
    try:
        outcome = (True, work())
    except Exception:  # noqa: BLE001 - the parent does the work itself and meets the error there
        outcome = (False, None)
    with contextlib.suppress(OSError):  # the parent no longer waits (stopped the child, or was killed)
        sending.send(outcome)


@contextlib.contextmanager
def collecting_rarely():
    """kbgen makes millions of small objects that live until it is done (documents, views, pages, words,
    postings) and form no cycles. Python's default looks for garbage cycles every 700 new objects, and
    each look at the oldest objects reads them all: a tenth of a tier's time at 5,000 documents, and
    two thirds of reading the kept views of 20,000. Looking every 20,000 takes a third of that."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)

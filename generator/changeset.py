"""All-or-nothing changes to files under a content root: every file changes, or none does.

A :class:`ChangeSet` collects new texts in memory and writes them in :meth:`ChangeSet.commit`:

1. every target is checked before any is changed: a writable regular file (or none yet, and no link
   leading nowhere where it or a folder it needs goes) in a writable folder, a document once symbolic
   links are followed, and still holding the bytes that were read;
2. a journal (``.kbgen-feed.journal`` in the root) records each target's previous bytes;
3. each new text goes to a temporary file beside its target (``.<name>.kbgen-tmp``), then replaces it;
4. the journal is removed.

A change set writes documents only: ``*.md`` under the content folders (``kb/``, ``runbooks/``), outside
hidden folders, and the folders they need.

When a write fails, every file already replaced gets its previous bytes back, created files and folders
are removed, and :class:`WriteError` names the file and the reason. When the process is killed, the
next change set opened in the root finds the journal and does the same before reading anything; it
removes only the temporary files the journal names and restores only files that still hold what the
killed run wrote (a file edited since is left as it is). The journal is read as untrusted (a pull
request can commit one, and a symbolic link beside it): one that Git tracks, or that names anything but
a document a change set could write, reached through no symbolic link, is refused whole and left for a
person to look at. A lock (``.kbgen-feed.lock``) keeps two change sets from running in one root at once;
lock and journal exist only while one runs.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import sys
from pathlib import Path, PurePosixPath

from .changes import committed
from .content import CONTENT_DIRS

TEMP_SUFFIX = ".kbgen-tmp"  # temporary files are ".<target name>.kbgen-tmp", beside their target
JOURNAL = ".kbgen-feed.journal"
LOCK = ".kbgen-feed.lock"
TEST_HOOK = "KBGEN_TEST_HOOK"  # "POINT:N:ACTION", see ChangeSet._hook


class WriteError(Exception):
    """The change set was not written; the message names the file and the reason."""


def temporary_path(path: Path) -> Path:
    """Where the new text of ``path`` waits before it replaces it: a name kbgen alone gives a file."""
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


class ChangeSet:
    """Texts of files under ``root`` as a change leaves them. Use as a context manager: entering takes
    the root's lock and undoes whatever a killed run left (``recovered`` lists the files restored)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.texts: dict[str, str] = {}
        self.before: dict[str, bytes | None] = {}
        self.recovered: list[str] = []
        self._lock: int | None = None
        self._hook_counts: dict[str, int] = {}

    # taking the root --------------------------------------------------------------------------
    def __enter__(self) -> ChangeSet:
        self._lock = _take_lock(self.root)
        if self._lock is not None or (self.root / JOURNAL).exists():
            try:
                self.recovered = recover(self.root)
            except OSError as exc:
                self.__exit__()
                raise WriteError(f"cannot undo the interrupted feed that {JOURNAL} records: "
                                 f"{exc.strerror or exc}") from None
            except WriteError:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            (self.root / LOCK).unlink(missing_ok=True)
            os.close(self._lock)
            self._lock = None

    # reading and changing -----------------------------------------------------------------------
    def read(self, rel: str) -> str | None:
        """The file's text as the change leaves it (None: no such file)."""
        if rel not in self.before:
            path = self.root / rel
            try:
                self.before[rel] = path.read_bytes() if path.is_file() else None
            except OSError as exc:
                raise WriteError(f"cannot read {rel}: {exc.strerror or exc}") from None
        if rel in self.texts:
            return self.texts[rel]
        data = self.before[rel]
        try:
            return None if data is None else data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WriteError(f"cannot read {rel}: it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    def write(self, rel: str, text: str) -> None:
        self.read(rel)
        self.texts[rel] = text

    def changed(self) -> list[str]:
        return sorted(rel for rel, text in self.texts.items()
                      if self.before[rel] is None or text.encode("utf-8") != self.before[rel])

    # writing --------------------------------------------------------------------------------------
    def commit(self) -> list[str]:
        """Write every changed file, or none; returns their paths. Raises :class:`WriteError`."""
        changed = self.changed()
        if not changed:
            return []
        self._hook("commit")
        targets = {rel: self._checked(rel) for rel in changed}
        by_path: dict[Path, str] = {}
        for rel, path in targets.items():
            if path in by_path:
                raise WriteError(f"cannot write {rel}: it is {by_path[path]} under another name (a symbolic link), "
                                 "and the two would get different texts")
            by_path[path] = rel
        journal = self.root / JOURNAL
        created_dirs: list[Path] = []
        staged: dict[str, Path] = {}
        replaced: list[str] = []
        try:
            _write_durably(journal, self._journal(targets))
        except OSError as exc:
            temporary_path(journal).unlink(missing_ok=True)
            raise WriteError(f"cannot write {JOURNAL}: {exc.strerror or exc}") from None
        current = changed[0]
        try:
            for current in changed:
                created_dirs += _make_parents(targets[current])
                self._hook("stage")
                staged[current] = _stage(targets[current], self.texts[current].encode("utf-8"))
            for current in changed:
                self._hook("replace")
                if _read_bytes(targets[current]) != self.before[current]:  # saved by its writer meanwhile
                    raise OSError(0, "it was changed while the feed ran; run it again")
                os.replace(staged.pop(current), targets[current])
                replaced.append(current)
        except OSError as exc:
            undone = self._undo(targets, staged, replaced, created_dirs)
            outcome = "" if undone else \
                f"; the next feed in this root puts back the files already changed ({JOURNAL} lists them)"
            raise WriteError(f"cannot write {current}: {exc.strerror or exc}{outcome}") from None
        journal.unlink()
        return changed

    def _journal(self, targets: dict[str, Path]) -> bytes:
        """What undoes this commit: each target's previous bytes and mode, the digest of its new text (a
        file that no longer holds it was edited since, and is left alone), and the folders it creates.
        Paths are relative to the root, which may move before the journal is read."""
        real = self.root.resolve()
        files = [{"rel": rel, "path": _inside(path, real), "temp": _inside(temporary_path(path), real),
                  "before": None if self.before[rel] is None else self.before[rel].decode("utf-8", "surrogateescape"),
                  "mode": _mode(path), "after": _sha(self.texts[rel].encode("utf-8"))}
                 for rel, path in targets.items()]
        folders = [_inside(folder, real) for folder in _missing_dirs(targets.values())]
        return json.dumps({"files": files, "dirs": folders}).encode("utf-8")

    def _checked(self, rel: str) -> Path:
        """The real path the text of ``rel`` goes to, once it is sure it can be written there."""
        root = self.root.resolve()
        path = (self.root / rel).resolve()
        if not path.is_relative_to(root):
            raise WriteError(f"cannot write {rel}: it leads out of the content root (to {path})")
        refused = _not_writable(_inside(path, root))
        if refused:
            raise WriteError(f"cannot write {rel}: it leads to {_inside(path, root)}, {refused}")
        if path.exists() and not path.is_file():
            raise WriteError(f"cannot write {rel}: it is a folder or a special file, not a file")
        if path.exists() and not os.access(path, os.W_OK):
            raise WriteError(f"cannot write {rel}: the file is read-only")
        folder = path.parent
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir():
            raise WriteError(f"cannot write {rel}: {folder.relative_to(root).as_posix()} is a file, not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WriteError(f"cannot write {rel}: the folder {folder.relative_to(root).as_posix() or '.'} "
                             "is read-only")
        if _read_bytes(path) != self.before[rel]:
            raise WriteError(f"cannot write {rel}: it was changed while the feed ran; run it again")
        if self.before[rel] is None:  # created, with the folders it needs: nothing may stand where they go
            taken = next((name for name in (rel, *map(str, PurePosixPath(rel).parents))
                          if os.path.lexists(self.root / name) and not (self.root / name).exists()), None)
            if taken:
                raise WriteError(f"cannot write {rel}: the feed would create it, but {taken} is there already, a "
                                 "symbolic link that leads nowhere; move it away")
        return path

    def _undo(self, targets: dict[str, Path], staged: dict[str, Path], replaced: list[str],
              created_dirs: list[Path]) -> bool:
        """Put back what a failed commit changed; the journal stays if that fails, for the next run."""
        try:
            for temporary in staged.values():
                temporary.unlink(missing_ok=True)
            for rel in replaced:
                _restore(targets[rel], self.before[rel], _mode(targets[rel]))
            _remove_empty(created_dirs)
            (self.root / JOURNAL).unlink(missing_ok=True)
        except OSError:
            return False
        return True

    def _hook(self, point: str) -> None:
        """Fault injection for tests, at the Nth time a commit reaches POINT ("commit": before the checks,
        "stage": before a temporary file is written, "replace": before a file is replaced):
        ``KBGEN_TEST_HOOK=replace:2:fail`` fails the second replacement with an I/O error;
        ``replace:2:pause`` says so on standard error and waits for a line on standard input."""
        spec = os.environ.get(TEST_HOOK)
        if not spec:
            return
        self._hook_counts[point] = count = self._hook_counts.get(point, 0) + 1
        wanted, number, action = (spec.split(":") + ["", ""])[:3]
        if wanted != point or str(count) != number:
            return
        if action == "pause":
            print(f"kbgen test hook: paused at {point} {count}", file=sys.stderr, flush=True)
            sys.stdin.readline()
            return
        raise OSError(errno.EIO, f"injected fault at {point} {count}")


def _take_lock(root: Path) -> int | None:
    """The root's lock, held until the change set closes; None when the root cannot be written at all
    (a change set there can still read, and its commit reports why it cannot write)."""
    path = root / LOCK
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                return None
            raise WriteError(f"cannot lock {LOCK}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise WriteError(f"another kbgen defect feed is running in {root} ({LOCK} is locked); "
                             "wait for it to finish") from None
        try:
            same = os.path.samestat(os.fstat(handle), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:  # not a lock file the run before us removed after we opened it
            return handle
        os.close(handle)


def recover(root: Path) -> list[str]:
    """Undo a change set a killed run left: remove its temporary files, give each file it replaced its
    previous bytes (unless edited since), remove what it created. Returns the files restored."""
    journal = root / JOURNAL
    temporary_path(journal).unlink(missing_ok=True)  # killed while writing the journal: nothing else yet
    data = _journal_bytes(journal)
    if data is None:
        return []
    if JOURNAL in committed(root):
        raise WriteError(f"{JOURNAL} is committed to the Git repository, so it is no journal a killed feed left "
                         "(a feed never commits one); nothing was restored: look at it, then remove it from the "
                         f"repository (git rm {JOURNAL})")
    try:
        recorded = json.loads(data)
        real = Path(os.path.realpath(root))
        entries = [(entry["rel"], _journaled(real, entry["path"]), real / entry["temp"],
                    _journaled_bytes(entry["before"]), _journaled_mode(entry["mode"]), entry["after"])
                   for entry in recorded["files"]]
        folders = [_journaled(real, folder, folder=True) for folder in recorded["dirs"]]
    except (ValueError, KeyError, TypeError):  # not JSON, or not kbgen's: it is written whole, then renamed
        raise WriteError(f"{JOURNAL} is not a journal kbgen wrote; remove it") from None
    if any(temporary != temporary_path(path) for _, path, temporary, *_ in entries):
        raise WriteError(f"{JOURNAL} names a temporary file kbgen never makes; it is not kbgen's: remove it")
    restored = []
    for rel, path, temporary, before, mode, after in entries:
        temporary.unlink(missing_ok=True)
        now = _read_bytes(path)
        if now is not None and _sha(now) == after:
            _restore(path, before, mode)
            restored.append(rel)
    _remove_empty(folders)
    journal.unlink()
    return restored


def _journal_bytes(journal: Path) -> bytes | None:
    """What the journal holds, None when there is none. Only a regular file is read: a link or a named pipe
    committed in its place is no journal, and reading one could hang or read any file."""
    try:
        handle = os.open(journal, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WriteError(f"{JOURNAL} is a symbolic link, not a journal kbgen wrote; nothing was restored: "
                             "remove it") from None
        raise
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise WriteError(f"{JOURNAL} is not a file, so not a journal kbgen wrote; nothing was restored: remove it")
        return stream.read()


def _inside(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _not_writable(rel: str, folder: bool = False) -> str | None:
    """Why a change set never writes ``rel`` (a path from the real root), None when it may: a document
    (``*.md`` under a content folder, outside hidden folders), or a folder for one. Never kbgen's or Git's
    own files (``.git/config``), nor anything outside the root."""
    parts = PurePosixPath(rel).parts
    if not parts or parts[0] == "/" or ".." in parts:
        return "outside the content root"
    if parts[0] not in CONTENT_DIRS or len(parts) < 2 or any(part.startswith(".") for part in parts) \
            or not (folder or rel.endswith(".md")):
        where = " or ".join(f"{name}/" for name in CONTENT_DIRS)
        return f"not a document under {where} (the feed writes nothing else)"
    return None


def _journaled(root: Path, rel: str, folder: bool = False) -> Path:
    """A path the journal names (``root`` is real), refused unless a change set could have written it: a
    document or a folder for one, reached through no symbolic link (a journal can be tampered with, and a
    link inside the root can lead anywhere, into ``.git/`` or out of the root)."""
    path = root / rel
    refused = _not_writable(Path(os.path.relpath(path, root)).as_posix(), folder)
    if refused is None and os.path.realpath(path) != str(path):
        refused = "reached through a symbolic link"
    if refused:
        raise WriteError(f"{JOURNAL} names {rel}, {refused}; it is not kbgen's, and nothing was restored: "
                         "look at it, then remove it")
    return path


def _journaled_bytes(text) -> bytes | None:
    if text is not None and not isinstance(text, str):
        raise TypeError(text)
    return None if text is None else text.encode("utf-8", "surrogateescape")


def _journaled_mode(value) -> int:
    """A permission mode the journal gives: kbgen records only the nine permission bits (never set-user-id)."""
    if type(value) is not int or not 0 <= value <= 0o777:
        raise ValueError(value)
    return value


def _restore(path: Path, before: bytes | None, mode: int) -> None:
    if before is None:
        path.unlink(missing_ok=True)
    else:
        os.replace(_stage(path, before, mode), path)


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def _missing_dirs(paths) -> list[Path]:
    """Folders the targets need that do not exist yet, deepest last."""
    missing: set[Path] = set()
    for path in paths:
        folder = path.parent
        while not folder.exists():
            missing.add(folder)
            folder = folder.parent
    return sorted(missing, key=lambda p: len(p.parts))


def _make_parents(path: Path) -> list[Path]:
    made = []
    for folder in _missing_dirs([path]):
        folder.mkdir()
        made.append(folder)
    return made


def _remove_empty(folders: list[Path]) -> None:
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # gone already, or someone put a file there: not ours to remove
            pass


def _stage(path: Path, data: bytes, mode: int | None = None) -> Path:
    """``data`` in the temporary file of ``path``, with its permissions, ready to be renamed over it."""
    temporary = temporary_path(path)
    mode = _mode(path) if mode is None else mode
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _write_durably(path: Path, data: bytes) -> None:
    os.replace(_stage(path, data), path)

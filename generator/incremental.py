"""Incremental builds: reuse what the previous build of a tier made of every page nothing changed for.

Each tier's build leaves a manifest beside the sites (``OUT/.kbgen-cache/tierN.json``). It records, per
page, a *key*: the hash of the page's own source and of an *environment digest* covering everything
else a page's HTML can depend on (kbgen's code, every installed package's version, the resolved
mkdocs.yml, theme overrides, intents.yml, snippets, the names of attachments, and the front matter of
every document, which the generated pages, intent ladders, escalation boxes and link titles read).
A page whose key is unchanged is taken from the previous output, after checking that the file is
still the one that build wrote (by its hash), and MkDocs skips it; every other page is rendered again. It is taken
as a hard link where the file system allows (no bytes copied, and deleting the previous site later
only drops a name): nothing ever writes into a reused page, MkDocs skips it and the build swaps
whole folders.

Besides the output, a record keeps *parts*: what the build learnt while rendering the page and needs
again when it does not render it (the attachments it shows, MkDocs' warnings about it). Code that
derives something from rendered pages stores it with :meth:`PageCache.put` and finds it again with
:meth:`PageCache.get` (or :meth:`PageCache.settle`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import defect_pages, site_config
from .content import INTENTS_FILE, SNIPPETS_DIR, SYNONYMS_FILE, ContentRoot, attachments, kept_json
from .site_config import SiteConfig

MANIFEST_VERSION = 3
CACHE_DIR = ".kbgen-cache"  # beside the tier sites in OUT, never inside a published site
PACKAGE = Path(__file__).parent
REUSABLE_WITH_PLUGINS = {"search", "material/search", "kbgen"}


def manifest_path(out: Path, tier: int) -> Path:
    return out / CACHE_DIR / f"tier{tier}.json"


def analyses_path(out: Path, tier: int) -> Path:
    """Where a build into ``out`` keeps the search analyses of a tier's documents (:mod:`generator.analyses`)."""
    return out / CACHE_DIR / f"tier{tier}-analyses.npz"


def template_cache(out: Path) -> Path:
    """Where theme templates compiled to bytecode are kept between builds into ``out``."""
    return out / CACHE_DIR / "templates"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: Path | str) -> str:
    """The sha256 of a file's bytes: what decides that an output file is still the one a build wrote (size,
    time and inode do not: an edit can keep the size and put the time back)."""
    with open(path, "rb") as stream:
        return _sha256(stream.read())


def link_or_copy(source: Path | str, target: Path | str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links, or another device
        with open(source, "rb") as original, open(target, "wb") as copy:
            copy.write(original.read())


def hash_tree(digest, folder: Path) -> None:
    """Every file's path and bytes under ``folder`` into ``digest``, sorted, caches left out. Linked
    folders are followed: kbgen's own theme overrides reach the package through a link."""
    if not folder.is_dir():
        return
    for base, folders, names in os.walk(folder, followlinks=True):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            path = Path(base) / name
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def installed_packages() -> list[str]:
    """``name==version`` of every installed distribution, sorted, each once: any of them may change what kbgen
    makes (run from a checkout, its own metadata is found twice, and must not make a build look new)."""
    return sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]})


def environment_digest(content: ContentRoot, settings: SiteConfig) -> str:
    """What every page depends on besides its own source (the tier is not in it: each tier has its own
    manifest).

    Coarse on purpose: a change to anything here renders every page again. Front matter is in it
    whole (not only the fields other pages show today), so a feature reading another document's
    front matter can never see a stale page."""
    digest = hashlib.sha256(f"kbgen-manifest-{MANIFEST_VERSION}\n".encode())
    hash_tree(digest, PACKAGE)
    digest.update("\n".join(installed_packages()).encode())
    config = settings.data  # INHERIT and !ENV resolved
    digest.update(site_config.canonical_json(config).encode())
    root = content.root
    theme = config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    themes = {(root / "overrides").resolve()} | ({(settings.path.parent / custom).resolve()} if custom else set())
    for folder in sorted(themes):
        digest.update(b"\0theme\0")
        hash_tree(digest, folder)
    intents = root / INTENTS_FILE
    digest.update(intents.read_bytes() if intents.is_file() else b"")
    synonyms = root / SYNONYMS_FILE  # in every site's search index
    digest.update(b"\0synonyms\0" + (synonyms.read_bytes() if synonyms.is_file() else b""))
    digest.update(b"\0snippets\0")
    hash_tree(digest, root / SNIPPETS_DIR)
    catalogue = [[d.rel, d.meta] for d in content.documents]
    digest.update(json.dumps(catalogue, sort_keys=True, default=str).encode())
    digest.update("\n".join(attachments(content)).encode())  # whether one exists decides how a link to it renders
    digest.update(json.dumps(defect_pages.feeds_shown(content), sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class PageRecord:
    key: str
    output: str  # the page's file in the site, e.g. ``kb/a/index.html``
    sha256: str = ""  # of the output file, filled in when the build has written it
    parts: dict[str, Any] = field(default_factory=dict)
    stamp: list[int] | None = None  # :func:`stamp` of the output file as the build left it


def _record(value: Any) -> PageRecord | None:
    """A page's record read back from a manifest, or None for one that is not as a build writes it (its
    page is then rendered again): the manifest is a file anyone can edit, and a part of the wrong type
    failed every later build of the tier."""
    if not isinstance(value, dict) or set(value) - {"key", "output", "sha256", "parts", "stamp"}:
        return None
    record = PageRecord(**{"key": None, "output": None, **value})
    parts, stamp_ = record.parts, record.stamp
    well_formed = isinstance(record.key, str) and isinstance(record.output, str) and isinstance(record.sha256, str) \
        and isinstance(parts, dict) and all(isinstance(part, list) and all(isinstance(item, str) for item in part)
                                            for part in parts.values()) \
        and (stamp_ is None or isinstance(stamp_, list) and all(type(item) is int for item in stamp_))
    return record if well_formed else None


class PageCache:
    """The previous build's records of one tier's pages, and the records this build makes."""

    def __init__(self, environment: str, previous: dict[str, PageRecord] | None = None,
                 previous_site: Path | None = None):
        self.environment = environment
        self.previous = previous or {}
        self.previous_site = previous_site
        self.records: dict[str, PageRecord] = {}
        self.reused: dict[str, str] = {}  # output file -> sha256 of the pages taken from the previous build
        self.taken: dict[str, str] = {}  # the same of other files found unchanged there (the search index's)
        self.placed: dict[str, tuple] = {}  # output file -> stamp() of each reused page once it is in place
        self.previous_pairs: dict[str, list[str]] = {}  # the search index's pairs files, as the previous
        self.pairs: dict[str, list[str]] = {}  # and this build wrote them (generator.search.WrittenIndex)

    @classmethod
    def open(cls, manifest: Path, previous_site: Path, environment: str) -> "PageCache":
        """The cache of the build that wrote ``previous_site``; empty when there is none to trust."""
        previous: dict[str, PageRecord] = {}
        pairs: dict[str, list[str]] = {}
        data = kept_json(manifest)
        try:
            if data.get("version") == MANIFEST_VERSION and previous_site.is_dir():
                previous = {uri: found for uri, record in data["pages"].items()
                            if (found := _record(record)) is not None}
                pairs = {name: [str(fingerprint), str(digest)]
                         for name, (fingerprint, digest) in data.get("pairs", {}).items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            previous, pairs = {}, {}  # no manifest, or one we cannot read: build everything
        cache = cls(environment, previous, previous_site)
        cache.previous_pairs = pairs
        return cache

    def key(self, src_uri: str, source: bytes) -> str:
        return _sha256(f"{self.environment}\0{src_uri}\0".encode() + source)

    def reuse(self, src_uri: str, key: str, output: str) -> bool:
        """Take the page's previous output (put in place by :meth:`place`) if its key is unchanged and the
        file is still the one that build wrote."""
        record = self.previous.get(src_uri)
        previous = os.path.join(self.previous_site, output) if self.previous_site is not None else None
        if record is None or record.key != key or record.output != output or previous is None \
                or not _unchanged(previous, record):
            self.records[src_uri] = PageRecord(key, output)
            return False
        self.records[src_uri] = record
        self.reused[output] = record.sha256
        return True

    def place(self, site_dir: Path, left_to_writer: str = "") -> None:
        """Give every reused page its previous output in ``site_dir``, as a new name for the file: the
        previous site stays as it is if this build fails, and nothing writes to a reused page.

        ``site_dir`` may be a site an earlier build left (recycled by :func:`generator.output.recycle`): the
        folders of this build's pages are kept, and so is a file that already is the reused page's file (the
        same inode, so the same bytes); everything else in it is deleted first, so that nothing of that
        build stays and nothing is written into a file another site shares; but for the folder
        ``left_to_writer``, which its writer recycles itself. Making a page's folder is most of what taking
        it costs (a new folder is a new block on disk): a recycled site has them."""
        wanted = {output: os.path.join(self.previous_site, output) for output in self.reused}
        left, folders = _recycled(str(site_dir), left_to_writer)
        kept = {output for output, inode in left.items() if output in wanted and inode_of(wanted[output]) == inode}
        for output in left.keys() - kept:
            os.unlink(os.path.join(site_dir, output))
        needed = {left_to_writer} | {os.path.dirname(record.output) for record in self.records.values()}
        for folder in list(needed):
            while folder and (folder := os.path.dirname(folder)) not in needed:
                needed.add(folder)
        for folder in sorted(set(folders) - needed, key=lambda path: -path.count("/")):  # deepest first
            os.rmdir(os.path.join(site_dir, folder))
        for output, previous in wanted.items():
            target = os.path.join(site_dir, output)  # strings, not paths: this runs for every page of a site
            if output not in kept:
                _make_folder(os.path.dirname(target))
                link_or_copy(previous, target)
            self.placed[output] = stamp(target)

    def up_to_date(self, sources: dict[str, bytes]) -> bool:
        """Whether the previous build made exactly these pages (source URI -> source) in this environment:
        then its site is what a build now would make of them."""
        return self.previous.keys() == sources.keys() and \
            all(self.previous[uri].key == self.key(uri, source) for uri, source in sources.items())

    def put(self, src_uri: str, part: str, value: Any) -> None:
        """Keep something derived from a rendered page (JSON-compatible) for builds that reuse the page."""
        if src_uri in self.records:
            self.records[src_uri].parts[part] = value

    def get(self, src_uri: str, part: str, default: Any = None) -> Any:
        record = self.records.get(src_uri)
        return record.parts.get(part, default) if record else default

    def settle(self, part: str, fresh: dict[str, list]) -> list:
        """Keep each rendered page's list from ``fresh`` (empty if absent) under ``part``, and return the
        lists kept for the reused pages, in page order: what a full build would have produced again."""
        recalled = []
        for src_uri, record in self.records.items():
            if record.output in self.reused:
                recalled += record.parts.get(part, [])
            else:
                record.parts[part] = fresh.get(src_uri, [])
        return recalled

    def finish(self, site_dir: Path) -> None:
        """Note the hash of every page this build wrote, and the stamp of every page's file as the build
        leaves it; forget pages it did not write."""
        for src_uri, record in list(self.records.items()):
            if record.output in self.reused:
                placed = self.placed.get(record.output)
                record.stamp = list(placed) if placed else None
                continue
            try:
                record.sha256 = file_hash(site_dir / record.output)
            except OSError:
                del self.records[src_uri]
                continue
            written = stamp(site_dir / record.output)
            record.stamp = list(written) if written else None

    def save(self, manifest: Path) -> None:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": MANIFEST_VERSION, "environment": self.environment,
                "pages": {uri: vars(record) for uri, record in self.records.items()}, "pairs": self.pairs}
        temporary = manifest.with_name(manifest.name + f".{os.getpid()}")
        temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        temporary.replace(manifest)


def _make_folder(path: str) -> None:
    """A page's folder: one system call when its parent exists, as it mostly does."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


def _recycled(site_dir: str, skipped: str) -> tuple[dict[str, int], list[str]]:
    """(every file or link under ``site_dir`` by its path there, with its inode; every folder) of a
    recycled site, not looking into the folder ``skipped``; nothing for a new site."""
    files: dict[str, int] = {}
    folders: list[str] = []
    pending = [("", site_dir)]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if prefix + entry.name != skipped:
                    folders.append(prefix + entry.name)
                    pending.append((f"{prefix}{entry.name}/", entry.path))
            else:
                files[prefix + entry.name] = entry.inode()
    return files, folders


def inode_of(path: str | Path) -> int | None:
    """The inode of the file at ``path`` (a link is not followed), or None if there is none."""
    try:
        return os.stat(path, follow_symlinks=False).st_ino
    except OSError:
        return None


def _unchanged(path: Path | str, record: PageRecord) -> bool:
    """Whether ``path`` is the file the record's build wrote: by its stamp while that holds (nothing wrote
    to the file, replaced it or gave it a name since the build hashed it), else by its bytes."""
    if record.stamp is not None and list(stamp(path) or ()) == record.stamp:
        return True
    try:
        return file_hash(path) == record.sha256
    except OSError:
        return False


def stamp(path: Path | str) -> tuple[int, int, int] | None:
    """(inode, size, change time) of the file at ``path``, None if there is none: any write to it, a new
    name or a new file there changes it (the change time cannot be set back)."""
    try:
        status = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_ctime_ns


def reusable_with(plugins: list) -> bool:
    """Whether pages can be reused with these MkDocs plugins: only those whose effect on a page kbgen
    knows are; another plugin may make a page depend on anything (dates from git, other pages)."""
    names = {entry if isinstance(entry, str) else next(iter(entry)) for entry in plugins}
    return names <= REUSABLE_WITH_PLUGINS

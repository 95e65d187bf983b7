"""Loading a content root: ``intents.yml``, ``kb/**/*.md`` and ``runbooks/**/*.md``.

Loading never raises on a writer's mistake: every unreadable file becomes a :class:`Finding` and the
document is left out, so validation can report everything at once. Front matter is read with PyYAML's
C loader (fast, read-only); nodes are kept so every finding can point at the line of the key at fault.
Only regular files inside the content folders are ever opened (:func:`scan_files`): a link leading out
of them, or a special file, is a finding instead.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import gzip
import json
import os
import re
import stat
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable

import yaml

from .errors import KbgenUsageError
from .findings import ERROR, Finding

CONTENT_DIRS = ("kb", "runbooks")
INTENTS_FILE = "intents.yml"
SNIPPETS_DIR = "snippets"  # shared fragments documents may include with pymdownx.snippets
THEME_DIR = "overrides"  # the root's own theme templates and assets
SYNONYMS_FILE = "synonyms.yml"  # optional: customers' words for search (generator/synonyms.py)
# A preview rebuilds on these.
WATCHED = (*CONTENT_DIRS, INTENTS_FILE, SYNONYMS_FILE, SNIPPETS_DIR, THEME_DIR, "mkdocs.yml")
BOM = b"\xef\xbb\xbf"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Location = tuple[int, int]  # 1-based (line, col)


class ContentError(KbgenUsageError):
    """The content root itself is unusable (not a folder, nothing to build)."""


@dataclass
class YamlDoc:
    """Parsed YAML plus the source position of every key and value, by path of keys/indexes."""

    data: Any
    positions: dict[tuple, Location]

    def where(self, path: tuple = (), default: Location = (1, 1)) -> Location:
        """Position of the deepest known node along ``path``."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), default)


@dataclass
class Document:
    """A Markdown document with front matter. ``meta`` holds JSON-compatible values (dates as ISO text)."""

    rel: str  # POSIX path relative to the root, e.g. ``kb/billing/refunds.md``
    path: Path
    meta: dict[str, Any]
    body: str
    body_line: int  # line number (1-based) of the first body line in the file
    frontmatter: YamlDoc

    @property
    def id(self) -> str:
        return str(self.meta.get("id", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.id))

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", ""))

    @property
    def tier(self) -> int | None:
        """The tier if it is a valid one, else None (such a document is never built)."""
        tier = self.meta.get("tier")
        return tier if type(tier) is int and 0 <= tier <= 3 else None

    @property
    def intents(self) -> list[str]:
        value = self.meta.get("intents")
        return [i for i in value if isinstance(i, str)] if isinstance(value, list) else []

    @property
    def summary(self) -> str:
        """The one-sentence summary, or nothing when it is missing or not text."""
        value = self.meta.get("summary")
        return value if isinstance(value, str) else ""

    @property
    def tags(self) -> list[str]:
        value = self.meta.get("tags")
        return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []

    @property
    def status(self) -> str:
        return str(self.meta.get("status", "published"))

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def url(self) -> str:
        """Site-relative URL with MkDocs' directory URLs: ``kb/billing/refunds/``."""
        stem = self.rel[: -len(".md")]
        if stem.endswith("/index") or stem == "index":
            stem = stem[: -len("index")]
            return stem
        return stem + "/"

    def where(self, *path: Any) -> Location:
        return self.frontmatter.where(tuple(path))


@dataclass
class Intent:
    id: str
    title: str
    phrasings: list[str]
    resolution_tier: int | None
    line: int
    common: bool = False  # among the questions customers ask most: listed on the home page

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass
class Area:
    id: str
    title: str
    description: str = ""


@dataclass
class ContentRoot:
    root: Path
    documents: list[Document]
    intents: dict[str, Intent]
    areas: dict[str, Area]
    intents_yaml: YamlDoc | None
    findings: list[Finding] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # see :func:`attachments`
    # What other modules work out from the loaded root, once (a root does not change once loaded): e.g.
    # each tier's search entries, which the index and the leak audit both read.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def once(self, key: Hashable, work: Callable[[], Any]) -> Any:
        """What ``work`` makes, worked out once per loaded root and kept in :attr:`derived` under ``key``."""
        if key not in self.derived:
            self.derived[key] = work()
        return self.derived[key]

    def by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents if d.id}

    def by_rel(self) -> dict[str, Document]:
        return {d.rel: d for d in self.documents}

    def area(self, area_id: str) -> Area:
        """The area from ``areas:`` in intents.yml, or one named after its id."""
        return self.areas.get(area_id) or Area(area_id, area_id.replace("-", " ").capitalize())


# YAML without aliases has at most about one node per character; aliases may add this many more. An alias
# bomb (a few lines that expand to millions of nodes) is refused, a long file written out is not.
MAX_ALIAS_NODES = 20_000


class _TooComplex(Exception):
    pass


def _jsonable(value: Any) -> Any:
    """JSON-compatible data: dates as ISO text, every mapping key as text (as it was written)."""
    if isinstance(value, dict):
        return {_key_text(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (_dt.date, _dt.datetime)):
        return key.isoformat()
    if isinstance(key, bool) or key is None:
        return str(key).lower() if key is not None else "null"
    return str(key)


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")  # ``<<`` and ``=``


class _Reader:
    """Builds the data of a composed YAML document and notes where every key and value is, in one walk.

    Text, lists and mappings, nearly all of front matter, are built here; any other node (a number, a date,
    a tag, a merge key) is built by PyYAML's safe constructor, so every value is what it would make."""

    def __init__(self, loader, line_offset: int, budget: int):
        self.loader = loader
        self.line_offset = line_offset
        self.positions: dict[tuple, Location] = {}
        self.dupes: list[tuple[str, int, int]] = []
        self.budget = budget  # nodes left to read

    def where(self, node: yaml.Node) -> Location:
        return node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1

    def read(self, node: yaml.Node, path: tuple = ()) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooComplex
        self.positions[path] = self.where(node)
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self.constructed(node)
        if isinstance(node, yaml.SequenceNode):
            items = [self.read(item, path + (index,)) for index, item in enumerate(node.value)]
            return items if node.tag == _SEQ else self.constructed(node)
        plain = node.tag == _MAP and all(isinstance(k, yaml.ScalarNode) and k.tag not in _SPECIAL_KEYS
                                         for k, _ in node.value)
        data, seen = {}, set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            if key in seen:
                self.dupes.append((key, *self.where(key_node)))
            seen.add(key)
            value = self.read(value_node, path + (key,))
            self.positions[path + (key,)] = self.where(key_node)
            if plain:
                data[key if key_node.tag == _STR else _key_text(self.construct(key_node))] = value
        return data if plain else self.constructed(node)

    def constructed(self, node: yaml.Node) -> Any:
        return _jsonable(self.construct(node, deep=True))

    def construct(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's value of a node; a tagged scalar its constructor cannot read (``!!bool maybe``, ``!!int ''``,
        ``!!timestamp hello``: a KeyError, IndexError or AttributeError there) is a syntax error at its line."""
        try:
            return self.loader.construct_object(node, deep=deep)
        except (KeyError, IndexError, AttributeError):
            bad = unreadable_scalar(node, self.loader.construct_object)
            raise yaml.constructor.ConstructorError(
                None, None, f"'{bad.value}' is not a value of its tag {bad.tag.replace('tag:yaml.org,2002:', '!!')}",
                bad.start_mark) from None


def unreadable_scalar(node: yaml.Node, construct) -> yaml.ScalarNode | yaml.Node:
    """The first scalar of a node, in document order, that ``construct`` (a loader's construct_object) cannot
    read: ``!!bool maybe``, ``!!int ''``; the node itself if none alone fails."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            try:
                construct(current)
            except (KeyError, IndexError, AttributeError, ValueError, TypeError, yaml.YAMLError):
                return current
        elif isinstance(current, yaml.SequenceNode):
            stack += reversed(current.value)
        elif isinstance(current, yaml.MappingNode):
            stack += [part for pair in reversed(current.value) for part in reversed(pair)]
    return node


def _bad_date(node: yaml.Node, path: tuple = ()) -> tuple[tuple, yaml.Node] | None:
    """The first timestamp-looking scalar that is not a real date (PyYAML fails on it without a line)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:timestamp":
            try:
                _dt.date.fromisoformat(node.value[:10])
            except ValueError:
                return path, node
        return None
    children = node.value if isinstance(node, yaml.SequenceNode) else [v for _, v in node.value]
    keys = range(len(children)) if isinstance(node, yaml.SequenceNode) else \
        [getattr(k, "value", "?") for k, _ in node.value]
    for key, child in zip(keys, children):
        found = _bad_date(child, path + (key,))
        if found:
            return found
    return None


def parse_yaml(text: str, rel: str, line_offset: int = 0) -> tuple[YamlDoc | None, list[Finding]]:
    """Parse YAML into data and positions; syntax errors and duplicate keys become findings."""
    loader = _Loader(text)
    reader = _Reader(loader, line_offset, budget=len(text) + MAX_ALIAS_NODES)
    node = None
    try:
        node = loader.get_single_node()
        data = reader.read(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        return None, [Finding(rel, line + line_offset, col, "yaml-syntax", ERROR,
                              f"YAML syntax error: {problem}{_yaml_context(exc)}; fix the YAML at this line")]
    except (_TooComplex, RecursionError):
        alias = re.search(r"(?<![\w*])\*[\w-]+", text)
        line = text.count("\n", 0, alias.start()) + 1 if alias else 1
        return None, [Finding(rel, line + line_offset, 1, "yaml-syntax", ERROR,
                              "YAML aliases expand to too much data (or refer to themselves); write the values out")]
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        bad = _bad_date(node) if node is not None else None
        if bad:
            path, scalar = bad
            field = ".".join(map(str, path)) or "value"
            return None, [Finding(rel, scalar.start_mark.line + 1 + line_offset, scalar.start_mark.column + 1,
                                  "field-value", ERROR,
                                  f"'{field}' is {scalar.value}, which is not a real date; write YYYY-MM-DD")]
        return None, [Finding(rel, 1 + line_offset, 1, "yaml-syntax", ERROR, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    findings = [
        Finding(rel, line, col, "yaml-duplicate-key", ERROR,
                f"key '{key}' appears twice; YAML would silently keep only the last one, so remove one")
        for key, line, col in reader.dupes
    ]
    return YamlDoc(data, reader.positions), findings


def _yaml_context(exc: yaml.MarkedYAMLError) -> str:
    return f" ({exc.context})" if exc.context else ""


# What kbgen reads of a file. The largest document of a real 7,197-document knowledge base is 0.56 MB and its
# longest line 6,265 characters; a file or line far beyond that is a pasted log or embedded data, and would
# cost the build minutes (Markdown reads some lines in time that grows with the square of their length).
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_LINE_CHARS = 40_000


# The leak audit reads every file of a site that can hold text whole, a compressed one once decompressed
# (a 1 MB gzip file can hold a gigabyte); validation refuses an attachment with more (attachment-too-large).
AUDITED_BYTES = 64 * 1024 * 1024
AUDITED_SUFFIXES = frozenset({".html", ".htm", ".xml", ".json", ".js", ".txt", ".md", ".css", ".svg", ".csv",
                              ".rss", ".atom"})


def audited_bytes(path: Path) -> bytes | None:
    """The bytes of a file the leak audit reads (a compressed text file's decompressed), at most
    :data:`AUDITED_BYTES` + 1 of them; None for a file that cannot hold text a browser would show (an
    image, a PDF, an archive such as ``.tar.gz``, a gzip file that does not decompress)."""
    if path.suffix == ".gz":
        if Path(path.stem).suffix not in AUDITED_SUFFIXES:
            return None
        try:
            with gzip.open(path, "rb") as stream:
                return stream.read(AUDITED_BYTES + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile):  # cut short or not gzip: no reader can open it either
            return None
    if path.suffix in AUDITED_SUFFIXES:
        with path.open("rb") as file:
            return file.read(AUDITED_BYTES + 1)
    return None


def sources_stamp(paths: list[Path]) -> dict[str, tuple[int, ...]]:
    """Size, modification and change times and inode of every file under ``paths`` (files or folders), by
    path: two stamps differ when a file changed in between, even to the same size and a restored
    modification time (the change time cannot be set). Links are followed, folders not entered twice."""
    stamp: dict[str, tuple[int, ...]] = {}
    pending = list(paths)
    seen: set[tuple[int, int]] = set()
    while pending:
        path = pending.pop()
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                with contextlib.suppress(OSError):
                    pending += [Path(entry.path) for entry in os.scandir(path)]
        else:
            stamp[str(path)] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    return stamp


def kept_text(path: Path) -> str | None:
    """The text of a file a build kept for the next one (a cache, a list of the files it wrote): None when it
    is missing, not a regular file (a named pipe would keep the reader waiting) or unreadable. A cache is
    always safe to delete, so one that cannot be read is as good as none."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def kept_json(path: Path) -> Any:
    """:func:`kept_text` read as JSON; None for a text that is not JSON, or nested deeper than Python reads."""
    text = kept_text(path)
    try:
        return None if text is None else json.loads(text)
    except (ValueError, RecursionError):
        return None


def odd_character(text: str, line_breaks: bool = True) -> str | None:
    """The first character of ``text`` no reader sees: a control character (but tabs and, if ``line_breaks``,
    line breaks) or a Unicode non-character; without ``line_breaks``, a line or paragraph separator too."""
    allowed = "\t\n\r" if line_breaks else ""
    separators = () if line_breaks else ("Zl", "Zp")
    return next((char for char in text if char not in allowed and (
        unicodedata.category(char) in ("Cc", *separators) or char in "\ufffe\uffff")), None)


def read_text(path: Path, rel: str) -> tuple[str | None, list[Finding]]:
    """Read a UTF-8 file; a BOM is reported (and skipped), undecodable bytes, a file over
    :data:`MAX_FILE_BYTES` or a line over :data:`MAX_LINE_CHARS` make the file unreadable. Only a regular
    file is read: opening a named pipe waits for a writer, a device never ends (OSError for either, as for a
    folder), and what was a file when its name was looked at may be one of them when it is opened."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    with os.fdopen(descriptor, "rb") as file:
        raw = file.read(MAX_FILE_BYTES + 1)  # never more, whatever the file's size
    return decode_text(raw, rel)


JSON_CHUNK = 1000  # items of a large mapping encoded at a time


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as compact JSON to ``path``, whole or not at all (a cache read back must never be half
    a file). A large mapping in it is encoded a thousand items at a time: the build writes its caches while
    the tiers build, and the text of all 20,000 documents' views at once would be 50 MB more at its peak."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write("{")
        for number, (key, value) in enumerate(data.items()):
            out.write(("," if number else "") + _compact(key) + ":")
            if isinstance(value, dict) and len(value) > JSON_CHUNK:
                items = list(value.items())
                for start in range(0, len(items), JSON_CHUNK):
                    out.write(("," if start else "{") + _compact(dict(items[start:start + JSON_CHUNK]))[1:-1])
                out.write("}")
            else:
                out.write(_compact(value))
        out.write("}")
    os.replace(temporary, path)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def decode_text(raw: bytes, rel: str) -> tuple[str | None, list[Finding]]:
    """The text of a file's bytes, as :func:`read_text` reads them."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [Finding(rel, 1, 1, "file-too-large", ERROR,
                              f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MB, more than any page a person "
                              "reads; split it, or move pasted logs and embedded data into attachments")]
    findings = []
    if raw.startswith(BOM):
        findings.append(Finding(rel, 1, 1, "file-bom", ERROR,
                                "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"))
        raw = raw[len(BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        findings.append(Finding(rel, line, col, "file-encoding", ERROR,
                                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; re-save the file as UTF-8"))
        return None, findings
    text = text.replace("\r\n", "\n")
    if len(text) > MAX_LINE_CHARS:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > MAX_LINE_CHARS:
                findings.append(Finding(rel, number, MAX_LINE_CHARS + 1, "file-line-too-long", ERROR,
                                        f"this line is {len(line):,} characters long, and kbgen reads lines of up "
                                        f"to {MAX_LINE_CHARS:,}; break it up, or move embedded data (an image, a "
                                        "pasted log) into an attachment"))
                return None, findings
    return text, findings


def split_frontmatter(text: str, rel: str) -> tuple[str | None, str, int, list[Finding]]:
    """Split ``---`` front matter from the body. Returns (front matter, body, body's first line, findings)."""
    if not text.strip():
        return None, "", 1, [Finding(rel, 1, 1, "file-empty", ERROR,
                                     "file is empty; add front matter (id, title, kind, tier, intents) and a body")]
    lines = text.split("\n")
    if not is_fence(lines[0]):
        return None, text, 1, [Finding(rel, 1, 1, "frontmatter-missing", ERROR,
                                       "no front matter; the file must start with a '---' line, then YAML "
                                       "(id, title, kind, tier, intents), then a closing '---' line")]
    index = closing_fence(lines)
    if index is not None:
        findings = [_fence_finding(rel, at + 1, lines[at]) for at in (0, index) if not PLAIN_FENCE_RE.match(lines[at])]
        return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2, findings
    return None, text, 1, [Finding(rel, 1, 1, "frontmatter-unclosed", ERROR,
                                   "front matter is never closed; add a '---' line after the YAML")]


PLAIN_FENCE_RE = re.compile(r"(?:---|\.\.\.)[ \t]*\Z")  # a fence every reader takes (MkDocs, GitHub, editors)


def _fence_finding(rel: str, number: int, line: str) -> Finding:
    """A fence kbgen takes but other Markdown readers may not: a reviewer's preview would then show the front
    matter as text, and the body as something else than the sites do."""
    invisible = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in line[3:] if c not in " \t"))
    return Finding(rel, number, 4, "frontmatter-fence", ERROR,
                   f"'{line[:3]}' is followed by invisible characters ({invisible}); other Markdown readers (GitHub's "
                   "preview, editors) do not take the line as the front matter's fence: delete them")


def is_fence(line: str, closing: bool = False) -> bool:
    """Whether a line opens (or, with ``closing``, closes) front matter, as every reader and writer of a
    document takes it: ``---`` (or ``...`` to close) and any trailing whitespace, Unicode's included."""
    return line.rstrip() == "---" or closing and line.rstrip() == "..."


def closing_fence(lines: list[str]) -> int | None:
    """The index of the line closing the front matter that ``lines[0]`` opens, if any."""
    return next((index for index in range(1, len(lines)) if is_fence(lines[index], closing=True)), None)


def load_document(path: Path, rel: str) -> tuple[Document | None, list[Finding]]:
    """Read one document (a regular file inside the root: :func:`scan_files` found it)."""
    try:
        text, findings = read_text(path, rel)
    except OSError as exc:
        return None, [Finding(rel, 1, 1, "file-unreadable", ERROR, f"cannot read the file: {exc.strerror}")]
    if text is None:
        return None, findings
    document, parse_findings = parse_document(text, path, rel)
    return document, findings + parse_findings


def parse_document(text: str, path: Path, rel: str) -> tuple[Document | None, list[Finding]]:
    """A document from its text (as read from ``path``, or as an editor holds it before it is saved)."""
    findings: list[Finding] = []
    fm_text, body, body_line, split_findings = split_frontmatter(text, rel)
    findings += split_findings
    if fm_text is None:
        return None, findings
    parsed, yaml_findings = parse_yaml(fm_text, rel, line_offset=1)
    findings += yaml_findings
    if parsed is None:
        return None, findings
    if not isinstance(parsed.data, dict):
        findings.append(Finding(rel, 2, 1, "frontmatter-not-mapping", ERROR,
                                "front matter must be a YAML mapping of 'key: value' lines"))
        return None, findings
    return Document(rel, path, parsed.data, body, body_line, parsed), findings


def _load_intents(root: Path) -> tuple[YamlDoc | None, dict[str, Intent], dict[str, Area], list[Finding]]:
    path = root / INTENTS_FILE
    refused = refusal(path, INTENTS_FILE, (root,), "the content root")
    if refused:
        return None, {}, {}, [refused]
    if not path.is_file():
        return None, {}, {}, [Finding(INTENTS_FILE, 1, 1, "intents-missing", ERROR,
                                      "intents.yml not found; create it with an 'intents:' list")]
    text, findings = read_text(path, INTENTS_FILE)
    if text is None:
        return None, {}, {}, findings
    parsed, yaml_findings = parse_yaml(text, INTENTS_FILE)
    findings += yaml_findings
    if parsed is None or not isinstance(parsed.data, dict):
        if parsed is not None:
            findings.append(Finding(INTENTS_FILE, 1, 1, "intents-schema", ERROR,
                                    "intents.yml must be a mapping with an 'intents:' list"))
        return parsed, {}, {}, findings
    intents: dict[str, Intent] = {}
    for index, item in enumerate(_list_of(parsed.data, "intents")):
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] not in intents:
            tier = item.get("resolution_tier")
            phrasings = item.get("phrasings")
            intents[item["id"]] = Intent(
                id=item["id"],
                title=_text_or(item.get("title"), item["id"]),
                phrasings=[str(p) for p in phrasings if isinstance(p, (str, int, float)) and not isinstance(p, bool)]
                if isinstance(phrasings, list) else [],
                resolution_tier=tier if type(tier) is int else None,
                line=parsed.where(("intents", index))[0],
                common=item.get("common") is True,
            )
    areas: dict[str, Area] = {}
    for item in _list_of(parsed.data, "areas"):
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] not in areas:
            areas[item["id"]] = Area(item["id"], _text_or(item.get("title"), item["id"]),
                                     _text_or(item.get("description"), ""))
    return parsed, intents, areas, findings


def _list_of(data: dict, key: str) -> list:
    """``data[key]`` if it is a list, else nothing: validation reports a value of another type."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def _text_or(value: Any, default: str) -> str:
    """A text value as written, or ``default`` when it is missing, empty or not text (validation says so)."""
    return value if isinstance(value, str) and value.strip() else default


URL_BREAKERS = "#?%"  # in a page's path, they end it (a fragment, a query) or start an escape
# In a link kbgen or the theme writes (an HTML attribute, a Markdown link of a generated page), they end the
# address and let the rest of the name be read as markup: '"><img onerror=...>.md' ran its script.
MARKUP_BREAKERS = "\"'<>()[]`\\"

FILE_KINDS = {stat.S_IFIFO: "named pipe (FIFO)", stat.S_IFSOCK: "socket", stat.S_IFCHR: "character device",
              stat.S_IFBLK: "block device"}


@dataclass
class ContentFiles:
    """What the content folders hold: documents to read, attachments to copy, files refused."""

    documents: list[tuple[Path, str]] = field(default_factory=list)  # (path, root-relative POSIX path)
    attachments: list[str] = field(default_factory=list)  # root-relative POSIX paths of other files
    findings: list[Finding] = field(default_factory=list)


def refusal(path: Path, rel: str, inside: tuple[Path, ...], where: str) -> Finding | None:
    """Why kbgen must neither read nor copy ``path``, if it must not: a symbolic link leading out of the
    folders ``inside`` (``where`` names them), or a special file (reading a named pipe waits forever).
    Decided from the link and ``stat``, without opening the file."""
    if path.is_symlink() and not any(Path(os.path.realpath(path)).is_relative_to(base) for base in inside):
        return Finding(rel, 1, 1, "file-outside-root", ERROR,
                       f"{rel} is a symbolic link to something outside {where}, which kbgen never reads or "
                       "publishes; copy the file in instead of linking it")
    try:
        kind = FILE_KINDS.get(stat.S_IFMT(path.stat().st_mode))
    except OSError:
        return None  # a broken link: reading it says so
    if kind:
        return Finding(rel, 1, 1, "file-not-regular", ERROR,
                       f"{rel} is a {kind}, not a file; kbgen reads only regular files and folders: remove it")
    return None


def scan_files(root: Path) -> ContentFiles:
    """Every file under the content folders, sorted: ``*.md`` are documents, other files (outside hidden
    folders, not hidden themselves) attachments; and what ``overrides/`` holds, which MkDocs copies into
    every site as theme files, checked the same way.

    A symbolic link is followed only when it leads into a content folder (for ``overrides/``, into the
    root): outside the root, a pull request could publish any file the build machine can read; elsewhere
    in the root, the built sites themselves."""
    found = ContentFiles()
    folders = tuple(root / folder for folder in CONTENT_DIRS)
    where = " and ".join(f"{folder}/" for folder in CONTENT_DIRS)
    for path, rel in _walk(root, CONTENT_DIRS, folders, where, found.findings):
        if rel.endswith(".md"):
            problem = _name_problem(rel) or _markup_problem(rel)
            if problem:
                found.findings.append(Finding(rel, 1, 1, "file-name", ERROR, problem))
            else:
                found.documents.append((path, rel))
        elif path.exists() and not any(part.startswith(".") for part in rel.split("/")):
            problem = _markup_problem(rel)
            if problem:
                found.findings.append(Finding(rel, 1, 1, "file-name", ERROR, problem))
            else:
                found.attachments.append(rel)
    found.findings += theme_findings(root, THEME_DIR)
    found.documents.sort(key=lambda item: item[1])
    found.attachments.sort()
    return found


def _markup_problem(rel: str) -> str | None:
    """Why a file so named could turn a link to it into markup (None: it cannot)."""
    odd = sorted({char for char in rel if char in MARKUP_BREAKERS or unicodedata.category(char) == "Cc"})
    if odd:
        return (f"{' and '.join(repr(char) for char in odd)} in a file or folder name would end the address of "
                "every link to it, and the rest of the name would be read as markup; rename it with letters, "
                "digits, '-' and '_'")
    return None


def _name_problem(rel: str) -> str | None:
    """Why a document so named would have no page, or links that miss it, in every site (None: it is fine)."""
    if any(part.startswith(".") for part in rel.split("/")):
        return ("MkDocs publishes no file or folder whose name starts with '.': this document would be listed "
                "and linked, and have no page; rename it without the leading '.'")
    odd = sorted({char for char in rel if char in URL_BREAKERS})
    if odd:
        return (f"{' and '.join(repr(char) for char in odd)} in a file or folder name "
                "end or change the page's address in every link to it; rename it without them")
    return None


def theme_findings(root: Path, folder: str) -> list[Finding]:
    """What a theme folder of the root (``overrides/``, or mkdocs.yml's ``custom_dir``) holds that MkDocs must
    not read and copy into every site: a link out of the root, a named pipe, ..."""
    findings: list[Finding] = []
    content = [Path(os.path.realpath(root / name)) for name in (*CONTENT_DIRS, SNIPPETS_DIR)]
    for path, rel in _walk(root, (folder,), (root,), "the content root", findings):
        # The theme is MkDocs' to read; it is copied into every site, the public one too: a link from it to
        # a document, an attachment or a snippet would publish that file below its tier.
        target = Path(os.path.realpath(path))
        if any(target.is_relative_to(base) for base in content):
            findings.append(Finding(rel, 1, 1, "file-outside-root", ERROR,
                                    f"{rel} leads through a symbolic link to {target.relative_to(root.resolve())}, "
                                    "content with a tier, and the theme is copied into every site, the public "
                                    "one too; copy what the theme needs in instead of linking it"))
    return findings


def _walk(root: Path, tops: tuple[str, ...], inside: tuple[Path, ...], where: str, findings: list[Finding]):
    """(path, root-relative POSIX path) of every file under the folders ``tops`` of ``root`` that is not
    refused (see :func:`refusal`); each refusal, and each folder named like a document, becomes a finding.
    A folder reached twice through links is walked once."""
    seen_folders: set[tuple[int, int]] = set()  # (device, inode)
    pending = [(root / top, top) for top in reversed(tops)]
    while pending:
        path, rel = pending.pop()
        refused = refusal(path, rel, inside, where)
        if refused:
            findings.append(refused)
        elif path.is_dir():
            if rel.endswith(".md"):
                findings.append(Finding(rel, 1, 1, "file-not-file", ERROR,
                                        "this is a directory named like a Markdown file; rename it (drop the .md)"))
            info = path.stat()
            if (info.st_dev, info.st_ino) in seen_folders:
                continue
            seen_folders.add((info.st_dev, info.st_ino))
            try:
                names = sorted(os.listdir(path), reverse=True)
            except OSError as exc:
                findings.append(Finding(rel, 1, 1, "file-unreadable", ERROR, f"cannot read the folder: {exc.strerror}"))
                continue
            alike: dict[str, str] = {}  # names as macOS and Windows compare them -> the first of them
            for name in reversed(names):
                if not not_utf8(name):
                    alike.setdefault(unicodedata.normalize("NFC", name).casefold(), name)
            for name in names:
                if not_utf8(name):  # no page, link or index can name it, and writing the name fails
                    findings.append(Finding(shown_path(f"{rel}/{name}"), 1, 1, "file-name", ERROR,
                                            "this name is not UTF-8 text (saved on a system with another "
                                            "encoding); no page or link can name it: rename it"))
                elif (first := alike[unicodedata.normalize("NFC", name).casefold()]) != name:
                    findings.append(Finding(shown_path(f"{rel}/{name}"), 1, 1, "file-name", ERROR,
                                            f"this name and '{shown_path(first)}' differ only in letter case or in "
                                            "how an accent is written: on macOS and Windows they are one file, "
                                            "and a checkout there keeps one of them; rename one"))
                else:
                    pending.append((path / name, f"{rel}/{name}"))
        else:
            yield path, rel


def not_utf8(text: str) -> bool:
    """Whether a name read from the disk or the command line held bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no file kbgen writes can hold)."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def shown_path(rel: str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 as '\\xe9'."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def attachments(content: ContentRoot) -> list[str]:
    """Root-relative paths of the files under ``kb/`` and ``runbooks/`` that are not documents (images,
    attachments), hidden files left out, as :func:`scan_files` found them when the root was loaded: never
    a file outside the content folders, nor a special file."""
    return content.attachments


def load(root: Path | str) -> ContentRoot:
    """Load a content root. Raises :class:`ContentError` only when ``root`` is not a content root at all."""
    root = Path(root).resolve()
    if not root.exists():
        raise ContentError(f"{root}: does not exist")
    if not root.is_dir():
        raise ContentError(f"{root}: not a directory")
    if not (root / INTENTS_FILE).exists() and not any((root / d).is_dir() for d in CONTENT_DIRS):
        raise ContentError(f"{root}: not a content root (no intents.yml, kb/ or runbooks/)")
    intents_yaml, intents, areas, findings = _load_intents(root)
    files = scan_files(root)
    findings += files.findings
    documents = []
    for path, rel in files.documents:
        document, doc_findings = load_document(path, rel)
        findings += doc_findings
        if document is not None:
            documents.append(document)
    return ContentRoot(root, documents, intents, areas, intents_yaml, findings, attachments=files.attachments)

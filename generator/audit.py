"""``kbgen audit``: prove that no site shows anything written for a higher tier.

For each built site of tier T, everything a tier T reader may not see is a *secret*: documents of
a higher tier, drafts and archived documents of any tier, and internal blocks above T inside
visible documents. From each secret we derive fingerprints (its URL and file name, its id when it
is distinctive, its title, and every run of words from its text) and search every file of the site
for them: HTML, search index, sitemap, feeds, JavaScript, copied sources. A fingerprint that also
occurs in text the tier may show is not evidence and is ignored, so shared common phrasing does not
raise false alarms while a copied sentence does.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .audience import TIERS, in_site, scan, strip_hidden
from .content import ContentRoot, Document, load

SHINGLE = 5  # words in a run of text that counts as a copied phrase
MIN_PHRASE = 3  # shorter titles and blocks are not distinctive enough to search for
TEXT_SUFFIXES = {".html", ".htm", ".xml", ".json", ".js", ".txt", ".md", ".css", ".svg", ".csv", ".rss", ".atom"}
TAG_RE = re.compile(r"<[^>]*>")
WORD_RE = re.compile(r"[a-z0-9]+")
PATH_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)*/?")
DISTINCTIVE_ID_RE = re.compile(r"^(?=.*[-_.0-9]).{6,}$")


@dataclass(frozen=True)
class Leak:
    tier: int
    output: str  # file in the output, relative to OUT
    source: str  # the secret's source document
    what: str  # what kind of secret: "tier 2 document", "tier 2 internal block at line 14", "draft"
    matched: str  # the fingerprint found

    def as_text(self) -> str:
        return f"{self.output}: leaks {self.source} ({self.what}): {self.matched}"


@dataclass
class _Secret:
    source: str
    what: str
    words: list[str]
    url: str | None = None
    rel: str | None = None
    ident: str | None = None
    title: str | None = None


def words(text: str) -> list[str]:
    return WORD_RE.findall(html.unescape(text).lower())


def _markdown_words(markdown: str) -> list[str]:
    """Words of Markdown as a reader sees them: link targets and tags are not text."""
    markdown = re.sub(r"\]\([^)]*\)", "] ", markdown)
    return words(TAG_RE.sub(" ", markdown))


def _secrets(content: ContentRoot, tier: int) -> tuple[list[_Secret], list[list[str]]]:
    """What a tier ``tier`` site must not show, and the text it may show (to rule out false alarms)."""
    secrets: list[_Secret] = []
    allowed: list[list[str]] = []
    for document in content.documents:
        lines = document.body.split("\n")
        if in_site(document, tier):
            visible = strip_hidden(lines, tier)
            allowed.append(_markdown_words("\n".join(visible)))
            allowed.append(words(f"{document.title} {document.meta.get('summary') or ''} {document.id}"))
            hidden = _hidden_blocks(lines, tier)
            for start, block in hidden:
                secrets.append(_Secret(document.rel, f"internal block at line {document.body_line + start}",
                                       _markdown_words(block)))
        else:
            what = document.status if not document.published else f"tier {document.tier} document"
            secrets.append(_Secret(document.rel, what, _markdown_words(document.body) +
                                   words(str(document.meta.get("summary") or "")),
                                   url=document.url.rstrip("/"), rel=document.rel, ident=document.id,
                                   title=document.title))
    for intent in content.intents.values():
        allowed.append(words(" ".join([intent.title, *intent.phrasings])))
    for area in content.areas.values():
        allowed.append(words(f"{area.title} {area.description}"))
    return secrets, allowed


def _hidden_blocks(lines: list[str], tier: int) -> list[tuple[int, str]]:
    """(first line index, text) of each run of lines a tier ``tier`` site hides."""
    runs: list[tuple[int, list[str]]] = []
    for index, (line, floor) in enumerate(zip(lines, scan(lines).floors)):
        if floor <= tier:
            continue
        if runs and runs[-1][0] + len(runs[-1][1]) == index:
            runs[-1][1].append(line)
        else:
            runs.append((index, [line]))
    return [(start, "\n".join(block)) for start, block in runs]


def _phrases(tokens: list[str]) -> list[tuple[str, ...]]:
    if len(tokens) < MIN_PHRASE:
        return []
    if len(tokens) <= SHINGLE:
        return [tuple(tokens)]
    return [tuple(tokens[i:i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)]


class _Fingerprints:
    def __init__(self, secrets: list[_Secret], allowed: list[list[str]]):
        self.phrases: dict[tuple[str, ...], _Secret] = {}
        for secret in secrets:
            for phrase in _phrases(secret.words) + _phrases(words(secret.title or "")):
                self.phrases.setdefault(phrase, secret)
        lengths = {len(p) for p in self.phrases}
        for tokens in allowed:  # a phrase the tier may show is no evidence of a leak
            for length in lengths:
                for i in range(len(tokens) - length + 1):
                    self.phrases.pop(tuple(tokens[i:i + length]), None)
        self.lengths = sorted({len(p) for p in self.phrases})
        allowed_words = {w for tokens in allowed for w in tokens}
        self.paths: dict[str, _Secret] = {}
        for secret in secrets:
            if secret.url:
                self.paths[secret.url] = secret
                self.paths[secret.rel] = secret
            if secret.ident and DISTINCTIVE_ID_RE.match(secret.ident) and \
                    not set(words(secret.ident)) <= allowed_words:
                self.paths[secret.ident] = secret

    def scan_words(self, tokens: list[str]):
        phrases = self.phrases
        for length in self.lengths:
            for i in range(len(tokens) - length + 1):
                secret = phrases.get(tuple(tokens[i:i + length]))
                if secret is not None:
                    yield secret, " ".join(tokens[i:i + length])

    def scan_paths(self, raw: str):
        for token in PATH_TOKEN_RE.findall(raw):
            for candidate in _path_candidates(token):
                secret = self.paths.get(candidate)
                if secret is not None:
                    yield secret, candidate


def _path_candidates(token: str):
    token = token.rstrip("/")
    yield token
    for suffix in ("/index.html", ".html"):
        if token.endswith(suffix):
            yield token[: -len(suffix)]
    for part in token.split("/"):
        yield part


def _read_output(path: Path) -> tuple[str, str] | None:
    """(raw text, reader-visible text) of an output file, or None for binary files."""
    suffixes = path.suffixes
    if suffixes[-1:] == [".gz"]:
        data = gzip.decompress(path.read_bytes())
        suffix = suffixes[-2] if len(suffixes) > 1 else ""
    elif path.suffix in TEXT_SUFFIXES:
        data = path.read_bytes()
        suffix = path.suffix
    else:
        return None
    raw = data.decode("utf-8", errors="replace")
    if suffix == ".json":
        try:
            raw_strings = " \n ".join(_strings(json.loads(raw)))
            return raw_strings, TAG_RE.sub(" ", raw_strings)
        except ValueError:
            pass
    return raw, TAG_RE.sub(" ", raw)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def audit_site(content: ContentRoot, tier: int, site: Path, label: str | None = None) -> list[Leak]:
    """Every trace, in one tier's built site, of what that tier may not show."""
    secrets, allowed = _secrets(content, tier)
    fingerprints = _Fingerprints(secrets, allowed)
    label = label or f"tier{tier}"
    leaks: dict[tuple[str, str], Leak] = {}  # the first trace of each secret in each file

    def found(leak: Leak) -> None:
        leaks.setdefault((leak.output, leak.source + leak.what), leak)

    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = f"{label}/{path.relative_to(site).as_posix()}"
        for candidate in _path_candidates(path.relative_to(site).as_posix()):
            secret = fingerprints.paths.get(candidate)
            if secret is not None and secret.url and candidate in (secret.url, secret.rel):
                found(Leak(tier, rel, secret.source, secret.what, f"file name {candidate}"))
        read = _read_output(path)
        if read is None:
            continue
        raw, text = read
        for secret, matched in fingerprints.scan_paths(raw):
            found(Leak(tier, rel, secret.source, secret.what, f"id or URL '{matched}'"))
        for secret, matched in fingerprints.scan_words(words(text)):
            found(Leak(tier, rel, secret.source, secret.what, f'text "{matched}"'))
    return sorted(leaks.values(), key=lambda leak: (leak.output, leak.source, leak.what))


def audit(root: Path | str | ContentRoot, out: Path | str | None = None, tiers=None) -> list[Leak]:
    """Audit the built sites under ``out`` (default ROOT/site) against the sources in ``root``."""
    content = root if isinstance(root, ContentRoot) else load(root)
    out = Path(out) if out else content.root / "site"
    leaks: list[Leak] = []
    for tier in tiers or TIERS:
        site = out / f"tier{tier}"
        if site.is_dir():
            leaks += audit_site(content, tier, site)
    return leaks

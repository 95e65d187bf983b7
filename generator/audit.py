"""``kbgen audit``: prove that no site shows anything written for a higher tier.

For each built site of tier T, everything a tier T reader may not see is a *secret*: documents of
a higher tier, drafts and archived documents of any tier, and internal blocks above T inside
visible documents, as the Markdown parser sees them twice (:mod:`generator.structure`): the raw text of
each block the tier's render dropped, and the text of each block the full render marks internal above T,
so a block the tier's render failed to hide is still searched for. From each secret we derive fingerprints (its URL and file name, its id when it
is distinctive, its title, and every run of six words within one line of its text) and search every
file of the site for them: HTML, search index, sitemap, feeds, JavaScript, copied sources. A phrase
that also occurs in text the tier may show is no evidence and is dropped, so shared common phrasing
does not raise false alarms while a copied sentence does. Theme files that are byte-identical to the
theme's own are skipped: they cannot hold content.
"""

from __future__ import annotations

import functools
import html
import json
import os
import posixpath
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from . import search, structure
from .structure import (CSS_URL_RE, FOOTNOTE_RE, LINK_TARGET_RE, MARKDOWN_LINE_PREFIX_RE, TAG_RE, URL_RE, WORD_RE,
                        line_words, words)
from .audience import TIERS, file_tier, in_site, snippet_documents
from .content import AUDITED_BYTES, SNIPPETS_DIR, ContentRoot, attachments, audited_bytes, load
from .frames import material_templates
from .incremental import file_hash, stamp
from .internal_blocks import HIDDEN_ATTRIBUTE

SHINGLE = 6  # words in a run of text that counts as a copied phrase
MIN_PHRASE = 4  # shorter lines and titles are not distinctive enough to search for
MIN_WORDS_WITH_LETTERS = 3  # "0 0 0 0 0 0" is not a phrase
# The search index's word lists and postings hold single words and numbers, no phrase: _index_leaks
# proves each of their terms comes from text the tier may show, which is more than a text search can;
# its word pairs are CRCs, compared file by file with the pairs of the pages the tier shows.
CHECKED_AS_INDEX = tuple(f"{search.INDEX_DIR}/{kind}-" for kind in ("terms", "postings", "pairs"))
BLOCK_TAG_RE = re.compile(r"</?(?:p|li|ul|ol|h[1-6]|pre|code|td|th|tr|table|div|section|article|aside|nav|header|"
                          r"footer|blockquote|dt|dd|dl|br|hr|summary|details|title|label|button|option|loc)\b[^>]*>",
                          re.I)
SEPARATOR = " 0sep0 "  # a word no phrase contains: runs of words never span it
COMMENT_RE = re.compile(r"<!--(.*?)-->", re.S)
HAS_LETTER_RE = re.compile(r"[^\W\d_]")
# An attribute, its value quoted either way or not at all (a browser reads ``href=../x/`` as a link too).
ATTR_RE = re.compile(r"""(?<![\w:-])([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
# Attributes whose values a browser follows or fetches, checked as paths (with every name ending in "href"
# or "src", such as SVG's xlink:href, and data-*); in those of LIST_ATTRIBUTES every item is one.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "content", "srcset", "imagesrcset", "poster", "data", "cite",
                  "background", "longdesc", "usemap", "manifest", "codebase", "classid", "archive", "icon", "ping",
                  "profile", "itemid", "itemtype", "xml:base"}
LIST_ATTRIBUTES = {"srcset", "imagesrcset", "ping", "archive"}
LIST_ITEM_RE = re.compile(r"[^\s,]+")
TEXT_ATTRIBUTES = {"title", "alt", "content", "aria-label", "placeholder", "value", "label", "summary"}  # as words
PATHISH_RE = re.compile(r"(?<![\w.-])[\w.-]+(?:/[\w.-]+)+/?")  # the look-behind keeps it linear
CONTENT_PATH_RE = re.compile(r"(?:^|/)(?:kb|runbooks)/|\.md\b")  # a path in text can only name a source so
# An '=' that starts a line or ends one, or opens a quoted value it does not close: an attribute may
# run across the line break there.
OPEN_ATTRIBUTE_RE = re.compile(r"""^\s*=|=\s*(?:"[^"]*|'[^']*)?$""")
LINE_CACHE = 4096  # lines of page chrome, as a page has about 800
FEW_PHRASES = 32  # phrases and ids to drop, up to which a text is tested for their words before it is read
FEW_FILES = 1000  # files a rebuild left to search, read first to narrow what to search for (held at once)
IDISH_RE = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+")
DISTINCTIVE_ID_RE = re.compile(r"^(?=.*[-_.0-9]).{6,}$")
ASSET_REF_RE = re.compile(r"""\]\(\s*<?([^)\s>]+)|\bsrc\s*=\s*["']([^"']+)["']|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$""")
# Paths to pages (slugs such as kb/x/a-long-file-name/) are checked as paths: as words, a public page's
# slug would look like a phrase of a secret title.
SLASHED_RE = re.compile(r"(?<![^\s\"'<>])[^\s\"'<>]*/[^\s\"'<>/]*-[^\s\"'<>/]*-[^\s\"'<>]*")
# An element the parser marked hidden (generator.internal_blocks) that is still in a written file: the render
# kept a block the tier may not show, whatever its text. Raw HTML a writer wrote may say the same: also refused.
LEFT_HIDDEN_RE = re.compile(rf"<[A-Za-z][^>]*\s{HIDDEN_ATTRIBUTE}(?=[\s=/>])")


@dataclass(frozen=True)
class Leak:
    tier: int
    output: str  # file in the output, relative to OUT
    source: str  # the secret's source document
    what: str  # "tier 2 document", "internal block at line 14", "draft", ...
    matched: str  # the fingerprint found

    def as_text(self) -> str:
        if not self.matched:  # nothing found: the file could not be searched
            return f"{self.output}: cannot be searched for leaks whole ({self.what})"
        return f"{self.output}: leaks {self.source} ({self.what}): {self.matched}"


class _Secret:
    """Where a fingerprint comes from: its source document and what of it (a block's line is looked up only
    for a secret that was found: a site has thousands of hidden blocks and rarely a leak)."""

    def __init__(self, source: str, what: str, lines: list[str] | None = None, text: str = "", offset: int = 0):
        self.source, self._what, self._lines, self._text, self._offset = source, what, lines, text, offset

    @functools.cached_property
    def what(self) -> str:
        at = structure.locate(self._lines, self._text) if self._lines is not None and self._text.strip() else None
        return self._what + (f", line {self._offset + at}" if at is not None else "")


# line_words over a whole text at once: the same patterns, kept within a line (a match never takes a line
# break), and the line breaks kept as tokens (tests/test_leaks.py holds the two alike).
_WITHIN_LINE = [(re.compile(pattern.pattern.replace(r"\s", r"[^\S\n]").replace("[^)]", "[^)\n]")
                            .replace(r"[^\]]", r"[^\]\n]").replace("[^>]", "[^>\n]"), re.M), replacement)
                for pattern, replacement in ((MARKDOWN_LINE_PREFIX_RE, ""), (LINK_TARGET_RE, "] "),
                                             (URL_RE, " "), (FOOTNOTE_RE, " "), (TAG_RE, " "))]
WORD_OR_LINE_BREAK_RE = re.compile(rf"{WORD_RE.pattern}|\n")


def _text_words(text: str) -> list[str] | None:
    """The words of every line of ``text`` as :func:`~generator.structure.line_words` reads them, a line break between lines;
    None for a text with an entity (one may stand for a line break)."""
    if "&" in text:
        return None
    for pattern, replacement in _WITHIN_LINE:
        text = pattern.sub(replacement, text)
    return WORD_OR_LINE_BREAK_RE.findall(text.lower())


def _phrases(tokens: list[str]) -> list[tuple[str, ...]]:
    """The line's runs of SHINGLE words (the whole line if shorter) with enough words with letters in them."""
    if len(tokens) < MIN_PHRASE:
        return []
    lettered = [bool(HAS_LETTER_RE.search(word)) for word in tokens]
    if len(tokens) <= SHINGLE:
        return [tuple(tokens)] if sum(lettered) >= MIN_WORDS_WITH_LETTERS else []
    runs, count = [], sum(lettered[:SHINGLE])
    for start in range(len(tokens) - SHINGLE + 1):
        if start:  # slide the window: one word in, one out
            count += lettered[start + SHINGLE - 1] - lettered[start - 1]
        if count >= MIN_WORDS_WITH_LETTERS:
            runs.append(tuple(tokens[start:start + SHINGLE]))
    return runs


def _runs(tokens: list[str], length: int):
    return zip(*(tokens[i:] for i in range(length)))


def phrase_runs(texts) -> set[tuple[str, ...]]:
    """Every run of MIN_PHRASE to SHINGLE words of each text's words: any phrase found in them is one."""
    return {run for tokens in texts for length in range(MIN_PHRASE, SHINGLE + 1) for run in _runs(tokens, length)}


def _allowed_texts(content: ContentRoot, shown: list[tuple]) -> list[tuple[str | None, str]]:
    """Every text the tier may show, with the document it is of (None for the site's own): its documents'
    pages as the parser renders them for the tier, titles, summaries, ids and URLs, and the intents and
    product areas."""
    allowed: list[tuple[str | None, str]] = []
    for document, view in shown:
        allowed += [(document.rel, text) for text in (
            view.text, " ".join(view.heading_text),
            f"{document.title} {document.meta.get('summary') or ''} {document.id}", document.url)]
    for intent in content.intents.values():
        allowed.append((None, " ".join([intent.title, *intent.phrasings])))
    for area in content.areas.values():
        allowed.append((None, f"{area.title} {area.description}"))
    return allowed


def _includers(content: ContentRoot) -> dict[str, frozenset[str]]:
    """The documents that include each snippet, directly or through other snippets, by the snippet's path;
    those the site appends to every page (``auto_append``) are included by every document. An include is
    matched by its file name alone (a part of a file, ``name.md:3:9``, counts as the file)."""
    def named(specs) -> set[str]:
        return {f"{SNIPPETS_DIR}/" + posixpath.normpath(structure.snippet_target(spec)[0]) for spec in specs}

    def direct(text: str) -> set[str]:
        return named(spec for _, spec in structure.includes(text.split("\n"))) if "8<" in text else set()

    appended = named(structure.appended_snippets(content))

    def work() -> dict[str, frozenset[str]]:
        inside = {snippet.rel: direct(snippet.body) for snippet in snippet_documents(content)}
        found: dict[str, set[str]] = {rel: set() for rel in inside}
        for document in content.documents:
            todo, seen = [*direct(document.body), *appended], set()
            while todo:
                rel = todo.pop()
                if rel in seen or rel not in inside:
                    continue
                seen.add(rel)
                found[rel].add(document.rel)
                todo += inside[rel]
        return {rel: frozenset(documents) for rel, documents in found.items()}

    return content.once("snippet-includers", work)


def _holds_words_of(text: str, wanted: list[list[str]]) -> bool:
    """Whether ``text`` may hold all the words of one of ``wanted`` (a text without an entity holds each of
    its words as a piece of its lowercased text; one with an entity may spell a word in it)."""
    if "&" in text:
        return True
    text = text.lower()
    return any(all(word in text for word in words_of) for words_of in wanted)


class Fingerprints:
    """What one tier's site must not contain, ready to be searched for in its files.

    ``runs``, if given, are all the runs of MIN_PHRASE to SHINGLE words the files to search hold, and
    ``idish`` all their id-like words: only phrases among those runs, and ids among those words, can be
    found, so no other is worked out, nor the text the tier shows when none is left (a rebuild searches a
    few files, which rarely hold a whole phrase of a secret)."""

    def __init__(self, content: ContentRoot, tier: int, runs: set[tuple[str, ...]] | None = None,
                 idish: set[str] | None = None):
        self.runs = runs
        self.phrases: dict[tuple[str, ...], _Secret] = {}
        self.unvouched: dict[tuple[str, ...], frozenset[str]] = {}  # see _add_text
        self.paths: dict[str, _Secret] = {}
        self.ids: dict[str, _Secret] = {}
        shown: list[tuple] = []  # (document, its lines, the tier each line is for) of the documents the site shows
        shown_assets: set[str] = set()
        hidden_assets: dict[str, _Secret] = {}
        for document in content.documents:
            if in_site(document, tier):
                view = structure.view(content, document, tier)
                shown.append((document, view))
                for floor, raw, secret in _hidden_texts(content, document, tier):
                    self._add_text(raw, secret)
                    for asset in _text_assets(document.rel, raw):
                        hidden_assets.setdefault(asset, secret)
                shown_assets.update(content.once(("view-assets", document.rel, view.tier),
                                                 lambda: _view_assets(document.rel, view)))
                continue
            what = document.status if not document.published else f"tier {document.tier} document"
            secret = _Secret(document.rel, what)
            text = "\n".join([document.body, document.title, str(document.meta.get("summary") or "")])
            self._add_text(text, secret)
            for asset in content.once(("text-assets", document.rel), lambda: tuple(_text_assets(document.rel, text))):
                hidden_assets.setdefault(asset, secret)
            stem = document.url.rstrip("/")
            self.paths[stem] = self.paths[document.rel] = secret
            if DISTINCTIVE_ID_RE.match(document.id) and (idish is None or document.id.lower() in idish):
                self.ids[document.id.lower()] = secret
        # A snippet's internal blocks are hidden wherever a page includes it, in code too; the pages that
        # include it are where it would leak, so their text does not make its phrases common wording.
        for snippet in snippet_documents(content):
            unvouched = _includers(content).get(snippet.rel, frozenset())
            for floor, raw, secret in _hidden_texts(content, snippet, tier):
                self._add_text(raw, secret, unvouched)
        for asset, secret in hidden_assets.items():
            if asset not in shown_assets:
                self.paths.setdefault(asset, _Secret(secret.source, f"image or file used by a {secret.what}"))
        for rel in attachments(content):
            above = file_tier(content, rel)
            if above > tier:
                self.paths.setdefault(rel, _Secret(rel, f"file kept with tier {above} content"))
        self.prefixes: dict[tuple[str, ...], list[tuple[str, ...]]] = {}  # phrases by their first words
        for phrase in self.phrases:
            self.prefixes.setdefault(phrase[:MIN_PHRASE], []).append(phrase)
        if self.phrases or self.ids:  # else nothing to drop (a top tier): the shown text need not be read
            self._drop_allowed(_allowed_texts(content, shown))
        self.leaves = {_leaf(path) for path in self.paths}

    def _add_text(self, text: str, secret: _Secret, unvouched: frozenset[str] = frozenset()) -> None:
        """The phrases of every line of ``text``; none when no run of MIN_PHRASE of its words is one of
        ``runs`` (one pass). ``unvouched``: documents whose pages cannot show a phrase of it to be common
        wording (where it would leak)."""
        if self.runs is not None:
            words_of_text = _text_words(text)
            if words_of_text is not None and self.runs.isdisjoint(_runs(words_of_text, MIN_PHRASE)):
                return
        for line in text.split("\n"):
            self._add_phrases(line_words(line), secret, unvouched)

    def _add_phrases(self, tokens: list[str], secret: _Secret, unvouched: frozenset[str]) -> None:
        runs = self.runs
        if runs is not None and runs.isdisjoint(_runs(tokens, MIN_PHRASE)):
            return
        for phrase in _phrases(tokens):
            if runs is None or phrase in runs:
                self.phrases.setdefault(phrase, secret)
                if unvouched:
                    self.unvouched[phrase] = self.unvouched.get(phrase, frozenset()) | unvouched

    def _drop_allowed(self, texts: list[tuple[str | None, str]]) -> None:
        """A phrase the tier may show is no evidence of a leak (unless only a page its secret is unvouched by
        shows it); nor is an id made of visible words. With few of them (a rebuild's), only the texts that
        may hold all the words of one, or a word of an id, are read."""
        if len(self.phrases) + len(self.ids) <= FEW_PHRASES:
            wanted = [sorted(set(phrase), key=len, reverse=True) for phrase in self.phrases] + \
                [[word] for token in self.ids for word in words(token)]
            texts = [(rel, text) for rel, text in texts if _holds_words_of(text, wanted)]
        allowed = [(rel, words(text)) for rel, text in texts]
        for phrase in {phrase for rel, tokens in allowed for phrase in self._found(tokens)
                       if rel not in self.unvouched.get(phrase, ())}:
            del self.phrases[phrase]
            others = self.prefixes[phrase[:MIN_PHRASE]]
            others.remove(phrase)
            if not others:
                del self.prefixes[phrase[:MIN_PHRASE]]
        visible = {w for _, tokens in allowed for w in tokens}
        self.ids = {i: s for i, s in self.ids.items() if not set(words(i)) <= visible}

    def _found(self, tokens: list[str]):
        """The phrases in ``tokens``: a set test first (most texts hold none), then one pass over its runs
        of MIN_PHRASE words, checking the phrases that start with each (not a pass per phrase length)."""
        prefixes = self.prefixes
        if prefixes.keys().isdisjoint(_runs(tokens, MIN_PHRASE)):
            return
        for index, run in enumerate(_runs(tokens, MIN_PHRASE)):
            if run in prefixes:
                for phrase in prefixes[run]:
                    if tuple(tokens[index:index + len(phrase)]) == phrase:
                        yield phrase

    def in_text(self, tokens: list[str]):
        """Secrets whose phrases occur in a file's words."""
        for phrase in self._found(tokens):
            yield self.phrases[phrase], f'text "{" ".join(phrase)}"'

    def in_paths(self, refs, base: str):
        """Secrets whose URL or file name a reference (href, src, path in text) points at."""
        for ref in refs:
            if _leaf(ref) not in self.leaves:
                continue  # cheap test first: no secret ends in this name
            for candidate in _resolve(ref, base):
                secret = self.paths.get(candidate)
                if secret is not None:
                    yield secret, f"link or path '{ref}'"
                    break

    def in_ids(self, idish: set[str]):
        """Secrets whose document id is among a file's id-like words (lowercased)."""
        for token in idish & self.ids.keys():
            yield self.ids[token], f"id '{token}'"


def _hidden_texts(content: ContentRoot, document, tier: int):
    """(floor, text, secret) of what the tier's page of a document must not show, in the parser's two
    views: the raw text of each internal block the tier's render dropped, and the text of each block the
    full render marks internal above the tier (the audit does not depend on the hiding having worked)."""
    hidden = structure.view(content, document, tier).hidden
    marked = [(floor, text) for floor, text, _ in structure.view(content, document, max(TIERS)).shown if floor > tier]
    lines = document.body.split("\n") if hidden or marked else []
    for floor, text in [*hidden, *marked]:
        yield floor, text, _Secret(document.rel, f"tier {floor} internal block", lines, text, document.body_line)


def _view_assets(rel: str, view) -> set[str]:
    """Root-relative paths of the files (images, attachments) a page shows or links."""
    found = set()
    for ref in view.links:
        path = unquote(urlsplit(ref).path)
        if path and not urlsplit(ref).scheme and not path.startswith("/") and not path.endswith(".md"):
            found.add(posixpath.normpath(posixpath.join(posixpath.dirname(rel), path)))
    return found


def _text_assets(rel: str, text: str):
    """:func:`_assets` of every line of ``text``."""
    if "](" in text or "src" in text or "]:" in text:
        for line in text.split("\n"):
            yield from _assets(rel, line)


def _assets(rel: str, line: str):
    """Root-relative paths of the non-Markdown files (images, attachments) a source line refers to."""
    if not ("](" in line or "src" in line or "]:" in line):
        return
    for match in ASSET_REF_RE.finditer(line):
        ref = next(g for g in match.groups() if g)
        path = unquote(urlsplit(ref).path)
        if path and not urlsplit(ref).scheme and not path.startswith("/") and not path.endswith(".md"):
            yield posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))


@functools.lru_cache(maxsize=LINE_CACHE)
def _leaf(ref: str) -> str:
    """Last part of a reference's path, as it ends a site path: ``../x/index.html#a`` -> ``x``."""
    path = unquote(ref.split("#", 1)[0].split("?", 1)[0]).rstrip("/")
    for suffix in ("/index.html", ".html"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return path.rsplit("/", 1)[-1]


def _resolve(ref: str, base: str):
    """Site paths a reference may mean: relative to the file, or (absolute URLs) any suffix of the path."""
    parts = urlsplit(html.unescape(ref))
    path = unquote(parts.path)
    if not path:
        return
    if parts.scheme or parts.netloc or path.startswith("/"):
        # The site may be served under a sub-path: any tail of two or more segments may be a site path.
        segments = [s for s in path.split("/") if s]
        candidates = ["/".join(segments[i:]) for i in range(len(segments) - 1)]
    else:
        # As served (relative to the page's folder), as written in the source (MkDocs leaves links it
        # cannot resolve as they were, relative to the source file), and as a path from the site root.
        candidates = [posixpath.normpath(posixpath.join(folder, path)).lstrip("/")
                      for folder in (base, posixpath.dirname(base))] + [path]
    for candidate in candidates:
        candidate = candidate.rstrip("/")
        for suffix in ("/index.html", ".html"):
            if candidate.endswith(suffix):
                candidate = candidate[: -len(suffix)]
        yield candidate


@functools.lru_cache(maxsize=LINE_CACHE)
def _raw_line(line: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str], bool]:
    """(:func:`_attributes`, lowercased id-like words, whether an attribute may run on past it) of a line,
    kept as values nobody can change."""
    urls, texts = _attributes(ATTR_RE.findall(line))
    return (tuple(urls + _css_urls(line)), tuple(texts), _idish(line), OPEN_ATTRIBUTE_RE.search(line) is not None)


def _idish(text: str) -> frozenset[str]:
    """Id-like words of a text, lowercased, as written and as a reader sees them (``a&#45;b`` is ``a-b``)."""
    found = IDISH_RE.findall(text)
    if "&" in text:
        found += IDISH_RE.findall(html.unescape(text))
    return frozenset(token.lower() for token in found)


def _css_urls(text: str) -> list[str]:
    """The addresses of the CSS ``url()``s in a line of a file (a style attribute, a style sheet), entities read."""
    if "url" not in text.lower():
        return []
    if "&" in text:
        text = html.unescape(text)
    return [next(filter(None, match)) for match in CSS_URL_RE.findall(text) if any(match)]


@functools.lru_cache(maxsize=LINE_CACHE)
def _text_line_paths(line: str) -> tuple[str, ...]:
    """Paths in a line of text that could name a source, as written and as a reader sees them."""
    found = PATHISH_RE.findall(line)
    if "&" in line:
        found += PATHISH_RE.findall(html.unescape(line))
    return tuple(path for path in found if CONTENT_PATH_RE.search(path))


def _scan(raw: str) -> tuple[list[str], list[str], set[str]]:
    """(URLs and words-bearing values of its attributes, lowercased id-like words) of a file, line by line
    through a cache: the page chrome repeats on every page of a site, so most lines were scanned before.
    An id-like word never spans a line break; an attribute does only where its name, '=' or quoted value
    does, and a file with a line where one may begin or end so is scanned whole (the results are those of
    one scan of the file). A line that repeats in the file is looked at once (a page's lines are two thirds
    repeats: blank lines, closing tags), which finds the same in the order the file has them."""
    urls, texts, idish, open_ = zip(*map(_raw_line, dict.fromkeys(raw.split("\n"))))
    if any(open_):
        urls, texts = _attributes(ATTR_RE.findall(raw))
        return urls + [url for line in raw.split("\n") for url in _css_urls(line)], texts, set().union(*idish)
    return list(chain.from_iterable(urls)), list(chain.from_iterable(texts)), set().union(*idish)


def _content_paths(text: str) -> list[str]:
    """Paths in a file's text (tags removed) that could name a source; none spans a line break."""
    return [path for line in dict.fromkeys(text.split("\n")) for path in _text_line_paths(line)]


def _attributes(found: list[tuple[str, str, str, str]]) -> tuple[list[str], list[str]]:
    """(URLs, words-bearing values) of a file's attributes, as the browser reads them (a style attribute's
    ``url()`` is one of the file's :func:`_css_urls`)."""
    urls, texts = [], []
    for name, double, single, bare in found:
        name, value = name.lower(), double or single or bare
        if "&" in value:  # as the browser reads it: &#45; is '-'
            value = html.unescape(value)
        if name in URL_ATTRIBUTES or name.startswith("data-") or name.endswith(("href", "src")):
            urls.append(value)
            if name in LIST_ATTRIBUTES:
                urls += LIST_ITEM_RE.findall(value)
        if name in TEXT_ATTRIBUTES or name.startswith("data-"):
            texts.append(value)
    return urls, texts


def _file_segments(chunks: list[str], attribute_texts: list[str]) -> list[str]:
    """A file cut at block boundaries, so phrases never run from one paragraph into the next;
    comments and attribute values (titles, alt text, meta content) are segments of their own."""
    segments = list(attribute_texts)
    for text in chunks:
        segments += COMMENT_RE.findall(text) + BLOCK_TAG_RE.split(COMMENT_RE.sub(" ", text))
    return segments


def _segment_words(segments: list[str]) -> list[str]:
    return words(SLASHED_RE.sub(" ", TAG_RE.sub(" ", SEPARATOR.join(segments))))


def _json_strings(value):
    """Every key and string of a JSON value, in document order (a stack, not recursion: a file nested
    deeper than Python recurses is still read)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack += [item, str(key)]
        elif isinstance(value, list):
            stack += reversed(value)


def _read(path: Path) -> tuple[str, list[str]] | None:
    """(raw text, text chunks) of an output file, or None for a binary file; :data:`TOO_LARGE` for one with
    more than :data:`~generator.content.AUDITED_BYTES` of text."""
    data = audited_bytes(path)
    if data is None:
        return None
    if len(data) > AUDITED_BYTES:
        return TOO_LARGE
    suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    raw = data.decode("utf-8", errors="replace")
    if suffix == ".json":
        try:
            strings = list(_json_strings(json.loads(raw)))
            return "\n".join(strings), strings
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads: read as text
            pass
    return raw, [raw]


@functools.cache
def _theme_files() -> dict[str, Path]:
    """Static files of mkdocs-material, by path in a built site, for skipping verbatim copies."""
    base = material_templates()
    return {p.relative_to(base).as_posix(): p for p in (base / "assets").rglob("*") if p.is_file()}


def _is_theme_copy(rel: str, path: Path) -> bool:
    source = _theme_files().get(rel)
    return source is not None and source.stat().st_size == path.stat().st_size and \
        source.read_bytes() == path.read_bytes()


class _Parsed(NamedTuple):
    raw: str
    urls: list[str]  # of its attributes
    segments: list[str]  # its text, cut at block boundaries
    idish: set[str]  # its id-like words, lowercased


TOO_LARGE = object()  # what _read says of a file with more text than the audit reads


def _parsed(path: Path, rel: str) -> _Parsed | None:
    """A site's file, read for the audit; None for a binary file or a verbatim copy of a theme file, and
    :data:`TOO_LARGE` for one with more text than the audit reads."""
    read = None if _is_theme_copy(rel, path) else _read(path)
    if read is None or read is TOO_LARGE:
        return read
    raw, chunks = read
    urls, attribute_texts, idish = _scan(raw)
    return _Parsed(raw, urls, _file_segments(chunks, attribute_texts), idish)


def _site_files(site: Path, strange: list[tuple[str, str]] | None = None) -> list[str]:
    """Every file of a site, as sorted site paths; what is neither a file nor a folder (a link to a folder,
    which kbgen never makes and a copy made to publish would follow; a named pipe, which would hang the
    reader; a link that leads nowhere) is not entered or read, but added to ``strange`` with what it is."""
    found, folders = [], [("", str(site))]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file():
                    found.append(prefix + entry.name)
                elif strange is not None:
                    what = ("a link to a folder, which kbgen never makes: a copy of the site would take what it "
                            "leads to" if entry.is_dir() else "a link that leads nowhere" if entry.is_symlink()
                            else "not a regular file")
                    strange.append((prefix + entry.name, what))
    return sorted(found)


def audit_site(content: ContentRoot, tier: int, site: Path, label: str | None = None,
               reused: dict[str, str] | None = None, placed: dict[str, tuple] | None = None) -> list[Leak]:
    """Every trace, in one tier's built site, of what that tier may not show.

    ``reused``: files (site path -> sha256) an incremental build took unchanged from the previous build,
    which passed this audit with the same sources and settings. Their verdict stands for a file that still
    has that hash; any other is searched. ``placed``: the :func:`~generator.incremental.stamp` of those the
    build checked by their bytes as it took them, once in place: a file whose stamp is still that one
    was not written to since, and is not read again."""
    reused, placed = reused or {}, placed or {}
    strange: list[tuple[str, str]] = []
    files = [rel for rel in _site_files(site, strange) if not rel.startswith(CHECKED_AS_INDEX)
             and not (rel in reused and (rel in placed and placed[rel] == stamp(site / rel)
                                         or file_hash(site / rel) == reused[rel]))]
    # A rebuild leaves a few files to search, read once here: only phrases they hold are worked out.
    parsed = {rel: _parsed(site / rel, rel) for rel in files} if reused and len(files) <= FEW_FILES else None
    runs, idish = None, None
    if parsed is not None:
        runs = phrase_runs(_segment_words(read.segments) for read in parsed.values() if read and read is not TOO_LARGE)
        idish = set().union(*(read.idish for read in parsed.values() if read and read is not TOO_LARGE))
    label = label or f"tier{tier}"
    leaks: dict[tuple[str, str, str], Leak] = {  # the first trace of each secret in each file
        (f"{label}/{rel}", rel, what): Leak(tier, f"{label}/{rel}", rel, what, "") for rel, what in strange}
    fingerprints = Fingerprints(content, tier, runs, idish)
    if tier >= max(TIERS) and not (fingerprints.phrases or fingerprints.paths or fingerprints.ids):
        # a top tier without drafts: nothing is above it, and the parser hides no block from it
        return sorted(leaks.values(), key=lambda leak: (leak.output, leak.source, leak.what))
    clean: set[int] = set()  # segments already searched without a find: page chrome repeats on every page
    for rel in files:
        output = f"{label}/{rel}"
        found = list(fingerprints.in_paths([rel], ""))
        read = _parsed(site / rel, rel) if parsed is None else parsed[rel]
        if read is TOO_LARGE:
            found.append((_Secret(rel, f"more than {AUDITED_BYTES // 2 ** 20} MiB of text"), ""))
        elif read is not None:
            raw, urls, segments, idish = read
            base = posixpath.dirname(rel)
            if HIDDEN_ATTRIBUTE in raw and LEFT_HIDDEN_RE.search(raw):
                found.append((_Secret(rel, "an internal block the render did not drop"), f"'{HIDDEN_ATTRIBUTE}'"))
            text = TAG_RE.sub(" ", raw) if "<" in raw else raw
            found += fingerprints.in_paths(urls + _content_paths(text), base)
            found += fingerprints.in_ids(idish)
            segments = [segment for segment in segments if hash(segment) not in clean]
            in_text = list(fingerprints.in_text(_segment_words(segments)))
            if not in_text:
                clean.update(map(hash, segments))
            found += in_text
        for secret, matched in found:
            leaks.setdefault((output, secret.source, secret.what), Leak(tier, output, secret.source, secret.what,
                                                                        matched))
    for leak in _index_leaks(content, tier, site, label):
        leaks.setdefault((leak.output, leak.source, leak.what), leak)
    return sorted(leaks.values(), key=lambda leak: (leak.output, leak.source, leak.what))


def _index_leaks(content: ContentRoot, tier: int, site: Path, label: str) -> list[Leak]:
    """The search index holds stemmed words, not phrases: every term must come from text the tier may
    show, and every entry must be a document it shows. A stray term is traced to the hidden text it
    comes from (a document above the tier, a draft, an internal block)."""
    folder = site / search.INDEX_DIR
    if not folder.is_dir():
        return []
    output = f"{label}/{search.INDEX_DIR}/"
    terms: dict[str, str] = {}  # term -> the file that holds it
    ids: dict[str, str] = {}  # document id -> the file that lists it
    differing: list[str] = []  # pairs files other than the tier's pages make
    expected: search.PairFiles | None = None
    try:
        index = search.SearchIndex.load(folder)
        for name in index.file_names():
            if name.startswith("pairs-"):  # compared as bytes: a file is the one the tier's pages make, or not
                if expected is None:
                    expected = search.pair_files(content, tier)
                if _file_digest(folder / name) != expected.digest(name):
                    differing.append(name)
                continue
            data = index.file(name)
            if name.startswith("docs-"):
                ids.update((row[0], name) for row in data)
            elif name.startswith("terms-"):
                terms.update((term, name) for term in data["terms"] if term not in terms)
            elif name.startswith("postings-"):
                terms.update((term, name) for term in data if term not in terms)
                strays = {number for postings in data.values() for number in postings[::2]
                          if not isinstance(number, int) or not 0 <= number < index.count}
                if strays:
                    raise ValueError(f"{name} refers to documents {sorted(strays)} it does not list")
            elif name.startswith("phrasings-"):  # the intents' phrasings, as index terms
                terms.update((term, name) for key in data for term in key.split(" ") if term not in terms)
        if len(index.documents()) != index.count:
            raise ValueError(f"it does not list {index.count} documents")
        unknown = {path.name for path in folder.iterdir()} - set(index.file_names())
    except (search.SearchIndexError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        return [Leak(tier, output, "?", "unreadable search index", f"cannot check it: {exc}")]
    finally:
        search.drop_pair_files(content, tier)
    entries = search.entries(content, tier)
    extra = set(terms) - set().union(*(entry.terms for entry in entries))
    strangers = set(ids) - {entry.id for entry in entries}
    # A pair is a CRC, not words: it cannot be traced, only found to be no pair of the tier's pages.
    leaks = [Leak(tier, output + name, "?", "no text this tier may show", "word pairs of no page it shows")
             for name in sorted(differing)]
    if not extra and not strangers and not unknown:
        return leaks
    traced = set()

    def trace(source: str, what: str, text: str) -> None:
        found = extra & search.text_terms(text)
        traced.update(found)
        for name in sorted({terms[term] for term in found}):
            first = min(term for term in found if terms[term] == name)
            leaks.append(Leak(tier, output + name, source, what, f"index term '{first}'"))

    for document in content.documents:
        if in_site(document, tier):
            for _, text, secret in _hidden_texts(content, document, tier):
                trace(document.rel, secret.what, text)
            continue
        what = document.status if not document.published else f"tier {document.tier} document"
        if document.id in strangers:
            strangers.discard(document.id)
            leaks.append(Leak(tier, output + ids[document.id], document.rel, what, f"index entry '{document.id}'"))
        trace(document.rel, what, f"{document.title} {document.meta.get('summary') or ''} {document.body}")
    leaks += [Leak(tier, output + terms[term], "?", "no text this tier may show", f"index term '{term}'")
              for term in sorted(extra - traced)]
    leaks += [Leak(tier, output + ids[ref], "?", "no document this tier shows", f"index entry '{ref}'")
              for ref in sorted(strangers)]
    leaks += [Leak(tier, output + name, "?", "not a file of the index", "unexpected file") for name in sorted(unknown)]
    return leaks


def _file_digest(path: Path) -> str:
    try:
        return file_hash(path)
    except OSError as exc:
        raise search.SearchIndexError(f"{path}: {exc.strerror}") from None


def audit(root: Path | str | ContentRoot, out: Path | str | None = None, tiers=None) -> list[Leak]:
    """Audit the built sites under ``out`` (default ROOT/site) against the sources in ``root``."""
    content = root if isinstance(root, ContentRoot) else load(root)
    out = Path(out) if out else content.root / "site"
    structure.prepare(content)  # every document's views, on every core, before the tiers read them
    leaks: list[Leak] = []
    for tier in tiers or TIERS:
        site = out / f"tier{tier}"
        if site.is_dir():
            leaks += audit_site(content, tier, site)
    return leaks

"""Search: one index per tier, shared by the site and ``kbgen search``.

The index is built from what a tier may show: documents of that tier and below, each as the tier's
page renders it (:func:`generator.structure.view`: internal blocks, includes and markup as the parser
reads them), never from another reading of the source. lunr.py's builder weighs every
word of every field (BM25, with the field boosts below); the weights are then saved *chunked*, as
Pagefind does, in ``search/kbgen/`` of the built site:

* ``index.json``: the format, the tier, the number of documents and the shards that exist;
* ``terms-K.json``: the index's words starting with ``K`` (two letters or digits; ``_`` for any other),
  each with the number of the postings file that holds it;
* ``postings-K-N.json``: for each word, the documents it is in and its weight there;
* ``pairs-N.json``: for each pair of neighbouring words (by its CRC, see below), the documents holding it;
* ``docs-N.json``: what a result shows of each document (id, title, URL, tier, snippet, kind, and the title
  of its area: the area of its first intent), in the order of their addresses: a folder's pages, often the
  results of one query, share files.

A browser fetches a small file at page load and then only the shards the query's words need, so the
first answer does not wait for an index of every page (``benchmarks/search_payload.py``).

The site's search worker (``overrides/assets/javascripts/kbgen/search-worker.js``) and
:meth:`SearchIndex.search` run the same query plan on the same files, so the help site and the terminal
rank alike, to the last bit of every score:

* a word of support content is often a compound (``HRESULT=8000ffff``, ``path_openat+0x1b7/0x1330``,
  ``StoragePermanentException``): the index holds it whole and each of its parts (cut at
  :data:`PART_RE`: ``= : . / \\ _ + ( ) [ ] ,`` and the like, and a lower-case letter followed by a capital),
  so a code is found from any part, and the page with the whole token ranks above pages with its parts;
* the query is cut into words as the documents were, trimmed of punctuation, stop words dropped; words
  that a synonym rule names (:func:`content_synonyms`, several words such as "log in" as one) are one
  query word, looked up with their synonyms too (at :data:`SYNONYM_BOOST`);
* each word is looked up on its own: its stem, its spellings one edit away after the first two letters
  (typos, from 4 letters) and, for the last word, as a prefix (the customer may still be typing); the
  parts of a compound word are words of the query too, looked up as they are;
  a word's score in a document is lunr's: the query vector's dot product with the document's, divided
  by the query vector's length;
* a document's score is the sum of its per-word scores times the square of the share of words it
  matched, so a page matching the whole pasted error message beats one that repeats one word;
* a document holding the query's words next to each other, in order, is what the customer pasted or
  typed: its score is multiplied by up to 1 + :data:`PAIR_BOOST`, by the share of the query's
  neighbouring word pairs it holds (the index keeps, per pair of neighbouring words of a document, a
  32-bit CRC of the pair and the documents holding it, in ``pairs-N.json`` by the CRC's remainder);
* a query of three words or more (:data:`WHOLE_PHRASE_PAIRS` pairs) is most often a message pasted whole:
  the documents holding all of its pairs come before those that do not (after the exact and rare-code
  matches below);
* a document matching fewer than :data:`MIN_COVERAGE` of the words (and, of a query of several words,
  only one) is no good match and is dropped, as is one scoring under :data:`RELATIVE_CUTOFF` of the best;
* a query that says what an intent's phrasing or title says (the same words, stop words aside) is an
  exact match for the intent's documents: they come first; then the documents naming more of the
  query's rare codes (a word with a digit that at most :data:`RARE_DOCUMENTS` documents name: "Event
  ID 5740" wants the page that names 5740, not the pages about event IDs), then the documents holding the
  whole message.

Keep this file and the worker in step: ``tests/test_search_browser.py`` proves they agree.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import stat
import zlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Callable

import mkdocs
import numpy as np
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import WORDS as STOP_WORDS

from . import analyses, structure, synonyms
from .audience import in_site
from .content import ContentRoot, Document
from .errors import KbgenError
from .incremental import file_hash, inode_of, link_or_copy

INDEX_DIR = "search/kbgen"  # inside a built site
INDEX_FILE = f"{INDEX_DIR}/index.json"
# What mkdocs-material's page script fetches at every page load (search/search_index.json): it only needs
# its search configuration; the worker fetches INDEX_FILE itself.
THEME_INDEX_STUB = {"config": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stemmer"], "fields": {}},
                    "docs": []}
LUNR_JS = Path(mkdocs.__file__).parent / "contrib" / "search" / "templates" / "search" / "lunr.js"  # MIT, 2.3.9
LUNR_JS_URI = "assets/javascripts/kbgen/lunr.js"  # beside the worker, which uses its stemmer and stop words
# What the worker uses of lunr.js, between these lines: Token, then the stemmer and the stop word filter.
LUNR_PARTS = (("/**\n * A token wraps a string", "/*!\n * lunr.tokenizer"),
              ("/*!\n * lunr.stemmer", "/*!\n * lunr.trimmer"))
LUNR_OPENING, LUNR_EXPORT = ";(function(){\n", "  /**\n   * export the module via AMD"
FORMAT = 6  # bump when the files' shape changes; the worker checks it
SHARD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # a word's first two letters name its shard
OTHER_SHARD = "_"  # stands for any other letter (or none)
DOCS_PER_FILE = 10  # a query's best 20 results are rows of up to 20 files: small ones
POSTINGS_FILE_CHARS = 10_000  # a postings file holds words until it is about this long
BM25_K1, BM25_B = 1.2, 0.75  # lunr.Builder's defaults
# Field -> boost. Titles and the intent's phrasings say what a page is for, more than any body word.
FIELDS = {"title": 8, "intents": 4, "tags": 3, "summary": 3, "headings": 2, "body": 1}
TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours one edit away
TYPO_BOOST = 0.2
PREFIX_BOOST = 0.3
MIN_COVERAGE = 0.34  # share of the query's words a result must match to count as a match
RELATIVE_CUTOFF = 0.1  # a result scoring under this share of the best one is a weak tail, not an answer
SYNONYM_BOOST = 0.8  # a synonym of a query word
PAIR_BOOST = 1.0  # a document holding all of the query's neighbouring word pairs scores twice as much
WHOLE_PHRASE_PAIRS = 2  # a query of this many pairs (three words) or more is a message: who holds it all comes first
PAIR_POSTINGS_PER_FILE = 600  # about 250 pairs a file: a query of n words fetches n - 1 small files
DOCUMENT_BITS = 24  # a pair's postings are packed as (key << DOCUMENT_BITS) | document while building
MIN_PART_CHARS = 2  # shorter parts of a compound ("e" of "e.g") are noise
MAX_PHRASE_WORDS = 4  # the longest synonym phrase looked for in a query
RARE_DOCUMENTS = 3  # a query word with a digit in at most this many documents is a code the page must name
MAX_QUERY_WORDS = 24  # a pasted stack trace is cut here
SNIPPET_CHARS = 180
DIGITS_RE = re.compile(r"[0-9]+")
SEPARATOR_RE = re.compile(r"[\s\-]+")  # lunr.js's separator, for documents and queries alike
EDGE_RE = re.compile(r"^\W+|\W+$")  # punctuation around a word: quotes, colons, brackets
# Where a compound word has parts (mirrored in the worker): punctuation of codes and paths, and case changes.
PART_RE = re.compile(r"[=:./\\_+()\[\],;@#&?|<>{}%$!~*\"]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
CANT = ("can't", "cant", "cannot", "unable to")
LOG_IN = ("log in", "login", "sign in")
# Support wording: each group's phrases mean the same (two-way, as Algolia's and Typesense's synonyms).
DEFAULT_SYNONYM_GROUPS = (
    (*LOG_IN, "signin", "log on", "logon", "sign on"),
    ("log out", "logout", "sign out", "signout"),
    CANT,
    ("won't", "wont", "will not"),
    ("2fa", "two factor", "mfa", "multi factor", "two step"),
    ("e-mail", "email"),
)
# One-way rules (Algolia's and Typesense's "root" synonyms): the customer's phrase is also searched as these.
DEFAULT_SYNONYM_RULES = (
    # Who cannot get in has most often forgotten the password.
    *((f"{cant} {log_in}", (*LOG_IN, "forgot password", "reset password", "locked out"))
      for cant in CANT for log_in in LOG_IN),
    ("delete account", ("cancel subscription", "close account")),
    ("delete my account", ("cancel subscription", "close account")),
    ("close my account", ("cancel subscription",)),
    ("charged twice", ("refund", "double charge", "duplicate charge")),
    ("double charged", ("refund", "charged twice")),
    ("money back", ("refund",)),
)


class SearchIndexError(KbgenError):
    """A saved index is missing, unreadable or of another format."""


@functools.lru_cache(maxsize=None)
def worker_lunr() -> str:
    """lunr.js cut down to what the search worker uses (a token, the stemmer, the stop words; a tenth of
    its bytes), with its licence and its export; all of it should a release of lunr.js move those parts."""
    source = LUNR_JS.read_text(encoding="utf-8")
    try:
        opening = source.index(LUNR_OPENING) + len(LUNR_OPENING)
        parts = [source[source.index(start):source.index(end)] for start, end in LUNR_PARTS]
        export = source.index(LUNR_EXPORT)
    except ValueError:
        return source
    kept = "".join(parts).replace("lunr.Pipeline.registerFunction(", "// lunr.Pipeline.registerFunction(")
    return f"{source[:opening]}\nvar lunr = {{}}\n\n{kept}{source[export:]}"


def trim(word: str) -> str:
    """Lowercase a word and strip the punctuation around it (``"redirect_uri",`` -> ``redirect_uri``)."""
    return EDGE_RE.sub("", word.lower())


def content_synonyms(content: ContentRoot) -> dict[str, list[str]]:
    """The synonym table of a content root's search: kbgen's support set (unless ``synonyms.yml`` turns it
    off) and the file's groups and rules."""
    chosen = synonyms.of(content)
    groups = (DEFAULT_SYNONYM_GROUPS if chosen.defaults else ()) + chosen.groups
    rules = (DEFAULT_SYNONYM_RULES if chosen.defaults else ()) + chosen.rules
    return synonym_table(groups, rules)


def synonym_table(groups, rules) -> dict[str, list[str]]:
    """Phrase (lowercase words, one space apart) -> the phrases it is also searched as: each phrase of a
    group -> the group's others, then the one-way rules."""
    table: dict[str, list[str]] = {}

    def add(phrase: str, alternatives) -> None:
        key = " ".join(trim(word) for word in SEPARATOR_RE.split(phrase) if trim(word))
        known = table.setdefault(key, [])
        known += [alternative for alternative in alternatives if alternative != phrase and alternative not in known]

    for group in groups:
        for phrase in group:
            add(phrase, group)
    for phrase, alternatives in rules:
        add(phrase, alternatives)
    return table


@dataclass(frozen=True)
class QueryWord:
    """One word of a query as typed but trimmed (or a phrase a synonym rule names, or the index term of a
    part of a compound word), and its synonyms."""

    text: str
    synonyms: tuple[str, ...] = ()
    part: bool = False  # a part of the compound word before it: looked up as it is

    @property
    def size(self) -> int:
        """How many of the query's words it stands for: a phrase counts each of its words."""
        return max(1, len(analyse(self.text))) if " " in self.text else 1


def query_words(query: str, synonyms: dict[str, list[str]] | None = None) -> list[QueryWord]:
    """The words a query is searched by: cut as documents are, trimmed; the longest phrase a synonym rule
    names at each place is one word; stop words dropped; each word once, a compound followed by its parts."""
    pieces = [word for word in (EDGE_RE.sub("", piece) for piece in SEPARATOR_RE.split(query)) if word]
    lowered = [piece.lower() for piece in pieces]
    found: list[QueryWord] = []
    start = 0
    while start < len(pieces) and len(found) < MAX_QUERY_WORDS:  # a pasted log is read no further
        size = next((n for n in range(MAX_PHRASE_WORDS, 1, -1)
                     if start + n <= len(pieces) and " ".join(lowered[start:start + n]) in (synonyms or {})), 1)
        phrase = " ".join(lowered[start:start + size])
        alternatives = tuple((synonyms or {}).get(phrase, ()))
        word = QueryWord(" ".join(pieces[start:start + size]), alternatives)
        start += size
        if (alternatives or phrase not in STOP_WORDS) and phrase not in (w.text.lower() for w in found):
            found.append(word)
            for term in piece_terms(word.text)[1:] if size == 1 else ():
                if len(found) == MAX_QUERY_WORDS:
                    break
                if QueryWord(term, part=True) not in found:
                    found.append(QueryWord(term, part=True))
    return found


def query_pairs(words: list[QueryWord]) -> list[int]:
    """The CRCs of the query's neighbouring word pairs, each once: of the words as typed (a compound whole,
    stop words skipped as the index skips them), a synonym phrase breaking the run."""
    pairs, previous = [], ""
    for word in words:
        if word.part:
            continue
        terms = piece_terms(word.text) if " " not in word.text else ()
        if previous and terms and pair_hash(previous, terms[0]) not in pairs:
            pairs.append(pair_hash(previous, terms[0]))
        previous = terms[0] if terms else ""
    return pairs


def phrase_key(text: str) -> str:
    """What a query and an intent's phrasing are compared by: their index terms, each once, in order."""
    return " ".join(dict.fromkeys(analyse(text)))


class _LunrJsStemmer(PorterStemmer):
    """lunr.py's Porter stemmer, but turning a final y into i as lunr.js does: after a consonant ("try" ->
    "tri", "key" stays "key"); lunr.py does it after any vowel in the stem ("key" -> "kei"), so the
    browser, which stems queries with lunr.js, would not find the index's words. The other steps agree."""

    def step1c(self):
        if self.ends("y") and self.k - self.k0 >= 2 and self.b[self.k - 1] not in "aeiou":
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1:]


_porter = _LunrJsStemmer()


@functools.lru_cache(maxsize=None)
def stem(word: str) -> str:
    """A word's stem as lunr.js's ``stemmer`` makes it, worked out once: a knowledge base repeats its
    vocabulary in every document."""
    return _porter.stem(word)


@functools.lru_cache(maxsize=None)
def _term(piece: str) -> str:
    """The index term of one lowercased piece of text ("" for none), worked out once per distinct piece."""
    word = piece if piece.isalnum() else EDGE_RE.sub("", piece)  # most words have nothing to trim
    return stem(word) if word and word not in STOP_WORDS else ""


def parts(word: str) -> list[str]:
    """The parts of a compound word, as typed (case kept): ``["HRESULT", "8000ffff"]``; [] for a plain word."""
    if word.isalnum() and (word.islower() or word.isupper() or word.isdigit()):
        return []  # most words are plain: no need for the pattern
    found = PART_RE.split(word)
    return found if len(found) > 1 else []


@functools.lru_cache(maxsize=None)
def piece_terms(piece: str) -> tuple[str, ...]:
    """The index terms of one piece of text (no spaces or hyphens, case kept): its term, then those of
    its parts of at least :data:`MIN_PART_CHARS` letters, each once; worked out once per distinct piece."""
    word = EDGE_RE.sub("", piece)
    whole = _term(word.lower())
    found = dict.fromkeys([whole] if whole else [])  # each once, in order, at a look-up each (a pasted log
    for part in parts(word):                          # line can have thousands of parts)
        term = _term(part.lower()) if len(part) >= MIN_PART_CHARS else ""
        if term:
            found.setdefault(term)
    return tuple(found)


def analyse(text: str) -> list[str]:
    """The words of a text as the index keeps them, in order: cut, trimmed, stop words out, stemmed, each
    compound followed by its parts."""
    return [term for piece in SEPARATOR_RE.split(text) for term in piece_terms(piece)]


def pair_hash(first: str, second: str) -> int:
    """The CRC-32 of a pair of neighbouring terms, ``"first second"`` in UTF-8 (mirrored in the worker).
    Two pairs sharing one (about one in 4 billion) share their documents: a phrase bonus, never a result
    of its own."""
    return zlib.crc32(_pair_ends(second)[1], _pair_ends(first)[0])


@functools.lru_cache(maxsize=None)
def _pair_ends(term: str) -> tuple[int, bytes]:
    """What a term gives the CRC of a pair: its CRC, from which a pair it starts goes on, and the bytes it
    adds to a pair it ends (worked out once per term)."""
    return zlib.crc32(_utf8(term)), _utf8(f" {term}")


def _utf8(text: str) -> bytes:
    """Text in UTF-8 as the browser's TextEncoder writes it: a lone surrogate (a query argument's byte that
    is not UTF-8) as U+FFFD, not an error."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


def text_terms(text: str) -> set[str]:
    """The index terms a text yields."""
    return set(analyse(text))


def shard_of(term: str) -> str:
    """The shard of a term: its first two letters (``re`` for ``refund``; ``x_`` for ``x``). A typo is looked
    for after them, so a word's neighbours are all in its shard, and a query fetches small word lists."""
    return "".join(char if char in SHARD_CHARS else OTHER_SHARD for char in (term + OTHER_SHARD)[:2])


def within_one_edit(word: str, term: str) -> bool:
    """Whether ``term`` is ``word`` with at most one letter inserted, deleted, replaced, or swapped with
    its neighbour (lunr's edit distance 1; mirrored in the worker)."""
    if word == term:
        return True
    if abs(len(word) - len(term)) > 1:
        return False
    i = 0
    while i < len(word) and i < len(term) and word[i] == term[i]:
        i += 1
    if len(word) > len(term):
        return word[i + 1:] == term[i:]
    if len(word) < len(term):
        return word[i:] == term[i + 1:]
    return word[i + 1:] == term[i + 1:] or (
        i + 1 < len(word) and word[i] == term[i + 1] and word[i + 1] == term[i] and word[i + 2:] == term[i + 2:])


@dataclass
class Entry:
    """What the index holds about one document of a tier."""

    id: str
    title: str
    url: str
    tier: int
    summary: str
    intents: str
    tags: str
    headings: str
    body: str
    phrasings: tuple[str, ...] = ()  # its intents' titles and phrasings, each an exact match for it
    kind: str = "article"
    area: str = ""  # the title of its first intent's area

    @property
    def snippet(self) -> str:
        text = self.summary or self.body
        return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"

    @property
    def analysed(self) -> dict[str, list[str]]:
        """Each field's index terms, in order."""
        return self._read[0]

    @property
    def pairs(self) -> array:
        """The CRCs of the document's pairs of neighbouring words, within each field, sorted, each once
        (four bytes a pair: an index of 20,000 documents keeps them all)."""
        return self._read[1]

    @functools.cached_property
    def _read(self) -> tuple[dict[str, list[str]], array]:
        """The fields' terms and the pairs of neighbouring words, in one pass over the text."""
        analysed, pairs = {}, set()
        for name in FIELDS:
            found = [terms for terms in map(piece_terms, SEPARATOR_RE.split(getattr(self, name))) if terms]
            analysed[name] = [term for terms in found for term in terms]
            ends = [_pair_ends(terms[0]) for terms in found]
            pairs.update(zlib.crc32(tail, head) for (head, _), (_, tail) in zip(ends, ends[1:]))
        return analysed, array("I", sorted(pairs))

    @functools.cached_property
    def terms(self) -> set[str]:
        return set().union(*self.analysed.values())

    @functools.cached_property
    def text_key(self) -> bytes:
        """A digest of the text the analysis is made from: an earlier build's analysis of the same text is
        this one (:mod:`generator.analyses`)."""
        digest = hashlib.blake2b(digest_size=16)
        for name in FIELDS:
            text = getattr(self, name).encode("utf-8", "surrogatepass")
            digest.update(b"%d:" % len(text) + text)
        return digest.digest()

    def take(self, known: analyses.Known) -> bool:
        """Take the analysis ``known`` holds for this text, if it holds one."""
        found = known.get(self.text_key)
        if found is None or len(found[0]) != len(FIELDS):
            return False
        self.__dict__["_read"] = dict(zip(FIELDS, found[0])), found[1]
        return True


KNOWN_ANALYSES = "known-analyses"  # in a root's derived data: an earlier build's analyses, while a tier builds


def take_analyses(content: ContentRoot, known: analyses.Known | None) -> None:
    """Let the entries made from now on take their analyses from ``known`` (None: analyse every one)."""
    content.derived[KNOWN_ANALYSES] = known


def analyses_of(content: ContentRoot, tier: int):
    """(digest of the text, analysis) of each entry of the tier's index, for the next build."""
    for entry in entries(content, tier):
        yield entry.text_key, ([entry.analysed[name] for name in FIELDS], entry.pairs)


def entries(content: ContentRoot, tier: int) -> tuple[Entry, ...]:
    """Every document the tier ``tier`` site shows, as the index sees it (hidden blocks removed); worked
    out once per loaded root."""
    return content.once(("search-entries", tier), lambda: tuple(_entries(content, tier)))


def _entries(content: ContentRoot, tier: int) -> list[Entry]:
    structure.prepare(content)  # the views of every document, on every core (nothing to do in a build)
    found = [_entry(content, document, tier) for document in content.documents if in_site(document, tier)]
    return sorted(found, key=lambda entry: entry.url)  # pages of a folder, often results of one query, share files


def _entry(content: ContentRoot, document: Document, tier: int) -> Entry:
    """The document as the index of a tier's site sees it: its text is what the tier's page shows (the
    parser's view, shared by the tiers that show the same internal blocks, and so is the entry)."""
    view = structure.view(content, document, tier)
    key = ("search-entry", document.rel, view.tier)
    if key in content.derived:
        return content.derived[key]
    headings = view.heading_text
    body = view.text
    escalation = document.meta.get("escalation")
    if document.kind == "runbook" and isinstance(escalation, dict) and escalation.get("when"):
        body += f" {escalation['when']}"  # the page's escalation box says when to hand over
    intents = [content.intents[i] for i in document.intents if i in content.intents]
    entry = content.derived[key] = Entry(
        id=document.id, title=document.title, url=document.url, tier=document.tier,
        summary=document.summary,
        intents=" ".join(f"{intent.title} {' '.join(intent.phrasings)}" for intent in intents),
        tags=" ".join(document.tags),
        headings=" ".join(headings[1:] if headings and headings[0] == document.title else headings),
        body=body,
        phrasings=tuple(text for intent in intents for text in (intent.title, *intent.phrasings)),
        kind=document.kind, area=content.area(intents[0].area).title if intents else "",
    )
    known = content.derived.get(KNOWN_ANALYSES)
    if known is not None:
        entry.take(known)
    return entry


class Postings(Mapping):
    """Each term's postings, ``[document, weight, document, weight, ...]``, kept as two arrays sorted by term
    (twelve bytes a posting rather than two Python objects: millions of them at 20,000 documents). A term's
    list is made when it is asked for, as a file of the index is written: one file's at a time."""

    def __init__(self, terms: list[str], documents: np.ndarray, weights: np.ndarray, ends: list[int]):
        self._number = dict(zip(terms, range(len(terms))))
        self._documents, self._weights, self._bounds = documents, weights, [0, *ends]

    def _span(self, term: str) -> tuple[int, int]:
        number = self._number[term]
        return self._bounds[number], self._bounds[number + 1]

    def __getitem__(self, term: str) -> list:
        start, end = self._span(term)
        flat: list = [None] * (2 * (end - start))
        flat[::2] = self._documents[start:end].tolist()
        flat[1::2] = self._weights[start:end].tolist()
        return flat

    def count(self, term: str) -> int:
        """How many documents hold ``term``."""
        start, end = self._span(term)
        return end - start

    def __iter__(self):
        return iter(self._number)

    def __len__(self) -> int:
        return len(self._number)


NO_POSTINGS = Postings([], np.zeros(0, dtype=np.int32), np.zeros(0), [])


def _weights(found: tuple[Entry, ...]) -> Postings:
    """Each term's postings, ``[document, weight, document, weight, ...]``: lunr.py's BM25 weight of the
    term in each field of the document (its idf, k1 and b, times the field's boost, rounded as lunr's
    builder rounds), summed over the fields (a query weighs every field alike, so lunr's per-field scores
    add up to this). The arithmetic is lunr's, step for step and in its order, on arrays of every posting
    at once (millions at 20,000 documents), so every weight is its float to the last bit; lunr's builder
    is not run: it keeps a dictionary per posting and inserts into sorted vectors in linear time
    (``tests/test_search.py`` holds the two alike)."""
    if not found:
        return NO_POSTINGS
    k1, b = BM25_K1, BM25_B
    total = len(found)
    # Every term gets a number; a (document, term) pair is then the one integer document * len(terms) + term.
    terms = dict.fromkeys(chain.from_iterable(entry.analysed[name] for name in FIELDS for entry in found))
    number = dict(zip(terms, range(len(terms))))
    width = len(terms)
    documents_in = np.zeros(width, dtype=np.int64)  # fields of documents each term is in (lunr's idf counts each)
    counted = {}  # field -> (pairs, term frequencies, field lengths of their documents), pairs sorted
    for name in FIELDS:
        lists = [entry.analysed[name] for entry in found]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=total)
        occurrences = int(lengths.sum())
        if not occurrences:
            continue  # no words: its average is 0 too
        ids = np.fromiter(map(number.__getitem__, chain.from_iterable(lists)), dtype=np.int64, count=occurrences)
        pairs, frequencies = _counted(np.repeat(np.arange(total, dtype=np.int64) * width, lengths) + ids)
        documents_in += np.bincount(pairs % width, minlength=width)
        counted[name] = (pairs, frequencies, lengths, occurrences / total)
    if not counted:
        return NO_POSTINGS  # documents without a word
    idf = np.array([math.log(1 + abs((total - n + 0.5) / (n + 0.5))) for n in documents_in.tolist()])
    every = _counted(np.concatenate([pairs for pairs, *_ in counted.values()]))[0]
    summed = np.zeros(len(every))
    for name, (pairs, tf, lengths, average) in counted.items():  # in FIELDS' order, as lunr adds them up
        document = pairs // width
        norm = k1 * (1 - b + b * (lengths[document] / average))
        score = idf[pairs % width] * ((k1 + 1) * tf) / (norm + tf)
        summed[np.searchsorted(every, pairs)] += _rounded(score * FIELDS[name])
    # By term, then document: one key per pair, all distinct, so no stable sort is needed (twice as fast).
    order = np.argsort(every % width * total + every // width)
    weights = _rounded(summed)[order]
    documents = (every[order] // width).astype(np.int32)
    ends = np.cumsum(np.bincount(every % width, minlength=width)).tolist()
    return Postings(list(terms), documents, weights, ends)


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and how often each occurs: ``np.unique``, with a sort that takes runs
    already in order (each document's pairs, each field's) as they are."""
    values = np.sort(values, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.diff(np.append(starts, len(values)))


def _rounded(values: np.ndarray) -> np.ndarray:
    """Each value as Python's ``round(value, 3)`` makes it: ``rint(value * 1000) / 1000`` is the same double
    (the division rounds correctly) unless the product lands within a hair of a half, where its own
    rounding error could tip it: those few are rounded by Python itself."""
    scaled = values * 1000
    rounded = np.rint(scaled) / 1000
    for at in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        rounded[at] = round(float(values[at]), 3)
    return rounded


def _files(tier: int, found: tuple[Entry, ...], table: dict[str, list[str]], pairs: "PairFiles",
           site: dict | None = None) -> Callable[[str], Any]:
    """The index's files (name -> JSON data), as :data:`INDEX_DIR` holds them; ``site`` is the built site's
    address and contact routes, for ``kbgen search --site`` outside a content root; ``table`` the synonyms."""
    files: dict[str, Any] = {}
    for start in range(0, len(found), DOCS_PER_FILE):
        files[f"docs-{start // DOCS_PER_FILE}.json"] = [
            [entry.id, entry.title, entry.url, entry.tier, entry.snippet, entry.kind, entry.area]
            for entry in found[start:start + DOCS_PER_FILE]]
    by_shard: dict[str, list[str]] = {}
    postings = _weights(found)
    for term in sorted(postings):
        by_shard.setdefault(shard_of(term), []).append(term)
    in_file: dict[str, list[str]] = {}  # postings file -> its terms: the file is made when it is read
    for shard, terms in by_shard.items():
        parts, part, size = [], 0, 0
        for term in terms:
            if size > POSTINGS_FILE_CHARS:
                part, size = part + 1, 0
            in_file.setdefault(f"postings-{shard}-{part}.json", []).append(term)
            parts.append(part)
            size += len(term) + 16 * postings.count(term)
        files[f"terms-{shard}.json"] = {"terms": terms, "parts": parts}
    exact: dict[str, dict[str, list[int]]] = {}  # shard -> phrase key -> documents
    for number, entry in enumerate(found):
        for phrasing in entry.phrasings:
            key = phrase_key(phrasing)
            if key:
                numbers = exact.setdefault(shard_of(key), {}).setdefault(key, [])
                if number not in numbers:
                    numbers.append(number)
    for shard, keys in exact.items():
        files[f"phrasings-{shard}.json"] = keys
    files["index.json"] = {"format": FORMAT, "tier": tier, "documents": len(found), "docsPerFile": DOCS_PER_FILE,
                           "shards": sorted(by_shard), "phrasings": sorted(exact), "pairFiles": len(pairs),
                           "synonyms": table, "site": site or {"url": None, "contactRoutes": []}}

    def read(name: str) -> Any:
        if name in in_file:
            return {term: postings[term] for term in in_file[name]}
        data = pairs.get(name) if name.startswith("pairs-") else files.get(name)
        if data is None:
            raise KeyError(name)
        return data

    return read


def pair_files(content: ContentRoot, tier: int) -> "PairFiles":
    """The tier's pairs files, made once for the index written and the audit that reads it back (millions of
    postings at 20,000 documents: the audit takes them with :func:`drop_pair_files` when done)."""
    return content.once(("pair-files", tier), lambda: PairFiles(entries(content, tier)))


def drop_pair_files(content: ContentRoot, tier: int) -> None:
    content.derived.pop(("pair-files", tier), None)


def _stable_count(needed: int) -> int:
    """At least ``needed`` files, rounded up to three significant binary digits (5260 -> 6144): the number
    changes only when a site grows or shrinks by a good part, so an edit that adds a few pairs moves no pair
    of another page into another file, and the next build can take those files as they are."""
    step = 1 << max(0, needed.bit_length() - 3)
    return -(-needed // step) * step


class PairFiles:
    """The ``pairs-N.json`` files: a pair of CRC ``h`` is in file ``h % len(files)`` under ``h // len(files)``
    in hexadecimal, with the documents holding it. At 20,000 documents there are millions of postings:
    they are kept packed, eight bytes each, and a file is made when it is asked for (and written, then
    dropped)."""

    def __init__(self, found: tuple[Entry, ...]):
        self.written: dict[str, str] = {}  # the sha256 of each file written from these pairs, by name
        sizes = np.fromiter(map(len, (entry.pairs for entry in found)), dtype=np.int64, count=len(found))
        count = _stable_count(math.ceil(int(sizes.sum()) / PAIR_POSTINGS_PER_FILE))
        crcs = np.concatenate([np.frombuffer(entry.pairs, dtype=np.uint32) for entry in found]
                              or [np.zeros(0, dtype=np.uint32)])
        files = (crcs % count).astype(np.uint16 if count <= 1 << 16 else np.uint32)  # 16 bits: a radix sort
        packed = np.repeat(np.arange(len(found), dtype=np.uint64), sizes)
        packed |= (crcs // count).astype(np.uint64) << DOCUMENT_BITS
        del crcs
        packed = packed[np.argsort(files, kind="stable")]  # each file's pairs by document, as the documents hold them
        ends = np.cumsum(np.bincount(files, minlength=count)).tolist()
        del files
        self._packed = [packed[start:end] for start, end in zip([0, *ends], ends)]

    def __len__(self) -> int:
        return len(self._packed)

    def _number(self, name: str) -> int | None:
        """N of the file ``pairs-N.json``, None for a name that is no file of these pairs."""
        number = name.removeprefix("pairs-").removesuffix(".json")
        if not number.isdigit() or int(number) >= len(self) or name != f"pairs-{int(number)}.json":
            return None
        return int(number)

    def fingerprint(self, name: str) -> str | None:
        """A digest of the pairs the file ``pairs-N.json`` is made from (None for no such file): the same
        pairs of the same documents in the same number of files make the same file."""
        number = self._number(name)
        if number is None:
            return None
        return hashlib.sha256(f"{len(self)}:".encode() + self._packed[number].tobytes()).hexdigest()

    def digest(self, name: str) -> str | None:
        """The sha256 of the file ``pairs-N.json`` (None for no such file): as the index's writer noted it
        in :attr:`written` (the file it made from these pairs), else worked out."""
        if name not in self.written:
            data = self.get(name)
            if data is None:
                return None
            self.written[name] = hashlib.sha256(_serialised(data)).hexdigest()
        return self.written[name]

    def get(self, name: str) -> dict[str, list[int]] | None:
        """The file ``pairs-N.json``, or None for no such file."""
        number = self._number(name)
        if number is None:
            return None
        mask = (1 << DOCUMENT_BITS) - 1
        data: dict[str, list[int]] = {}
        last = documents = None
        for value in np.sort(self._packed[number]).tolist():
            if value >> DOCUMENT_BITS != last:
                last = value >> DOCUMENT_BITS
                documents = data[format(last, "x")] = []
            documents.append(value & mask)
        return data


@dataclass
class Hit:
    id: str
    title: str
    url: str
    tier: int
    score: float
    snippet: str
    matched: int  # query words the document matched
    words: int  # query words searched for
    kind: str = "article"
    area: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "url": self.url, "tier": self.tier, "kind": self.kind,
                "area": self.area, "score": round(self.score, 6), "snippet": self.snippet, "matched": self.matched,
                "words": self.words}


@dataclass
class Answer:
    """What a query found, and the query it was answered as when a word was taken for a typo of another."""

    hits: list[Hit]
    corrected: str | None = None


MAX_INDEX_FILE_BYTES = 256 << 20  # far more than one file of a 20,000-document index (a few MB)


class SearchIndex:
    """A tier's index, read file by file as a query needs them (as the browser does)."""

    def __init__(self, read: Callable[[str], Any], loaded: bool = False):
        self.loaded = loaded  # read from a site's files, which anyone could have changed
        self._source = read
        self._read = functools.lru_cache(maxsize=None)(read)
        try:
            meta = self._read("index.json")
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise SearchIndexError(f"not a kbgen search index of format {FORMAT}; rebuild the site")
            self.tier: int = meta["tier"]
            self.count: int = meta["documents"]
            self.docs_per_file: int = meta["docsPerFile"]
            self.shards: list[str] = meta["shards"]
            self.phrasing_shards: list[str] = meta["phrasings"]
            self.pair_files: int = meta["pairFiles"]
            self.synonyms: dict[str, list[str]] = meta["synonyms"]
            self.address: str | None = meta["site"]["url"]
            self.contact_routes: list[dict] = meta["site"]["contactRoutes"]
        except (KeyError, TypeError) as exc:
            raise SearchIndexError(f"unreadable search index ({exc})") from None
        if not all(type(number) is int and number >= least
                   for number, least in ((self.count, 0), (self.docs_per_file, 1), (self.pair_files, 0))):
            raise SearchIndexError("unreadable search index (its counts of documents and files are not what kbgen "
                                   "writes); rebuild the site")

    @classmethod
    def build(cls, content: ContentRoot, tier: int, site: dict | None = None) -> SearchIndex:
        """The index of the tier ``tier`` site, from the content (no site needed)."""
        return cls(_files(tier, entries(content, tier), content_synonyms(content), pair_files(content, tier), site))

    @classmethod
    def load(cls, path: Path | str) -> SearchIndex:
        """A saved index: a built site's folder (``OUT/tierN``), its index folder or its ``index.json``."""
        path = Path(path)
        folder = path.parent if path.is_file() else path / INDEX_DIR if (path / INDEX_DIR).is_dir() else path

        def read(name: str) -> Any:
            try:
                if not stat.S_ISREG(os.stat(folder / name).st_mode):  # a named pipe would keep us waiting
                    raise SearchIndexError(f"{folder / name}: not a file; rebuild the site")
                with (folder / name).open("rb") as file:
                    data = file.read(MAX_INDEX_FILE_BYTES + 1)
                if len(data) > MAX_INDEX_FILE_BYTES:
                    raise SearchIndexError(f"{folder / name}: larger than any search index file kbgen writes")
                return json.loads(data.decode("utf-8"))
            except FileNotFoundError:
                raise SearchIndexError(f"{folder / name}: no search index; build the site first") from None
            except (OSError, ValueError, RecursionError) as exc:
                raise SearchIndexError(f"{folder / name}: unreadable search index ({exc})") from None

        return cls(read, loaded=True)

    def write(self, folder: Path, previous: Path | None = None,
              known: dict[str, str] | None = None) -> tuple[dict[str, str], set[str]]:
        """Save the index's files into ``folder``, replacing what it holds. A file byte for byte the same as
        the one of that name in ``previous`` (the index of the published site) is linked, not written: after
        one edit most files are (a word's weights move only where its counts did, the pairs of other pages
        stay in their files). ``known`` names files whose content is known to be unchanged, with the sha256
        the previous build wrote: one whose previous file still has it is linked without being made again.
        In a recycled site (:func:`generator.output.recycle`) a file that already is the one to link is
        kept; anything else there is deleted first, never written into. Returns the sha256 of every file,
        by name, and the names of those taken from ``previous``."""
        present = _files_in(folder)
        digests: dict[str, str] = {}
        taken: set[str] = set()
        known = known or {}
        for name in self.file_names():
            target, inode = folder / name, present.pop(name, None)
            data = None
            if previous is not None and name in known and _digest_of(previous / name) == known[name]:
                digests[name] = known[name]
            else:
                data = _serialised(self.file(name))
                digests[name] = hashlib.sha256(data).hexdigest()
            if data is None or (previous is not None and _same_bytes(previous / name, data)):
                taken.add(name)
                if inode is not None and inode == inode_of(previous / name):
                    continue
                if inode is not None:
                    target.unlink()
                link_or_copy(previous / name, target)
            else:
                if inode is not None:
                    target.unlink()
                target.write_bytes(data)
        for name in present:
            (folder / name).unlink()
        return digests, taken

    def file_names(self) -> list[str]:
        names = ["index.json"] + [f"docs-{n}.json" for n in range(math.ceil(self.count / self.docs_per_file))]
        for shard in self.shards:
            names.append(f"terms-{shard}.json")
            names += [f"postings-{shard}-{part}.json" for part in sorted(set(self._terms(shard)["parts"]))]
        names += [f"pairs-{number}.json" for number in range(self.pair_files)]
        return names + [f"phrasings-{shard}.json" for shard in self.phrasing_shards]

    def file(self, name: str) -> Any:
        """One of the index's files (see the module docstring), parsed afresh and kept by nobody: who reads
        every file (the audit, :meth:`write`) holds one at a time."""
        return self._source(name)

    def _terms(self, shard: str) -> dict:
        return self._read(f"terms-{shard}.json") if shard in self.shards else {"terms": [], "parts": []}

    def terms(self) -> list[str]:
        """Every term of the index."""
        return [term for shard in self.shards for term in self._terms(shard)["terms"]]

    def documents(self) -> list[dict]:
        """What a result shows of each document, in the index's order."""
        return [self.document(number) for number in range(self.count)]

    def document(self, number: int) -> dict:
        row = self._read(f"docs-{number // self.docs_per_file}.json")[number % self.docs_per_file]
        return dict(zip(("id", "title", "url", "tier", "snippet", "kind", "area"), row))

    def postings(self, term: str) -> list:
        shard = self._terms(shard_of(term))
        part = shard["parts"][shard["terms"].index(term)]
        return self._read(f"postings-{shard_of(term)}-{part}.json")[term]

    def _has(self, term: str) -> bool:
        return term in self._terms(shard_of(term))["terms"]

    def _lookups(self, word: QueryWord, last: bool, typos: bool = True) -> dict[str, float]:
        """The terms one query word is looked up by, with their weights in the word's query vector, in the
        order the search worker adds them up in (mirrored there)."""
        found: dict[str, float] = {}
        if word.part:
            exact = [(word.text, 1.0)]
        elif " " not in word.text:
            lowered = word.text.lower()
            target = stem(lowered)
            typos = typos and len(lowered) >= TYPO_MIN_LENGTH and not DIGITS_RE.fullmatch(lowered)
            for shard in sorted({shard_of(target), shard_of(lowered)}):
                for term in self._terms(shard)["terms"]:
                    weight = 0.0
                    if term == target:
                        weight += 1
                    if typos and within_one_edit(target, term):
                        weight += TYPO_BOOST
                    if last and term.startswith(lowered):
                        weight += PREFIX_BOOST
                    if weight:
                        found[term] = weight
            exact = []
        else:  # a phrase a synonym rule names: each of its words, as typed
            exact = [(term, 1.0) for term in analyse(word.text)]
        exact += [(term, SYNONYM_BOOST) for synonym in word.synonyms for term in analyse(synonym)]
        for term, weight in exact:
            if self._has(term):
                found[term] = found.get(term, 0.0) + weight
        return found

    def _rare(self, word: QueryWord, lookups: dict[str, float]) -> list:
        """The documents naming the word, when it is a code (a digit in it) that few documents name."""
        term = word.text if word.part else stem(word.text.lower()) if " " not in word.text else ""
        if term not in lookups or not DIGITS_RE.search(term):
            return []
        postings = self.postings(term)
        return postings[::2] if len(postings) <= 2 * RARE_DOCUMENTS else []

    def _exact(self, query: str) -> list[int]:
        """The documents whose intents say what the query says (see :func:`phrase_key`)."""
        key = phrase_key(query)
        if not key or shard_of(key) not in self.phrasing_shards:
            return []
        return self._read(f"phrasings-{shard_of(key)}.json").get(key, [])

    def _holding(self, pairs: list[int]) -> dict[int, int]:
        """Document -> how many of the query's neighbouring word pairs (CRCs) it holds."""
        held: dict[int, int] = {}
        for crc in pairs:
            key, file = divmod(crc, self.pair_files)
            for number in self._read(f"pairs-{file}.json").get(format(key, "x"), []):
                held[number] = held.get(number, 0) + 1
        return held

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Documents matching ``query``, best first; only good matches (see the module docstring)."""
        return self.answer(query, limit).hits

    def _correction(self, word: QueryWord, lookups: dict[str, float], last: bool) -> str | None:
        """The term a word was taken for a typo of: it is no term of the index, nor (the last word) the
        start of one; of its neighbours, the one in most documents (mirrored in the worker)."""
        lowered = word.text.lower()
        target = stem(lowered)
        if word.part or " " in word.text or target in lookups or last and any(
                term.startswith(lowered) for term in lookups):
            return None
        neighbours = [term for term in lookups if within_one_edit(target, term)]  # not its synonyms
        return max(neighbours, key=lambda term: len(self.postings(term)), default=None)

    def answer(self, query: str, limit: int = 10) -> Answer:
        """:meth:`search`, saying which query the hits answer when a word was taken for a typo: "Showing
        results for ...". A query with a double quote is searched as typed, without typos. A loaded index
        whose files are not what kbgen writes is a :class:`SearchIndexError`."""
        if not self.loaded:
            return self._answer(query, limit)
        try:
            return self._answer(query, limit)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError, RecursionError, ArithmeticError) as exc:
            raise SearchIndexError(f"unreadable search index ({type(exc).__name__}: {exc}); rebuild the site") \
                from None

    def _answer(self, query: str, limit: int) -> Answer:
        words = query_words(query, self.synonyms)
        typos = '"' not in query
        last = max((position for position, word in enumerate(words) if not word.part), default=-1)
        total = sum(word.size for word in words)
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        rare: dict[int, int] = {}
        corrections: dict[int, str] = {}
        for position, word in enumerate(words):
            lookups = self._lookups(word, position == last, typos)
            correction = self._correction(word, lookups, position == last)
            if correction:
                corrections[position] = correction
            length = math.sqrt(sum(weight * weight for weight in lookups.values()))
            dots: dict[int, float] = {}
            for term, weight in lookups.items():
                postings = self.postings(term)
                for i in range(0, len(postings), 2):
                    dots[postings[i]] = dots.get(postings[i], 0.0) + weight * postings[i + 1]
            for number, dot in dots.items():
                scores[number] = scores.get(number, 0.0) + dot / length
                matched[number] = matched.get(number, 0) + word.size
            for number in self._rare(word, lookups):
                rare[number] = rare.get(number, 0) + 1
        exact = set(self._exact(query))
        pairs = query_pairs(words) if self.pair_files else []
        held = self._holding(pairs)
        needed = max(MIN_COVERAGE * total, min(2, total))
        ranked = []
        for number, score in scores.items():
            coverage = matched[number] / total
            if matched[number] >= needed or number in exact:
                phrase = 1 + PAIR_BOOST * held.get(number, 0) / len(pairs) if pairs else 1
                whole = len(pairs) >= WHOLE_PHRASE_PAIRS and held.get(number, 0) == len(pairs)
                ranked.append((number in exact, rare.get(number, 0), whole, score * coverage * coverage * phrase,
                               number))
        ranked.sort(key=lambda item: (not item[0], -item[1], not item[2], -item[3], item[4]))
        best = max((item[3] for item in ranked), default=0.0)
        hits = []
        for is_exact, codes, whole, score, number in ranked:
            if len(hits) == limit or not (is_exact or codes or whole) and score < RELATIVE_CUTOFF * best:
                break
            doc = self.document(number)
            hits.append(Hit(doc["id"], doc["title"], doc["url"], doc["tier"], score, doc["snippet"], matched[number],
                            total, doc["kind"], doc["area"]))
        corrected = " ".join(corrections.get(position, word.text.lower()) for position, word in enumerate(words)
                             if not word.part) if corrections and hits else None
        return Answer(hits, corrected)


@dataclass
class WrittenIndex:
    """What :func:`write_site_index` did: the files it took from the previous site (path in the site ->
    sha256), and for each pairs file the fingerprint of its pairs and the sha256 of the file (kept in the
    tier's manifest, so that the next build knows an unchanged file without making it)."""

    taken: dict[str, str]
    pairs: dict[str, list[str]]


def write_site_index(content: ContentRoot, tier: int, site_dir: Path | str, address: str | None = None,
                     contact_routes: list[dict] | None = None, previous_site: Path | None = None,
                     previous_pairs: dict[str, list[str]] | None = None) -> WrittenIndex:
    """Build the tier's index and save it into its built site, with the site's address and (tier 0) its
    contact routes; files the same as in ``previous_site``'s index are linked from there, and a pairs file
    whose pairs have the fingerprint ``previous_pairs`` gives for it is not even made. (The theme's
    full-text index, which the browser would download at every page load only to index it again, is a
    stub: see the plugin.)"""
    site = {"url": address, "contactRoutes": list(contact_routes or []) if tier == 0 else []}
    previous = Path(previous_site) / INDEX_DIR if previous_site is not None else None
    pairs = pair_files(content, tier)
    known = {name: digest for name, (fingerprint, digest) in (previous_pairs or {}).items()
             if pairs.fingerprint(name) == fingerprint}
    digests, taken = SearchIndex.build(content, tier, site).write(Path(site_dir) / INDEX_DIR, previous, known)
    made = {name: digest for name, digest in digests.items() if name.startswith("pairs-")}
    pairs.written.update(made)
    return WrittenIndex({f"{INDEX_DIR}/{name}": digests[name] for name in taken},
                        {name: [pairs.fingerprint(name), digest] for name, digest in made.items()})


def _serialised(data: Any) -> bytes:
    """An index file's bytes, as the site serves them (and as the audit compares them)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digest_of(path: Path) -> str | None:
    """The sha256 of the file at ``path``, or None if it cannot be read."""
    try:
        return file_hash(path)
    except OSError:
        return None


def _files_in(folder: Path) -> dict[str, int]:
    """The files in ``folder`` (made if missing) by name, with their inodes; anything else in it is deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            files[entry.name] = entry.inode()
        elif entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    return files


def _same_bytes(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data`` (a missing or unreadable file does not)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False

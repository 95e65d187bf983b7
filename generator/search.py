"""Search: one lunr index per tier, built from the content model, shared by the site and ``kbgen search``.

The index is built with lunr.py from what a tier may show (documents of that tier and below, internal
blocks filtered by :mod:`generator.audience`) and written into the site as ``search/kbgen-index.json``
in the format lunr.js loads, so the browser never rebuilds it. The site's search worker
(``overrides/assets/javascripts/kbgen/search-worker.js``) and :meth:`SearchIndex.search` run the same
query plan on the same index, so the help site and the terminal rank alike:

* the query is cut into words as lunr cuts text, trimmed of punctuation, stop words dropped;
* each word is looked up on its own: its stem, its spellings one edit away (typos, from 4 letters),
  and, for the last word, as a prefix (the customer may still be typing);
* a document's score is the sum of its per-word scores times the square of the share of words it
  matched, so a page matching the whole pasted error message beats one that repeats one word;
* a document matching fewer than :data:`MIN_COVERAGE` of the words is no good match and is dropped.

Keep this file and the worker in step: ``tests/test_search_browser.py`` proves they agree.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import mkdocs
from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.query import Query
from lunr.tokenizer import Tokenizer
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import stop_word_filter, WORDS as STOP_WORDS

from .audience import in_site, strip_hidden
from .content import SNIPPETS_DIR, ContentRoot
from .validate import SNIPPET_RE

INDEX_FILE = "search/kbgen-index.json"  # inside a built site
THEME_INDEX_FILE = "search/search_index.json"  # what mkdocs-material's page script fetches at every page load
# The theme's script only needs its search configuration; the worker fetches INDEX_FILE itself.
THEME_INDEX_STUB = {"config": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stemmer"], "fields": {}},
                    "docs": []}
LUNR_JS = Path(mkdocs.__file__).parent / "contrib" / "search" / "templates" / "search" / "lunr.js"  # MIT, 2.3.9
LUNR_JS_URI = "assets/javascripts/kbgen/lunr.js"  # beside the worker, which imports it
FORMAT = 1  # bump when the file's shape changes; the worker checks it
# Field -> boost. Titles and the intent's phrasings say what a page is for, more than any body word.
FIELDS = {"title": 8, "intents": 4, "tags": 3, "summary": 3, "headings": 2, "body": 1}
TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours one edit away
TYPO_BOOST = 0.2
PREFIX_BOOST = 0.3
MIN_COVERAGE = 0.34  # share of the query's words a result must match to count as a match
MAX_QUERY_WORDS = 24  # a pasted stack trace is cut here
SNIPPET_CHARS = 180
DIGITS_RE = re.compile(r"[0-9]+")
SEPARATOR_RE = re.compile(r"[\s\-]+")  # lunr's tokenizer separator, in lunr.js and lunr.py alike
EDGE_RE = re.compile(r"^\W+|\W+$")  # punctuation around a word: quotes, colons, brackets
HEADING_RE = re.compile(r"^[ \t>]*#{1,6}[ \t]+(.*?)[ \t#]*$")
FENCE_MARK_RE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
BLOCK_MARK_RE = re.compile(r"^[ \t>]*/{3,}.*$")
MAX_INCLUDE_DEPTH = 4  # snippets including snippets; validation already refused anything outside snippets/
IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")
REFERENCE_DEF_RE = re.compile(r"^[ \t]*\[(?!\^)[^\]]+\]:[ \t]*\S+.*$")  # link definitions; footnotes are text
TAG_RE = re.compile(r"<[^>]+>")
MARKUP_RE = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+|^[ \t>]*(?:[-*+]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?|"
                       r"^[ \t>]*(?:!!!|\?\?\?\+?|===)[ \t]*\w*|\{[:#.][^}]*\}|\||\[\^[^\]]*\]:?", re.M)


class SearchIndexError(Exception):
    """A saved index is missing, unreadable or of another format."""


def trim(word: str) -> str:
    """Lowercase a word and strip the punctuation around it (``"redirect_uri",`` -> ``redirect_uri``)."""
    return EDGE_RE.sub("", word.lower())


def query_words(query: str) -> list[str]:
    """The words a query is searched by: cut as lunr cuts text, trimmed, no stop words, each once."""
    seen: list[str] = []
    for piece in SEPARATOR_RE.split(query):
        word = trim(piece)
        if word and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_WORDS]


def _trimmer(token, i=None, tokens=None):
    """lunr pipeline step: the same trimming as queries get (lunr's own trimmer is ASCII-only in JS)."""
    return token.update(lambda text, metadata: trim(text)) if trim(str(token)) else None


_trimmer.label = "kbgenTrimmer"  # only used while building: never serialized


class _LunrJsStemmer(PorterStemmer):
    """lunr.py's Porter stemmer, but turning a final y into i as lunr.js does: after a consonant ("try" ->
    "tri", "key" stays "key"); lunr.py does it after any vowel in the stem ("key" -> "kei"), so the
    browser would not find the index's terms. The other steps of the two agree."""

    def step1c(self):
        if self.ends("y") and self.k - self.k0 >= 2 and self.b[self.k - 1] not in "aeiou":
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1:]


_porter = _LunrJsStemmer()


@functools.lru_cache(maxsize=None)
def _stem(word: str) -> str:
    """A word's stem, worked out once: a knowledge base repeats its vocabulary in every document."""
    return _porter.stem(word)


def stemmer(token, i=None, tokens=None):
    """lunr pipeline step: stem as lunr.js's ``stemmer`` does (serialized under its name)."""
    return token.update(lambda word, metadata=None: _stem(word))


stemmer.label = "stemmer"


def markdown_text(lines: list[str]) -> tuple[list[str], str]:
    """(headings, plain text) of Markdown lines: markup dropped, link and code text kept as written."""
    headings, text = [], []
    for line in lines:
        if FENCE_MARK_RE.match(line) or BLOCK_MARK_RE.match(line) or SNIPPET_RE.match(line) \
                or REFERENCE_DEF_RE.match(line):
            continue
        heading = HEADING_RE.match(line)
        if heading:
            headings.append(heading[1])
            continue
        line = LINK_RE.sub(lambda m: m[1] or m[2] or "", IMAGE_RE.sub(r"\1", line))
        text.append(MARKUP_RE.sub(" ", TAG_RE.sub(" ", line)))
    return headings, " ".join(" ".join(text).split())


def with_snippets(lines: list[str], snippets: Path, depth: int = 0) -> list[str]:
    """Lines with each ``--8<-- "name.md"`` replaced by the snippet, indented like the include, as
    pymdownx.snippets does, so included text is found and its internal blocks filtered like the page's.
    Includes of parts of a file (``name.md:3:9``) are left out."""
    if depth >= MAX_INCLUDE_DEPTH or not any("8<" in line for line in lines):
        return lines
    result = []
    for line in lines:
        include = SNIPPET_RE.match(line) if "8<" in line else None
        path = snippets / include["spec"] if include and include["spec"] and not include["escape"] else None
        if path is None or not path.is_file() or not path.resolve().is_relative_to(snippets.resolve()):
            result.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        included = path.read_text(encoding="utf-8", errors="replace").split("\n")
        result += [indent + text if text else text for text in with_snippets(included, snippets, depth + 1)]
    return result


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

    @property
    def snippet(self) -> str:
        text = self.summary or self.body
        return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def entries(content: ContentRoot, tier: int) -> list[Entry]:
    """Every document the tier ``tier`` site shows, as the index sees it (hidden blocks removed)."""
    found = []
    for document in content.documents:
        if not in_site(document, tier):
            continue
        lines = with_snippets(document.body.split("\n"), content.root / SNIPPETS_DIR)
        headings, body = markdown_text(strip_hidden(lines, tier))
        escalation = document.meta.get("escalation")
        if document.kind == "runbook" and isinstance(escalation, dict) and escalation.get("when"):
            body += f" {escalation['when']}"  # the page's escalation box says when to hand over
        intents = [content.intents[i] for i in document.intents if i in content.intents]
        found.append(Entry(
            id=document.id, title=document.title, url=document.url, tier=document.tier,
            summary=str(document.meta.get("summary") or ""),
            intents=" ".join(f"{intent.title} {' '.join(intent.phrasings)}" for intent in intents),
            tags=" ".join(str(tag) for tag in document.meta.get("tags") or [] if isinstance(tag, (str, int))),
            headings=" ".join(headings[1:] if headings and headings[0] == document.title else headings),
            body=body,
        ))
    return sorted(found, key=lambda entry: entry.id)


def _index_pipeline() -> Pipeline:
    pipeline = Pipeline()
    pipeline.add(_trimmer, stop_word_filter, stemmer)
    return pipeline


def text_terms(text: str) -> set[str]:
    """The index terms a text yields, as the index builder makes them."""
    return {str(token) for token in _index_pipeline().run(Tokenizer(text))}


def utf16_order(inverted_index: list) -> list:
    """lunr.js inserts terms in JavaScript (UTF-16) order; lunr.py sorts by code point, which differs
    for characters outside the Basic Multilingual Plane (emoji) and breaks loading in the browser."""
    return sorted(inverted_index, key=lambda item: item[0].encode("utf-16-be"))


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

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "url": self.url, "tier": self.tier, "score": self.score,
                "snippet": self.snippet, "matched": self.matched, "words": self.words}


class SearchIndex:
    """A tier's index: the lunr index and, per document, what a result shows."""

    def __init__(self, data: dict):
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SearchIndexError(f"not a kbgen search index of format {FORMAT}; rebuild the site")
        self.data = data
        self.tier = data["tier"]
        self.by_ref = {doc["ref"]: doc for doc in data["documents"]}
        self.documents = {doc["id"]: doc for doc in data["documents"]}
        lunr_data = dict(data["index"], invertedIndex=sorted(data["index"]["invertedIndex"]))
        self.index = Index.load(lunr_data)
        self.index.pipeline = Pipeline()
        self.index.pipeline.add(stemmer)  # in place of lunr.py's own, registered under the same name

    @classmethod
    def build(cls, content: ContentRoot, tier: int) -> SearchIndex:
        """The index of the tier ``tier`` site, from the content (no site needed)."""
        found = entries(content, tier)
        builder = Builder()
        builder.pipeline = _index_pipeline()
        builder.search_pipeline.add(stemmer)
        builder.ref("ref")
        for name, boost in FIELDS.items():
            builder.field(name, boost=boost)
        refs = [_short_ref(number) for number in range(len(found))]
        for ref, entry in zip(refs, found):
            builder.add({"ref": ref, **{name: getattr(entry, name) for name in FIELDS}})
        serialized = builder.build().serialize()
        serialized["invertedIndex"] = utf16_order(serialized["invertedIndex"])
        return cls({
            "format": FORMAT, "tier": tier,
            "documents": [{"ref": ref, "id": e.id, "title": e.title, "url": e.url, "tier": e.tier,
                           "snippet": e.snippet} for ref, e in zip(refs, found)],
            "index": serialized,
        })

    @classmethod
    def load(cls, path: Path | str) -> SearchIndex:
        """A saved index: a built site's folder (``OUT/tierN``) or the index file itself."""
        path = Path(path)
        if path.is_dir():
            path = path / INDEX_FILE
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise SearchIndexError(f"{path}: no search index; build the site first") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SearchIndexError(f"{path}: unreadable search index ({exc})") from None

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))

    def terms(self) -> list[str]:
        return [term for term, _ in self.data["index"]["invertedIndex"]]

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Documents matching ``query``, best first; only good matches (see the module docstring)."""
        words = query_words(query)
        scores: dict[str, float] = {}
        matched: dict[str, int] = {}
        for position, word in enumerate(words):
            for result in self.index.query(callback=lambda q, w=word, last=position == len(words) - 1:
                                           _word_clauses(q, w, last)):
                ref = result["ref"]
                scores[ref] = scores.get(ref, 0.0) + result["score"]
                matched[ref] = matched.get(ref, 0) + 1
        ranked = []
        for ref, score in scores.items():
            coverage = matched[ref] / len(words)
            if coverage >= MIN_COVERAGE:
                ranked.append((round(score * coverage * coverage, 6), ref))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        hits = []
        for score, ref in ranked[:limit]:
            doc = self.by_ref[ref]
            hits.append(Hit(doc["id"], doc["title"], doc["url"], doc["tier"], score, doc["snippet"], matched[ref],
                            len(words)))
        return hits


def _short_ref(number: int) -> str:
    """A document's reference in the index: base 36. The index repeats it for every word of the
    document, so a short one keeps the file small."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if not number:
            return text


def _word_clauses(query: Query, word: str, last: bool) -> None:
    """The clauses one query word is looked up by (mirrored in the search worker)."""
    query.term(word, boost=1)
    if len(word) >= TYPO_MIN_LENGTH and not DIGITS_RE.fullmatch(word):
        query.term(word, boost=TYPO_BOOST, edit_distance=1)
    if last:
        query.term(word, boost=PREFIX_BOOST, use_pipeline=False, wildcard=Query.WILDCARD_TRAILING)


def write_site_index(content: ContentRoot, tier: int, site_dir: Path | str) -> Path:
    """Build the tier's index and save it into its built site, in place of the theme's full-text index
    (which the browser would download at every page load only to index it again)."""
    target = Path(site_dir) / INDEX_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(SearchIndex.build(content, tier).to_json(), encoding="utf-8")
    (Path(site_dir) / THEME_INDEX_FILE).write_text(json.dumps(THEME_INDEX_STUB), encoding="utf-8")
    return target

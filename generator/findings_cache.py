"""The findings of the per-document rules, kept between builds: a rebuild runs those rules only for the
documents whose inputs changed.

Validation is part of the leak protection (it refuses documents whose internal blocks the parser reads
otherwise), so a kept verdict is taken only when nothing the rules read for the document changed:

* the document as loaded (its path, front matter with the positions of its values, and body): the key
  of its entry;
* what the rules of any document may read, the *context*: kbgen's code and schemas, the installed
  packages and Python, where the root is, the default runbook layout, the Markdown pipeline and every
  snippet (:func:`generator.structure.pipeline_digest`), intents.yml as loaded, and every document's
  path and front matter (ids, URLs, tiers, kinds and statuses of link and escalation targets, the tiers
  of the folders attachments belong to). Any change to it runs the rules for every document;
* the parse of the other documents the rules looked into (a link target's headings, for its anchor):
  recorded with the hash of their bodies while the rules run, compared on reuse;
* the files the rules looked at (whether a linked file exists, where a snippet include leads, a
  snippet's text): recorded with what was found, looked at again on reuse.

Findings are kept with the severities the rules give them; the severities a team chose
(:mod:`generator.rules`) are applied afterwards, to kept and fresh findings alike.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
from pathlib import Path

from . import changes, structure
from .content import ContentRoot, Document, kept_json, read_text
from .findings import Finding
from .incremental import CACHE_DIR, PACKAGE, hash_tree, installed_packages

FORMAT = 1
FINDINGS_FILE = "findings.json"  # in a build's cache folder, beside views.json
KEPT = "findings-kept"  # in ContentRoot.derived: what load() read, for the next run of the rules
CACHE = "findings-cache"  # in ContentRoot.derived: the last run's cache, for kept_findings() and checked()


def _digest(value) -> str:
    """The sha256 of JSON values; anything JSON has no type for is told apart by its type and repr."""
    text = json.dumps(value, separators=(",", ":"), default=lambda v: f"{type(v).__qualname__}:{v!r}")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def document_key(document: Document) -> str:
    """Everything the rules can read of a document itself, as loaded."""
    positions = [[list(path), list(where)] for path, where in document.frontmatter.positions.items()]
    return _digest([document.rel, document.body_line, document.meta, positions, document.body])


def context_digest(content: ContentRoot, runbook_layout: str) -> str:
    """What the per-document rules may read besides the document, its link targets' parse and files."""
    digest = hashlib.sha256(f"kbgen-findings-{FORMAT}\n".encode())
    hash_tree(digest, PACKAGE)
    intents = None if content.intents_yaml is None else [vars(intent) for intent in content.intents.values()]
    digest.update(_digest([installed_packages(), sys.version, str(content.root), runbook_layout,
                           structure.pipeline_digest(content), intents,
                           [[document.rel, document.meta] for document in content.documents]]).encode())
    return digest.hexdigest()


def _exists(path: Path) -> bool:
    """Whether anything is at ``path``: a name the system refuses (too long, say) names nothing."""
    try:
        return path.exists()
    except OSError:
        return False


def _text_digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


PROBES = {  # what the rules may ask of a file, and what is kept of the answer
    "exists": _exists,
    "is_file": Path.is_file,
    "resolve": os.path.realpath,  # a symbolic link loop is then a path to nothing (Path.resolve() raises)
    "text": lambda path: _text_digest(read_text(path, "")[0]),
}


class Reads:
    """What the rules read for one document besides it and the context, recorded as they read it: the
    rules ask these questions of files through it."""

    def __init__(self) -> None:
        self.parses: dict[str, Document] = {}
        self.files: dict[tuple[str, str], object] = {}

    def parse_of(self, document: Document) -> None:
        """The rules read ``document``'s parse (its headings' ids, say)."""
        self.parses[document.rel] = document

    def exists(self, path: Path) -> bool:
        return self._probe("exists", path)

    def is_file(self, path: Path) -> bool:
        return self._probe("is_file", path)

    def resolve(self, path: Path) -> Path:
        return Path(self._probe("resolve", path))

    def text(self, path: Path, rel: str) -> str | None:
        """A snippet's text, as :func:`generator.content.read_text` reads it."""
        text = read_text(path, rel)[0]
        self.files[("text", str(path))] = _text_digest(text)
        return text

    def _probe(self, kind: str, path: Path):
        found = self.files[(kind, str(path))] = PROBES[kind](path)
        return found

    def recorded(self) -> dict:
        """JSON values: the bodies' hashes of the documents whose parse was read, and each file's answer."""
        return {"parses": {rel: structure.body_key(document) for rel, document in self.parses.items()},
                "files": [[kind, path, found] for (kind, path), found in self.files.items()]}


def _still(kind: str, path: str, found) -> bool:
    """Whether asking the file again gives the answer recorded; anything unexpected counts as a change."""
    try:
        return kind in PROBES and PROBES[kind](Path(path)) == found
    except (OSError, RuntimeError, ValueError):
        return False


FIELD_TYPES = tuple(type(value) for value in dataclasses.astuple(Finding("", 1, 1, "", "", "")))


def _well_formed(finding: Finding) -> bool:
    """A finding read back has the types of one the rules make (others could not even be sorted with them)."""
    return all(type(value) is kind for value, kind in zip(dataclasses.astuple(finding), FIELD_TYPES))


class FindingsCache:
    """The entries a run of the rules may take from the last kept run, and those it keeps for the next."""

    def __init__(self, content: ContentRoot, runbook_layout: str):
        self.content = content
        self.runbook_layout = runbook_layout
        self.by_rel = content.by_rel()
        self.recalled: dict[str, dict] = {}  # rel -> entry taken from the last kept run
        self.fresh: list[tuple[Document, list[Finding], dict]] = []  # the documents whose rules ran, in this run

    @functools.cached_property
    def context(self) -> str:
        return context_digest(self.content, self.runbook_layout)

    @functools.cached_property
    def previous(self) -> dict[str, dict]:
        kept = self.content.derived.get(KEPT)
        if not isinstance(kept, dict) or kept.get("format") != FORMAT or kept.get("context") != self.context:
            return {}
        documents = kept.get("documents")
        return documents if isinstance(documents, dict) else {}

    def recall(self, document: Document) -> list[Finding] | None:
        """The kept findings of ``document``, if nothing its rules read changed since; else None."""
        if not self.content.derived.get(KEPT):
            return None
        entry = self.previous.get(document.rel)
        try:
            if entry is None or entry["key"] != document_key(document) or not self._unchanged(entry["reads"]):
                return None
            findings = [Finding(*finding) for finding in entry["findings"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if not all(map(_well_formed, findings)):
            return None
        self.recalled[document.rel] = entry
        return findings

    def _unchanged(self, reads: dict) -> bool:
        for rel, body in reads["parses"].items():
            other = self.by_rel.get(rel)
            if other is None or structure.body_key(other) != body:
                return False
        return all(_still(kind, path, found) for kind, path, found in reads["files"])

    def keep(self, document: Document, findings: list[Finding], reads: dict) -> None:
        """The findings of a document whose rules ran, with what they read (:meth:`Reads.recorded`)."""
        self.fresh.append((document, findings, reads))

    def entries(self) -> dict[str, dict]:
        """Every document's entry, for the next run (keyed only now: a run that keeps none pays nothing)."""
        entries = dict(self.recalled)
        for document, findings, reads in self.fresh:
            entries[document.rel] = {"key": document_key(document), "reads": reads,
                                     "findings": [dataclasses.astuple(finding) for finding in findings]}
        return entries


def start(content: ContentRoot, runbook_layout: str) -> FindingsCache:
    """The cache of a run of the rules over ``content``: :func:`kept_findings` gives the last one to keep."""
    cache = content.derived[CACHE] = FindingsCache(content, runbook_layout)
    return cache


def load(content: ContentRoot, path: Path) -> None:
    """Offer the entries kept in ``path`` to the next run of the rules over ``content``; a missing or
    unreadable file offers none (its entries are checked when taken, each on its own)."""
    kept = kept_json(path)
    if isinstance(kept, dict):
        content.derived[KEPT] = kept
    else:
        content.derived.pop(KEPT, None)


def kept_findings(content: ContentRoot) -> dict | None:
    """The entries of the last run of the rules over ``content``, as JSON values taken now, for the next
    run's :func:`load`; None when there was no run (JSON: nothing in it runs when it is read)."""
    cache = content.derived.get(CACHE)
    return None if cache is None else {"format": FORMAT, "context": cache.context, "documents": cache.entries()}


def checked(content: ContentRoot) -> list[str]:
    """The documents whose per-document rules ran in the last run over ``content`` (the rest were kept)."""
    cache = content.derived.get(CACHE)
    return [document.rel for document, _, _ in cache.fresh] if cache else []


def take_kept(content: ContentRoot, out: Path) -> None:
    """Take the views and findings the last build into ``out`` kept (for the documents nothing they depend on
    changed for), unless Git tracks files there: a commit can put any file into a folder, and kept findings
    are validation's verdict on a document."""
    if not changes.committed(out):
        structure.load_views(content, out / CACHE_DIR / structure.VIEWS_FILE)
        load(content, out / CACHE_DIR / FINDINGS_FILE)

"""A content root kept loaded while writers edit it, validated one document at a time as it is typed.

``kbgen validate`` checks a whole tree; an editor needs the findings of one document, from text that is not
saved yet, within milliseconds. A :class:`Workspace` loads the root once and keeps it as it is on disk: a file
saved, created, changed or deleted is read again and what was worked out from its old text is dropped.
:meth:`Workspace.check` runs the per-document rules on an unsaved text, and the tree-wide rules only as far as
they involve that document (its id, its escalation chain), against the rest of the tree as it is on disk.
"""

from __future__ import annotations

import bisect
import contextlib
from pathlib import Path

from .content import (CONTENT_DIRS, INTENTS_FILE, ContentRoot, Document, decode_text, load, load_document,
                      parse_document, refusal)
from .findings import ERROR, Finding
from .findings_cache import Reads
from .rules import apply
from .site_config import of as site_config_of
from .structure import ExtensionFailed
from .validate import Validator

TREE_WIDE_KEYS = ("folder-tiers", "search-entries")  # derived from every document's front matter


class DocumentValidator(Validator):
    """The validation rules for one document at a time, over indexes of the tree kept up to date as its
    documents change (building them again costs tens of milliseconds on thousands of documents)."""

    def __init__(self, content: ContentRoot, runbook_layout: str):
        super().__init__(content, runbook_layout)
        self.findings = []
        self.named: dict[str, list[Document]] = {}  # id -> documents, in path order; by_id keeps the last
        self.lowered: dict[str, list[Document]] = {}  # id ignoring case -> documents (ids must differ so)
        self.located: dict[str, list[Document]] = {}  # URL -> documents; by_url keeps the last
        for document in content.documents:
            self.index(document)

    def index(self, document: Document) -> None:
        self.by_rel[document.rel] = document
        for groups, key, latest in self._keys(document):
            group = groups.setdefault(key, [])
            bisect.insort(group, document, key=lambda d: d.rel)
            if latest is not None:
                latest[key] = group[-1]

    def unindex(self, document: Document) -> None:
        if self.by_rel.get(document.rel) is document:
            del self.by_rel[document.rel]
        for groups, key, latest in self._keys(document):
            group = [d for d in groups.get(key, ()) if d is not document]
            if group:
                groups[key] = group
            else:
                groups.pop(key, None)
            if latest is not None:
                if group:
                    latest[key] = group[-1]
                else:
                    latest.pop(key, None)

    def _keys(self, document: Document):
        url = document.url.rstrip("/")
        found = [(self.located, url, self.by_url)]
        if document.id:
            found.append((self.named, document.id, self.by_id))
        if isinstance(document.meta.get("id"), str):
            found.append((self.lowered, document.id.lower(), None))
        return found

    def check(self, document: Document) -> list[Finding]:
        """The findings of ``document`` that ``kbgen validate`` of the whole tree would report."""
        self.findings, self._headings, self._scanned, self.reads = [], {}, (None, [], None), Reads()
        self.check_frontmatter(document)
        self.check_body(document)
        if document.published:
            self.check_todo(document)
        self.check_id(document)
        self.check_escalation_loop(document)
        return [finding for finding in self.findings if finding.path == document.rel]

    def check_id(self, document: Document) -> None:
        """``id-duplicate`` as the whole tree reports it: on every document but the first with the id."""
        if not isinstance(document.meta.get("id"), str):
            return
        first = self.lowered[document.id.lower()][0]
        if first is not document:
            self.add(document.rel, document.where("id"), "id-duplicate", ERROR,
                     f"id '{document.id}' is already used by {first.rel}; ids must be unique "
                     "(ignoring case), so pick another")

    def check_escalation_loop(self, document: Document) -> None:
        """``escalation-cycle`` for one runbook: its chain of escalations, followed until it ends or comes back."""
        chain, current = [document.id], self._next_runbook(document)
        while current is not None and current.id not in chain:
            chain.append(current.id)
            current = self._next_runbook(current)
        if current is None or current.id != document.id:
            return
        entry = self._loop_entry(set(chain))
        loop = chain[chain.index(entry):] + chain[:chain.index(entry)]
        path = " → ".join(loop + loop[:1])
        self.add(document.rel, document.where("escalation", "runbook"), "escalation-cycle", ERROR,
                 f"escalations go round in a circle: {path}; each runbook must hand over to a runbook "
                 "of a higher tier, so that the chain ends")

    def _loop_entry(self, loop: set[str]) -> str:
        """Where the whole-tree check starts naming a loop: where the escalations of the first runbook, in
        path order, that leads into it enter it (loops are rare: looking through every runbook costs little)."""
        for candidate in self.content.documents:
            seen, current = set(), candidate
            while current is not None and current.id not in loop and current.id not in seen:
                seen.add(current.id)
                current = self._next_runbook(current)
            if current is not None and current.id in loop:
                return current.id
        raise AssertionError("a loop's own runbooks lead into it")

    def _next_runbook(self, document: Document) -> Document | None:
        escalation = document.meta.get("escalation")
        target = self.by_id.get(escalation.get("runbook")) if isinstance(escalation, dict) else None
        return target if document.kind == "runbook" and target is not None and target.kind == "runbook" else None


class Workspace:
    """A loaded content root, kept as it is on disk, that checks one document's unsaved text at a time."""

    def __init__(self, root: Path | str):
        self.load(root)

    def load(self, root: Path | str) -> None:
        """Load (or load again) the whole root."""
        self.content = load(root)
        self.root = self.content.root
        settings = site_config_of(self.content)
        self.validator = DocumentValidator(self.content, settings.runbook_layout)
        self.rules = settings.rules  # none while mkdocs.yml has errors, which kbgen validate reports
        self.settings_errors = [f for f in settings.findings if f.severity == ERROR]
        self._edited: dict[str, tuple[str, dict]] = {}  # rel -> (unsaved body, what was worked out from it)

    @property
    def documents(self) -> dict[str, Document]:
        """Documents by root-relative path, as on disk."""
        return self.validator.by_rel

    def rel(self, path: Path) -> str | None:
        """The root-relative path of a document file of this root, or None for any other file."""
        try:
            rel = Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        return rel if rel.endswith(".md") and rel.split("/", 1)[0] in CONTENT_DIRS else None

    def parse(self, rel: str, text: str) -> tuple[Document | None, list[Finding]]:
        """The document ``rel`` with the text an editor holds, read as if it were saved as UTF-8."""
        decoded, findings = decode_text(text.encode("utf-8", "surrogatepass"), rel)
        if decoded is None:
            return None, findings
        document, parse_findings = parse_document(decoded, self.root / rel, rel)
        return document, findings + parse_findings

    def check(self, rel: str, text: str) -> list[Finding]:
        """Findings of the document ``rel`` with the text ``text`` (saved or not), with the team's severities."""
        document, findings = self.parse(rel, text)
        if document is not None:
            with self.editing(document):
                try:
                    findings = findings + self.validator.check(document)
                except ExtensionFailed as exc:  # the site's settings fail on this text: say so where it is typed
                    findings = findings + [Finding(rel, 1, 1, "config-option", ERROR, exc.message)]
        return sorted(set(apply(findings, self.rules)))

    @contextlib.contextmanager
    def editing(self, document: Document):
        """The tree as on disk with ``document`` in place of its saved version, while the block runs. What
        is worked out from its text is kept for the next check of the same text (most edits while typing
        change one line of front matter or body, and a body's views cost milliseconds per tier)."""
        rel = document.rel
        saved = self.documents.get(rel)
        disk_derived = _take(self.content, rel)
        body, derived = self._edited.get(rel, (None, {}))
        if body == document.body:
            self.content.derived.update(derived)
        self._replace(saved, document)
        try:
            yield document
        finally:
            self._edited[rel] = document.body, _take(self.content, rel)
            self._replace(document, saved)
            self.content.derived.update(disk_derived)

    def close(self, rel: str) -> None:
        """Forget what was worked out from a document's unsaved text, once the editor closes it."""
        self._edited.pop(rel, None)

    def changed(self, path: Path) -> bool:
        """Take in a file saved, created, changed or deleted on disk. Returns whether the root's content
        changed in a way that may change any document's findings."""
        path = Path(path)
        rel = self.rel(path)
        if rel is not None:
            self.refresh(rel)
            return True
        try:
            inside = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return False
        if inside.split("/", 1)[0] in CONTENT_DIRS:
            self.content.derived.pop("attachments", None)  # an image or attachment a link may name
            inside_folder = {rel for rel in self.documents if rel.startswith(inside + "/")}  # a folder deleted
            if path.is_dir():  # or created, moved in
                inside_folder |= {f.relative_to(self.root).as_posix() for f in path.resolve().rglob("*.md")}
            for rel in sorted(inside_folder):
                self.refresh(rel)
            return True
        if inside in (INTENTS_FILE, "mkdocs.yml") or inside.startswith(("snippets/", "overrides/")):
            self.load(self.root)  # intents, the Markdown pipeline or the rules' severities: start again
            return True
        return False

    def refresh(self, rel: str) -> None:
        """Read the document ``rel`` again from disk (gone if it was deleted)."""
        path = self.root / rel
        # As a load walks the folders: nothing is read that a link takes out of them, nor a named pipe.
        refused = refusal(path, rel, tuple(self.root / folder for folder in CONTENT_DIRS),
                          " and ".join(f"{folder}/" for folder in CONTENT_DIRS)) if path.exists() else None
        document, findings = (None, [refused]) if refused else load_document(path, rel) if path.exists() else (None, [])
        self.content.findings = [f for f in self.content.findings if f.path != rel] + findings
        _take(self.content, rel)
        self._replace(self.documents.get(rel), document)

    def _replace(self, old: Document | None, new: Document | None) -> None:
        documents = self.content.documents
        if old is not None:
            at = bisect.bisect_left(documents, old.rel, key=lambda d: d.rel)
            if at < len(documents) and documents[at] is old:
                del documents[at]
            self.validator.unindex(old)
        if new is not None:
            bisect.insort(documents, new, key=lambda d: d.rel)
            self.validator.index(new)
        if old is None or new is None or (old.tier, old.published) != (new.tier, new.published):
            _forget_tree_wide(self.content)


def _take(content: ContentRoot, rel: str) -> dict:
    """Remove and return what was worked out from the text of the document ``rel`` (its views, hidden lines,
    scan, search entry)."""
    keys = [key for key in content.derived if isinstance(key, tuple) and len(key) > 1 and key[1] == rel]
    return {key: content.derived.pop(key) for key in keys}


def _forget_tree_wide(content: ContentRoot) -> None:
    for key in [k for k in content.derived if k in TREE_WIDE_KEYS or (isinstance(k, tuple) and k[0] in TREE_WIDE_KEYS)]:
        del content.derived[key]

"""Validation: everything a careful reviewer checks, without running MkDocs.

Each rule has an id (``frontmatter-unknown-key``, ``link-higher-tier``, ...) documented in
CONTRIBUTING.md; each finding points at ``path:line:col`` and says what to do. The rules live by subject
in ``checks_frontmatter``, ``checks_runbooks``, ``checks_body`` and ``checks_links``; the
:class:`Validator` here runs them all over a loaded root, each document's on every core.
"""

from __future__ import annotations

from . import audience, findings_cache, forks, structure, synonyms
from .checks_body import BodyRules
from .checks_frontmatter import FrontMatterRules
from .checks_links import LinkRules
from .checks_runbooks import RunbookRules
from .content import ContentRoot, Document, load
from .findings import Finding
from .layouts import DEFAULT as DEFAULT_LAYOUT
from .rules import apply
from .site_config import SiteConfig, of as site_config_of
from .structure import Heading, headings

DOCUMENTS_PER_CHUNK = 250  # the rules of one document take about a millisecond


class Validator(FrontMatterRules, RunbookRules, BodyRules, LinkRules):
    """Runs every rule over a loaded content root."""

    def __init__(self, content: ContentRoot, runbook_layout: str = DEFAULT_LAYOUT):
        self.content = content
        self.runbook_layout = runbook_layout  # the root's default (mkdocs.yml), for runbooks that declare none
        self.findings: list[Finding] = list(content.findings)
        self.by_rel = content.by_rel()
        self.by_url = {d.url.rstrip("/"): d for d in content.documents}
        self.by_id = content.by_id()
        self._headings: dict[str, list] = {}
        self._scanned: tuple[str | None, list[str], audience.Scan | None] = (None, [], None)
        self.reads = findings_cache.Reads()  # what the rules read of files and other documents' parse

    def add(self, rel: str, where: tuple[int, int], rule: str, severity: str, message: str) -> None:
        self.findings.append(Finding(rel, where[0], where[1], rule, severity, message))

    def run(self, settings: SiteConfig | None = None) -> list[Finding]:
        """Every rule; with the root's ``settings``, those on what mkdocs.yml adds to every page too. The
        per-document rules run only where the findings a build kept cannot be taken (:mod:`.findings_cache`)."""
        structure.prepare(self.content)
        self.check_intents_file()
        self.findings += synonyms.read(self.content.root)[1]
        self.check_ids()
        self.check_snippet_files()
        self.check_attachment_sizes()
        if settings is not None:
            self.check_appended_snippets(settings)
            self.check_site_assets(settings)
        cache = findings_cache.start(self.content, self.runbook_layout)
        rels = []
        for document in self.content.documents:
            kept = cache.recall(document)
            if kept is None:
                rels.append(document.rel)
            else:
                self.findings += kept
        for checked in forks.chunked(self.check_documents, rels, DOCUMENTS_PER_CHUNK):
            for rel, found, reads in checked:
                self.findings += found
                cache.keep(self.by_rel[rel], found, reads)
        self.check_escalation_chains()
        return sorted(set(self.findings))

    def check_documents(self, rels: list[str]) -> list[tuple[str, list[Finding], dict]]:
        """Per document, the findings of the rules run on it on its own and what they read besides it
        (:meth:`findings_cache.Reads.recorded`), on every core: see :func:`run`."""
        validator = Validator(self.content, self.runbook_layout)
        validator._headings = self._headings
        checked = []
        for rel in rels:
            document = self.by_rel[rel]
            validator.findings, validator.reads = [], findings_cache.Reads()
            validator.check_frontmatter(document)
            validator.check_body(document)
            if document.published:
                validator.check_todo(document)
            checked.append((rel, validator.findings, validator.reads.recorded()))
        return checked


    def anchors(self, document: Document, tier: int) -> set[str]:
        """Ids in a document's page in the tier ``tier`` site: headings as the toc extension names them
        (hidden headings shift the numbering), steps, footnotes and HTML ids."""
        self.reads.parse_of(document)
        return structure.view(self.content, document, tier).ids

    def headings(self, document: Document) -> list[Heading]:
        """Where the document's headings are in the file, each with the lowest tier whose page shows it."""
        if document.rel not in self._headings:
            self._headings[document.rel] = headings(document.body, structure.hidden_lines(self.content, document))
        return self._headings[document.rel]

    def scanned(self, document: Document) -> tuple[list[str], audience.Scan]:
        """A document's body lines and how they read as written (code, block markers), for positions and
        for what the writer meant. Only the last document's lines are kept: rules read one at a time."""
        if self._scanned[0] != document.rel:
            self._scanned = document.rel, document.body.split("\n"), audience.body_scan(self.content, document)
        return self._scanned[1], self._scanned[2]


def validate(root, rules: dict[str, str] | None = None) -> list[Finding]:
    """Validate a content root (a path or an already loaded :class:`ContentRoot`) and its mkdocs.yml with the
    severities ``rules`` chooses (see :mod:`generator.rules`), by default those in the root's mkdocs.yml."""
    content = root if isinstance(root, ContentRoot) else load(root)
    settings = site_config_of(content)
    chosen = settings.rules if rules is None else rules
    return apply(Validator(content, settings.runbook_layout).run(settings) + settings.findings, chosen)

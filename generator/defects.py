"""``kbgen defect feed``: a resolved defect becomes knowledge that customers and Tier 2 can use.

From a resolved defect write-up (kind ``defect``) the feed writes

- a **tier 0 known-issue article**: the defect's customer-facing summary, its workaround and the version
  that fixed it, for the defect's intents, with ``known_issue`` in its front matter;
- a **known-defect entry in every published tier 2 runbook** sharing one of the defect's intents, under
  ``## Known defects``: how Tier 2 recognises it, the workaround and the fix version;
- ``fed: {article, runbooks}`` in the defect's front matter, the record of what it fed.

In pages writers also edit, the feed owns only the region between ``<!-- kbgen:defect ID -->`` and
``<!-- /kbgen:defect -->``; text outside it is never changed. Front matter is edited with ruamel.yaml's
round trip, so comments, key order and quoting survive. Everything is checked before anything is
written: a defect that is not resolved, text that must not be published (:mod:`generator.publication`,
reading the article as the tier 0 site renders it, and every written line it comes from), markup the
checks cannot vouch for, and links the new page's readers could not open are refused with their line.
Then the changed files are written all or nothing (:mod:`generator.changeset`); a file whose text would
not change is not touched, so a second run writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import html
import io
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from markdown.extensions.toc import slugify
from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from . import audience, known_issues, publication
from .changeset import ChangeSet, WriteError
from .content import ContentRoot, Document, closing_fence, is_fence, load, odd_character
from .errors import KbgenError
from .findings import ERROR, Finding
from .known_issues import FIXED, IDENTIFIED, INVESTIGATING
from .navigation import md_inline
from .writeups import (RECOGNISE, SUMMARY, WORKAROUND, Section, approval_digest, digest, for_agents,
                       sections_of)
from .site_config import of as site_config_of
from .structure import (CODE_SPAN_RE, EXTERNAL_RE, SNIPPET_RE, headings, markdown_links, named_sections, render_html,
                        strip_markers)

CUSTOMER_UPDATE = "customer_update"  # a defect's front matter: publish a known issue while it is open
RUNBOOK_TIER = 2  # the tier whose runbooks get known-defect entries: the specialists who diagnose
KNOWN_DEFECTS = "Known defects"
# Each known defect is one line in a runbook, opened on demand: a details block around its internal block
# (so one more slash), which a list of older fixed defects can fold away in turn (defect_pages.fold_old_fixed).
KNOWN_DEFECT_FENCE = "////"
ARTICLE_NAME_CHARS = 60  # of a new known-issue article's name after "known-issue-"
LINKING_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"})
PUBLISHED_KEYS = ("title", "fixed_in", "reported_on", "resolved_on")  # front matter the article shows
# An HTML tag, comment, declaration or processing instruction; not an autolink (<https://...>, <a@b.example>).
RAW_HTML_RE = re.compile(r"(?<!\\)<(?:[A-Za-z][\w-]*(?=[\s/>])|/[A-Za-z][\w-]*\s*>|!--|![A-Za-z\[]|\?)")
SECTION_HEADING_RE = re.compile(r"^ {0,3}##?(?:[ \t]|$)")


class FeedError(KbgenError):
    """The feed was refused and nothing was written; ``findings`` say where and why, when they can."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []


@dataclass
class Fed:
    """What feeding one defect produced: root-relative paths, and which files it changed."""

    defect: str
    article: str | None  # None: only tier 2 was told (an open defect's workaround approved for agents)
    runbooks: list[str]
    written: list[str] = field(default_factory=list)


def unfed(content: ContentRoot) -> list[Document]:
    """Defects to feed: those customers should see (resolved, or open with a customer update to publish)
    with no article recorded yet or one that shows another status, and open ones whose workaround is
    approved for agents that fed no runbook yet."""
    def stale(defect: Document) -> bool:
        fed = defect.meta.get("fed") if isinstance(defect.meta.get("fed"), dict) else {}
        if _for_customers(defect):
            return not fed.get("article") or fed.get("status", FIXED) != customer_status(defect)
        return "runbooks" not in fed

    return [d for d in content.documents
            if d.kind == "defect" and (for_agents(d) or _for_customers(d)) and stale(d)]


def customer_status(defect: Document) -> str:
    """What customers are told: fixed once resolved; identified once the root cause is known or the
    customer update says a workaround is available; investigating before."""
    if defect.meta.get("state") == "resolved":
        return FIXED
    if defect.meta.get("root_cause_on") or _customer_update(defect).get("workaround") is True:
        return IDENTIFIED
    return INVESTIGATING


def approve(root: Path | str | ContentRoot, defect_id: str, by: str, on: _dt.date) -> list[str]:
    """Record that ``by`` reviewed the defect's title and customer-facing summary on ``on``, so the feed
    may publish them while the defect is open (with ``customer_update.publish: true``). Returns the files
    written. Raises :class:`FeedError`, writing nothing."""
    if not by.strip():
        raise FeedError("say who reviewed the summary: --by NAME")
    odd = odd_character(by, line_breaks=False)
    if odd is not None:  # validation refuses it in front matter (field-value); a name has no line break either
        raise FeedError(f"--by holds U+{ord(odd):04X}, a control character or line break; give the reviewer's "
                        "name on one line, as plain text")
    with _changes(root) as (content, files):
        defect = _defect(content, defect_id)
        digest = approval_digest(defect)
        if digest is None:
            raise FeedError(f"{defect.id} has no customer-facing summary", [Finding(
                defect.rel, defect.body_line, 1, "feed-section-missing", ERROR,
                "add a '## Customer-facing summary' section, written for customers, and have it reviewed")])

        def update(data: CommentedMap) -> bool:
            record = data.get(CUSTOMER_UPDATE)
            if record is not None and not isinstance(record, CommentedMap):
                raise FeedError(f"{defect.rel}: '{CUSTOMER_UPDATE}' is not a mapping; nothing was written", [Finding(
                    defect.rel, *defect.where(CUSTOMER_UPDATE), "field-type", ERROR,
                    f"'{CUSTOMER_UPDATE}' holds options ('publish: true', ...), one per line under it; write it "
                    "so, and approve again")])
            if record is None:
                record = data[CUSTOMER_UPDATE] = CommentedMap()
            wanted = {"approved_by": by.strip(), "approved_on": on, "approved_digest": digest}
            if all(str(record.get(key)) == str(value) for key, value in wanted.items()):
                return False
            record.update(wanted)
            return True

        files.write(defect.rel, _edit_frontmatter(files.read(defect.rel), update, defect.rel))
        return files.commit()


def _customer_update(defect: Document) -> dict:
    value = defect.meta.get(CUSTOMER_UPDATE)
    return value if isinstance(value, dict) else {}


def _for_customers(defect: Document) -> bool:
    """Whether the defect's known issue is for customers: it is resolved, or its write-up says to publish it."""
    return defect.meta.get("state") == "resolved" or _customer_update(defect).get("publish") is True


def feed(root: Path | str | ContentRoot, defect_id: str) -> Fed:
    """Feed one resolved defect into the knowledge base. Raises :class:`FeedError`, writing nothing."""
    with _changes(root) as (content, files):
        defect = _defect(content, defect_id)
        fed = _Feeder(content, files).feed(defect)
        fed.written = files.commit()
    return fed


def feed_all(root: Path | str | ContentRoot) -> list[Fed]:
    """Feed every resolved defect not fed yet. If any is refused, none is fed."""
    with _changes(root) as (content, files):
        feeder = _Feeder(content, files)
        results, refused = [], []
        for defect in unfed(content):
            try:
                results.append(feeder.feed(defect))
            except FeedError as exc:
                refused.append(exc)
        if refused:
            raise FeedError("; ".join(map(str, refused)), [f for exc in refused for f in exc.findings])
        written = files.commit()
    for result in results:
        mine = {result.article, *result.runbooks, next(d.rel for d in content.documents if d.id == result.defect)}
        result.written = [rel for rel in written if rel in mine]
    return results


@contextlib.contextmanager
def _changes(root: Path | str | ContentRoot) -> Iterator[tuple[ContentRoot, ChangeSet]]:
    """The root's content and a change set of it, with the root locked and whatever a killed feed left
    undone first (the content is loaded again if that restored a file)."""
    given = root if isinstance(root, ContentRoot) else None
    try:
        with ChangeSet(given.root if given else Path(root)) as files:
            yield (given if given is not None and not files.recovered else load(files.root)), files
    except WriteError as exc:
        raise FeedError(str(exc)) from None


def _defect(content: ContentRoot, defect_id: str) -> Document:
    wanted = defect_id.casefold()
    found = next((d for d in content.documents if d.id.casefold() == wanted), None)
    if found is not None and found.kind == "defect":
        return found
    defects = ", ".join(sorted(d.id for d in content.documents if d.kind == "defect")) or "none"
    if found is not None:
        raise FeedError(f"'{defect_id}' is {found.rel}, which is not a defect (kind: {found.kind}); "
                        f"defects: {defects}")
    unloaded = [f for f in content.findings if f.severity == ERROR]  # the defect may be a file that does not load
    raise FeedError(f"no defect has the id '{defect_id}'; defects: {defects}", unloaded)


class _Feeder:
    def __init__(self, content: ContentRoot, files: ChangeSet):
        self.content = content
        self.files = files
        self.by_id = content.by_id()
        self.by_rel = content.by_rel()
        options = site_config_of(content).checked().kbgen_options
        self.internal_domains = [str(d) for d in options.get("internal_domains") or []]
        self.new_articles: set[str] = set()

    def feed(self, defect: Document) -> Fed:
        rel = defect.rel
        resolved = defect.meta.get("state") == "resolved"
        customers, agents = _for_customers(defect), for_agents(defect)
        if not (customers or agents):
            line, col = defect.where("state")
            raise FeedError(f"{defect.id} is not resolved", [Finding(
                rel, line, col, "feed-not-resolved", ERROR,
                f"{defect.id} is '{defect.meta.get('state', 'without a state')}'; only a resolved defect can be "
                "fed, once its fix is released (set state: resolved, fixed_in and resolved_on); to tell customers "
                f"while it is open, have its summary approved and set '{CUSTOMER_UPDATE}: {{publish: true}}'; to "
                "give Tier 2 its workaround, set 'agent_workaround: true'")])
        sections = sections_of(defect)
        findings: list[Finding] = []
        article_rel = None
        if customers:
            if SUMMARY not in sections:
                raise FeedError(f"{defect.id} has no customer-facing summary", [Finding(
                    rel, defect.body_line, 1, "feed-section-missing", ERROR,
                    "a defect fed to customers needs a '## Customer-facing summary' section, written so it can be "
                    "published as is; it becomes the known-issue article")])
            if not resolved:
                refused = self._approval_findings(defect)
                if refused:
                    raise FeedError(f"{defect.id}'s customer update is not approved", refused)
            public = (SUMMARY, WORKAROUND) if resolved else (SUMMARY,)  # an open defect: its approved summary only
            findings += self._markup_findings(defect, sections, public)
            article_rel, published, article_findings = self._article(defect, sections, public)
            findings += publication.findings(rel, self._public_lines(defect, sections, public),
                                             self.internal_domains, published)
            findings += [f for f in article_findings  # the parser's internal block, unless its line is named
                         if f.rule != "feed-internal-block" or not any(m.rule == f.rule for m in findings)]
        runbooks: list[Document] = []
        if agents and (article_rel is not None or not customers):
            runbooks = self._runbooks(defect)
            for runbook in runbooks:
                findings += self._runbook(defect, sections, runbook)
        if findings:
            raise FeedError(f"{defect.id} cannot be fed", findings)
        self._record(defect, self._id_of(article_rel) if article_rel else None, [r.id for r in runbooks])
        return Fed(defect.id, article_rel, [r.rel for r in runbooks])

    def _approval_findings(self, defect: Document) -> list[Finding]:
        """An open defect publishes only a title and summary a reviewer approved as they are now."""
        update = _customer_update(defect)
        line, col = defect.where(CUSTOMER_UPDATE)
        approve = f"once it is reviewed, run 'kbgen defect approve {defect.id} --by NAME'"
        if not (update.get("approved_by") and update.get("approved_on") and update.get("approved_digest")):
            return [Finding(defect.rel, line, col, "feed-not-approved", ERROR,
                            f"the title and customer-facing summary of open defect {defect.id} were never approved "
                            f"for customers; {approve}")]
        if str(update["approved_digest"]) != approval_digest(defect):
            return [Finding(defect.rel, line, col, "feed-not-approved", ERROR,
                            f"the title or customer-facing summary changed since {update['approved_by']} approved "
                            f"them on {update['approved_on']}; {approve} again")]
        return []

    # what becomes public ------------------------------------------------------------------------
    def _public_lines(self, defect: Document, sections: dict[str, Section],
                      public: tuple[str, ...]) -> list[tuple[int, str]]:
        """Every line of the defect that the known-issue article publishes, with its line number: the
        front matter it shows (each line of a value written over several) and the sections."""
        source = self.files.read(defect.rel).replace("\r\n", "\n").split("\n")
        lines = []
        for key in PUBLISHED_KEYS:
            if key in defect.meta:
                number = defect.where(key)[0]
                lines.append((number, source[number - 1]))
                while number < defect.body_line - 2 and source[number][:1] in ("", " ", "\t"):
                    number += 1  # the value goes on: a folded, literal or quoted scalar over several lines
                    lines.append((number, source[number - 1]))
        for name in public:
            if name in sections:
                section = sections[name]
                lines += [(section.line + i, text) for i, text in enumerate(section.text.split("\n"))]
        return lines

    def _published(self, defect: Document, sections: dict[str, Section], markdown: str,
                   values: list[str]) -> tuple[list[tuple[int, str]], list[Finding]]:
        """The lines the public site shows of ``markdown`` (rendered as it renders pages) and of front
        matter ``values``, each with the line of the defect to point at; and a finding if it cannot be
        rendered."""
        title_line = defect.where("title")[0]
        lines = [(title_line, line) for value in values for line in html.unescape(str(value)).split("\n")]
        first = sections[SUMMARY].line
        try:
            rendered, parse = render_html(self.content, strip_markers(markdown), audience.PUBLIC_TIER)
        except Exception as exc:  # noqa: BLE001 - an extension's error, which a writer's text can cause
            return lines, [Finding(defect.rel, first, 1, "feed-render", ERROR,
                                   f"the known-issue article cannot be rendered ({exc}); fix the text it publishes")]
        problems = [Finding(defect.rel, first, 1, "feed-internal-block", ERROR,
                            "the known-issue article would hold an internal block (the site's parser opens one in the "
                            "text it publishes); write the summary and workaround without '///' block lines")] \
            if parse.floors else []
        return lines + [(first, line) for line in publication.visible_lines(rendered)], problems

    def _markup_findings(self, defect: Document, sections: dict[str, Section],
                         public: tuple[str, ...]) -> list[Finding]:
        """What the checks cannot vouch for in a published section or the title: snippet includes (their
        text is not here), raw HTML, internal blocks, and a code fence left open, which swallows the
        sections after it; and a title of more than one line, which would break the article's heading.
        In "How Tier 2 recognises it", copied to tier 2 runbooks only, an open fence is refused: it would
        swallow the internal block after it, which links the tier 3 write-up."""
        found = []
        for name in public:
            if name in sections:
                found += _markup(defect.rel, sections[name].line, sections[name].text)
        if RECOGNISE in sections:
            found += [f for f in _markup(defect.rel, sections[RECOGNISE].line, sections[RECOGNISE].text)
                      if f.rule == "feed-unclosed-fence"]
        if "title" in defect.meta:
            line = defect.where("title")[0]
            title = defect.title.strip()
            if "\n" in title:
                found.append(Finding(defect.rel, line, 1, "feed-title", ERROR,
                                     "the title has more than one line; the known-issue article's heading and file "
                                     "name are made from it, so write it on one line (a folded '>-' value is one)"))
            found += [Finding(f.path, line, 1, f.rule, f.severity, "the title " + f.message)
                      for f in _markup(defect.rel, line, title.replace("\n", " "))]
        return found

    # the known-issue article --------------------------------------------------------------------
    def _article(self, defect: Document, sections: dict[str, Section], public: tuple[str, ...]) \
            -> tuple[str | None, list[Finding], list[tuple[int, str]]]:
        """Create or update the article; returns its path (None when refused), findings, and the lines
        the public site would show of what the feed writes there (see :meth:`_published`)."""
        existing = self._existing_article(defect)
        if existing is not None and not (existing.kind == "article" and existing.tier == 0):
            line, col = defect.where("fed")
            return None, [], [Finding(defect.rel, line, col, "feed-article", ERROR,
                                  f"the known-issue article {existing.rel} is not a tier 0 article; make it one, or "
                                  "remove 'fed' here (and 'known_issue' there) so the feed creates a new one")]
        rel = existing.rel if existing is not None else self._new_article_rel(defect)
        text = self.files.read(rel)
        if existing is None and (text is not None or rel in self.new_articles
                                 or self._new_article_id(defect).casefold() in map(str.casefold, self.by_id)):
            return None, [], [Finding(defect.rel, *defect.where("id"), "feed-article", ERROR,
                                  f"the known-issue article would be {rel} (id {self._new_article_id(defect)}), but "
                                  "that file or id is taken; point this defect at it with "
                                  "'fed: {article: <id>}', or rename the other document")]
        updates = _updates(defect, existing.meta.get("known_issue") if existing is not None else None)
        body_text, findings = self._article_region(defect, sections, rel, public, updates)
        values = [str(defect.meta[key]) for key in PUBLISHED_KEYS if key in defect.meta]
        if existing is None:
            self.new_articles.add(rel)
            head = _new_article(defect, self._new_article_id(defect), sections, updates)
            page = head + _region(defect.id, body_text)
            published, problems = self._published(defect, sections, _split(page)[3], [
                *values, rel, _article_title(defect), _article_summary(sections) or ""])
        else:
            page, problem = _with_region(_set_known_issue(text, rel, defect, updates), defect.id, body_text,
                                         _after_title)
            findings += _region_findings(rel, problem)
            published, problems = self._published(defect, sections, body_text, values)
        findings += problems
        if not findings:
            self.files.write(rel, page)
        return rel, published, findings

    def _existing_article(self, defect: Document) -> Document | None:
        fed = defect.meta.get("fed")
        if isinstance(fed, dict) and isinstance(fed.get("article"), str) and fed["article"] in self.by_id:
            return self.by_id[fed["article"]]
        return next((d for d in self.content.documents
                     if isinstance(d.meta.get("known_issue"), dict)
                     and str(d.meta["known_issue"].get("defect", "")).casefold() == defect.id.casefold()), None)

    @staticmethod
    def _new_article_id(defect: Document) -> str:
        """``known-issue-<the title as a slug>``, cut at a word within :data:`ARTICLE_NAME_CHARS`. The title is
        text the article publishes (checked, and approved for an open defect); the write-up's file name is
        tier 3's own words, never reviewed for customers, so it names nothing public."""
        slug = slugify(defect.title, "-")
        if len(slug) > ARTICLE_NAME_CHARS:
            words = slug[:ARTICLE_NAME_CHARS + 1].split("-")[:-1] or [slug[:ARTICLE_NAME_CHARS]]
            while len(words) > 1 and words[-1] in LINKING_WORDS:
                words.pop()
            slug = "-".join(words)
        return f"known-issue-{slug}"

    def _new_article_rel(self, defect: Document) -> str:
        area = defect.intents[0].split(".", 1)[0] if defect.intents else "known-issues"
        return f"kb/{area}/{self._new_article_id(defect)}.md"

    def _id_of(self, rel: str) -> str:
        document = self.by_rel.get(rel)
        return document.id if document is not None else Path(rel).stem

    def _article_region(self, defect: Document, sections: dict[str, Section], rel: str, public: tuple[str, ...],
                        updates: list[known_issues.Update]) -> tuple[str, list[Finding]]:
        """The status banner (coloured by status, with the last update), the published sections, and the
        history of updates, newest first."""
        status, fixed_in = updates[0].status, defect.meta.get("fixed_in")
        workaround = _customer_update(defect).get("workaround") is True
        title = known_issues.label(status, fixed_in, workaround).replace('"', "'")
        banner = (f'!!! kb-known-issue kb-known-issue--{status} "{title}"\n'
                  f"    {known_issues.explanation(status, fixed_in, workaround)} "
                  f"Last update: {_long_date(updates[0].on)}.")
        summary, findings = self._rebased(defect, sections[SUMMARY], rel, 0)
        parts = [banner, summary]
        if WORKAROUND in public and WORKAROUND in sections:
            workaround_text, more = self._rebased(defect, sections[WORKAROUND], rel, 0)
            parts += ["## Workaround", workaround_text]
            findings += more
        history = [f"- **{_long_date(u.on)}**: {known_issues.explanation(u.status, fixed_in)}"
                   for u in updates]
        parts += ["## Updates", "\n".join(history)]
        return "\n\n".join(parts), findings

    # tier 2 runbooks ----------------------------------------------------------------------------
    def _runbooks(self, defect: Document) -> list[Document]:
        """Published tier 2 runbooks sharing an intent with the defect, and those it fed before."""
        fed = defect.meta.get("fed")
        before = set(fed.get("runbooks") or []) if isinstance(fed, dict) else set()
        intents = set(defect.intents)
        return [d for d in self.content.documents if d.kind == "runbook" and d.tier == RUNBOOK_TIER and d.published
                and (intents & set(d.intents) or d.id in before)]

    def _runbook(self, defect: Document, sections: dict[str, Section], runbook: Document) -> list[Finding]:
        # The write-up's values go into Markdown the runbook's page renders: each shows as written, on one line
        # (a version holding '<img onerror=...>' ran its script on the tier 2 page).
        facts = [f"Severity {defect.meta['severity']}"] if defect.meta.get("severity") else []
        if defect.meta.get("affected_versions"):
            facts.append("affects " + ", ".join(map(str, defect.meta["affected_versions"])))
        if defect.meta.get("fixed_in"):
            fixed_on = _long_date(defect.meta.get("resolved_on"))
            facts.append(f"fixed in {defect.meta['fixed_in']}" + (f" ({fixed_on})" if fixed_on else ""))
        fixed_in = defect.meta.get("fixed_in")
        resolved = defect.meta.get("state") == "resolved"
        badge, status = (f"Fixed in {fixed_in}" if fixed_in else "Fixed", "fixed") if resolved else ("Open", "open")
        parts = [f"{KNOWN_DEFECT_FENCE} details | {md_inline(f'{badge} · {defect.title}')}\n"
                 f"    attrs: {{class: kb-known-defect kb-known-defect--{status}}}",
                 md_inline(" · ".join(facts) + ".") if facts else ""]
        findings: list[Finding] = []
        for name, label in ((RECOGNISE, "How to recognise it"), (WORKAROUND, "Workaround")):
            if name in sections:
                text, more = self._rebased(defect, sections[name], runbook.rel, RUNBOOK_TIER)
                parts += [f"**{label}**", text]
                findings += more
        link = posixpath.relpath(defect.rel, posixpath.dirname(runbook.rel))
        parts.append(f"/// internal | tier: {defect.tier or 3}\nDefect write-up: [{defect.id}]({link})\n///")
        parts.append(KNOWN_DEFECT_FENCE)
        page, problem = _with_region(self.files.read(runbook.rel), defect.id, "\n\n".join(p for p in parts if p),
                                     _known_defects_place)
        findings += _region_findings(runbook.rel, problem)
        if not findings:
            self.files.write(runbook.rel, page)
        return findings

    # links ------------------------------------------------------------------------------------
    def _rebased(self, defect: Document, section: Section, to_rel: str, tier: int) -> tuple[str, list[Finding]]:
        """A section's text with its relative links rewritten for the page ``to_rel``; a link to a document
        that page's readers cannot open is a finding."""
        text, findings, edits = section.text, [], []
        for offset, url in markdown_links(text):
            if EXTERNAL_RE.match(url) or url.startswith(("#", "/")):
                continue
            path, hash_, fragment = url.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(defect.rel), path))
            document = self.by_rel.get(target)
            line = section.line + text.count("\n", 0, offset)
            if document is not None and document.tier is not None and document.tier > tier:
                findings.append(Finding(defect.rel, line, offset - (text.rfind("\n", 0, offset) + 1) + 1,
                                        "feed-link-tier", ERROR,
                                        f"links to {target} (tier {document.tier}), which readers of the tier {tier} "
                                        f"page {to_rel} cannot open; link a page of tier {tier} or lower, or "
                                        "move the link to another section"))
            edits.append((offset, len(url), posixpath.relpath(target, posixpath.dirname(to_rel)) + hash_ + fragment))
        for offset, length, new in sorted(edits, reverse=True):
            text = text[:offset] + new + text[offset + length:]
        return text, findings

    # the defect's record ----------------------------------------------------------------------
    def _record(self, defect: Document, article: str | None, runbooks: list[str]) -> None:
        """``fed: {article, runbooks, status}``; without an article (only agents are told), the runbooks."""
        def update(data: CommentedMap) -> bool:
            fed = data.get("fed")
            status = customer_status(defect) if article else None
            if isinstance(fed, dict) and fed.get("article") == article and \
                    list(fed.get("runbooks") or []) == runbooks and fed.get("status") == status:
                return False
            record = CommentedMap(article=article) if article else CommentedMap()
            record["runbooks"] = _flow(runbooks)
            if status:
                record["status"] = status
            if isinstance(fed, CommentedMap):
                fed.clear()
                fed.update(record)
            else:
                data["fed"] = record
            return True

        self.files.write(defect.rel, _edit_frontmatter(self.files.read(defect.rel), update, defect.rel))


def _markup(rel: str, first_line: int, text: str) -> list[Finding]:
    """Findings for what a published text holds that the article would not show as written here."""
    lines = text.split("\n")
    scan = audience.scan(lines + ["."])  # the last line: is a code fence still open after the text?
    found: list[Finding] = []

    def add(index: int, col: int, rule: str, message: str) -> None:
        found.append(Finding(rel, first_line + index, col, rule, ERROR, message))

    opened, swallowing = None, False  # the line that opened the code block we are in; it ran over a heading
    for index, line in enumerate(lines):
        snippet = SNIPPET_RE.match(line) if "8<" in line else None
        if snippet and not snippet["escape"]:
            add(index, 1, "feed-snippet", "includes a snippet ('--8<--'), which the public site would show in full "
                                          "without the checks here reading it; write the text out instead")
        if not scan.in_code[index]:
            opened, swallowing = None, False
            html_tag = RAW_HTML_RE.search(CODE_SPAN_RE.sub(lambda m: " " * len(m[0]), line) if "`" in line else line)
            if html_tag:
                add(index, html_tag.start() + 1, "feed-raw-html",
                    "holds raw HTML, which the public site would show as it is, past the checks here; "
                    "write it in Markdown")
        elif opened is None:
            opened = index
        elif SECTION_HEADING_RE.match(line) and not swallowing:
            swallowing = True
            add(opened, 1, "feed-unclosed-fence",
                f"the code block opened here runs over '{line.strip()}' (line {first_line + index}), so the "
                "sections after it would be published; close the code block before that heading")
    if scan.in_code[len(lines)] and not swallowing:
        add(opened or 0, 1, "feed-unclosed-fence",
            "the code block opened here is not closed, so everything after it would be published with it; "
            "close it with the same fence")
    for index, _ in scan.openers:
        if index < len(lines):
            add(index, 1, "feed-internal-block",
                "holds an internal block: text for agents has no place in what customers read; move it to "
                "another section of the write-up")
    return sorted(set(found))


def _long_date(value) -> str | None:
    """``2025-10-16`` as "16 October 2025"."""
    try:
        date = _dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return f"{date.day} {date:%B %Y}" if date else None


# Markdown pages and their owned regions -------------------------------------------------------------

def _region(defect_id: str, text: str) -> str:
    """The owned region; its start marker carries a digest of the text, to notice edits by hand."""
    return f"<!-- kbgen:defect {defect_id} {digest(text)} -->\n{text}\n<!-- /kbgen:defect -->\n"


def _region_re(defect_id: str) -> re.Pattern:
    return re.compile(rf"^<!-- kbgen:defect {re.escape(defect_id)}(?: (?P<digest>[0-9a-f]+))? -->[ \t]*\n"
                      r"(?P<text>.*?)^<!-- /kbgen:defect -->[ \t]*\n?", re.M | re.S)


def _region_findings(rel: str, problem: tuple[int, str] | None) -> list[Finding]:
    if problem is None:
        return []
    line, what = problem
    if what == "unclosed":
        return [Finding(rel, line, 1, "feed-region", ERROR,
                        "this '<!-- kbgen:defect ... -->' has no '<!-- /kbgen:defect -->' after it, so the feed "
                        "cannot tell where its text ends; put the end marker back after the defect's text")]
    if what == "repeated":
        return [Finding(rel, line, 1, "feed-region", ERROR,
                        "this is a second region of the defect in this page (the first is above it); the feed "
                        "keeps one up to date and would leave the other stale: delete one of them, markers too")]
    return [Finding(rel, line, 1, "feed-region-edited", ERROR,
                    "the text between these markers was changed by hand since the defect was last fed, and feeding "
                    "would replace it; move the change into the defect write-up or outside the markers, or delete "
                    "the region to have it written afresh")]


def _split(text: str) -> tuple[str, str, str, str]:
    """(opening '---' line, front matter, closing line, body), each as written, where the loader finds
    them (:func:`~generator.content.is_fence`); ("", "", "", text) for a text without front matter."""
    lines = text.split("\n")
    index = closing_fence(lines) if is_fence(lines[0].removeprefix("\ufeff")) else None
    if index is None:
        return "", "", "", text
    closing = lines[index] + ("\n" if index + 1 < len(lines) else "")
    return lines[0] + "\n", "".join(line + "\n" for line in lines[1:index]), closing, "\n".join(lines[index + 1:])


def _with_region(text: str, defect_id: str, region_text: str, place) -> tuple[str, tuple[int, str] | None]:
    """The page with the defect's region holding ``region_text``: replaced where it is, or added where
    ``place(lines, body)`` says; and the problem that prevents it, ``(line, what)``, what being "unclosed",
    "edited" or "repeated". Every line the edit keeps keeps its own ending (a file may mix them); new lines
    take the one most lines of the body have."""
    opening, frontmatter, closing, written = _split(text)
    body = written.replace("\r\n", "\n")
    region = _region(defect_id, region_text)
    match = _region_re(defect_id).search(body)
    starts = [found.start() for found in re.finditer(re.escape(f"<!-- kbgen:defect {defect_id} "), body)]
    head = (opening + frontmatter + closing).count("\n")

    def line(offset: int) -> int:
        return head + body.count("\n", 0, offset) + 1

    if match:
        if len(starts) > 1:  # the feed would update one copy and leave the other stale
            return text, (line(starts[1]), "repeated")
        written_text = match["text"][:-1] if match["text"].endswith("\n") else match["text"]
        if match["digest"] and match["digest"] != digest(written_text):
            return text, (line(match.start()), "edited")
        new_body = body[:match.start()] + region + body[match.end():]
    elif starts:
        return text, (line(starts[0]), "unclosed")
    else:
        lines = body.split("\n")
        index, heading = place(lines, body)
        at = sum(len(each) + 1 for each in lines[:index]) if index < len(lines) else len(body)
        before = "" if at == 0 or body[:at].endswith("\n\n") else ("\n" if body[:at].endswith("\n") else "\n\n")
        after = "\n" if body[at:].strip() else ""
        new_body = body[:at] + before + heading + region + after + body[at:]
    merged = _lines_merged(_lines(written), _lines(body), _lines(new_body), _usual_newline(written))
    return opening + frontmatter + closing + "".join(merged), None


def _after_title(lines: list[str], body: str) -> tuple[int, str]:
    """Under the page's title (or at the top): where a known-issue article's region goes."""
    title = next((h for h in headings(body) if h.level == 1), None)
    index = title.index + 1 if title else 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index, ""


def _known_defects_place(lines: list[str], body: str) -> tuple[int, str]:
    """At the end of the runbook's "Known defects" section; without one, in a new section after "When to
    use" (before "Before you start", or "Steps"), so agents read it before they start diagnosing."""
    named = named_sections(body)
    if KNOWN_DEFECTS.casefold() in named:
        start, end = named[KNOWN_DEFECTS.casefold()]
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        return end, ""
    following = named.get("before you start") or named.get("steps")
    return (following[0] if following else len(lines)), f"## {KNOWN_DEFECTS}\n\n"


# Front matter, round trip ---------------------------------------------------------------------------

NESTED_KEY_RE = re.compile(r"^( +)[^\s#-][^:#]*:", re.M)  # the first key of a nested mapping
BLOCK_ITEM_RE = re.compile(r"^( *)- ", re.M)  # the first item of a block sequence


def _yaml(text: str) -> tuple[YAML, CommentedMap]:
    """A round-trip YAML that writes mappings and lists indented as ``text`` has them."""
    key, item = NESTED_KEY_RE.search(text), BLOCK_ITEM_RE.search(text)
    mapping = len(key[1]) if key else 2
    offset = len(item[1]) if item else 0
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold a writer's long line
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml, yaml.load(text) if text.strip() else CommentedMap()


def _edit_frontmatter(text: str, update, rel: str) -> str:
    """The page ``rel`` with ``update(front matter)`` applied; the text is unchanged when it reports no
    change. Only the lines the update changes are written anew: ruamel.yaml's round trip also respaces
    lines it leaves alone (``owner:   team  # note``), and those stay as the writer wrote them. Front matter
    the round trip cannot read (a tab between a key and its value, which the loader takes) is refused at
    its line."""
    opening, frontmatter, closing, body = _split(text)
    if not opening:  # never reached for a loaded document: its front matter was found the same way
        raise FeedError(f"{rel} has no front matter to update; nothing was written")
    newline = _usual_newline(frontmatter)
    written = frontmatter.replace("\r\n", "\n")
    try:
        yaml, data = _yaml(written)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 2, mark.column + 1) if mark is not None else (2, 1)
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        hint = "use spaces, not tabs, around keys and values" if "\t" in problem else "write it as plain YAML"
        rule = "yaml-duplicate-key" if isinstance(exc, DuplicateKeyError) else "yaml-syntax"
        raise FeedError(f"cannot update the front matter of {rel}; nothing was written", [Finding(
            rel, line, col, rule, ERROR,
            f"the front matter here cannot be updated: {problem}; {hint}")]) from None
    unchanged = _dumped(yaml, data)
    if not update(data):
        return text
    return opening + _changed_lines_only(frontmatter, newline, unchanged, _dumped(yaml, data)) + closing + body


def _dumped(yaml: YAML, data: CommentedMap) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _changed_lines_only(frontmatter: str, newline: str, unchanged: str, updated: str) -> str:
    """``frontmatter`` (as written, its line endings too) with only what differs between ``unchanged`` (the
    round trip of it) and ``updated`` written anew: top-level key by key, and within a key that changed,
    line by line where the round trip kept its lines one for one. ``updated`` itself when the merged text
    does not read as ``updated`` does."""
    written, before, after = (_key_chunks(text) for text in (frontmatter, unchanged, updated))
    if written is None or before is None or after is None or list(written) != list(before):
        written, before, after = {None: _lines(frontmatter)}, {None: _lines(unchanged)}, {None: _lines(updated)}
    merged = []
    for key, lines in after.items():
        if key in written:
            merged += _lines_merged(written[key], before[key], lines, newline)
        else:
            merged += [line.replace("\n", newline) for line in lines]
    text = "".join(merged)
    try:  # a kept line may be indented otherwise than the new ones around it: then the merge says otherwise
        same = YAML(typ="safe").load(text.replace("\r\n", "\n")) == YAML(typ="safe").load(updated)
    except YAMLError:
        same = False
    return text if same else updated.replace("\n", newline)


def _usual_newline(text: str) -> str:
    """The ending most lines of ``text`` have ('\\n' when as many have each), which new lines take: a
    line pasted with another ending does not decide for the lines around it."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def _lines(text: str) -> list[str]:
    """The lines of a text, each with its ending: only '\\n' ends a line, as the loader reads it."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _key_chunks(text: str) -> dict[str | None, list[str]] | None:
    """The lines of front matter by the top-level key they belong to (from its line to the next key's;
    None: the lines before the first), where ruamel.yaml finds the keys; None when it reads the lines
    otherwise than the loader does (a lone carriage return, a Unicode line separator)."""
    if any(char in text.replace("\r\n", "\n") for char in "\r\x85\u2028\u2029"):
        return None
    try:
        data = YAML(typ="rt").load(text.replace("\r\n", "\n"))
    except YAMLError:
        return None
    if not isinstance(data, CommentedMap):
        return None
    lines = _lines(text)
    starts = sorted((data.lc.key(key)[0], key) for key in data)
    bounds = [0, *(line for line, _ in starts), len(lines)]
    chunks: dict[str | None, list[str]] = {None: lines[:bounds[1]]}
    for index, (_, key) in enumerate(starts):
        chunks[key] = lines[bounds[index + 1]:bounds[index + 2]]
    return chunks


def _lines_merged(written: list[str], before: list[str], after: list[str], newline: str) -> list[str]:
    """``written`` with the lines that differ between ``before`` (its round trip) and ``after`` replaced;
    ``after`` when the round trip did not keep the lines one for one."""
    if before == after:
        return written
    if len(written) != len(before):
        return [line.replace("\n", newline) for line in after]
    merged = []
    for tag, start, end, new_start, new_end in difflib.SequenceMatcher(None, before, after,
                                                                       autojunk=False).get_opcodes():
        merged += written[start:end] if tag == "equal" else [line.replace("\n", newline)
                                                              for line in after[new_start:new_end]]
    return merged


def _flow(items: list) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _date(value: str) -> _dt.date | str:
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return value


def _updates(defect: Document, known: dict | None) -> list[known_issues.Update]:
    """The article's updates, newest first, with the defect's current status on top: a new update when the
    status changed, or when an open defect's customer update was approved again since."""
    earlier = [known_issues.Update(on, entry["status"]) for entry in (known or {}).get("updates") or []
               if isinstance(entry, dict) and entry.get("status") in known_issues.STATUSES
               and isinstance(on := _date(str(entry.get("date"))), _dt.date)]
    status = customer_status(defect)
    named = {FIXED: ("resolved_on",), IDENTIFIED: ("root_cause_on", "approved_on"), INVESTIGATING: ("approved_on",)}
    values = {**defect.meta, **_customer_update(defect)}
    days = [day for name in named[status] if isinstance(day := _date(str(values.get(name))), _dt.date)]
    if not days:  # a date the write-up does not give: when the defect was reported, else today
        reported = _date(str(defect.meta.get("reported_on")))
        days = [reported if isinstance(reported, _dt.date) else _dt.date.today()]
    latest = known_issues.Update(max(days), status)
    return earlier if earlier and earlier[0] == latest else [latest, *earlier]


def _known_issue_update(defect: Document, updates: list[known_issues.Update]):
    """What sets ``known_issue`` of an article to the defect's: status, fix, updates (a writer's ``since``,
    often earlier than the report, is kept), and the defect's intents listed."""
    def update(data: CommentedMap) -> bool:
        changed = False
        known = data.get("known_issue")
        if not isinstance(known, dict):
            known = data["known_issue"] = CommentedMap()
            changed = True
        status = updates[0].status
        workaround = True if status == IDENTIFIED and _customer_update(defect).get("workaround") is True else None
        wanted = {"defect": defect.id, "since": known.get("since") or defect.meta.get("reported_on"),
                  "status": status, "workaround": workaround,
                  "fixed_in": defect.meta.get("fixed_in") if status == FIXED else None,
                  "fixed_on": defect.meta.get("resolved_on") if status == FIXED else None}
        for key, value in wanted.items():
            if value is None:
                changed |= known.pop(key, None) is not None
            elif str(known.get(key)) != str(value):
                known[key] = DoubleQuotedScalarString(value) if key == "fixed_in" else \
                    (_date(str(value)) if key in ("since", "fixed_on") else value)
                changed = True
        written = [(str(e.get("date")), e.get("status")) for e in known.get("updates") or [] if isinstance(e, dict)]
        if written != [(u.on.isoformat(), u.status) for u in updates]:
            entries = CommentedSeq()
            for each in updates:
                entry = CommentedMap(date=each.on, status=each.status)
                entry.fa.set_flow_style()
                entries.append(entry)
            known["updates"] = entries
            changed = True
        intents = data.get("intents")
        missing = [i for i in defect.intents if not isinstance(intents, list) or i not in intents]
        if missing:
            if isinstance(intents, list):
                intents.extend(missing)
            else:
                data["intents"] = _flow(missing)
            changed = True
        return changed

    return update


def _set_known_issue(text: str, rel: str, defect: Document, updates: list[known_issues.Update]) -> str:
    return _edit_frontmatter(text, _known_issue_update(defect, updates), rel)


def _article_title(defect: Document) -> str:
    return f"Known issue: {defect.title}"


def _article_summary(sections: dict[str, Section]) -> str | None:
    """The summary's first sentence, when it has no links or markup: the article's description."""
    first = re.match(r"[^\n\[\]*_<>]+?[.!?](?=\s|$)", sections[SUMMARY].text)
    return first[0].replace("`", "") if first else None


def _new_article(defect: Document, article_id: str, sections: dict[str, Section],
                 updates: list[known_issues.Update]) -> str:
    """Front matter and title of a new known-issue article: nothing of the defect's front matter but what is
    published and checked (its title, intents and dates). Not its owner: a Tier 3 team or person the agent
    sites would show as the article's, which no reviewer approved; the writer who keeps the article says who
    owns it."""
    data = CommentedMap()
    data["id"] = article_id
    data["title"] = _article_title(defect)
    data["kind"] = "article"
    data["tier"] = 0
    data["intents"] = _flow(list(defect.intents))
    summary = _article_summary(sections)
    if summary:
        data["summary"] = summary
    data["tags"] = _flow(["known-issue"])
    _known_issue_update(defect, updates)(data)
    yaml, _ = _yaml("")
    stream = io.StringIO()
    yaml.dump(data, stream)
    return f"---\n{stream.getvalue()}---\n\n# {data['title']}\n\n"

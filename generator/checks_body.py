"""Rules on a document's body: notes left for colleagues, comments customers could read, and internal blocks
as the writer meant them and as the parser reads them (what each tier sees must be what was written).
"""

from __future__ import annotations

import collections

import re
from pathlib import Path

from . import audience, structure
from .checks_frontmatter import field_name, strings_in
from .content import SNIPPETS_DIR, Document
from .findings import ERROR, WARNING
from .structure import CODE_SPAN_RE, includes

TODO_RE = re.compile(r"(?<![\w/])TODO:")  # what `kbgen new` leaves for the writer to replace
PLACEHOLDER_RE = re.compile(r"^\s*(?:(?:\d+\.|[-*+])\s+)?TODO:")  # a line that is only a TODO: text
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
BLOCK_OPENER_RE = re.compile(r"^[ \t>]*/{2,}[ \t]*internal\b", re.I)  # what a writer means as an internal block
INNER_FENCE_RE = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*\w")  # opens a fence: no closing line has a language


class BodyRules:
    """The body rules of :class:`generator.validate.Validator`, a mixin: they share its
    state (``add``, ``content``, ``scanned``, ...)."""

    def check_todo(self, document: Document) -> None:
        """Template text from ``kbgen new`` must be replaced before a document is published."""
        message = "TODO: text left from the template; replace it with the real text"
        for path, value in strings_in(document.meta):
            if TODO_RE.search(value):
                self.add(document.rel, document.where(*path), "todo-text", ERROR,
                         f"'{field_name(document.meta, path)}': {message}")
        if "TODO:" not in document.body:
            return
        lines, scan = self.scanned(document)
        for index, line in enumerate(lines):
            if not scan.in_code[index] and TODO_RE.search(CODE_SPAN_RE.sub("", line)):
                self.add(document.rel, (document.body_line + index, 1), "todo-text", ERROR, message)

    def check_body(self, document: Document) -> None:
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        page_tier = document.tier if document.tier is not None else 0
        unreadable = structure.view(self.content, document, max(audience.TIERS)).unreadable
        if unreadable:  # at the crowded line, if that is why; else the nesting is somewhere in the body
            crowded = structure.crowded_line(document.body)
            self.add(rel, (first + (crowded[0] if crowded else 0), 1), "markdown-too-deep", ERROR, unreadable)
            return
        self.check_markers(document)
        for index, floor in scan.openers:
            if floor <= page_tier and document.tier is not None:
                self.add(rel, (first + index, 1), "internal-redundant", WARNING,
                         f"this internal block is for tier {floor} and above, but the page is already tier "
                         f"{page_tier}; remove the block markers or raise the block's tier")
        comments = structure.view(self.content, document, page_tier).comments
        if document.published and page_tier == audience.PUBLIC_TIER and comments:
            at = next((i for i, line in enumerate(lines) if "<!--" in line and not scan.in_code[i]), 0)
            self.add(rel, (first + at, 1), "html-comment-public", WARNING,
                     f"an HTML comment ('<!--{comments[0][:40]}-->') is published in the page's source, "
                     "where any customer can read it; delete it, or put the note in an internal block")
        self.check_scripts(document)
        specs = list(includes(lines))
        included = [(index, target) for index, spec in specs
                    if (target := self.check_snippet(document.rel, (first + index, 1), spec)) is not None]
        if len(included) == len(specs):  # else refused already, and a refused include may show anything
            self.check_included_hiding(document, included + [(APPENDED, target) for target in self.appended()])
            self.check_shown_markers(document, [path for _, path in included] + self.appended())
        self.check_links(document)

    def check_shown_markers(self, document: Document, included: list[Path]) -> None:
        """A page with internal blocks shows a block's marker ('///', '/// internal | tier: 2') only where the
        writer wrote one as text: in a code fence, or within a sentence, of the document or of a snippet it
        includes. One more run of slashes on a tier's page, anywhere in it (text, code, a comment, an image's
        alt text, a link's title), is a marker the parser did not read while the writer, reading the lines,
        did: the blocks around it do not open and end where they are written (an early end leaves the block's
        own '///' on the page), and what the writer put inside an internal block may be shown, in any form."""
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        views: dict[int, tuple[int, structure.View]] = {}  # each distinct view, with the lowest tier that has it
        for tier, view in structure.tiers_of(self.content, document, page_tier):
            views.setdefault(id(view), (tier, view))
        if not any(view.slashes for _, view in views.values()) or not (
                "internal" in document.body.lower() or any(view.floors for _, view in views.values())):
            return
        if self.refused_for_blocks(document.rel):
            return
        allowed = structure.written_slashes(lines, scan)
        for path in dict.fromkeys(included):
            for snippet in self._brought(path):
                allowed.update(structure.written_slashes(snippet.body.split("\n"), audience.body_scan(self.content, snippet)))
        for tier, view in sorted(views.values(), key=lambda pair: pair[0]):
            extra = collections.Counter(view.slashes) - allowed
            if extra:
                run = next(iter(extra))
                at = next((i for i, line in enumerate(lines) if not scan.in_code[i] and structure.is_marker(
                    " ".join(line.strip(" \t>").split())) and line.strip(" \t>").split()[0] == run), None)
                at = next((i for i, line in enumerate(lines) if run in line), 0) if at is None else at
                self.add(document.rel, (document.body_line + at, 1), "internal-not-hidden", ERROR,
                         f"the tier {tier} page shows '{run}' (as text, code, a comment, alt text or a title) where "
                         "the file has a block's marker, so Markdown does not open and end the blocks here where "
                         f"they are written, and what is written inside an internal block may be shown to tier "
                         f"{tier}: check the markers (the same number of slashes, nothing else on the line, a "
                         "blank line before a block, a kind of block the site's markdown_extensions have) and the "
                         "code fences, links, images, comments and snippets around them")
                return

    def check_scripts(self, document: Document) -> None:
        """Raw HTML is published as written: a script in a page runs in every reader's browser, an agent's too,
        where it can read whatever that reader can open. Read in the page's render (code is not HTML there);
        reported once, at the first line that holds it."""
        scripts = structure.view(self.content, document, max(audience.TIERS)).scripts
        if not scripts:
            return
        lines, scan = self.scanned(document)
        at = next((i for i, line in enumerate(lines) if scripts[0] in line.lower() and not scan.in_code[i]), 0)
        self.add(document.rel, (document.body_line + at, 1), "html-script", WARNING,
                 f"this page runs a script in its readers' browsers ('{scripts[0]}'): raw HTML is "
                 "published as written, and a script can read whatever its reader can open, an agent's "
                 "internal sites too; remove it, or give the behaviour to the theme (overrides/)")

    def check_markers(self, document: Document) -> None:
        """The internal blocks of a document, or of a snippet read as one: as written and as the parser
        reads them."""
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        for event in scan.events:
            where = (first + event.index, 1)
            if event.kind == "bad-argument":
                self.add(rel, where, "internal-argument", ERROR,
                         f"'/// internal | {event.detail}' is not understood; write '/// internal' (tier 1) "
                         "or '/// internal | tier: 2' (or 3)")
            elif event.kind == "unclosed":
                self.add(rel, where, "internal-unclosed", ERROR,
                         "internal block is never closed; add a '///' line (same number of slashes) after it")
            elif event.kind == "unclosed-fence":  # an error on a page with internal blocks, anywhere on it
                after = any(BLOCK_OPENER_RE.match(structure.as_marker(line)) or structure.marker_lookalike(line)
                            for line in lines)
                self.add(rel, where, "fence-unclosed", ERROR if after else WARNING,
                         f"this code fence ('{event.detail}') is never closed, so where the code ends is "
                         "unclear" + (" and the internal blocks of the page may be read another way" if after
                                      else "") + f"; close it with a '{event.detail}' line")
            elif event.kind == "stray-closer" and scan.openers:
                self.add(rel, where, "internal-marker", ERROR,
                         "this '///' ends no block as written: the block above ended earlier (a '///' line inside "
                         "code, a comment, an image's alt text or a link's title still ends a block), so what "
                         "lies between may be shown to every reader; end the block once, on a line of its own")
            elif event.kind == "no-blank-line":
                self.add(rel, where, "internal-blank-line", WARNING,
                         "an internal block must start after a blank line, or it is read as plain text; "
                         "add a blank line before it")
        self.check_marker_lookalikes(rel, first, lines, scan)
        for index, line in enumerate(lines):
            if "///" not in line or scan.in_code[index]:
                continue
            if structure.glued_marker(line):  # HTML, then a marker: Markdown puts the marker on a line of its own
                self.add(rel, (first + index, 1), "internal-marker", ERROR,
                         f"'{structure.glued_marker(line)}' follows HTML on this line: Markdown moves it to a line "
                         "of its own, where it opens or ends a block that the line, as written, does not; put "
                         "the marker on a line of its own")
        self.check_hiding(document)
        internal = scan.openers or structure.view(self.content, document, max(audience.TIERS)).floors
        if internal and not self.refused_for_blocks(rel):  # blocks the lines or the parser find
            marked = [index for index, line in enumerate(lines)
                      if audience.BLOCK_END_RE.match(line) or audience.BLOCK_START_RE.match(line)]
            markers = [index for index in marked if not scan.in_code[index]]
            in_code = frozenset(index for index in marked if scan.in_code[index])
            crowded = _marker_after_closer(lines, markers)
            held = {} if crowded is not None else structure.markers_read_as_text(self.content, lines, marked, in_code)
            if crowded is not None:
                self.add(rel, (first + crowded, 1), "internal-marker", ERROR,
                         "this block marker follows a block's '///' with no blank line between them: anything "
                         "written over those lines (emphasis, a tag, an attribute that hides them) reads as "
                         "holding both, while the first block ends and the next opens here all the same, and the "
                         "next takes what was meant for the first; leave a blank line after a block's '///'")
            elif held:
                at = min(held)
                self.add(rel, (first + at, 1), "internal-marker", ERROR,
                         f"this block marker reads as part of {held[at]} running over the line (as Markdown reads "
                         "the lines without blocks, and so does a reviewer), while blocks open and end here all the "
                         "same, and what follows may be shown to every reader: close the code span, emphasis, "
                         "link, tag or comment before the marker, or leave a blank line around it")

    def check_marker_lookalikes(self, rel: str, first: int, lines: list[str], scan: audience.Scan) -> None:
        """Lines that look like an internal block's marker but that Markdown reads as text, in a document
        or in a snippet a document includes."""
        for index, line in enumerate(lines):  # indented code is the writer's indent, not a fence
            if _may_be_marker(line) and (not scan.in_code[index] or index in scan.indented_code):
                lookalike = structure.marker_lookalike(line)
                if lookalike:
                    self.add(rel, (first + index, 1), "internal-marker", ERROR,
                             f"'{line.strip()}' looks like an internal block marker but is not one, so what "
                             f"follows is shown to every reader of the page: {lookalike}")

    def check_hiding(self, document: Document) -> None:
        """The parser alone decides what a tier sees. Where the document, as written, puts a line inside an
        internal block but the parser shows it in a lower tier's page, or cannot hide a block without
        ambiguity, the document is refused: its writer meant the text to be hidden and it would not be."""
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        if not scan.openers and not structure.view(self.content, document, max(audience.TIERS)).floors \
                and not marker_lines(lines):
            return
        self.check_openers(document)
        opener = document.body_line + (scan.openers[0][0] if scan.openers else 0)
        for problem in dict.fromkeys(p for _, v in structure.tiers_of(self.content, document, page_tier)
                                     for p in v.ambiguous):
            self.add(document.rel, (opener, 1), "internal-nesting", ERROR, problem)
        for tier in range(page_tier, max(audience.TIERS)):
            leaked = structure.shown_marked_text(self.content, document, tier)
            if leaked:
                at = next((document.body_line + i for i, line in enumerate(lines) if leaked.split()[0] in line.lower()),
                          opener)
                self.add(document.rel, (at, 1), "internal-not-hidden", ERROR,
                         f"the tier {tier} page shows text that Markdown reads as inside an internal block "
                         f"('{leaked}'): the block's markers are read two ways; check their slashes, "
                         "indentation and the blank line before them")
            self.check_written_hidden(document, tier)
        self.check_absorbed(document, page_tier)
        self.check_hidden_as_written(document)

    def refused_for_blocks(self, rel: str) -> bool:
        """Whether a file is refused already for how its blocks read: one such error says enough."""
        return any(f.path == rel and f.severity == ERROR and f.rule.startswith("internal-") for f in self.findings)

    def check_hidden_as_written(self, document: Document) -> None:
        """Each tier's page reads alike with and without what the file writes inside its blocks above the
        tier: a block the parser hides from its opener to the '///' written for it takes all between raw, and
        drops it, so the page cannot tell. Where it can, the parser ends the block elsewhere (or never opens
        it), whatever the lines hold or however the slashes are counted: no comparison of words or markers
        is needed to see it."""
        if self.refused_for_blocks(document.rel):
            return
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        checked: set[int] = set()
        for tier in range(page_tier, max(audience.TIERS)):
            bare, opener = structure.without_hidden(lines, scan.floors, tier)
            shown = structure.view(self.content, document, tier)
            if opener is None or id(shown) in checked or shown.unreadable:
                continue
            checked.add(id(shown))
            try:
                page, _ = structure.render_html(self.content, structure.strip_markers("\n".join(bare)), shown.tier)
            except (structure.MarkdownTooDeep, structure.ExtensionFailed):
                page = None  # the page reads as written, the page without its blocks' text does not: refused
            if page is None or structure.page_digest(page) != shown.digest:
                self.add(document.rel, (document.body_line + opener, 1), "internal-not-hidden", ERROR,
                         f"the tier {tier} page shows something written inside this internal block: Markdown ends "
                         "the block before the '///' written for it, or does not open it here, so what the block "
                         "holds (text, an image, a comment, a link, code) reaches tier "
                         f"{tier}: check its markers (the same number of slashes, nothing else on the line, a blank "
                         "line before it) and the code fences, links, comments and snippets inside it")
                return

    def appended(self) -> list[Path]:
        """The snippets mkdocs.yml appends to every page that :meth:`check_appended_snippets` accepts."""
        base = self.content.root / SNIPPETS_DIR
        found = [self.reads.resolve(base / spec) for spec in structure.appended_snippets(self.content)]
        return [path for path in found if path.is_relative_to(self.reads.resolve(base)) and self.reads.is_file(path)]

    def check_included_hiding(self, document: Document, included: list[tuple[int, Path]]) -> None:
        """What a snippet keeps in an internal block stays hidden where a document includes it: included in a
        code fence, raw HTML or a comment, the snippet's lines are shown as they are, markers and all, and
        the parser, reading the page, sees no block to hide. Reported once a snippet, at an include in code
        if there is one (a page may include a snippet twice); for a snippet mkdocs.yml appends to the page
        (index :data:`APPENDED`), at the page's last line: what it leaves open takes the snippet in."""
        if not included:
            return
        lines, scan = self.scanned(document)
        page_tier = document.tier if document.tier is not None else 0
        places: dict[Path, list[int]] = {}
        for index, path in included:
            places.setdefault(path, []).append(index)
        # each include brings in its snippet and those it includes, whose blocks the parser or the writer hides
        brought = {path: [(snippet, self._hidden_floors(snippet)) for snippet in self._brought(path)]
                   for path in places}
        counts = {path: len(indexes) for path, indexes in places.items() if brought[path]}
        for tier in range(page_tier, max(audience.TIERS)):
            hiding = [path for path in places if any(floor > tier for _, floors in brought[path] for floor in floors)]
            if not hiding:
                continue
            shown = structure.view(self.content, document, tier)
            shown_words = structure.Runs(structure.words(" ".join([shown.text, *shown.heading_text, *shown.comments])))
            # what the page may show: its own lines, and each include's public text (with what it includes)
            visible = structure.Runs(structure.words(" ".join([
                " ".join(line for line, floor in zip(lines, scan.floors) if floor <= tier),
                *(structure.view(self.content, brought[path][0][0], tier).text
                  for path, count in counts.items() for _ in range(count))])))
            for path in hiding:
                indexes = places.pop(path)
                found = next(((snippet, at) for snippet, floors in brought[path]
                              if (at := _first_shown_hidden_line(snippet, floors, tier, shown_words, visible))
                              is not None), None)
                if found is None:
                    places[path] = indexes
                    continue
                snippet, at = found
                placed = [i for i in indexes if i != APPENDED]
                last = max((i for i, line in enumerate(lines) if line.strip()), default=0)  # what it leaves open
                index = next((i for i in placed if scan.in_code[i]), placed[0] if placed else last)
                where = ("where this line includes the snippet (in a code fence, raw HTML or a comment) Markdown "
                         "reads no block, and shows the snippet's lines as they are; include it on a line of its "
                         "own, after a blank line, outside code and HTML") if placed else (
                         "mkdocs.yml appends the snippet to every page, and this page ends inside something it "
                         "leaves open (raw HTML, a comment, code), where Markdown reads no block and shows the "
                         "snippet's lines as they are; close it")
                self.add(document.rel, (document.body_line + index, 1), "internal-not-hidden", ERROR,
                         f"the tier {tier} page shows what {snippet.rel} keeps in an internal block "
                         f"(its line {at + 1}): {where}")

    def _hidden_floors(self, snippet: Document) -> list[int]:
        """Per line of a snippet, the tier from which it may be shown: as written, or as the parser reads
        it alone, whichever is higher."""
        written = audience.body_scan(self.content, snippet).floors
        return [max(pair) for pair in zip(written, structure.hidden_lines(self.content, snippet))]

    def _brought(self, path: Path) -> list[Document]:
        """The snippet at ``path`` and every snippet it includes, however deep (each once, readable ones)."""
        base = self.reads.resolve(self.content.root / SNIPPETS_DIR)
        found: list[Document] = []
        todo, seen = [path], set()
        while todo:
            path = todo.pop(0)
            snippet = None if path in seen else self._snippet(path)
            seen.add(path)
            if snippet is None:
                continue
            found.append(snippet)
            for _, spec in includes(snippet.body.split("\n")):
                target = self.reads.resolve(base / spec)
                if target.is_relative_to(base) and self.reads.is_file(target):
                    todo.append(target)
        return found

    def _snippet(self, path: Path) -> Document | None:
        """The snippet at ``path`` (:func:`generator.audience.snippet_document`), or None if unreadable."""
        rel = path.relative_to(self.content.root).as_posix() if path.is_relative_to(self.content.root) else str(path)
        text = self.reads.text(path, rel)
        return None if text is None else audience.snippet_document(rel, path, text)

    def check_openers(self, document: Document) -> None:
        """Every line a writer means as an internal block's opener is one the parser reads, unless a closed
        fence shows it as code (and a fence that swallows one looks closed only by accident)."""
        lines, scan = self.scanned(document)
        rel, first = document.rel, document.body_line
        parsed = structure.hidden_lines(self.content, document)
        for index in marker_lines(lines):  # a look-alike is reported as one, unless it is in code
            line = lines[index]
            meant = BLOCK_OPENER_RE.match(structure.as_marker(line))
            if scan.in_code[index] and index not in scan.indented_code:  # text in a closed fence is text
                start, end = _fence_around(scan, index)
                inner = next((i for i in range(start + 1, end) if INNER_FENCE_RE.match(lines[i])), None)
                html_at = _raw_html_around(lines, start)
                if inner is not None:
                    self.add(rel, (first + start, 1), "fence-unclosed", ERROR,
                             f"this code fence seems never closed: line {first + inner} opens another fence inside "
                             f"it, so the internal block at line {first + index} is shown as code to every "
                             "reader; close the fence before it")
                elif html_at is not None and meant:
                    self.add(rel, (first + start, 1), "internal-not-hidden", ERROR,
                             f"this fence line is inside the raw HTML opened at line {first + html_at}, yet Markdown "
                             "reads it as a code fence, running to the next fence line, so the internal block at "
                             f"line {first + index} is shown as code to every reader; leave a blank line after "
                             "the HTML, or write the fence outside it")
            elif meant and parsed[index] == 0:
                self.add(rel, (first + index, 1), "internal-not-hidden", ERROR,
                         "this line opens an internal block as written, but Markdown does not read a block "
                         "here, so every reader sees what follows: " + (
                             "it is indented as code (4 spaces or more outside a list item, admonition or tab)"
                             if index in scan.indented_code else
                             "leave a blank line before it, write the marker alone on its line, and indent it "
                             "like the content around it"))

    def check_written_hidden(self, document: Document, tier: int) -> None:
        """The first line the file puts inside a block above ``tier`` that the tier's page shows anyway."""
        lines, scan = self.scanned(document)
        hidden = [i for i, floor in enumerate(scan.floors) if floor > tier]  # code too: a reader sees it
        if not hidden:
            return
        shown = structure.view(self.content, document, tier)
        shown_words = structure.Runs(structure.words(f"{shown.text} {' '.join(shown.heading_text)}"))
        visible_words = structure.Runs([word for line, floor in zip(lines, scan.floors) if floor <= tier
                                        for word in structure.line_words(line)])
        for index in hidden:
            tokens = structure.line_words(lines[index])
            if tokens and not structure.BLOCK_MARK_RE.match(lines[index]) and \
                    shown_words.count(tokens) > visible_words.count(tokens):
                self.add(document.rel, (document.body_line + index, 1), "internal-not-hidden", ERROR,
                         f"this line is inside an internal block as written, but Markdown does not read "
                         f"the block that way, so the tier {tier} page would show it: check the block's "
                         "markers (a '///' line, same number of slashes, no text after it), its blank line "
                         "before, and its indentation inside lists, admonitions and tabs")
                return

    def check_absorbed(self, document: Document, tier: int) -> None:
        """The first line written outside every block above ``tier`` that Markdown reads inside one, so that
        the page's own tier loses it: an indented line after a block's end belongs to the block, and the
        lines of a fence Markdown does not take as one (```` ```rust,ignore ````) are the page's text to it,
        a block's marker among them."""
        lines, scan = self.scanned(document)
        shown = structure.view(self.content, document, tier)
        full = structure.view(self.content, document, max(audience.TIERS))
        if shown is full:
            return
        shown_words = structure.Runs(structure.words(f"{shown.text} {' '.join(shown.heading_text)}"))
        full_words = structure.Runs(structure.words(f"{full.text} {' '.join(full.heading_text)}"))
        written_words = structure.Runs([word for line, floor in zip(lines, scan.floors) if floor > tier
                                        for word in structure.line_words(line)])
        after_end = False  # the last marker line above is a block's end: the text is written after the block
        for index, line in enumerate(lines):
            if structure.BLOCK_MARK_RE.match(line):
                after_end = not line.strip(" \t>/")
                continue
            in_fence = scan.in_code[index] and index not in scan.indented_code
            tokens = structure.line_words(line) if after_end or in_fence else []
            if scan.floors[index] <= tier and tokens and full_words.count(tokens) \
                    - shown_words.count(tokens) > written_words.count(tokens):
                self.add(document.rel, (document.body_line + index, 1), "internal-absorbed", ERROR,
                         "this line is after the internal block as written, but Markdown takes it into the block "
                         f"(an indented line after the block's end belongs to it), so the tier {tier} page does not "
                         "show it: unindent it, or put it before the block's '///' line if it is internal"
                         if after_end else
                         "this line is outside every internal block as written, but Markdown reads it inside one, "
                         f"so the tier {tier} page does not show it: a code fence above it that Markdown does not "
                         "take as one (a language with ',' or ':', an option it does not know, a closing fence "
                         "longer or indented more than the opening one) shows its lines as text, and a '///' "
                         "among them opens or ends a block; write the fence as '```lang' ... '```'")
                return


APPENDED = -1  # the place of a snippet mkdocs.yml appends to every page, among a page's includes


def _first_shown_hidden_line(snippet: Document, floors: list[int], tier: int, shown_words: structure.Runs,
                             visible: structure.Runs) -> int | None:
    """The first line a snippet keeps in a block above ``tier`` whose words a page shows more often than
    ``visible``, what it may show, holds them."""
    for at, (line, floor) in enumerate(zip(snippet.body.split("\n"), floors)):
        tokens = structure.words(line) if floor > tier else None
        if tokens and not structure.BLOCK_MARK_RE.match(line) and \
                shown_words.count(tokens) > visible.count(tokens):
            return at
    return None


def _marker_after_closer(lines: list[str], markers: list[int]) -> int | None:
    """The first block opener that follows a closer ('///') with no blank line between them (the feed's region
    markers, which the page's render takes out, do not count as lines): one paragraph to a reader of the
    lines without blocks, where one construct can hold both markers and the text between, and the opened
    block takes what was meant for the closed one. Closers of nested blocks may follow each other."""
    marked = set(markers)
    for index in markers:
        if not audience.BLOCK_END_RE.match(lines[index]):
            continue
        for after in range(index + 1, len(lines)):
            if structure.FEED_MARKER_RE.match(lines[after] + "\n"):
                continue
            if not lines[after].strip(" \t>"):
                break
            if after in marked and audience.BLOCK_START_RE.match(lines[after]):
                return after
    return None


def marker_lines(lines: list[str]) -> list[int]:
    """Indexes of the lines a writer means as an internal block's opener, spelt right or not."""
    return [index for index, line in enumerate(lines) if _may_be_marker(line) and (
        BLOCK_OPENER_RE.match(structure.as_marker(line)) or structure.marker_lookalike(line))]


def _may_be_marker(line: str) -> bool:
    """Cheap and exact: a marker, or a look-alike of one, has a slash or a character that reads as one."""
    return "/" in line or not line.isascii()


HTML_BLOCK_START_RE = re.compile(r"^ {0,3}</?[A-Za-z][\w-]*(?:[\s/>]|$)")


def _raw_html_around(lines: list[str], index: int) -> int | None:
    """The line that opens the raw HTML a line sits in as CommonMark reads it (a writer's editor too), if it
    does: an HTML comment not closed before it, or a tag starting a paragraph it is part of."""
    comment = max((i for i in range(index) if "<!--" in lines[i]), default=None)
    if comment is not None and "-->" not in "\n".join(lines[comment:index]).split("<!--")[-1]:
        return comment
    at = index - 1
    while at >= 0 and lines[at].strip():
        if HTML_BLOCK_START_RE.match(lines[at]):
            opener = at
            while opener > 0 and lines[opener - 1].strip() and HTML_BLOCK_START_RE.match(lines[opener - 1]):
                opener -= 1
            return opener
        at -= 1
    return None


def _fence_around(scan: audience.Scan, index: int) -> tuple[int, int]:
    """First and last line of the fenced code block holding line ``index``."""
    def fenced(i: int) -> bool:
        return scan.in_code[i] and i not in scan.indented_code

    start = end = index
    while start > 0 and fenced(start - 1):
        start -= 1
    while end + 1 < len(scan.in_code) and fenced(end + 1):
        end += 1
    return start, end

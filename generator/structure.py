"""The document model: what each tier's site shows of a document, from the parser that renders its page.

A document's body is rendered here with exactly the Markdown pipeline MkDocs renders its page with
(:func:`page_extensions`: the site's extensions, kbgen's internal blocks for the tier, includes from
``snippets/``). That render is the only thing that decides what a tier sees; validation, the search
index and the leak audit all read it through :func:`view`:

* the headings (with the ids the table of contents gives them), every link and image target, the
  visible text and the HTML comments of the tier's page;
* the raw text of every internal block the tier may not show (what the audit must never find), and
  the text of every internal block it shows (what the parser marks internal);
* anything that makes the hiding ambiguous, so the build fails closed.

Most documents have no internal block, or none hidden below tier 3: their views are one render, shared
by every tier. Code is not highlighted here (Pygments changes markup, never what is shown).

The *source outline* below (:func:`headings`, :func:`markdown_links`) is the document read line by
line, for what the parser does not keep: where in the file something is, for messages and for the
Markdown kbgen adds to a runbook page. It never decides what a tier may see.
"""

from __future__ import annotations

import collections

import copy
import dataclasses
import functools
import hashlib
import html
import itertools
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from markdown import Markdown
from markdown.util import HTML_PLACEHOLDER
from markdown.treeprocessors import Treeprocessor
from pymdownx.superfences import RE_NESTED_FENCE_START
from pymdownx.blocks import RE_END as PYMDOWNX_BLOCK_END, RE_START as PYMDOWNX_BLOCK_START
from pymdownx.snippets import SnippetPreprocessor
from markdown.blockprocessors import HashHeaderProcessor, HRProcessor, SetextHeaderProcessor

from . import audience, forks
from .content import SNIPPETS_DIR, ContentRoot, Document, kept_json, read_text
from .errors import KbgenError
from .internal_blocks import InternalBlocksExtension, Parse
from . import site_config
from .steps import RunbookExtension

MKDOCS_BUILTINS = ("toc", "tables", "fenced_code")  # MkDocs renders every page with these
# What the Markdown kbgen adds to runbook pages needs, whatever the root's own mkdocs.yml lists.
RUNBOOK_EXTENSIONS = ("admonition", "attr_list", "pymdownx.details", "pymdownx.superfences")

HEADING_RE = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
ID_RE = re.compile(r"""\sid\s*=\s*["']([^"']*)["']""")
ANY_ID_RE = re.compile(r"""<[a-zA-Z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']""")
# What a browser follows or fetches from a page: these attributes of any element, their values quoted either
# way or not at all (a srcset holds a list), and CSS url()s in style attributes and style elements.
LINKING = r"(?:xlink:href|href|src|srcset|data|action|formaction|cite|poster|background)"
ATTRIBUTE_VALUE = r"""(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
TAG_RE_WITH_ATTRIBUTES = re.compile(r"<[a-zA-Z][\w:-]*\s[^>]*>")
LINK_ATTRIBUTE_RE = re.compile(rf"(?<![\w:-])({LINKING})\s*=\s*{ATTRIBUTE_VALUE}", re.I)
ANY_ATTRIBUTE_RE = re.compile(rf"(?<![\w:-])[\w:-]+\s*=\s*{ATTRIBUTE_VALUE}")
CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s)"']+))""", re.I)
SRCSET_ITEM_RE = re.compile(r"(?:^|,)\s*([^\s,]+)")  # a srcset's addresses, each before its size
STYLED_RE = re.compile(r"""<style\b.*?</style\s*>|(?<![\w:-])style\s*=\s*(?:"[^"]*"|'[^']*')""", re.I | re.S)
# What in a page's HTML runs in its reader's browser: a script element, an event handler attribute, a link or
# source whose address is a script. Read in the rendered HTML, where Markdown has escaped code, comments out.
EVENTS = (r"abort|after\w*|animation\w*|auxclick|before\w*|begin|blur|can\w*|change|click|close|context\w*|copy|"
          r"cut|dbl\w*|drag\w*|drop|duration\w*|emptied|end|ended|error|focus\w*|formdata|hashchange|input|invalid|"
          r"key\w*|load\w*|message\w*|mouse\w*|offline|online|page\w*|paste|pause|play\w*|pointer\w*|popstate|"
          r"progress|rate\w*|repeat|reset|resize|scroll\w*|search|seek\w*|select\w*|show|slotchange|stalled|"
          r"storage|submit|suspend|time\w*|toggle|touch\w*|transition\w*|unload|volume\w*|waiting|wheel")
SCRIPT_RE = re.compile(rf"""(<script)\b[^>]*>|<[a-zA-Z][^>]*?\s(on(?:{EVENTS}))\s*=|"""
                       r"""<[a-zA-Z][^>]*?\s(?:href|src|action|formaction|data)\s*=\s*["']?\s*"""
                       r"""((?:javascript|vbscript):)""", re.I)
HEADERLINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
TITLE_RE = re.compile(r'<p class="admonition-title kb-internal-title">.*?</p>', re.S)
COMMENT_RE = re.compile(r"<!--(.*?)-->", re.S)
INVISIBLE_RE = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.S | re.I)
TAG_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")
WORD_RE = re.compile(r"[^\W_]+")  # letters and digits of any script: a sentence in Cyrillic has words too
# What of a Markdown line is not text a reader sees (list markers, link targets, addresses, footnote marks)
MARKDOWN_LINE_PREFIX_RE = re.compile(r"^\s*(?:>\s*)*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|#{1,6}\s+|[!?]{3}\+?\s+\w+)?")
LINK_TARGET_RE = re.compile(r"\]\([^)]*\)|\]\[[^\]]*\]")  # [text](target) and [text][reference]
URL_RE = re.compile(r"\b(?:https?|ftp)://\S+")  # an address alone is no evidence of a leak
FOOTNOTE_RE = re.compile(r"\[\^[^\]]*\]:?")
FEED_MARKER_RE = re.compile(r"^[ \t]*<!-- /?kbgen:defect\b[^>\n]*-->[ \t]*(?:\n|\Z)", re.M)  # whole lines only
BLOCK_MARK_RE = re.compile(r"^[ \t>]*/{3,}")
# Elements that end a line of a page as a reader sees it (any other tag is inside a line).
LINE_TAG_RE = re.compile(r"</?(?:p|li|ul|ol|pre|div|h[1-6]|td|th|tr|table|blockquote|dd|dt|dl|br|hr|summary|details|"
                         r"section|article|aside|header|footer|figure|figcaption)\b[^>]*>", re.I)
GLUED_MARKER_RE = re.compile(r"^[ \t>]*<[!?/A-Za-z][^\n]*>[ \t]*(/{3,}[^>\n]*)$")  # HTML, then a marker
# A run of slashes standing as a word of its own: between spaces, markup (`code`, **, [], (), quotes, <>) or
# a line's ends; 'file:///x' and 'a///b' hold none.
SLASH_BOUND = r"\s`*_\[\](){}\"'<>|"
SLASH_RUN_RE = re.compile(rf"(?<![^{SLASH_BOUND}])/{{3,}}(?![^{SLASH_BOUND}])")
FOOTNOTE_BACKREF_RE = re.compile(r'(?:&#160;)?<a class="footnote-backref"[^>]*>.*?</a>', re.S)  # ends a line of text
MARKER_RE = re.compile(r"^[ \t>]*(?P<slashes>/+)[ \t]*(?P<name>[^\W\d_][\w-]*)?(?P<rest>.*)$")
# Characters a reader takes for a slash; NFKC already folds the fullwidth one.
# A marker after other text on its line, or with a stray character among its slashes.
# Slashes are taken whole and from the start of their run (possessive, after no slash): a line of 50,000
# slashes is read in one pass, not once per slash.
LATE_MARKER_RE = re.compile(r"(?:[^\s/]/{2,}+|(?<!/)/{3,}+)[ \t]*+internal\b|^[ \t>]*/[^/\s]{1,2}/++[ \t]*internal\b",
                            re.I)
SPACED_SLASHES_RE = re.compile(r"(?<=/)[ \t]+(?=/)")
# An address (https://internal.example/wiki): its slashes are no marker. It ends before two slashes, which
# may open one; the scheme's length is bounded, so a line of 40,000 characters is read in one pass.
ADDRESS_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/](?:[^\s/]|/(?!/))*+")
SLASH_LOOKALIKES = str.maketrans(dict.fromkeys("\u2044\u2215\u2571\u29f8\u3033", "/"))
MARKER_ARGUMENT_RE = re.compile(r"^[ \t]*(?:\|.*)?$")


# The pipeline ----------------------------------------------------------------------------------------
def configured_markdown(config: dict) -> tuple[list, dict]:
    """(extensions, their configs) a site's checked configuration lists, merged with MkDocs' built-ins by
    MkDocs' own option, as a build merges them."""
    from mkdocs.config.config_options import MarkdownExtensions

    option = MarkdownExtensions(builtins=list(MKDOCS_BUILTINS), configkey="mdx_configs")
    return option.run_validation(copy.deepcopy(config.get("markdown_extensions") or [])), option.configdata


def page_extensions(extensions: list, configs: dict, tier: int, snippets: Path) -> tuple[list, dict]:
    """The Markdown pipeline of a tier's pages: the site's extensions, the internal blocks of this tier,
    what runbook pages need, and includes from ``snippets`` only (validation refused anything else).
    The kbgen plugin hands MkDocs exactly this and :func:`view` renders with it, so both parse alike."""
    names = [e for e in extensions if not isinstance(e, InternalBlocksExtension) and e != "kbgen_internal"]
    names += [name for name in (*RUNBOOK_EXTENSIONS, "pymdownx.snippets") if name not in names]
    configs = {**configs, "pymdownx.snippets": {
        **configs.get("pymdownx.snippets", {}), "base_path": [str(snippets)], "restrict_base_path": True,
        "check_paths": True, "url_download": False}}
    return [*names, InternalBlocksExtension(tier=tier), RunbookExtension()], configs


def site_markdown(content: ContentRoot) -> tuple[list, dict]:
    """The Markdown settings of the root's checked configuration, read once per loaded root."""
    return content.once("site-markdown", lambda: configured_markdown(site_config.of(content).data))


def snippet_target(spec: str) -> tuple[str, bool]:
    """(the file, whether only part of it) an include names, split as pymdownx.snippets splits it: a line
    range (``:4:9``) or section (``:name``) at the end is always one, whatever files exist."""
    split = getattr(SnippetPreprocessor, "split_path", None)  # linear; the pattern is its reference
    parts = split(SnippetPreprocessor, spec) if split else SnippetPreprocessor.RE_SNIPPET_FILE.match(spec).groups()
    if parts is None:
        return spec.strip(), False
    return parts[0].strip(), bool(parts[1] or parts[2])


def appended_snippets(content: ContentRoot) -> list[str]:
    """The snippets the site's pymdownx.snippets appends to every page (``auto_append``), as written."""
    appended = site_markdown(content)[1].get("pymdownx.snippets", {}).get("auto_append")
    return [spec for spec in appended if isinstance(spec, str)] if isinstance(appended, list) else []


def _markdown(content: ContentRoot, tier: int) -> tuple[Markdown, InternalBlocksExtension]:
    """The page pipeline of a tier, kept per loaded root (a conversion resets it)."""
    def made() -> tuple[Markdown, InternalBlocksExtension]:
        extensions, configs = page_extensions(*site_markdown(content), tier, content.root / SNIPPETS_DIR)
        configs = {**configs, "pymdownx.highlight": {**configs.get("pymdownx.highlight", {}), "use_pygments": False},
                   "pymdownx.snippets": {**configs["pymdownx.snippets"], "check_paths": False}}
        internal = next(e for e in extensions if isinstance(e, InternalBlocksExtension))
        md = Markdown(extensions=extensions, extension_configs=configs)
        md.preprocessors["snippet"].read_lines = _snippet_lines
        return md, internal

    return content.once(("markdown", tier), made)


def _plain_markdown(content: ContentRoot) -> tuple[Markdown, "_Kept"]:
    """The site's pipeline without any block extension (kbgen's internal blocks, pymdownx.blocks): a '///' is
    a line of text to it, read as a writer's editor or a reviewer reading the lines reads it."""
    def made() -> tuple[Markdown, _Kept]:
        extensions, configs = page_extensions(*site_markdown(content), 0, content.root / SNIPPETS_DIR)
        extensions = [e for e in extensions if isinstance(e, str) and not e.startswith("pymdownx.blocks")]
        configs = {name: options for name, options in configs.items() if not name.startswith("pymdownx.blocks")}
        configs = {**configs, "pymdownx.highlight": {**configs.get("pymdownx.highlight", {}), "use_pygments": False},
                   "pymdownx.snippets": {**configs["pymdownx.snippets"], "check_paths": False}}
        if "pymdownx.tilde" not in extensions:  # GitHub's strikethrough, as a reviewer's preview shows it
            extensions.append("pymdownx.tilde")
        md = Markdown(extensions=extensions, extension_configs=configs)
        md.preprocessors["snippet"].read_lines = _snippet_lines
        kept = _Kept(md)
        md.treeprocessors.register(kept, "kbgen-kept", -1000)
        return md, kept

    return content.once("plain-markdown", made)


def _snippet_lines(path: str) -> list[str]:
    """A snippet's lines as pymdownx.snippets reads them (UTF-8, a byte-order mark kept as a character, any
    line ending a newline), or none for a file kbgen does not read (not a regular file, too large, not
    UTF-8): validation reports it, at the include or at the file, and the view is worked out meanwhile."""
    try:
        if not Path(path).is_file():  # a folder, a named pipe (that would wait for a writer)...
            return []
        text, findings = read_text(Path(path), path)
    except OSError:
        return []
    if text is None:
        return []
    if any(finding.rule == "file-bom" for finding in findings):  # read_text left it out; the page keeps it
        text = "\ufeff" + text
    text = text.replace("\r", "\n")  # read_text made "\r\n" a newline; text mode makes a lone "\r" one too
    return text.split("\n") if text else []


# Views -----------------------------------------------------------------------------------------------
class PageHeading(NamedTuple):
    level: int
    id: str | None
    text: str  # as the page shows it


@dataclass(frozen=True)
class View:
    """What the site of one tier shows of a document's body (see the module's docstring)."""

    tier: int  # the tier it was rendered for; it holds for every tier up to the next floor above
    headings: tuple[PageHeading, ...]
    ids: frozenset[str]
    links: tuple[str, ...]  # href and src values, in order, as written
    text: str  # visible text outside headings
    comments: tuple[str, ...]
    hidden: tuple[tuple[int, str], ...]  # (floor, raw text) of each internal block the tier may not show
    shown: tuple[tuple[int, str, int], ...]  # (floor, text, floor of the blocks around it) of each block shown
    floors: tuple[int, ...]  # floor of every internal block the parser opened
    ambiguous: tuple[str, ...]
    unreadable: str = ""  # why Markdown could not read the body (the view is then empty)
    scripts: tuple[str, ...] = ()  # what of the page runs in its reader's browser: "<script", "onclick", "javascript:"
    slashes: tuple[str, ...] = ()  # runs of slashes the page shows as words, anywhere (see shown_slashes)
    digest: str = ""  # of the page's HTML: two bodies the tier reads alike render alike (checks_body)

    @property
    def heading_text(self) -> list[str]:
        return [heading.text for heading in self.headings]


VIEW_FIELDS = tuple(field.name for field in dataclasses.fields(View))


def strip_markers(markdown: str) -> str:
    """A page's Markdown without the feed's region markers: they name the defect, which only tier 3 sees."""
    return FEED_MARKER_RE.sub("", markdown) if "kbgen:defect" in markdown else markdown


class MarkdownTooDeep(KbgenError):
    """A body nests lists, quotes, emphasis or brackets deeper than Python-Markdown can follow, or holds
    more of them on a line than it can read in reasonable time."""


# Stack frames a body's render may take. Python-Markdown recurses once per level of nesting; MkDocs renders a
# page with more frames to spare (Python's limit, 1,000, less its own calls), so a body validation could
# read is one the page's render can read too.
MARKDOWN_FRAMES = 600


# Python-Markdown reads a line's links and autolinks in time that grows with the square of their openers:
# 20,000 '[' on one line take minutes. No line of a page a person reads holds this many.
MAX_OPENERS_PER_LINE = 1000
OPENERS = ("[", "<")


def crowded_line(markdown_text: str) -> tuple[int, str, int] | None:
    """(index, opener, count) of the first line holding more than :data:`MAX_OPENERS_PER_LINE` of an
    opener, or None."""
    if not any(markdown_text.count(opener) > MAX_OPENERS_PER_LINE for opener in OPENERS):
        return None  # most bodies: no need to look line by line
    for index, line in enumerate(markdown_text.split("\n")):
        found = max(OPENERS, key=line.count)
        if line.count(found) > MAX_OPENERS_PER_LINE:
            return index, found, line.count(found)
    return None


def render(content: ContentRoot, markdown_text: str, tier: int) -> View:
    """A body of Markdown as the tier ``tier`` site renders it (an empty view saying why, if it cannot)."""
    try:
        crowded = crowded_line(markdown_text)
        if crowded:
            raise MarkdownTooDeep(f"this line holds {crowded[2]:,} '{crowded[1]}', more than Markdown can read in "
                                  f"a reasonable time (at most {MAX_OPENERS_PER_LINE:,} a line); break it up")
        return _view(tier, *render_html(content, markdown_text, tier))
    except MarkdownTooDeep as exc:
        return View(tier, (), frozenset(), (), "", (), (), (), (), (), unreadable=exc.message)


def render_html(content: ContentRoot, markdown_text: str, tier: int) -> tuple[str, Parse]:
    """The HTML of a body of Markdown in the tier ``tier`` site, and what the parser made of its internal
    blocks."""
    md, internal = _markdown(content, tier)
    limit = sys.getrecursionlimit()
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(min(limit, depth + MARKDOWN_FRAMES))
    try:
        return md.reset().convert(markdown_text), internal.parse
    except RecursionError:
        raise MarkdownTooDeep("the text nests lists, quotes, emphasis or brackets deeper than Markdown can "
                              "read; flatten it (a few levels are all a reader can follow)") from None
    except KbgenError:
        raise
    except Exception as exc:  # noqa: BLE001 - an extension of mkdocs.yml failed on the page: say which, and why
        raise ExtensionFailed(f"{_failing_extension(exc)} (markdown_extensions in mkdocs.yml) failed on this page: "
                              f"{type(exc).__name__}: {exc}; check its options") from None
    finally:
        sys.setrecursionlimit(limit)


class ExtensionFailed(KbgenError):
    """A Markdown extension raised while rendering a page: options MkDocs accepts that the extension cannot
    use, or a page it cannot read."""


def _failing_extension(exc: BaseException) -> str:
    """The module of the deepest frame of ``exc`` outside Python-Markdown's core, kbgen and the standard
    library: the extension that failed."""
    found, trace = "an extension", exc.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        top = module.partition(".")[0]
        core = top == "markdown" and not module.startswith("markdown.extensions.")
        if module and not core and top not in ("generator", "__main__") and top not in sys.stdlib_module_names:
            found = module
        trace = trace.tb_next
    return found


def _view(tier: int, page: str, parse: Parse) -> View:
    comments = tuple(match.strip() for match in COMMENT_RE.findall(page))
    uncommented = COMMENT_RE.sub(" ", page)
    scripts = tuple(next(part for part in match.groups() if part).lower()
                    for match in SCRIPT_RE.finditer(uncommented)) if "<" in uncommented else ()
    visible = INVISIBLE_RE.sub(" ", uncommented)
    headings, spans = [], []
    for match in HEADING_RE.finditer(visible):
        found_id = ID_RE.search(match[2])
        headings.append(PageHeading(int(match[1]), found_id[1] if found_id else None,
                                    plain_text(HEADERLINK_RE.sub("", match[3]))))
        spans.append(match.span())
    outside = []
    last = 0
    for start, end in spans:
        outside.append(visible[last:start])
        last = end
    outside.append(visible[last:])
    body = TITLE_RE.sub(" ", " ".join(outside))
    return View(
        tier=tier, headings=tuple(headings),
        ids=frozenset(html.unescape(i) for i in ANY_ID_RE.findall(visible)),
        links=page_links(HEADERLINK_RE.sub(" ", visible)) + css_urls(uncommented),
        text=plain_text(body), comments=comments, hidden=tuple(parse.hidden), shown=tuple(parse.shown),
        floors=tuple(parse.floors), ambiguous=tuple(parse.ambiguous), scripts=scripts,
        slashes=shown_slashes(page) if "///" in page else (), digest=page_digest(page))


def without_hidden(lines: list[str], floors: list[int], tier: int) -> tuple[list[str], int | None]:
    """A body's lines without what the file writes inside its outermost blocks above ``tier`` (each block's
    opening and closing lines kept), and the index of the first such opener (None: nothing is hidden)."""
    kept: list[str] = []
    first = None
    index = 0
    while index < len(lines):
        if floors[index] <= tier:
            kept.append(lines[index])
            index += 1
            continue
        end = index
        while end + 1 < len(lines) and floors[end + 1] > tier:
            end += 1
        first = index if first is None else first
        closed = end > index and BLOCK_MARK_RE.match(lines[end]) and not lines[end].strip(" \t>/")
        kept += [lines[index]] + ([lines[end]] if closed else [])
        index = end + 1
    return kept, first


MARKER_TOKEN = "kbgenmarker{}x"  # put after a block marker's slashes to find the line in a render
MARKER_TOKEN_RE = re.compile(r"kbgenmarker(\d+)x")
MARKER_TOKEN_TEXT_RE = re.compile(r" kbgenmarker\d+x")  # as inserted: taken out, the render is the page's own
# A marker is a line of text where it sits in a paragraph's (or a list item's, a definition's, a quote's) own
# text, within containers that hold paragraphs: anything else around it runs over its line.
PLAIN_PARENTS = frozenset({"p", "li", "dt", "dd", "blockquote", "div"})
CONTAINERS = PLAIN_PARENTS | {"ol", "ul", "dl", "details", "section", "article", "aside", "figure"}
HIDING_ATTRIBUTES = frozenset({"hidden", "style", "inert", "aria-hidden"})  # a preview may not show what they hold
STASHED_RE = re.compile(re.escape(HTML_PLACEHOLDER).replace("%s", r"(\d+)"))  # raw HTML kept aside in the tree
STASHED_CODE_RE = re.compile(r'(?:<div class="[^"<>]*">)?<pre\b[^<]*>(?:<span></span>)?<code\b')  # a fence's render
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                           "source", "track", "wbr"})
# Elements a browser opens again after an end tag closed the element around them (a '</p>' inside '<b>'): they
# stay open until their own end tag.
FORMATTING_ELEMENTS = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike",
                                 "strong", "tt", "u"})
# Elements whose text a browser does not show where it is written, or not at all: drawn (svg, math, canvas),
# a fallback for what plays or loads (audio, video, object, iframe), options or data (select, datalist), closed
# until opened (details, dialog), raw text (title, script, style, template...), or moved out of a table.
HIDES_TEXT = frozenset("""applet audio canvas colgroup datalist details dialog frame frameset head iframe map math
    noembed noframes noscript object optgroup option picture script select style svg table tbody template textarea
    tfoot thead title tr video""".split())
# Elements a paragraph's end does not close in a browser: a block-level one a writer opens in a sentence ends
# the paragraph instead and stays open over what follows ('<div hidden>'), as does a raw-text one (below).
BLOCK_ELEMENTS = frozenset("""address article aside blockquote center dd details dialog dir div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup li listing main menu nav ol p plaintext pre search
    section summary table ul xmp""".split())
# Elements inside which a browser does not let a paragraph's end tag close the paragraph (a scope boundary, or
# a select, in which it is ignored): every element opened in the paragraph stays open.
KEEPS_PARAGRAPH_OPEN = frozenset({"applet", "button", "caption", "marquee", "object", "select", "table", "td",
                                  "template", "th"})
FOREIGN_ROOTS = frozenset({"svg", "math"})  # inside them '<x/>' closes itself, as it does nowhere else in HTML
# Comments and declarations as a browser ends them, where Python's reading of HTML differs: '<!-->' and
# '<!--->' are whole (empty) comments, and '<![CDATA[' outside SVG and MathML ends at the first '>'.
ABRUPT_COMMENT_RE = re.compile(r"<!--(?=-?>)-?>")
BOGUS_COMMENT_RE = re.compile(r"<!\[[^>]*>")
# Elements whose content a browser reads as text up to their exact end tag: '</title' then a space, '/' or
# '>'. Python's reading of HTML takes looser end tags ('</title\x1c>'), so a looser one is no end at all here.
RAW_TEXT_ELEMENTS = ("title", "textarea", "xmp", "noembed", "noframes", "iframe", "noscript", "plaintext", "template",
                     "script", "style", "listing")
LOOSE_END_RE = re.compile(rf"</({'|'.join(RAW_TEXT_ELEMENTS)})(?![\t\n\f\r />])", re.I)


class _Kept(Treeprocessor):
    """Keeps the last tree a pipeline made: where each marker landed is read in it, not in the HTML (a raw
    '</p>' inside emphasis reads as closing the paragraph in HTML, not in the tree)."""

    root = None

    def run(self, root):
        self.root = root


class _WritersTags(HTMLParser):
    """The raw HTML a writer put into a page, read in the page's order: which of its elements are open at a
    point, as a browser keeps them. An element opens at any start tag but a void one ('<div/>' opens a div to
    a browser); an end tag closes its element and those opened inside it, but for formatting elements, which
    a browser opens again after it. An element open at a marker holds it where it is closed after it, or,
    closed or never, where it does not show its text ('<svg>', '<datalist>', '<video>') or may hide it
    (hidden, style, inert, aria-hidden, a class). A tag never closed that shows its text ('<time>',
    '<mailbox>', '<your webpage>': placeholders to a writer) holds nothing."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.started = 0
        self.closed: set[int] = set()
        self.kept_open: set[int] = set()  # elements that hold what follows them, closed or not

    def handle_starttag(self, tag, attrs) -> None:
        if tag in VOID_ELEMENTS:
            return
        self.started += 1
        self.open.append((tag, self.started))
        if tag in HIDES_TEXT or any(name in HIDING_ATTRIBUTES or name == "class" for name, _ in attrs):
            self.kept_open.add(self.started)

    def handle_startendtag(self, tag, attrs) -> None:
        if not (tag in FOREIGN_ROOTS or any(name in FOREIGN_ROOTS for name, _ in self.open)):  # '<svg .../>' is whole
            self.handle_starttag(tag, attrs)

    def read(self, raw: str) -> None:
        """A piece of the writer's HTML, its comments and declarations ended where a browser ends them."""
        self.feed(BOGUS_COMMENT_RE.sub("<!---->", ABRUPT_COMMENT_RE.sub("<!---->", raw)))

    def paragraph_ended(self, since: int) -> None:
        """A paragraph Markdown made ends: a browser closes the elements opened in it since the start tag
        ``since``, but block-level, raw-text and formatting ones (see :data:`BLOCK_ELEMENTS`), and none at all
        where one opened in it keeps the paragraph's end tag from reaching the paragraph (a '<button>', a
        '<select>'). No writer closed them: one of them is no construct over a marker in the paragraph unless
        it may hide it."""
        if any(started > since and name in KEEPS_PARAGRAPH_OPEN for name, started in self.open):
            return
        self.open = [(name, started) for name, started in self.open if started <= since or name in BLOCK_ELEMENTS
                     or name in RAW_TEXT_ELEMENTS or name in FORMATTING_ELEMENTS]

    def handle_endtag(self, tag) -> None:
        at = next((at for at in range(len(self.open) - 1, -1, -1) if self.open[at][0] == tag), None)
        if at is None:
            return
        for name, started in self.open[at:]:
            self.closed.add(started)
        self.open[at:] = [(name, started) for name, started in self.open[at + 1:] if name in FORMATTING_ELEMENTS]

    def point(self) -> tuple[tuple[str, int], ...]:
        """What is open here, to be judged once the page is read (:meth:`holder`)."""
        return tuple(self.open)

    def holder(self, point: tuple[tuple[str, int], ...]) -> str:
        around = next((tag for tag, started in point if started in self.closed or started in self.kept_open), None)
        return f"a <{around}> element the page's HTML opens before it" if around else ""


PARAGRAPHS = frozenset({"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"})  # end tags Markdown writes


def _marker_places(root, stash: list) -> dict[int, str]:
    """Each tagged marker's place in a render: "" in a paragraph's own text, else what holds it: an element
    Markdown made (emphasis, a link, code, a table), an element with an attribute that can hide it, an
    attribute, raw HTML written around it or holding it."""
    seen: list[tuple[int, str, tuple]] = []
    tags = _WritersTags()
    loose: list[str] = []  # end tags of raw-text elements a browser does not take as theirs

    def found(text, holder: str) -> None:
        """``text`` of the tree, in the page's order: its raw HTML read, its markers noted."""
        at = 0
        for piece in [*STASHED_RE.finditer(text or ""), None]:
            segment = (text or "")[at:piece.start() if piece else None]
            seen.extend((int(match[1]), holder or (f"a <{loose[0]}> element a browser never closes" if loose else ""),
                         tags.point()) for match in MARKER_TOKEN_RE.finditer(segment))
            if piece is None:
                break
            at = piece.end()
            raw = stash[int(piece[1])] if int(piece[1]) < len(stash) else ""
            if isinstance(raw, str):  # code a fence extension renders is kept here as HTML too
                code = STASHED_CODE_RE.match(raw) is not None
                seen.extend((int(match[1]), "a <pre> element" if code else "raw HTML", ())
                            for match in MARKER_TOKEN_RE.finditer(raw))
                loose.extend(LOOSE_END_RE.findall(raw))
                tags.read(raw)
            else:  # an element md_in_html parsed as Markdown
                walk(raw, (), "")

    def walk(element, ancestors: tuple[str, ...], hiding: str) -> None:
        tag = element.tag if isinstance(element.tag, str) else "?"
        for name, value in element.attrib.items():
            found(value, f"the '{name}' attribute of a <{tag}> element")
        hiding = hiding or next((f"a <{tag}> element with '{name}'" for name in element.attrib
                                 if name in HIDING_ATTRIBUTES), "")
        inside = ancestors + (tag,)
        odd = next((t for t in inside if t not in CONTAINERS), None)
        holder = hiding or (f"a <{odd}> element" if odd else "" if tag in PLAIN_PARENTS else f"a <{tag}> element")
        since = tags.started
        found(element.text, holder)
        for child in element:
            walk(child, inside, hiding)
            found(child.tail, holder)  # text after a child is its parent's
        if tag in PARAGRAPHS:
            tags.paragraph_ended(since)

    for child in root:
        walk(child, (), "")
        found(child.tail, "text outside any paragraph")
    tags.close()
    places: dict[int, str] = {}
    latest = -1
    for index, holder, point in seen:
        holder = holder or (tags.holder(point) if point else "") or (
            "what Markdown moves elsewhere on the page (a footnote, say)" if index < latest else "")
        latest = max(latest, index)
        if holder or index not in places:
            places[index] = holder
    return places


def _spaced(page: str) -> str:
    """A render without its spaces, which a tagged marker may change (a tab after a marker's name is a line
    break untagged), and no construct's reading hangs on alone."""
    return "".join(page.split())


CODE_HOLDERS = frozenset({"a <pre> element", "a <code> element"})


def markers_read_as_text(content: ContentRoot, lines: list[str], markers: list[int],
                         in_code: frozenset[int] = frozenset()) -> dict[int, str]:
    """The ``markers`` (indexes of block marker lines: '///', '/// note') that Markdown without block
    extensions reads as part of something else than a paragraph's lines, with what holds each (a code span,
    emphasis, a link, a table, a tag's attribute, raw HTML or a comment running over the line; or nothing,
    when the line is gone). Blocks open and end at such a line all the same, while a reviewer reading the
    lines, like that reading, takes it as text: what the writer put after it, meant inside an internal
    block, is shown. Each marker is told apart by a word put after its slashes; where that word changes how
    the page reads (a marker line that is a link definition's address), every marker is reported. The feed's
    region markers are taken out first, as the pages' renders take them out. A line of ``in_code`` (code to
    kbgen's reading of the lines, so no marker to it) must be code to Markdown too."""
    tagged = list(lines)
    for index in markers:
        tagged[index] = BLOCK_MARK_RE.sub(lambda run: f"{run[0]} {MARKER_TOKEN.format(index)}", tagged[index], count=1)
    md, kept = _plain_markdown(content)
    try:
        plain = md.reset().convert(strip_markers("\n".join(lines)))
        page = md.reset().convert(strip_markers("\n".join(tagged)))
        places = _marker_places(kept.root, md.htmlStash.rawHtmlBlocks)
    except Exception:  # noqa: BLE001 - the page's own render reports what fails; here nothing is known
        return {index: "nothing Markdown could read" for index in markers}
    if _spaced(MARKER_TOKEN_TEXT_RE.sub("", page)) != _spaced(plain):
        return {index: "a construct Markdown reads otherwise once the markers are told apart (a link "
                       "definition's address?)" for index in markers}
    held = {index: places.get(index, "nothing: the line is not in the page") for index in markers}
    return {index: ("text Markdown does not read as code, where kbgen's reading of the lines does"
                    if index in in_code else holder)
            for index, holder in held.items() if (holder not in CODE_HOLDERS if index in in_code else holder != "")}


def page_digest(page: str) -> str:
    """The sha256 of a page's HTML (a render may hold lone surrogates a source had)."""
    return hashlib.sha256(page.encode("utf-8", "surrogatepass")).hexdigest()


def shown_slashes(fragment: str) -> tuple[str, ...]:
    """Every run of three or more slashes an HTML fragment shows as a word of its own (the stuff of a block's
    marker): in its text and code as a reader sees them, and in everything else it holds, where a marker the
    parser did not read may end up as well: comments, attribute values (an image's alt text or a link's title
    written over lines), style and template elements."""
    fragment = FOOTNOTE_BACKREF_RE.sub("", fragment)
    elsewhere = COMMENT_RE.findall(fragment) + [html.unescape(next(filter(None, values), ""))
                                                for tag in TAG_RE_WITH_ATTRIBUTES.findall(fragment)
                                                for values in ANY_ATTRIBUTE_RE.findall(tag)]
    text = html.unescape(TAG_RE.sub("", LINE_TAG_RE.sub("\n", COMMENT_RE.sub("", fragment))))
    return tuple(run for part in [text, *elsewhere] if "///" in part for run in SLASH_RUN_RE.findall(part))


def written_slashes(lines: list[str], scan) -> collections.Counter:
    """The runs of :func:`shown_slashes` a page may show of the lines of a body: those of every line but the
    block markers (which the parser reads, the page never shows), and but the marker lines in a code fence
    pymdownx.superfences does not take (```` ```rust,ignore ````): text to it, so a marker to the parser."""
    found: collections.Counter = collections.Counter()
    taken = True
    for index, line in enumerate(lines):
        if "///" not in line and index not in scan.fence_starts:
            continue
        if index in scan.fence_starts:
            start = RE_NESTED_FENCE_START.match(line.lstrip(" \t>"))
            taken = bool(start) and not start["unrecognized"]
        in_fence = scan.in_code[index] and index not in scan.indented_code
        if (is_marker(" ".join(line.strip(" \t>").split())) or glued_marker(line)) and not (in_fence and taken):
            continue
        found.update(SLASH_RUN_RE.findall(html.unescape(line.replace("\\/", "/"))))  # '\/' is a slash to Markdown
    return found


def glued_marker(line: str) -> str | None:
    """The block marker after a line's leading HTML (``<!-- note -->///``, ``<div>x</div>/// internal``):
    Python-Markdown's HTML block reader ends the HTML there and reads the rest as a line of its own."""
    found = GLUED_MARKER_RE.match(line)
    return found[1].strip() if found and is_marker(" ".join(found[1].split())) else None


def is_marker(line: str) -> bool:
    """Whether a line opens or ends a block as pymdownx.blocks reads one (the scanner's reading)."""
    return bool(audience.BLOCK_START_RE.match(line) or audience.BLOCK_END_RE.match(line))


def page_links(fragment: str) -> tuple[str, ...]:
    """Every address an element of an HTML fragment links or loads, in order, as the browser reads it."""
    links = []
    for tag in TAG_RE_WITH_ATTRIBUTES.findall(fragment) if "=" in fragment else ():
        for name, *values in LINK_ATTRIBUTE_RE.findall(tag):
            value = html.unescape(next(filter(None, values), ""))
            links += SRCSET_ITEM_RE.findall(value) if name.lower() == "srcset" else [value]
    return tuple(links)


def css_urls(fragment: str) -> tuple[str, ...]:
    """The addresses of the CSS ``url()``s in the style attributes and style elements of an HTML fragment,
    as the browser reads them."""
    if "url" not in fragment.lower():
        return ()
    return tuple(html.unescape(next(filter(None, match))) for style in STYLED_RE.finditer(fragment)
                 for match in CSS_URL_RE.findall(html.unescape(style[0])) if any(match))


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment as a reader sees it: no tags, entities decoded, spaces collapsed."""
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", fragment))).strip()


def view(content: ContentRoot, document: Document, tier: int) -> View:
    """What the tier ``tier`` site shows of a document's body, worked out once per loaded root. A tier
    shares the view of the lowest tier that shows the same internal blocks."""
    full = _rendered(content, document, max(audience.TIERS))
    if all(floor <= tier for floor in full.floors):
        return full
    return _rendered(content, document, max((f for f in full.floors if f <= tier), default=audience.PUBLIC_TIER))


def _rendered(content: ContentRoot, document: Document, tier: int) -> View:
    try:
        return content.once(("view", document.rel, tier),
                            lambda: render(content, strip_markers(document.body), tier))
    except ExtensionFailed as exc:
        raise ExtensionFailed(f"{document.rel}: {exc.message}") from None


def prepare(content: ContentRoot, jobs: int | None = None) -> None:
    """Work out the views of every document up front, on every core (a render costs milliseconds, a
    knowledge base holds thousands of documents); later calls of :func:`view` find them."""
    todo = [document.rel for document in content.documents if ("view", document.rel, max(audience.TIERS))
            not in content.derived]
    for found in forks.chunked(functools.partial(_prepared_chunk, content), todo, CHUNK, jobs):
        content.derived.update(found)


CHUNK = 100


def _views_of(content: ContentRoot, document: Document) -> dict:
    """Every view of a document, by its key in ``content.derived``."""
    for tier in audience.TIERS:
        view(content, document, tier)
    return {key: value for key in (("view", document.rel, tier) for tier in audience.TIERS)
            if (value := content.derived.get(key)) is not None}


def _prepared_chunk(content: ContentRoot, rels: list[str]) -> dict:
    documents = content.by_rel()
    found = {}
    for rel in rels:
        found.update(_views_of(content, documents[rel]))
    return found


# Views kept between runs ----------------------------------------------------------------------------------
VIEWS_FORMAT = 7
VIEWS_FILE = "views.json"  # in a build's cache folder, beside the page manifests
RENDER_PACKAGES = ("markdown", "pymdown-extensions", "mkdocs", "mkdocs-material", "pygments")


def pipeline_digest(content: ContentRoot) -> str:
    """What every view depends on besides its document's body: kbgen's code, the Markdown packages, the
    site's Markdown settings and the snippets a body may include."""
    digest = hashlib.sha256(f"kbgen-views-{VIEWS_FORMAT}\n".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in RENDER_PACKAGES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing\n".encode())
    digest.update(site_config.canonical_json(site_markdown(content)).encode())
    snippets = content.root / SNIPPETS_DIR
    for path in sorted(snippets.rglob("*")) if snippets.is_dir() else ():
        if path.is_file():
            digest.update(path.relative_to(snippets).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def body_key(document: Document) -> str:
    """The hash of a document's body: what its views are kept under between runs."""
    return hashlib.sha256(document.body.encode("utf-8", "surrogatepass")).hexdigest()


def kept_views(content: ContentRoot) -> dict:
    """The views worked out for this root, as JSON values taken now, for the next run's :func:`load_views`
    (JSON: nothing in it runs when it is read)."""
    by_rel: dict[str, dict] = {}
    for key, value in content.derived.items():
        if isinstance(key, tuple) and key[0] == "view":
            by_rel.setdefault(key[1], {})[str(key[2])] = _fields(value)
    documents = content.by_rel()
    return {"format": VIEWS_FORMAT, "pipeline": pipeline_digest(content),
            "views": {rel: [body_key(documents[rel]), views] for rel, views in by_rel.items() if rel in documents}}


@forks.collecting_rarely()
def load_views(content: ContentRoot, path: Path) -> int:
    """Take the views kept in ``path`` of the documents whose body and pipeline are unchanged; returns how
    many documents' views were taken. A missing, unreadable or stale file is ignored."""
    saved = kept_json(path)
    try:
        if saved.get("format") != VIEWS_FORMAT or saved.get("pipeline") != pipeline_digest(content):
            return 0
        taken = 0
        for document in content.documents:
            entry = saved["views"].get(document.rel)
            if not entry or entry[0] != body_key(document):
                continue
            for tier, fields in entry[1].items():
                content.derived[("view", document.rel, int(tier))] = _view_of(fields)
            taken += 1
        return taken
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return 0


def _fields(shown: View) -> list:
    """A view as JSON values (its tuples are lists to JSON: no deep copy of them is needed)."""
    return [sorted(field) if isinstance(field, frozenset) else field
            for field in map(shown.__getattribute__, VIEW_FIELDS)]


def render_key(content: ContentRoot, document: Document, tier: int, page_markdown: str, settings: str) -> str:
    """The key under which the tiers of a build share the render of a document's page
    (:mod:`generator.renders`): the view this tier gets (the tier it was rendered for, every internal block
    it shows and the raw text of every one it hides), the page's Markdown as it is handed to the renderer
    (with the boxes kbgen adds for this tier), the page's place and the settings of the pipeline but the
    internal blocks' tier, which the view stands for. Tiers with the same view show the same blocks."""
    shown = view(content, document, tier)
    digest = hashlib.sha256(f"kbgen-render-{VIEWS_FORMAT}\n".encode())
    digest.update(json.dumps([document.rel, _fields(shown), page_markdown, settings],
                             default=str).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _view_of(fields: list) -> View:
    tier, headings, ids, links, text, comments, hidden, shown, floors, ambiguous, unreadable, scripts, slashes, digest = fields
    return View(tier, tuple(PageHeading(*heading) for heading in headings), frozenset(ids), tuple(links), text,
                tuple(comments), tuple((floor, raw) for floor, raw in hidden),
                tuple((floor, shown_text, around) for floor, shown_text, around in shown), tuple(floors),
                tuple(ambiguous), unreadable, tuple(scripts), tuple(slashes), digest)


def tiers_of(content: ContentRoot, document: Document, lowest: int = 0) -> list[tuple[int, View]]:
    """(tier, view) for each tier from ``lowest`` up."""
    return [(tier, view(content, document, tier)) for tier in range(lowest, max(audience.TIERS) + 1)]


def normalised(line: str) -> str:
    """A source or raw line as compared when finding where a block's text sits in the file: no quote
    markers or indentation, spaces collapsed."""
    return " ".join(line.lstrip(" \t>").split())


def words(text: str) -> list[str]:
    """Lowercase words and numbers of a text, entities decoded: what two readings of a text compare."""
    return WORD_RE.findall(html.unescape(text).lower())


def line_words(line: str) -> list[str]:
    """Words of one Markdown line as a reader sees them: no list markers, link targets, addresses or tags."""
    line = LINK_TARGET_RE.sub("] ", MARKDOWN_LINE_PREFIX_RE.sub("", line))
    line = FOOTNOTE_RE.sub(" ", URL_RE.sub(" ", line))
    return words(TAG_RE.sub(" ", line))


class Runs:
    """A text's words, counted by run: how often a run of consecutive words occurs, in time that does not grow
    with the text. A page compares every line of its blocks with its text; a scan of the text per line took
    minutes on a page of 10,000 short sections. A run is looked for where its rarest three words start."""

    GRAM = 3

    def __init__(self, words: list[str]):
        self.words = words
        self._starts: dict[int, list[int]] | None = None  # hash of each run of GRAM words -> where it starts
        self._short: dict[int, collections.Counter] = {}  # runs shorter than GRAM, counted, by length
        self._counted: dict[tuple[str, ...], int] = {}

    def _runs(self, size: int):
        return zip(*(itertools.islice(self.words, offset, None) for offset in range(size)))

    def count(self, needle: list[str]) -> int:
        key = tuple(needle)
        found = self._counted.get(key)
        if found is not None:
            return found
        size = len(key)
        if size < self.GRAM:
            counted = self._short.get(size)
            if counted is None:
                counted = self._short[size] = collections.Counter(self._runs(size))
            found = counted[key]
        else:
            if self._starts is None:
                self._starts = {}
                for index, run in enumerate(self._runs(self.GRAM)):
                    self._starts.setdefault(hash(run), []).append(index)
            offset, starts = min(((at, self._starts.get(hash(key[at:at + self.GRAM]), ()))
                                  for at in range(size - self.GRAM + 1)), key=lambda pair: len(pair[1]))
            words = self.words
            found = sum(1 for start in starts
                        if start >= offset and words[start - offset:start - offset + size] == needle)
        self._counted[key] = found
        return found


def shown_marked_text(content: ContentRoot, document: Document, tier: int) -> str | None:
    """A run of words the full render marks internal above ``tier`` that the tier's own render shows more
    often than the page has it outside internal blocks, or None: the two views of the parser disagree,
    and the page must not be published."""
    full = view(content, document, max(audience.TIERS))
    outermost = [text for floor, text, around in full.shown if floor > tier >= around]
    if not outermost:
        return None
    here = view(content, document, tier)
    shown = Runs(words(f"{here.text} {' '.join(here.heading_text)}"))
    everything = Runs(words(f"{full.text} {' '.join(full.heading_text)}"))
    marked = [Runs(words(text)) for text in outermost]
    for block in marked:
        tokens = block.words
        size = min(RUN, len(tokens))
        for start in range(len(tokens) - size + 1) if size else ():
            run = tokens[start:start + size]
            found = shown.count(run)
            if found and found > everything.count(run) - sum(other.count(run) for other in marked):
                return " ".join(run)
    return None


RUN = 6  # words compared at a time: a phrase, not a common word


def marker_lookalike(line: str) -> str | None:
    """What is wrong with a line that looks like an internal block marker but that Markdown will not
    read as one (so the text after it is public), or None."""
    compact = as_marker(line)
    match = MARKER_RE.match(compact)
    name = (match["name"] or "").lower() if match else ""
    spelled = re.sub(r"[\W\d_]+", "", f"{name}{match['rest']}".split("|")[0].lower()) if name else ""
    if not (name.startswith("int") or _edits(name, "internal") <= 2 or spelled.startswith("internal")):
        late = LATE_MARKER_RE.search(ADDRESS_RE.sub(" ", CODE_SPAN_RE.sub("", compact)))
        return "a marker starts its line: nothing may come before its slashes" if late else None
    slashes = len(match["slashes"])
    if compact != line.replace("\t", " "):
        if as_seen(line) == line.replace("\t", " "):
            return "the slashes of a marker are written together ('/// internal'), with no space between them"
        odd = sorted({f"U+{ord(char):04X}" for char in line if not char.isascii()})
        return (f"it holds characters that only look like spaces, slashes or letters ({', '.join(odd)}); "
                "type the marker again as '/// internal'")
    if name != "internal":
        return "did you mean '/// internal'?" if slashes >= 2 else None
    if slashes < 3:
        return f"a block opens with three slashes or more ('/// internal'), not {slashes}"
    if not MARKER_ARGUMENT_RE.match(match["rest"].replace("\t", " ")):
        return "only '| tier: N' may follow the block's name ('/// internal | tier: 2')"
    return None


def as_seen(line: str) -> str:
    """A line as a reader sees it: compatibility forms folded (fullwidth letters, no-break spaces),
    slash look-alikes made slashes, invisible format characters (byte order mark, zero-width space)
    dropped, and every kind of space a space."""
    line = unicodedata.normalize("NFKC", line).translate(SLASH_LOOKALIKES)
    return "".join(" " if char.isspace() else char for char in line if unicodedata.category(char) != "Cf")


def as_marker(line: str) -> str:
    """A line read as the marker a writer meant: as seen, with the slashes written together."""
    return SPACED_SLASHES_RE.sub("", as_seen(line))


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (small words only)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def locate(lines: list[str], text: str, start: int = 0) -> int | None:
    """Index of the first line, from ``start``, where the lines of ``text`` begin in ``lines``."""
    wanted = [normalised(line) for line in text.strip("\n").split("\n")]
    wanted = [line for line in wanted if line] or [""]
    first = wanted[0]
    for index in range(start, len(lines)):
        if normalised(lines[index]) != first:
            continue
        at, cursor = index + 1, 1
        while cursor < len(wanted) and at < len(lines):
            here = normalised(lines[at])
            if here == wanted[cursor]:
                cursor += 1
            elif here:
                break
            at += 1
        if cursor == len(wanted):
            return index
    return None


NEAR = 50  # lines: how far the next line of a block's text may be from the last one found


def _lines_of(lines: list[str], raw: str, start: int) -> list[int]:
    """Indexes of the lines, from ``start``, that hold a hidden block's raw text, in order; a raw line
    the file does not hold as such (an include, an escaped marker) is skipped."""
    found: list[int] = []
    for wanted in (normalised(line) for line in raw.split("\n")):
        if not wanted:
            continue
        limit = len(lines) if not found else min(len(lines), found[-1] + 1 + NEAR)
        at = next((i for i in range(found[-1] + 1 if found else start, limit) if normalised(lines[i]) == wanted), None)
        if at is not None:
            found.append(at)
    return found


def hidden_lines(content: ContentRoot, document: Document, text: str | None = None) -> list[int]:
    """Per line of ``text`` (default: the document's body), the lowest tier whose page shows it, as far
    as the parser's hidden blocks can be found in it (text included from snippets is not). For line-based
    rules, messages and the Markdown kbgen adds to a page: never for what a tier may see."""
    key = ("hidden-lines", document.rel)
    if text is None and key in content.derived:
        return content.derived[key]
    lines = (document.body if text is None else text).split("\n")
    floors = [0] * len(lines)
    for tier in range(max(audience.TIERS)):
        cursor = 0
        for _, raw in view(content, document, tier).hidden:
            found = _lines_of(lines, raw, cursor)
            if not found and not raw.strip():  # an empty block: its opener is the next one from here
                opener = next((i for i in range(cursor, len(lines)) if BLOCK_MARK_RE.match(lines[i])
                               and "internal" in lines[i].lower()), None)
                found = [opener] if opener is not None else []
            elif not found:  # text a snippet brought: the next block from here that includes one
                found = _including_block(lines, cursor)
            if not found:
                continue
            opener = next((i for i in range(found[0] - 1, -1, -1) if BLOCK_MARK_RE.match(lines[i])), found[0]) \
                if raw.strip() else found[0]
            closer = next((i for i in range(found[-1] + 1, len(lines)) if BLOCK_MARK_RE.match(lines[i])), found[-1])
            for index in range(opener, closer + 1):
                floors[index] = max(floors[index], tier + 1)
            cursor = closer + 1
    if text is None:
        content.derived[key] = floors
    return floors


def _including_block(lines: list[str], start: int) -> list[int]:
    """The lines inside the next internal block from ``start`` whose content includes a snippet (the parser's
    record of it holds the snippet's text, not the include), or none."""
    opener = next((i for i in range(start, len(lines)) if BLOCK_MARK_RE.match(lines[i])
                   and "internal" in lines[i].lower()), None)
    if opener is None:
        return []
    closer = next((i for i in range(opener + 1, len(lines)) if BLOCK_MARK_RE.match(lines[i])
                   and not lines[i].strip(" \t>/")), len(lines))
    inside = list(range(opener + 1, closer))
    return inside if any(SNIPPET_RE.match(lines[i]) for i in inside) else []


# The source outline ----------------------------------------------------------------------------
EXTERNAL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# A code span: a run of backticks, text, and a run of as many (each run whole: possessive, starting where the
# run starts), so a line of 50,000 backticks is read in one pass, not once per pair of lengths.
CODE_SPAN_RE = re.compile(r"(?<!`)(`++)(.+?)(?<!`)\1(?!`)", re.S)
INLINE_LINK_RE = re.compile(r"(?<!\\)\[(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*\]\(\s*(?:<([^>]*)>|([^\s)]+))"
                            r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REF_DEF_RE = re.compile(r"(?m)^[ ]{0,3}\[(?!\^)[^\[\]]+\]:\s*<?([^\s>]+)>?")
HTML_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
BLOCK_START_RE = re.compile(PYMDOWNX_BLOCK_START.pattern.replace("(?:^|\\n)", "^").replace("(?:\\n|$)", "$"))
BLOCK_END_RE = re.compile(PYMDOWNX_BLOCK_END.pattern.replace("(?m)(?:^|\\n)", "^").replace("(?:\\n|$)", "$"))
FENCE_LINE = "\x02"  # a fenced code block, as the block parser sees it: one line of its block
# A "#" heading line as Python-Markdown reads it (its hashheader pattern): at the line's start, no space
# needed after the hashes, closing hashes dropped.
ATX_RE = re.compile(r"^(#{1,6})[ \t]*(.*?)[ \t]*#*[ \t]*$")
SETEXT_RE = re.compile(r"^[ ]{0,3}(=+|-+)[ \t]*$")
ATTR_ID_RE = re.compile(r"\s*\{[^}]*#([\w-]+)[^}]*\}\s*$")
ATTR_RE = re.compile(r"\s*\{:?[^}]*\}\s*$")
SNIPPET_RE = re.compile(r"""^[ \t]*(?P<escape>;*)-+8<-+(?:[ \t]+(?P<q>["'])(?P<spec>.+?)(?P=q))?[ \t]*$""")
INLINE_MARKUP_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<[^>]+>|[*`]|(?<!\w)_|_(?!\w)")


class Heading(NamedTuple):
    """A heading, or an HTML element with an id: what anchors and runbook sections are made of."""

    floor: int  # the tier a site needs to show it
    text: str | None  # as written; None for an HTML id
    anchor: str | None  # explicit ``{#id}`` or HTML id
    level: int  # 1-6; 0 for an HTML id
    index: int  # 0-based line index of its text in the body


def headings(body: str, floors: list[int] | None = None) -> list[Heading]:
    """Every heading and HTML id of a body, where it is in the file, in order. ``floors`` are the lines'
    visibility from the parser (:func:`hidden_lines`); without them every heading counts as public.

    Headings are found as Python-Markdown finds them, with its own patterns and in its order (see
    :func:`_block_headings`), so a section ends where the page's heading says it does: a second reading
    that disagreed would let one section run into the next (``##Root cause`` is a heading too)."""
    lines = body.split("\n")
    scan = audience.scan(lines)  # only to skip code: a heading's visibility comes from ``floors``
    found = []
    for index, line in enumerate(lines):
        if "=" in line and not scan.in_code[index]:
            floor = floors[index] if floors is not None else 0
            found += [Heading(floor, None, html_id, 0, index) for html_id in HTML_ID_RE.findall(line)]
    for index, level, text in _block_headings(lines, scan):
        explicit = ATTR_ID_RE.search(text)
        found.append(Heading(floors[index] if floors is not None else 0, text, explicit[1] if explicit else None,
                             level, index))
    return sorted(found, key=lambda heading: heading.index)


def _block_headings(lines: list[str], scan) -> list[tuple[int, int, str]]:
    """(line index, level, text) of the top-level headings (and those of internal blocks), found as
    Python-Markdown's block parser finds them, with its own patterns and in its order: blank lines
    separate blocks; a fenced code block is one opaque line of its block (two in a row, two lines); a
    pymdownx block opens at the start of a block and closes at its end line; a block indented as code holds
    none, and its first line that is not indented starts a block again; a ``#`` heading on any line splits
    a block (hashheader), an underlined first line is a heading (setextheader), a rule splits a block (hr)."""
    found: list[tuple[int, int, str]] = []
    open_blocks: list[int] = []  # slashes of the pymdownx blocks open around the walk

    def walk(block: list[tuple[int, str]]) -> None:
        if not block:
            return
        if open_blocks:
            end = next((at for at, (_, line) in enumerate(block)
                        if (closer := BLOCK_END_RE.match(line)) and len(closer[1]) in open_blocks), None)
            if end is not None:
                walk(block[:end])
                slashes = len(BLOCK_END_RE.match(block[end][1])[1])
                del open_blocks[max(at for at, open_slashes in enumerate(open_blocks) if open_slashes == slashes):]
                walk(block[end + 1:])
                return
        opener = next((at for at, (_, line) in enumerate(block) if BLOCK_START_RE.match(line)), None)
        if opener is not None:
            walk(block[:opener])
            open_blocks.append(len(BLOCK_START_RE.match(block[opener][1])[1]))
            walk(block[opener + 1:])
            return
        if block[0][1].startswith("    "):  # code: its first line that is not indented starts a block
            walk(block[next((at for at, (_, line) in enumerate(block) if not line.startswith("    ")), len(block)):])
            return
        text = "\n".join(line for _, line in block)
        hashed = HashHeaderProcessor.RE.search(text)
        if hashed:
            at = text.count("\n", 0, hashed.start()) + (text[hashed.start()] == "\n")
            walk(block[:at])
            found.append((block[at][0], len(hashed["level"]), hashed["header"].strip()))
            walk(block[at + 1:])
        elif SetextHeaderProcessor.RE.match(text):
            found.append((block[0][0], 1 if block[1][1].startswith("=") else 2,
                          block[0][1].replace(FENCE_LINE, "").strip()))
            walk(block[2:])
        elif rule := HRProcessor.SEARCH_RE.search(text):
            at = text.count("\n", 0, rule.start())
            walk(block[:at])
            walk(block[at + 1:])

    block: list[tuple[int, str]] = []
    fenced_lines, fence_starts = _fenced_lines(lines, scan)
    for index, (line, fenced) in enumerate(zip(lines + [""], fenced_lines + [False])):
        if fenced:  # one line per fenced block; a blank line inside it is the block's, not a break
            if index in fence_starts:
                block.append((index, FENCE_LINE))
        elif not line.strip():
            walk(block)
            block = []
        else:
            block.append((index, line.expandtabs(4)))
    return found


def _fenced_lines(lines: list[str], scan) -> tuple[list[bool], set[int]]:
    """(per line: inside a fenced code block as the parser reads it; the first line of each such block). A
    fence never closed is no fence to pymdownx.superfences: its opening line is text, and the lines after
    it are read afresh."""
    fenced = [code and index not in scan.indented_code for index, code in enumerate(scan.in_code)]
    starts = set(scan.fence_starts)
    unclosed = next((event.index for event in scan.events if event.kind == "unclosed-fence"), None)
    if unclosed is not None:
        after = lines[unclosed + 1:]
        fenced_after, starts_after = _fenced_lines(after, audience.scan(after))
        fenced[unclosed:] = [False, *fenced_after]
        starts = {start for start in starts if start < unclosed} | {unclosed + 1 + start for start in starts_after}
    return fenced, starts



def section_name(text: str) -> str:
    """A heading as a section name: no ``{attributes}``, inline markup or final colon, any case."""
    plain = INLINE_MARKUP_RE.sub(lambda m: m[1] or "", ATTR_RE.sub("", text))
    return " ".join(plain.split()).rstrip(":").casefold()


def named_sections(body: str) -> dict[str, tuple[int, int]]:
    """Each level 2 section of a body by name, the first of a name: (index of its heading line, index of the
    line that ends it: the next heading of level 1 or 2, or the end of the body)."""
    found = [h for h in headings(body) if h.level in (1, 2) and h.text is not None]
    ends = [h.index for h in found[1:]] + [body.count("\n") + 1]
    named: dict[str, tuple[int, int]] = {}
    for heading, end in zip(found, ends):
        if heading.level == 2:
            named.setdefault(section_name(heading.text), (heading.index, end))
    return named


def sections(found: list[Heading], tier: int) -> list[tuple[str, Heading]]:
    """(name, heading) of every level 2 heading a tier's site shows, in order."""
    return [(section_name(h.text), h) for h in found if h.level == 2 and h.floor <= tier]


def includes(lines: list[str]):
    """(line index, path) of every pymdownx.snippets include, in code or not (snippets come first)."""
    block = False
    for index, line in enumerate(lines):
        if "8<" not in line and not block:
            continue
        snippet = SNIPPET_RE.match(line)
        if snippet and not snippet["escape"]:
            if snippet["spec"]:
                yield index, snippet["spec"]
            else:
                block = not block
        elif block and line.strip() and not line.lstrip().startswith(";"):
            yield index, line.strip()


def paragraphs(lines: list[str], scan) -> list[tuple[int, int]]:
    """Runs of non-blank lines outside code with one visibility: a link can span lines within one."""
    runs, start = [], None
    for index, line in enumerate(lines + [""]):
        breaks = index == len(lines) or not line.strip() or scan.in_code[index] or \
            (start is not None and scan.floors[index] != scan.floors[start])
        if breaks and start is not None:
            runs.append((start, index))
            start = None
        if start is None and index < len(lines) and line.strip() and not scan.in_code[index]:
            start = index
    return runs


def markdown_links(text: str):
    """(offset, url) of every Markdown link, image and reference definition in a paragraph."""
    if "`" in text:
        text = CODE_SPAN_RE.sub(lambda m: " " * len(m[0]), text)
    if "\\\\" in text:  # an escaped backslash does not escape what follows it
        text = text.replace("\\\\", "  ")
    for match in INLINE_LINK_RE.finditer(text):
        group = 1 if match[1] is not None else 2
        yield match.start(group), match[group]
    for match in REF_DEF_RE.finditer(text):
        yield match.start(1), match[1]


def html_links(text: str):
    """(offset, url) of every address raw HTML in a paragraph links or loads, as :func:`page_links` and
    :func:`css_urls` read the page (each item of a srcset at its own offset; a url() in a style written
    with entities at the style's)."""
    if "<" not in text:
        return
    text = CODE_SPAN_RE.sub(lambda m: " " * len(m[0]), text) if "`" in text else text
    for tag in TAG_RE_WITH_ATTRIBUTES.finditer(text) if "=" in text else ():
        for match in LINK_ATTRIBUTE_RE.finditer(tag[0]):
            group = next(group for group in (2, 3, 4) if match[group] is not None)
            start = tag.start() + match.start(group)
            if match[1].lower() == "srcset":
                for item in SRCSET_ITEM_RE.finditer(match[group]):
                    yield start + item.start(1), item[1]
            else:
                yield start, match[group]
    for style in STYLED_RE.finditer(text) if "url" in text.lower() else ():
        if "&" in style[0]:
            yield from ((style.start(), url) for url in css_urls(style[0]))
            continue
        for match in CSS_URL_RE.finditer(text, *style.span()):
            group = next(group for group in (1, 2, 3) if match[group] is not None)
            yield match.start(group), match[group]
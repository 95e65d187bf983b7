"""What each tier sees is decided by the Markdown parser alone: shapes that once leaked, a search for the
next one (hypothesis), and files that belong to the content around them."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import RootMaker
from generator import structure
from generator.build import build
from generator.cli import main
from generator.content import load
from generator.search import entries
from generator.validate import validate

SECRET_RE = re.compile(r"qzx[a-z]+")


def tier0_texts(content, document) -> str:
    """Everything the tier 0 site holds of a document: its page's HTML and its search entry."""
    html, _ = structure.render_html(content, structure.strip_markers(document.body), 0)
    entry = next(e for e in entries(content, 0) if e.id == document.id)
    return " ".join([html, entry.body, entry.headings, entry.title, entry.summary])


def errors_of(content) -> list[str]:
    return [f"{f.rule}:{f.line}" for f in validate(content) if f.severity == "error"]


# Shapes that leaked when a line scanner decided what was internal ------------------------------------
SHAPES = {
    "tab after the marker": "Public.\n\n/// internal\t\nqzxtab words.\n///\n",
    "admonition without a space": "!!!note\n    Public note.\n\n    /// internal\n    qzxnote words.\n    ///\n",
    "open tabs": '===+ "Web"\n\n    Public tab.\n\n    /// internal\n    qzxtab words.\n    ///\n\n=== "App"\n\n    App.\n',
    "footnote and link reference": "Public text[^1] and [a link][r].\n\n/// internal\n[^1]: qzxfootnote words.\n\n"
                                   '[r]: https://qzxhost.corp.example/x "qzxtitle words"\n///\n',
    "unclosed fence before": "```\ncode\n\n/// internal\nqzxfence words.\n///\n",
    "abbreviation": "Public HTML.\n\n/// internal\n*[HTML]: qzxabbr words\n///\n",
    "heading id": "Jump [there](#qzxanchor).\n\n/// internal\n## qzxheading {#qzxanchor}\n///\n",
    "CRLF and trailing spaces": "Public.\r\n\r\n/// internal   \r\nqzxcrlf words.\r\n///  \r\n",
    "inside raw HTML": "<details>\n<summary>More</summary>\n\n/// internal\nqzxraw words.\n///\n\n</details>\n",
    "inside an HTML comment": "<!--\n/// internal\n-->\nqzxcomment words.\n///\n",
    "inside Markdown in HTML": '<div markdown="1">\n\n/// internal\nqzxmdhtml words.\n///\n\n</div>\n',
    "definition list": "Term\n:   Definition.\n\n    /// internal\n    qzxdeflist words.\n    ///\n",
    "right after a table": "| a | b |\n|---|---|\n| 1 | 2 |\n/// internal\nqzxtable words.\n///\n",
    "setext heading inside": "/// internal\nqzxsetext words\n===\n///\n",
    "escaped include inside": "/// internal\n;--8<-- 'x.md'\nqzxescaped words.\n///\n",
    "quote in a list item": "- Item\n\n    > Quote.\n    >\n    > /// internal\n    > qzxquote words.\n    > ///\n",
    "tabs inside, inside tabs": '=== "A"\n\n    /// internal\n    === "B"\n        qzxtabs words.\n    ///\n',
    "footnote of a list item's block": "Text[^x].\n\n- item\n\n    /// internal\n    [^x]: qzxfoot words\n    ///\n",
}
REFUSED = ("heading id", "unclosed fence before", "inside raw HTML", "inside an HTML comment",
           "right after a table")  # the last: a row of the table, to Markdown read without blocks and to GitHub


@pytest.mark.parametrize("name, body", SHAPES.items(), ids=SHAPES.keys())
def test_shapes_that_leaked_are_hidden_or_refused(make_root, name, body):
    make_root.doc("kb/a.md", "# Page\n\n" + body)
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    refused = errors_of(content)
    assert bool(refused) == (name in REFUSED), refused
    assert refused or not SECRET_RE.search(tier0_texts(content, document).lower())
    html3, _ = structure.render_html(content, document.body, 3)
    assert SECRET_RE.search(html3)


# Where the writer and Markdown end a block apart: a code fence pymdownx.superfences does not take as one
# (its '///' line is a block's marker to Markdown), a closing fence it does not match, and lines whose words
# a reader sees differently from the source (a link's address, a tag, a script other than Latin). Each
# leaks block text into tier 0 or takes public text out of it, unless refused.
DISAGREEING = {
    "fence language with a comma": "/// internal\nAgents.\n\n```rust,ignore\n/// Rotates.\n///\n"
                                   "/// qzxrust key words.\nfn rotate() {}\n```\n///\n",
    "fence option unquoted": "/// internal\nAgents.\n\n```bash title=setup.sh\necho one\n///\nexport TOKEN=qzxoption\n```\n///\n",
    "fence language with a colon": "/// internal\nAgents.\n\n```yaml:config.yml\nkey: 1\n///\nsecret: qzxcolon words\n```\n///\n",
    "longer closing fence": "/// internal\nAgents.\n\n```bash\necho one\n///\nexport TOKEN=qzxlonger\n````\n///\n",
    "link on the leaking line": "/// internal\nAgents.\n\n```rust,ignore\n///\n"
                                "See the [vault](https://vault.corp.example/) qzxlink console.\n```\n///\n",
    "leaking line in Cyrillic": "/// internal\nAgents.\n\n```rust,ignore\n///\nКод доступа окапи кукабарра.\n```\n///\n",
    "public example in such a fence": "Mark agent text like this:\n\n```markdown title=example.md\n/// internal\n"
                                      "The pelican example sentence here.\n///\n```\n",
    "absorbed line with a link": "/// internal\nAgents text.\n///\n    Then reset it from the [sign-in page]"
                                 "(https://app.example/login) as a pelican would.\n",
    "absorbed line with a tag": "/// internal\nAgents text.\n///\n    Then choose <b>Reset password</b> and follow the "
                                "pelican email.\n",
    # A fence line the writer (and CommonMark) reads as part of raw HTML, which Markdown reads as a fence
    # first: the block between two of them is code to every tier.
    "fence line inside a div": '<div class="note">\n```\n</div>\n\n/// internal\nqzxdivfence words for agents.\n'
                               '///\n\n<div class="note">\n```\n</div>\n\nPublic pelican words.\n',
    "fence line inside a comment": "<!--\n```\n-->\n\n/// internal\nqzxcommentfence words for agents.\n///\n\n"
                                   "<!--\n```\n-->\n\nPublic pelican words.\n",
}


@pytest.mark.parametrize("name, body", DISAGREEING.items(), ids=DISAGREEING.keys())
def test_a_block_the_writer_and_markdown_end_apart_is_refused(make_root, name, body):
    make_root.doc("kb/a.md", "# Page\n\n" + body)
    content = load(make_root.path)
    shown = tier0_texts(content, content.by_rel()["kb/a.md"]).lower()
    assert SECRET_RE.search(shown) or "окапи" in shown or "pelican" not in shown, "the shape neither leaks nor loses"
    assert any(error.startswith(("internal-not-hidden:", "internal-absorbed:")) for error in errors_of(content))


LOOKALIKES = ["/// interal", "/// internal:", "// internal", "/// internal - tier 2", "/// intrenal | tier: 2",
              # characters that only look like spaces, slashes or letters, or that nobody sees
              "///\u00a0internal", "\ufeff/// internal", "/// internal\u200b", "\uff0f\uff0f\uff0f internal",
              "/// \u0456nternal", "\u2044\u2044\u2044 internal", "/// inter\u00adnal", "///\u2002internal",
              "/\u0456// internal", "\u0456/// internal", "Text /// internal"]


@pytest.mark.parametrize("marker", LOOKALIKES)
def test_a_marker_that_is_not_one_is_refused(make_root, marker):
    make_root.doc("kb/a.md", f"# Page\n\nPublic.\n\n{marker}\nqzxlookalike words.\n///\n")
    assert any(e.startswith("internal-marker:") for e in errors_of(load(make_root.path)))


@pytest.mark.parametrize("marker", LOOKALIKES[5:8])
def test_a_marker_that_is_not_one_in_a_snippet_is_refused_at_its_line(make_root, marker):
    make_root.file("snippets/shared.md", "Shared words.\n")
    make_root.file("snippets/notes.md", f"Intro.\n\n{marker}\nqzxsnippet words.\n///\n")
    make_root.doc("kb/a.md", '# Page\n\nPublic.\n\n--8<-- "shared.md"\n\n--8<-- "notes.md"\n')
    findings = [f for f in validate(load(make_root.path)) if f.rule == "internal-marker"]
    assert [(f.path, f.line) for f in findings] == [("snippets/notes.md", 3)]


def test_a_block_the_parser_does_not_read_as_written_is_refused(make_root):
    # Indented first lines of a block are its options; invalid ones make Markdown read no block at all.
    make_root.doc("kb/a.md", "# Page\n\n/// internal\n    bad: [unclosed\nqzxoptions words.\n///\n")
    assert "internal-not-hidden:" in " ".join(errors_of(load(make_root.path)))


def test_a_block_indented_as_code_is_refused_but_a_fenced_one_is_text(make_root):
    """Indented four spaces outside a list item or admonition, a block is code that every reader sees:
    the writer meant it hidden, so it is refused. In a closed fence, the syntax is shown on purpose."""
    make_root.doc("kb/a.md", "# Page\n\nSyntax:\n\n```text\n/// internal\nExample.\n///\n```\n")
    make_root.doc("kb/b.md", "# Page\n\nAfter a list:\n\n    /// internal\n    qzxcode words.\n    ///\n")
    errors = errors_of(load(make_root.path))
    assert errors == ["internal-not-hidden:12"]


def test_nesting_with_as_many_slashes_is_refused(make_root):
    make_root.doc("kb/a.md", "# Page\n\n/// internal\n/// details | x\nqzxinner\n///\nqzxafter words\n///\n")
    assert any(e.startswith("internal-nesting:") for e in errors_of(load(make_root.path)))


def test_html_comments_in_public_documents_are_reported(make_root):
    make_root.doc("kb/a.md", "# Page\n\nText.\n\n<!-- ask Bob about the SSO bug -->\n")
    make_root.doc("runbooks/r.md", tier=1)
    findings = [f for f in validate(load(make_root.path)) if f.rule == "html-comment-public"]
    assert [(f.path, f.line, f.severity) for f in findings] == [("kb/a.md", 12, "warning")]


# Files belong to the content around them --------------------------------------------------------------
def test_a_public_page_may_not_link_a_file_kept_with_higher_tier_content(make_root):
    make_root.doc("runbooks/tier2/dump-logs.md", tier=2)
    make_root.file("runbooks/tier2/files/dump.txt", "qzxdump internal host db7.corp.example\n")
    make_root.doc("kb/a.md", "# Page\n\nGet [the dump](../runbooks/tier2/files/dump.txt).\n")
    findings = [f for f in validate(load(make_root.path)) if f.rule == "link-higher-tier"]
    assert [(f.path, f.line) for f in findings] == [("kb/a.md", 10)]
    assert "tier 2" in findings[0].message


def test_an_internal_block_of_the_file_tier_may_link_it(make_root):
    make_root.doc("runbooks/tier2/dump-logs.md", tier=2)
    make_root.file("runbooks/tier2/files/dump.txt", "dump\n")
    make_root.doc("kb/a.md", "# Page\n\nText.\n\n/// internal | tier: 2\n[dump](../runbooks/tier2/files/dump.txt)\n///\n")
    assert not [f for f in validate(load(make_root.path)) if f.severity == "error"]


@pytest.mark.slow
def test_no_file_reaches_a_site_below_its_tier(make_root, tmp_path):
    make_root.doc("runbooks/tier2/dump-logs.md", "# Dump\n\nSee [the dump](files/dump.txt).\n", tier=2,
                  kind="article")
    make_root.file("runbooks/tier2/files/dump.txt", "qzxdump\n")
    make_root.doc("kb/a.md", "# Page\n\nPublic.\n\n/// internal | tier: 2\n[dump](../runbooks/tier2/files/dump.txt)\n///\n")
    out = tmp_path / "out"
    build(make_root.path, out=out)
    assert not list(out.glob("tier[01]/**/dump.txt"))
    assert (out / "tier2/runbooks/tier2/files/dump.txt").is_file()


# The whole pipeline, for the shapes above -------------------------------------------------------------
@pytest.mark.slow
def test_the_tier0_site_and_search_hold_no_internal_word(tmp_path):
    maker = RootMaker(tmp_path / "root")
    for number, (name, body) in enumerate(SHAPES.items()):
        if name in REFUSED:
            continue
        maker.doc(f"kb/a{number}.md", f"# Page {number}\n\n{body}")
    out = tmp_path / "out"
    build(maker.path, out=out)
    tier0 = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in (out / "tier0").rglob("*")
                     if p.is_file() and p.suffix in (".html", ".json", ".xml", ".txt"))
    assert not SECRET_RE.search(tier0.lower())
    tier3 = " ".join(p.read_text(encoding="utf-8") for p in (out / "tier3").rglob("*.html"))
    assert len(set(SECRET_RE.findall(tier3))) >= len(SHAPES) - len(REFUSED) - 1
    for word in ("qzxtab", "qzxfootnote", "qzxnote"):
        result = CliRunner().invoke(main, ["search", word, "--root", str(maker.path), "--tier", "0", "--json"])
        assert json.loads(result.output or "[]") == [] if result.exit_code == 0 else "No" in result.output
        result3 = CliRunner().invoke(main, ["search", word, "--root", str(maker.path), "--tier", "3", "--json"])
        assert json.loads(result3.output)


# The search for the next bypass -----------------------------------------------------------------------
FEED_MARKER = "<!-- kbgen:defect DEF-0001 -->"  # a feed region's first line: taken out before Markdown reads
SECRET_WORDS = st.text(alphabet="bcdfghjklmnpqrstvwz", min_size=4, max_size=8).map(lambda s: "qzx" + s)


@st.composite
def internal_content(draw, secret: str, slashes: int) -> list[str]:
    """Lines of an internal block's content: text, things that define names the page could use, and
    blocks inside it (with as many slashes as the block, or more)."""
    # The secret as text, or only where words are not compared: an image's alt text, a comment, an address.
    parts = [[draw(st.sampled_from([f"{secret} sentence about the account.", f"![{secret} vault](https://e.example/a.png)",
                                    f"<!-- {secret} vault key -->", f"`https://{secret}.corp.example/admin`",
                                    f'[x](https://e.example/ "{secret} title")']))]]
    options = draw(st.lists(st.sampled_from(["footnote", "reference", "heading", "list", "fence", "abbr", "html",
                                             "nested", "details", "odd fence", "glued closer", "section marker",
                                             "footnote block", "swallowed closer", "absorbed closer",
                                             "paid closer", "spanning closer"]), max_size=3, unique=True))
    # A fence as writers write them, some of which pymdownx.superfences does not take as one, holding what
    # is a block's marker to Markdown if the fence is not one.
    header = draw(st.sampled_from(["```text", "```rust,ignore", "```bash title=run.sh", "```yaml:app.yml",
                                   '```bash hl_lines="x"', "~~~bash", "``` bash", '```bash title="run.sh"']))
    closer = draw(st.sampled_from([header[:3], header[:3] + header[0], "  " + header[:3]]))
    inner = "/" * (slashes + draw(st.sampled_from([0, 1, 1])))
    opens, ends = draw(st.sampled_from([("Agents run `grep", "x` first."), ("Note <!--", "-->"), ("![alt", "z](a.png)"),
                                        ('[x](y "t', 'u")'), ("Agents *x", "y* now."), ('Agents <b title="x', 'y">'),
                                        ("Agents *x </p>", "y* now."), ("Agents <div>x", "y</div> now."),
                                        ("Agents ~~x", "y~~ now."), ("Agents <span>x <p>", "y</span> now.")]))
    spanning = [opens, *([f"{'/' * slashes} note"] if draw(st.booleans()) else []), ends]
    feed_at = draw(st.sampled_from(["none", "above", "below"]))
    feed_above, feed_below = ([FEED_MARKER] if feed_at == "above" else []), ([FEED_MARKER] if feed_at == "below" else [])
    for option in options:
        parts.append({
            "footnote": [f"[^n1]: {secret} footnote."],
            "reference": [f'[ref1]: https://{secret}.corp.example/x "{secret} title"'],
            "heading": [f"## {secret} heading"],
            "list": [f"- {secret} item", f"    - {secret} nested"],
            "fence": ["```text", f"{secret} code", "```"],
            "abbr": [f"*[API]: {secret} abbreviation"],
            "html": [f'<div class="x">{secret} html</div>'],
            "nested": [f"{inner} internal | tier: 3", f"{secret} nested for engineers.", inner],
            "details": [f"{inner} details | More", f"{secret} folded away.", inner],
            "odd fence": [header, "/" * slashes, f"{secret} code after a marker line.", closer],
            # a closer only after the feed's marker is taken out; an opener pymdownx.snippets takes out
            "glued closer": [draw(st.sampled_from(["<!-- kbgen:defect DEF-0001 -->", "<!-- note -->", "<div>x</div>",
                                                   "<hr/>"])) + "/" * slashes, f"![{secret} glued](a.png)"],
            # the block's own closer taken into an image's alt text or a link's title, after an early end
            "swallowed closer": [f"<!-- note -->{'/' * slashes}", f"![{secret} alt", "/" * slashes, "end](a.png)"],
            # the block's own closer taken into a link definition, or a '///' a definition pays with
            "absorbed closer": ["/// details | More -8<- [start:a]", "inner", "///", "", f"![{secret} alt](a.png)",
                                "[zz]:"],
            # a construct running over the block's '///' (and over a note's opener after it), a feed region's
            # marker line beside it: Markdown ends the block there all the same
            "spanning closer": [*spanning[:1], *feed_above, "/" * slashes, *feed_below, *spanning[1:],
                                "", f"{secret} after the span."],
            "paid closer": ['[zz]: https://e.example/z "' + "/" * slashes + '"', "", "```rust,ignore", "/" * slashes,
                            f"![{secret} paid](a.png)", "```"],
            "section marker": [f"{inner} details | More -8<- [start:a]", "inner", inner, f"![{secret} cut](a.png)"],
            # footnotes parse a definition after the other blocks
            "footnote block": ["Agents[^b1].", "", "[^b1]: Note.", "", f"    {inner} internal | tier: 3",
                               f"    ![{secret} late](a.png)", f"    {inner}"],
        }[option])
    return [line for part in parts for line in [*part, ""]][:-1]


# No-break and typographic spaces, invisible format characters and slash look-alikes, anywhere in a
# marker; letters that look like the name's own in place of one of them.
ODD_CHARACTERS = ["\u00a0", "\u2002", "\u3000", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060", "\uff0f",
                  "\u2044", "\u2215"]
LETTER_LOOKALIKES = {"i": ["\u0456", "\u0131", "\uff49"], "a": ["\u0430"], "e": ["\u0435"], "n": ["\uff4e"]}


@st.composite
def documents(draw):
    secret = draw(SECRET_WORDS)
    count = draw(st.integers(3, 5))
    slashes = "/" * count
    argument = draw(st.sampled_from(["", " | tier: 1", " | tier: 2", " | tier: 3"]))
    after_opener = draw(st.sampled_from(["", " ", "\t", "  \t"]))
    after_closer = draw(st.sampled_from(["", " ", "\t"]))
    opener_line = f"{slashes} internal{argument}{after_opener}"
    odd = draw(st.none() | st.tuples(st.sampled_from(ODD_CHARACTERS), st.integers(0, len(opener_line))))
    if odd:  # a marker as it arrives pasted from a chat or a word processor
        opener_line = opener_line[:odd[1]] + odd[0] + opener_line[odd[1]:]
    elif draw(st.booleans()):
        at = draw(st.sampled_from([i for i, char in enumerate(opener_line) if char in LETTER_LOOKALIKES]))
        opener_line = (opener_line[:at] + draw(st.sampled_from(LETTER_LOOKALIKES[opener_line[at]]))
                       + opener_line[at + 1:])
    block = [opener_line, *draw(internal_content(secret, count)), f"{slashes}{after_closer}"]
    container = draw(st.sampled_from(["none", "bullet", "number", "admonition", "admonition-nospace", "collapsed",
                                      "tabs", "tabs-open", "details", "quote", "footnote", "deflist", "table"]))
    indent = draw(st.sampled_from([" " * n for n in (0, 1, 2, 3, 4, 4, 4, 5, 6, 8)] + ["\t", "  \t"]))
    opener = {"none": None, "bullet": "- Public item.", "number": "1. Public step.",
              "admonition": "!!! note", "admonition-nospace": "!!!note", "collapsed": "???+ note",
              "tabs": '=== "Web"', "tabs-open": '===+ "Web"', "details": "//////// details | Public",
              "quote": None, "footnote": "[^p]: Public footnote.", "deflist": "Term\n:   Public definition.",
              "table": "| Public | Table |\n|---|---|\n| a | b |"}[container]
    if container == "quote":
        lines = ["> Public quote.", ">", *(f"> {indent}{line}" if line else ">" for line in block)]
    elif opener is None:
        lines = [f"{indent}{line}" if line else "" for line in block]
    else:
        lines = [opener, "", *(f"{indent}{line}" if line else "" for line in block)]
        if container == "details":
            lines.append("////////")
    before = draw(st.sampled_from(["", "```\nopen fence\n", "~~~~\ncode\n~~~~\n", "````\nx\n```\n", "    code\n"]))
    uses = "Public text[^n1] with [a link][ref1] and an API and a [jump](#heading).\n"
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = f"# Page\n\n{before}\n{uses}\n" + "\n".join(lines) + "\n\nPublic closing words.\n"
    if container == "footnote":
        text += "\nSee[^p].\n"
    return secret, text.replace("\n", newline)


@given(documents())
def test_no_internal_word_reaches_tier0_unless_the_document_is_refused(document):
    secret, body = document
    with tempfile.TemporaryDirectory() as folder:
        maker = RootMaker(Path(folder))
        maker.file("kb/a.md", "---\nid: a\ntitle: Page\nkind: article\ntier: 0\nintents: [account.password-reset]\n"
                              "---\n" + body)
        content = load(maker.path)
        document_ = content.by_rel()["kb/a.md"]
        refused = errors_of(content)
        if not refused:
            public = tier0_texts(content, document_).lower()
            assert secret not in public, body
            assert "public closing words" in public, body  # nor is the text after the block lost
            shown, _ = structure.render_html(content, document_.body, 3)
            assert secret in shown.lower(), body  # nothing the writer wrote is lost to the agents either


def test_the_two_views_of_the_parser_are_compared(make_root):
    """Where the render that hides a block and the render that shows it read the block differently, the
    text the full render marks internal is found in the lower page, and the document is refused."""
    make_root.doc("kb/a.md", "# Page\n\nPublic.\n\n/// internal\n/// details | x\nqzxinner words\n///\n"
                             "qzxafter words that the lower page shows\n///\n")
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    assert "qzxafter" in structure.shown_marked_text(content, document, 0)
    assert structure.shown_marked_text(content, document, 1) is None
    assert any(e.startswith("internal-not-hidden:") for e in errors_of(content))


def test_a_link_markdown_finds_in_what_looks_like_code_is_a_warning(make_root):
    """The parser, not the eye, says what is a link: in a list item's text indented like code, Markdown reads
    ``[int]($_.Name)`` as a link. It leads nowhere, which is worth saying, not refusing the page for."""
    make_root.doc("kb/a.md", "# Page\n\n1. Run this\nin PowerShell:\n\n    $x = @{expression={[int]($_.Name)}}\n\nDone.\n")
    findings = [(f.rule, f.severity) for f in validate(load(make_root.path)) if f.path == "kb/a.md"]
    assert findings == [("link-broken", "warning")]


def test_blocks_in_list_items_and_later_ones_are_found_where_they_are(make_root):
    make_root.doc("kb/a.md", "# Page\n\n1. One.\n2. Two.\n\n    /// internal\n    qzxlisted words.\n    ///\n\n"
                             "Public.\n\n/// internal | tier: 2\nqzxlater words.\n///\n")
    content = load(make_root.path)
    assert errors_of(content) == []
    floors = structure.hidden_lines(content, content.by_rel()["kb/a.md"])
    lines = content.by_rel()["kb/a.md"].body.split("\n")
    assert [lines[i].strip() for i, f in enumerate(floors) if f == 1] == ["/// internal", "qzxlisted words.", "///"]


def test_an_empty_internal_block_is_found_where_it_is(make_root):
    make_root.doc("kb/a.md", "# Page\n\nPublic.\n\n/// internal\n///\n\nMore public text.\n")
    assert errors_of(load(make_root.path)) == []


def test_a_block_in_a_snippet_included_in_a_list_item_is_hidden(make_root):
    make_root.file("snippets/agents.md", "Public snippet text.\n\n/// internal\nqzxsnippet words.\n///\n")
    make_root.doc("kb/a.md", '# Page\n\n1. Step one.\n\n    --8<-- "agents.md"\n\n2. Step two.\n')
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    assert errors_of(content) == []
    assert "qzxsnippet" not in tier0_texts(content, document) and "Public snippet text" in tier0_texts(content, document)
    assert "qzxsnippet" in structure.view(content, document, 1).text


def test_an_include_is_split_as_pymdownx_splits_it_whatever_files_exist(make_root):
    """pymdownx.snippets always reads "notes.md:4:4" as line 4 of notes.md: a file named like that spec,
    put there to be checked in its place, does not make validation check the wrong file."""
    make_root.file("snippets/vault_notes.md", "Notes.\n\n/// internal | tier: 2\nqzxvault master key.\n///\n")
    make_root.file("snippets/vault_notes.md:4:4", "Public vault note.\n")
    make_root.doc("kb/a.md", '# Page\n\nPublic words.\n\n--8<-- "vault_notes.md:4:4"\n')
    content = load(make_root.path)
    assert SECRET_RE.search(tier0_texts(content, content.by_rel()["kb/a.md"]).lower()), "the include takes line 4"
    assert errors_of(content) == [f"snippet-part-internal:{content.by_rel()['kb/a.md'].body_line + 4}"]


def test_part_of_a_snippet_with_internal_blocks_is_refused_and_a_whole_one_is_hidden(make_root):
    """Lines or a section of a snippet can hold a block's text without its markers: every tier would show it."""
    make_root.file("snippets/sub/notes.md", "Intro.\n\n/// internal\n<!-- --8<-- [start:s] -->\nqzxpart words.\n"
                                            "<!-- --8<-- [end:s] -->\n///\n")
    make_root.file("snippets/plain.md", "First line.\n<!-- --8<-- [start:s] -->\nSecond line.\n"
                                        "<!-- --8<-- [end:s] -->\n")
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "sub/notes.md:5:5"\n\n--8<--\nsub/notes.md:s\n--8<--\n\n'
                             '--8<-- "sub/notes.md"\n\n--8<-- "plain.md:3:3"\n\n--8<-- "plain.md:s"\n')
    content = load(make_root.path)
    findings = [(f.rule, f.line) for f in validate(content) if f.severity == "error"]
    body_line = content.by_rel()["kb/a.md"].body_line
    assert findings == [("snippet-part-internal", body_line + 2), ("snippet-part-internal", body_line + 5)]
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "sub/notes.md"\n\n--8<-- "plain.md:3:3"\n')
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    assert errors_of(content) == []  # a part of a snippet without blocks is fine
    assert "qzxpart" not in tier0_texts(content, document) and "Second line" in tier0_texts(content, document)
    assert "First line" not in tier0_texts(content, document)


@st.composite
def snippet_includes(draw):
    """A document of :func:`documents` moved into a snippet, which a page includes whole or in part: line
    ranges, several of them, a section whose markers fall anywhere, inline or in a block of includes."""
    secret, text = draw(documents())
    lines = text.replace("\r\n", "\n").split("\n")
    for _ in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(
            ["<!-- --8<-- [start:s] -->", "<!-- --8<-- [end:s] -->", "--8<-- [start:s]", "--8<-- [end:s]"])))
    number = st.integers(-1, len(lines) + 1).map(lambda n: "" if n == -1 else str(n))
    ranges = draw(st.lists(st.tuples(number, number), min_size=1, max_size=2))
    part = draw(st.sampled_from(["", ":s", ":" + ",".join(f"{a}:{b}" for a, b in ranges), f":{ranges[0][0]}"]))
    spec = f"{draw(st.sampled_from(['', 'sub/', './']))}notes.md{part}"
    include = f'--8<-- "{spec}"' if draw(st.booleans()) else f"--8<--\n{spec}\n--8<--"
    include = draw(st.sampled_from(INCLUDE_CONTEXTS))(include)
    where = "snippets/sub/notes.md" if spec.startswith("sub/") else "snippets/notes.md"
    return secret, {where: "\n".join(lines)}, f"# Page\n\nPublic words.\n\n{include}\n\nMore public words.\n"


def _prefixed(prefix: str, text: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


# Where a page may put an include: Markdown reads a snippet's blocks as blocks in some, as text in others.
INCLUDE_CONTEXTS = [
    lambda include: include,
    lambda include: f"```text\n{include}\n```",
    lambda include: f"~~~\n{include}\n~~~",
    lambda include: f"<div>\n{include}\n</div>",
    lambda include: f"<div>\n\n{include}\n\n</div>",
    lambda include: f"<div markdown>\n\n{include}\n\n</div>",
    lambda include: f"<!--\n{include}\n-->",
    lambda include: "1. Step.\n\n" + _prefixed("    ", include),
    lambda include: "!!! note\n\n" + _prefixed("    ", include),
    lambda include: '=== "Web"\n\n' + _prefixed("    ", include),
    lambda include: _prefixed("> ", include),
    lambda include: "Term\n:   " + _prefixed("    ", include).lstrip(),
]


@pytest.mark.parametrize("around", [
    "```text\n{}\n```", "~~~\n{}\n~~~", "<div>\n{}\n</div>", "<!--\n{}\n-->", "```\n{}\n```\n\n- list"])
@pytest.mark.parametrize("form", ['--8<-- "agents.md"', "--8<--\nagents.md\n--8<--"])
def test_a_snippet_included_where_markdown_reads_no_block_is_refused(make_root, around, form):
    """Included in code, raw HTML or a comment, a snippet's lines are shown as they are, its internal
    blocks' markers and text too: the include is refused where it is, naming the snippet's line."""
    make_root.file("snippets/agents.md", "Public snippet text.\n\n/// internal\nqzxsnippet words.\n///\n")
    make_root.doc("kb/a.md", "# Page\n\nPublic words.\n\n" + around.format(form) + "\n")
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    at = document.body_line + 5 + (form.startswith("--8<--\n"))
    assert "qzxsnippet" in tier0_texts(content, document)  # what the page would show
    findings = [f for f in validate(content) if f.severity == "error"]
    assert [(f.path, f.line, f.rule) for f in findings] == [("kb/a.md", at, "internal-not-hidden")]
    assert "snippets/agents.md keeps in an internal block (its line 4)" in findings[0].message


def test_a_snippet_that_includes_another_in_code_is_refused_where_it_does(make_root):
    make_root.file("snippets/agents.md", "/// internal | tier: 2\nqzxsnippet words.\n///\n")
    make_root.file("snippets/outer.md", 'Public outer text.\n\n```\n--8<-- "agents.md"\n```\n')
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "outer.md"\n', tier=1)
    findings = [(f.path, f.line, f.rule) for f in validate(load(make_root.path)) if f.severity == "error"]
    assert findings == [("snippets/outer.md", 4, "internal-not-hidden")]


def test_a_snippet_included_in_code_with_the_snippets_it_includes_is_refused(make_root):
    """The snippet a page includes in code brings the snippets it includes, blocks and all."""
    make_root.file("snippets/inner.md", "/// internal\nqzxinner words.\n///\n")
    make_root.file("snippets/outer.md", 'Public outer text.\n\n--8<-- "inner.md"\n')
    make_root.doc("kb/a.md", '# Page\n\n```\n--8<-- "outer.md"\n```\n')
    content = load(make_root.path)
    findings = [f for f in validate(content) if f.severity == "error"]
    assert [(f.path, f.line, f.rule) for f in findings] == [
        ("kb/a.md", content.by_rel()["kb/a.md"].body_line + 3, "internal-not-hidden")]
    assert "snippets/inner.md keeps in an internal block (its line 2)" in findings[0].message


def test_a_block_only_the_parser_reads_in_a_snippet_stays_hidden_where_it_is_included(make_root):
    """An admonition written without a space holds the block: the parser hides it where the writer's line
    scan may not see one; included in code, it is shown, and refused."""
    make_root.file("snippets/agents.md", "!!!note\r\n\r\n    /// internal | tier: 2 \r\n    qzxnote words.\r\n"
                                         "    ///\r\n")
    make_root.doc("kb/a.md", '# Page\n\n```text\n--8<--\nagents.md\n--8<--\n```\n')
    content = load(make_root.path)
    assert "qzxnote" in tier0_texts(content, content.by_rel()["kb/a.md"])
    assert errors_of(content) == [f"internal-not-hidden:{content.by_rel()['kb/a.md'].body_line + 4}"]


def test_a_snippet_included_twice_is_reported_at_the_include_in_code(make_root):
    make_root.file("snippets/agents.md", "Restart the billing service.\n\n/// internal\nRestart the billing service."
                                         "\n///\n")
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "agents.md"\n\n--8<-- "agents.md"\n')
    assert errors_of(load(make_root.path)) == []  # each include shows the public sentence once
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "agents.md"\n\n```\n--8<-- "agents.md"\n```\n')
    content = load(make_root.path)
    assert errors_of(content) == [f"internal-not-hidden:{content.by_rel()['kb/a.md'].body_line + 5}"]


@pytest.mark.parametrize("ending, refused", [("<div>\nRaw text.\n", True), ("<pre>\nRaw text.\n", True),
                                             ("<div>\nRaw text.\n</div>\n", False), ("Public words.\n", False)])
def test_a_page_that_takes_in_the_snippet_mkdocs_yml_appends_is_refused(make_root, ending, refused):
    """pymdownx.snippets appends its auto_append snippets after the page's last line: a page that ends inside
    raw HTML takes them in, and shows their internal blocks as they are."""
    make_root.file("snippets/agents.md", "Public appended text.\n\n/// internal\nqzxappended words.\n///\n")
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.snippets:\n"
                                 "      auto_append: ['agents.md']\n")
    make_root.doc("kb/a.md", "# Page\n\nPublic words.\n\n" + ending)
    content = load(make_root.path)
    document = content.by_rel()["kb/a.md"]
    assert ("qzxappended" in tier0_texts(content, document)) == refused
    last = document.body_line + len(document.body.rstrip("\n").split("\n")) - 1
    assert errors_of(content) == ([f"internal-not-hidden:{last}"] if refused else [])


def test_a_snippet_sentence_another_included_snippet_shows_is_no_leak(make_root):
    """Another snippet the page includes may say in public what one says in its block."""
    make_root.file("snippets/agents.md", "/// internal\nRestart the billing service first.\n///\n")
    make_root.file("snippets/steps.md", "Restart the billing service first.\n")
    make_root.doc("kb/a.md", '# Page\n\n--8<-- "steps.md"\n\n--8<-- "agents.md"\n')
    assert errors_of(load(make_root.path)) == []


def test_a_snippet_sentence_the_page_also_writes_is_no_leak(make_root):
    """The page's own public text may say what the snippet's block says: that is not the snippet shown."""
    make_root.file("snippets/agents.md", "/// internal\nRestart the billing service first.\n///\n")
    make_root.doc("kb/a.md", '# Page\n\nRestart the billing service first.\n\n--8<-- "agents.md"\n')
    assert errors_of(load(make_root.path)) == []


@st.composite
def whole_snippet_includes(draw):
    """A document of :func:`documents` moved into a snippet, included whole in one of the contexts a page
    can put an include in (code, raw HTML, a comment, containers), directly or through another snippet, or
    appended to every page by mkdocs.yml after whatever the page leaves open."""
    secret, text = draw(documents())
    files = {"snippets/notes.md": text}
    how = draw(st.sampled_from(["included", "through another snippet", "appended"]))
    if how == "appended":  # after the page's last line, whatever the page leaves open
        files["mkdocs.yml"] = "site_name: Help\nmarkdown_extensions:\n  - pymdownx.snippets:\n" \
                              "      auto_append: ['notes.md']\n"
        ending = draw(st.sampled_from(["", "<div>\nRaw text.\n", "<pre>\n", "```\n", "<!--\n", "> Quote.\n"]))
        return secret, files, f"# Page\n\nPublic words.\n\n{ending}"
    name = "notes.md"
    if how == "through another snippet":
        files["snippets/outer.md"] = 'Outer public words.\n\n--8<-- "notes.md"\n'
        name = "outer.md"
    include = f'--8<-- "{name}"' if draw(st.booleans()) else f"--8<--\n{name}\n--8<--"
    include = draw(st.sampled_from(INCLUDE_CONTEXTS))(include)
    return secret, files, f"# Page\n\nPublic words.\n\n{include}\n\nMore public words.\n"


@given(st.one_of(snippet_includes(), whole_snippet_includes()))
def test_no_internal_word_of_a_snippet_reaches_tier0_unless_the_page_is_refused(case):
    secret, files, body = case
    with tempfile.TemporaryDirectory() as folder:
        maker = RootMaker(Path(folder))
        for rel, text in files.items():
            maker.file(rel, text)
        maker.file("kb/a.md", "---\nid: a\ntitle: Page\nkind: article\ntier: 0\nintents: [account.password-reset]\n"
                              "---\n" + body)
        content = load(maker.path)
        if not errors_of(content):
            assert secret not in tier0_texts(content, content.by_rel()["kb/a.md"]).lower(), (files, body)


@pytest.mark.parametrize("after", ["    qzyafter words.", "\n    qzyafter words.", "\n\tqzyafter words."])
def test_text_indented_after_a_block_is_refused_not_lost(make_root, after):
    """Markdown takes an indented line after a block's end into the block: the page would lose it."""
    make_root.doc("kb/a.md", f"# Page\n\n/// internal\nqzxagent words.\n///\n{after}\n\nMore public words.\n")
    content = load(make_root.path)
    line = content.by_rel()["kb/a.md"].body_line + 5 + after.count("\n")
    assert errors_of(content) == [f"internal-absorbed:{line}"]


def test_a_sentence_both_in_a_block_and_after_it_is_no_loss(make_root):
    make_root.doc("kb/a.md", "# Page\n\n/// internal\nRestart the service.\n///\n\nRestart the service.\n")
    assert errors_of(load(make_root.path)) == []


@st.composite
def text_after_blocks(draw):
    """A public line after an internal block, indented any way, in the containers of :func:`documents`."""
    indent = draw(st.sampled_from(["", "    ", "  "]))
    after = draw(st.sampled_from(["", " ", "  ", "    ", "\t", "        "]))
    gap = draw(st.sampled_from(["", "\n"]))
    block = [f"{indent}/// internal", f"{indent}qzxagent words.", f"{indent}///"]
    container = draw(st.sampled_from(["none", "bullet", "admonition"]))
    opener = {"none": [], "bullet": ["- Public item.", ""], "admonition": ["!!! note", ""]}[container]
    if container == "none":
        block = [line.lstrip() for line in block]
    return "# Page\n\n" + "\n".join([*opener, *block]) + f"\n{gap}{after}qzyafter words.\n\nMore public words.\n"


@given(text_after_blocks())
def test_text_written_after_a_block_is_shown_or_the_page_refused(body):
    with tempfile.TemporaryDirectory() as folder:
        maker = RootMaker(Path(folder))
        maker.file("kb/a.md", "---\nid: a\ntitle: Page\nkind: article\ntier: 0\nintents: [account.password-reset]\n"
                              "---\n" + body)
        content = load(maker.path)
        if not errors_of(content):
            assert "qzyafter" in tier0_texts(content, content.by_rel()["kb/a.md"]), body


@pytest.mark.parametrize("appended, rule", [
    ("../runbooks/tier3/notes.md", "snippet-outside"), ("https://example.invalid/x.md", "snippet-outside"),
    ("missing.md", "snippet-missing"), ("notes.md:2:2", "snippet-part-internal"), ("notes.md", None)])
def test_snippets_mkdocs_yml_appends_to_every_page_follow_the_include_rules(make_root, appended, rule):
    """pymdownx.snippets' auto_append adds a file to every page, the public ones too."""
    make_root.file("snippets/notes.md", "/// internal\nqzxappended words.\n///\n")
    make_root.doc("runbooks/tier3/notes.md", "# Notes\n\nqzxtier words.\n", tier=3, kind="article")
    make_root.doc("kb/a.md", "# Page\n\nPublic words.\n")
    make_root.file("mkdocs.yml", f"site_name: Help\nmarkdown_extensions:\n  - pymdownx.snippets:\n"
                                 f"      auto_append: ['{appended}']\n")
    content = load(make_root.path)
    findings = [(f.path, f.line, f.rule) for f in validate(content) if f.severity == "error"]
    assert ("mkdocs.yml", 4, rule) in findings if rule else findings == []
    if not rule:
        assert "qzxappended" not in tier0_texts(content, content.by_rel()["kb/a.md"])


@pytest.mark.parametrize("setting, line, named", [
    ("extra_css:\n  - runbooks/tier3/look.css\n", 3, "runbooks/tier3/look.css"),
    ("extra_javascript:\n  - kb/ok.js\n  - path: /runbooks/tier3/look.css\n    type: module\n", 4,
     "runbooks/tier3/look.css"),
    ("theme:\n  name: material\n  logo: runbooks/tier3/look.png\n", 4, "runbooks/tier3/look.png"),
    ("theme:\n  name: material\n  favicon: runbooks/tier3/notes/\n", 4, "runbooks/tier3/notes"),
    ("extra_css:\n  - kb/ok.css\n  - https://cdn.example/runbooks/tier3/look.css\n", None, None)])
def test_files_mkdocs_yml_has_every_page_load_are_not_kept_with_internal_content(make_root, setting, line, named):
    """A logo, favicon, extra CSS or JavaScript is linked from every page of every site, the public one's too:
    validation refuses one kept with content above tier 0 (the build's audit found it; validation passed)."""
    make_root.doc("runbooks/tier3/notes.md", "# Notes\n\nTier three.\n", tier=3, kind="article")
    for name in ("look.css", "look.png"):
        make_root.file(f"runbooks/tier3/{name}", "a")
    make_root.doc("kb/a.md", "# Page\n\nPublic words.\n")
    make_root.file("kb/ok.css", "a")
    make_root.file("kb/ok.js", "a")
    make_root.file("mkdocs.yml", "site_name: Help\n" + setting)
    found = [(f.path, f.line, f.rule, f.message) for f in validate(load(make_root.path)) if f.severity == "error"]
    if named is None:
        assert found == []
    else:
        [(path, at, rule, message)] = found
        assert (path, at, rule) == ("mkdocs.yml", line, "link-higher-tier") and named in message


# A block the parser ends before its own '///' (or never opens), found by the marker the page then shows -----
ALT = "![qzxalt vault key](https://e.example/a.png)"
EARLY_ENDS = {
    "a closer after the feed's marker": f"/// internal | tier: 2\nAgents note.\n<!-- kbgen:defect DEF-0001 -->///\n{ALT}\n///\n",
    "an opener pymdownx.snippets takes out": f"/// internal | tier: 2\nAgents note.\n\n/// details | More -8<- [start:a]\n"
                                              f"inner\n///\n\n{ALT}\n\n///\n",
    "a nested block with fewer slashes": f"//// internal | tier: 2\n/// details | More\ninner\n////\n\n{ALT}\n\n///\n////\n",
    "a fence superfences does not take": f"/// internal | tier: 2\nAgents note.\n\n```rust,ignore\n///\n{ALT}\n```\n///\n",
    "a comment after an early end": "/// internal | tier: 2\nAgents note.\n<!-- kbgen:defect DEF-0001 -->///\n"
                                    "<!-- qzxalt vault key -->\n///\n",
    "an address in code after an early end": "/// internal | tier: 2\nAgents note.\n<!-- kbgen:defect DEF-0001 -->///\n"
                                             "`https://qzxalt.corp.example/admin`\n///\n",
    "a closer in a snippet": "/// internal | tier: 2\nAgents note.\n\n--8<-- \"close.md\"\n\n" + ALT + "\n///\n",
    # the block's own '///' taken into what follows the early end: no line of the page shows it
    "the '///' in alt text": "/// internal | tier: 2\nNote.\n<!-- kbgen:defect DEF-0001 -->///\n"
                             "![qzxalt vault key\n///\nend](https://e.example/a.png)\n",
    "the '///' in a title": "/// internal | tier: 2\nNote.\n<!-- kbgen:defect DEF-0001 -->///\n"
                            '[see](https://e.example/x "qzxalt vault key\n///\nend")\n',
    "the '///' in a comment": "/// internal | tier: 2\nNote.\n\n/// details | More -8<- [start:a]\ninner\n///\n\n"
                              "<!-- qzxalt vault key\n///\n-->\n",
    "the '///' in a template": "/// internal | tier: 2\nNote.\n<!-- kbgen:defect DEF-0001 -->///\n"
                               "<template>qzxalt vault key\n///\n</template>\n",
    "a closer after HTML": "/// internal | tier: 2\nNote.\n<div>x</div>///\n" + ALT + "\n///\n",
    # the block's own '///' taken into a link definition no page shows: no run of slashes is left to count
    "the '///' in a link definition": "/// internal | tier: 2\nNote.\n\n/// details | More -8<- [start:a]\ninner\n"
                                      "///\n\n" + ALT + "\n[zz]:\n///\n",
    # a '///' written where the page never shows it pays for the one an early end leaves
    "a '///' paid for by a link definition": '[zz]: https://e.example/z "///"\n\n/// internal | tier: 2\nNote.\n'
                                             "\n```rust,ignore\nfn x(){}\n///\n```\n" + ALT + "\n///\n",
    # a '///' line inside code, a comment, alt text or a title written over lines ends the block for the parser
    # and for the line reading alike; the writer's own '///' after it, absorbed or not, ends no block
    "a '///' inside a code span": "/// internal | tier: 2\nAgents run `grep\n///\nx` first.\n\nqzxalt vault key "
                                  "is tapir-42.\n[zz]:\n///\n",
    "a '///' inside a comment": "/// internal | tier: 2\nAgents note <!--\n///\n-->\n\nqzxalt vault key.\n///\n",
    # the writer's last '///' taken as the end of a block opened inside a code span, after an early end
    "a block opened in a code span": "/// internal\nAgents run `x\n///\ny` then `p\n/// note\nq` now.\n\n"
                                     "qzxalt vault key.\n///\n",
    "a block opened in a tag's attribute": '/// internal\nAgents <b title="x\n///\ny"> then <b title="p\n/// note\n'
                                            'q"> now.\n\nqzxalt vault key.\n///\n',
    "a block ended in an instruction": "/// internal\nAgents <?x\n///\ny?> then <!X p\n/// note\nq> now.\n\n"
                                       "qzxalt vault key.\n///\n",
    "a block ended in a title with '>'": '/// internal\nAgents <b title="a > x\n///\ny"> then <b title="p > x\n'
                                           '/// note\nq"> now.\n\nqzxalt vault key.\n///\n',
    "a block ended and another opened in emphasis": "/// internal\nAgents *x\n///\n/// note\ny* now.\n\n"
                                                    "qzxalt vault key.\n///\n",
    "a block ended in emphasis": "/// internal\nAgents *x\n///\ny* then *p\n/// note\nq* now.\n\nqzxalt vault key.\n///\n",
    "a block ended in alt text": "/// internal\nSee ![x\n///\ny](a.png)\n\nqzxalt vault key.\n///\n",
    "a quoted fence a line ends": "/// internal | tier: 2\nNote.\n\n> ```text\n///\n" + ALT + "\n```\n///\n",
    "a fence superfences does not open": "/// internal | tier: 2\nNote.\n\n``` { .text title=\"a\"\n///\n" + ALT +
                                         "\n```\n///\n",
    "a closer after a comment": "/// internal | tier: 2\nNote.\n<!-- a note -->///\n" + ALT + "\n///\n",
    # the feed's region markers are taken out before Markdown reads the page: a line of one beside a marker
    # leaves the marker inside what runs over it
    "a feed marker above an early end in a title": '/// internal\nAgents <b title="x\n<!-- kbgen:defect DEF-0001 -->\n'
                                                    '///\n/// note\ny">\n\nqzxalt vault key.\n///\n',
    "a feed marker below an early end in a title": '/// internal\nAgents <b title="x\n///\n<!-- kbgen:defect DEF-0001 -->'
                                                    '\n/// note\ny">\n\nqzxalt vault key.\n///\n',
    "a feed marker by an early end in emphasis": "/// internal\nAgents *x\n<!-- kbgen:defect DEF-0001 -->\n///\n"
                                                 "/// note\ny* now.\n\nqzxalt vault key.\n///\n",
    "a feed marker by an early end in code": "/// internal\nAgents `x\n<!-- kbgen:defect DEF-0001 -->\n///\n"
                                             "/// note\ny` now.\n\nqzxalt vault key.\n///\n",
    "a feed marker by an early end in alt text": "/// internal\nAgents ![x\n<!-- kbgen:defect DEF-0001 -->\n///\n"
                                                 "/// note\ny](https://e.example/a.png)\n\nqzxalt vault key.\n///\n",
    # raw HTML inside what runs over the markers: a '</p>' in emphasis or a link (the browser opens the
    # emphasis again after it), a '<div>' or '<p>' opened within a sentence and closed after the markers
    "a '</p>' inside emphasis over an early end": "/// internal\nAgents *x </p>\n///\n/// note\ny* now.\n\n"
                                                  "qzxalt vault key.\n///\n",
    "a '</p>' inside a link over an early end": "/// internal\nAgents [x </p>\n///\n/// note\ny](https://e.example/) "
                                                "now.\n\nqzxalt vault key.\n///\n",
    "a '<div>' within a sentence over an early end": "/// internal\nAgents <div>x\n///\n/// note\ny</div> now.\n\n"
                                                     "qzxalt vault key.\n///\n",
    "a '<p>' inside a span over an early end": "/// internal\nAgents <span>x <p>\n///\n/// note\ny</span> now.\n\n"
                                               "qzxalt vault key.\n///\n",
    "a tier 2 block ended early inside a tier 1 block": "/// internal\nTier 1 agents.\n\n//// internal | tier: 2\n"
                                                        "Specialists *x <div>\n////\n//// note\ny* now.\n\n"
                                                        "qzxalt vault key.\n////\n\nMore tier 1.\n///\n",
    # GitHub's strikethrough, as a reviewer's preview shows it, where the site has no pymdownx.tilde
    "a strikethrough over an early end": "/// internal\nAgents ~~x\n///\n/// note\ny~~ now.\n\nqzxalt vault key.\n///\n",
    # marker lines that are link definitions' addresses as written: telling the markers apart changes that
    "markers that are link definitions' addresses": "/// internal\nAgents: rotate it.\n\n[vault]:\n///\n[rotation]:\n"
                                                    "///note\nqzxalt vault key.\n///\n",
    # raw HTML that hides what it holds in a preview, in a list item, a definition or after a '</p>'; an
    # attribute that hides the paragraph; a '<div/>' a browser opens; an element whose content is no HTML
    "a hidden div in a list item": "/// internal\n- Agents <div hidden>x\n///\n\n/// note\ny</div> now.\n\n"
                                   "qzxalt vault key.\n///\n",
    "a hidden div after a '</p>'": "/// internal\nAgents </p><div hidden>x\n///\n\n/// note\ny</div> now.\n\n"
                                   "qzxalt vault key.\n///\n",
    "a paragraph hidden by an attribute": "/// internal\nAgents x\n///\n{: hidden }\n\n/// note\nqzxalt vault key.\n///\n",
    "a self-closed hidden div": "/// internal\nAgents <div hidden/>x\n///\n\n/// note\ny</div> now.\n\n"
                                "qzxalt vault key.\n///\n",
    "a title a browser closes later": "/// internal\nAgents <title>x</title\x1c>\n///\n\n/// note\ny</title> now.\n\n"
                                      "qzxalt vault key.\n///\n",
    # across a blank line: a formatting element or one that hides, opened by the writer and never closed, which
    # a browser keeps open over the next paragraphs; marker lines a footnote takes to the end of the page
    "a hidden link never closed": "/// internal\n\nAgents <a hidden>x\n\n///\n\n/// note\n\ny [link](https://e.example/) "
                                  "now.\n\nqzxalt vault key.\n///\n",
    "a styled nobr never closed": '/// internal\n\nAgents <nobr style="display:none">x\n\n///\n\n/// note\n\n'
                                  "qzxalt vault key.\n///\n",
    "markers in footnotes": "Keys rotate[^r].\n\n/// internal\n\nAgents: see the note[^v].\n\n[^v]: Vault runbook\n///\n\n"
                            "[^r]: Rotation schedule\n/// note\n\nqzxalt vault key.\n///\n",
    # an element that shows none of its text, never closed, over the early end
    "an svg never closed": "/// internal\n\nAgents only: <svg>x\n///\n\n/// note\n\nqzxalt vault key.\n///\n",
    "a datalist never closed": "//// internal\n\nAgents <datalist>x\n////\n\n/// note | Vault\n\nqzxalt vault key.\n///\n\n"
                               "<p>////</p>\n",
    # comments and declarations a browser ends where Python's reading of HTML does not
    "an svg after an abrupt comment": "/// internal\n\nAgents only: <!--> <svg> -->x\n///\n\n/// note\n\nqzxalt vault key.\n///\n",
    "an svg after a CDATA a browser ends early": "/// internal\n\nAgents only: <![CDATA[ > <svg> ]]>x\n///\n\n/// note\n\n"
                                                 "qzxalt vault key.\n///\n",
    # a one-line quote holding a fence's opening line: code to a reading of the lines, a quote to Markdown
    "markers after a quoted fence line": "> ```\n\n/// internal\n\n<a hidden>\n\n///\n\n/// note\n\nqzxalt vault key.\n///\n\n"
                                         "> ```\n",
    # an element a paragraph's end does not close in a browser, hiding the closer in the next paragraph
    "a hidden list item over a paragraph's end": "//// internal\n\nAgents only: <li hidden>x\n\n////\n</li> See the note."
                                                 "\n\n/// note | Vault\n\nqzxalt vault key.\n///\n\n<p>////</p>\n",
    "a hidden button over a paragraph's end": "//// internal\n\nAgents only: <button hidden>x\n\n////\n</button> See it.\n\n"
                                              "/// note | Vault\n\nqzxalt vault key.\n///\n\n<p>////</p>\n",
    "a select over a paragraph's end": "//// internal\n\nAgents only: <select>x\n\n////\n</select> See it.\n\n"
                                       "/// note | Vault\n\nqzxalt vault key.\n///\n\n<p>////</p>\n",
    # an opener inside emphasis, where a quote line ends the emphasis over the early end
    "a block opened in emphasis after a quote line": "/// internal\nAgents *x\n>\n///\ny* then *p\n/// note\n"
                                                     "q* now.\n\nqzxalt vault key.\n///\n",
}


@pytest.mark.parametrize("body", EARLY_ENDS.values(), ids=EARLY_ENDS.keys())
def test_a_block_the_parser_ends_early_is_refused_whatever_it_holds(make_root, body):
    """Words are not all a block can hold: where the parser ends a block before its '///', what follows may be
    an image's alt text, a comment or an address, which no comparison of words sees; the '///' the page then
    shows as text is what gives it away."""
    make_root.file("snippets/close.md", "Shared note.\n\n///\n")
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{body}\nPublic end.\n")
    content = load(make_root.path)
    assert any(error.startswith("internal-") for error in errors_of(content)), \
        tier0_texts(content, content.by_rel()["kb/a.md"])


def test_critic_modes_that_rewrite_the_text_are_refused(make_root):
    """pymdownx.critic's accept and reject modes rewrite the text before blocks are read: '///{--x--}' ends
    a block there."""
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.critic:\n      mode: accept\n")
    make_root.doc("kb/a.md", f"# Page\n\n/// internal | tier: 2\nNote.\n///{{--x--}}\n{ALT}\n///\n\nEnd.\n")
    assert "config-option:2" in errors_of(load(make_root.path))  # at markdown_extensions


def test_a_preserve_tabs_closer_is_refused(make_root):
    """pymdownx.superfences' preserve_tabs takes U+0001 out of the text before blocks are read: '///' with one
    after it ends the block for the parser, not for the writer reading the line."""
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.superfences:\n"
                                 "      preserve_tabs: true\n")
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n/// internal | tier: 2\nNote.\n///\x01\n{ALT}\n///\n\nEnd.\n")
    assert any(error.startswith("internal-") for error in errors_of(load(make_root.path)))


@pytest.mark.parametrize("last", ["Run `grep -r x`\nand `ls`.", "See [the guide](https://e.example/g \"Guide\")\nand this.",
                                  "A note <!-- for us -->\nhere.", "![A chart](chart.png)\nof it.",
                                  "Use ``a ` b`` here.", "Use the \\/// separator.", "A <b title=\"t\">bold</b>\nword.",
                                  "Values in [0, 5) are accepted.", "Refunds apply when amount <limit.",
                                  "Tell them sorry :-[", "Type a \\` to start a code span."])
def test_a_closer_under_the_last_line_of_a_block_is_a_closer(make_root, last):
    """A block's '///' right under its last line, with a blank line after it, is the usual way to end one,
    whatever that line holds."""
    make_root.file("kb/chart.png", b"\x89PNG")
    make_root.doc("kb/a.md", f"# Page\n\nPublic.\n\n/// internal\n{last}\n///\n\nPublic end.\n")
    assert errors_of(load(make_root.path)) == []


LAID_OUT_TIGHT = {  # a block's '///' with no blank line after it: each reads as written, to Markdown and to a reader
    "a heading right after": "/// internal\nqzxagent note.\n///\n## Next steps\n\nPublic words.\n",
    "text right after": "/// internal\nqzxagent note.\n///\nEveryone can read this.\n",
    "the next list item": "1. Open the page.\n\n    /// internal\n    qzxagent note.\n    ///\n2. Click Reset.\n",
    "the next tab": '=== "Web"\n\n    Open the page.\n\n    /// internal\n    qzxagent note.\n    ///\n=== "App"\n\n'
                    "    Open the app.\n",
    "a closing tag": '<div markdown>\n\n/// internal\nqzxagent note.\n///\n</div>\n',
    "nested blocks closed on adjacent lines": "//// internal\n\nqzxagent note.\n\n/// details | Careful\nqzxagent "
                                              "inner.\n///\n////\n",
    "placeholders with words": "Go back to \\<your webpage> and \\<site name>.\n\n/// internal\nqzxagent note.\n///\n",
    "an embedded video above": '<iframe src="https://e.example/v" title="Video"></iframe>\n\n/// internal\n'
                               "qzxagent note.\n///\n",
    "table cells left open": '<table><tr><td class="k">Plan<td>Pro</tr></table>\n\n/// internal\nqzxagent note.\n///\n',
    "a span left open in an earlier paragraph": 'Status: <span class="badge">Beta\n\n/// internal\nqzxagent note.\n///\n',
    "an icon that closes itself": 'Click the <svg class="icon" width="16" height="16"/> key.\n\n/// internal\nqzxagent note.\n///\n',
    "placeholders written as tags": "Run `repadmin` and read:\n\n> The failure occurred at \\<date> \\<time>.\n\n"
                                    "/// internal\nqzxagent note.\n///\n\nThe last success at <date> <time>.\n",
}


STACKED_TIGHT = {  # a block's '///' and the next block's marker in one paragraph: refused, a blank line between
    "a details block right after": "/// internal\nqzxagent note.\n///\n/// details | More about SSO\nPublic detail.\n///\n",
    "two blocks of different tiers": "/// internal\nqzxagent note.\n///\n/// internal | tier: 2\nqzxagent deeper.\n///\n",
    "text, then another block": "/// internal\nqzxagent note.\n///\nPublic words.\n/// note\nPublic note.\n///\n",
}


@pytest.mark.parametrize("body", STACKED_TIGHT.values(), ids=STACKED_TIGHT.keys())
def test_a_marker_in_the_paragraph_of_a_blocks_closer_is_refused_and_a_blank_line_mends_it(make_root, body):
    """Whatever could be written over the lines (emphasis, a tag, an attribute that hides a paragraph), one
    paragraph holding a block's '///' and the next marker reads as holding both: the writer's next block
    then takes what was meant for the first. A blank line after the '///' leaves nothing to run over it."""
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.blocks.details\n"
                                 "  - pymdownx.blocks.admonition\n")
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{body}\nPublic end.\n")
    assert any(error.startswith("internal-marker") for error in errors_of(load(make_root.path)))
    first_closer = body.index("\n///\n") + len("\n///\n")
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{body[:first_closer]}\n{body[first_closer:]}\nPublic end.\n")
    content = load(make_root.path)
    assert errors_of(content) == []
    assert "qzxagent" not in tier0_texts(content, content.by_rel()["kb/a.md"])


@pytest.mark.parametrize("body", LAID_OUT_TIGHT.values(), ids=LAID_OUT_TIGHT.keys())
def test_blocks_laid_out_without_blank_lines_are_accepted_and_hidden(make_root, body):
    """Nothing runs over these markers in Markdown read without blocks: the lines read as the parser reads
    them, so the page is accepted (each was refused by a rule that looked at the lines around a '///')."""
    make_root.file("mkdocs.yml", "site_name: Help\nmarkdown_extensions:\n  - pymdownx.tabbed:\n"
                                 "      alternate_style: true\n  - md_in_html\n  - pymdownx.blocks.details\n"
                                 "  - pymdownx.blocks.admonition\n")
    make_root.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{body}\nPublic end.\n")
    content = load(make_root.path)
    assert errors_of(content) == []
    assert "qzxagent" not in tier0_texts(content, content.by_rel()["kb/a.md"])
    assert "qzxagent" in structure.render_html(content, content.by_rel()["kb/a.md"].body, 2)[0]


@pytest.mark.parametrize("example", [
    "```text\n/// internal | tier: 2\nSteps for agents.\n///\n```\n",
    "> ```text\n> /// details | More\n> ///\n> ```\n",
    "```csharp\n/// Returns the total.\nint Total() => 1;\n```\n",
    "Close a block with `///` on a line of its own.\n"])
def test_markers_shown_in_a_fence_or_a_sentence_are_no_early_end(make_root, example):
    """A page about the syntax shows markers in a code fence, or inside a sentence: that is no early end."""
    make_root.doc("kb/a.md", f"# Page\n\n{example}\n/// internal\nAgents only.\n///\n\nPublic end.\n")
    assert errors_of(load(make_root.path)) == []


def test_an_internal_block_that_includes_a_snippet_is_hidden_and_accepted(make_root):
    """One agent-only procedure shared by several pages: the block's text is the snippet's, not the include's."""
    make_root.file("snippets/agents.md", "Check the qzxshared flag first.\n")
    make_root.doc("kb/a.md", '# Page\n\nPublic.\n\n/// internal\n--8<-- "agents.md"\n///\n\nPublic end.\n')
    content = load(make_root.path)
    assert errors_of(content) == []
    assert "qzxshared" not in tier0_texts(content, content.by_rel()["kb/a.md"])
    assert "qzxshared" in structure.render_html(content, content.by_rel()["kb/a.md"].body, 1)[0]


SPANS = [("`x", "y`"), ("*x", "y*"), ("**x", "y**"), ("~~x", "y~~"), ("[x", "y](https://e.example/)"), ("![x", "y](a.png)"),
         ('<b title="x', 'y">'), ("<!-- x", "y -->"), ("<span>x", "y</span>"), ("<div>x", "y</div>"), ("<b>x <div>", "y</div></b>"),
         ("<a hidden>x", "y [z](https://e.example/)"), ('<span style="display:none">x', "y"), ("<nobr hidden>x", "y"),
         ("<svg>x", "y"), ("<datalist>x", "y"), ("<video>x", "y"), ("<details>x", "y</details>")]
NOISE = ["", " </p>", " <p>", " <br>", " \\<date>", " </li>"]  # none closes what the span opened
GAPS = ["", "\n"]  # a blank line between a span's lines, which only raw HTML can run over


@st.composite
def held_markers(draw):
    """A construct written over a block's '///' and, below it, another block's opening line: a reviewer
    reads both as text of the construct and the secret as inside the internal block; the parser ends the
    block at the '///' and opens the other, which takes the writer's last '///'."""
    opens, ends = draw(st.sampled_from(SPANS))
    feed = draw(st.sampled_from(["none", "above", "below"]))
    slashes = "/" * draw(st.integers(3, 4))
    # a blank line inside the span where a browser keeps its element open over paragraphs: a block-level or
    # formatting element (a paragraph's end closes a span, a svg...)
    gap = draw(st.sampled_from(GAPS)) if re.match(r"<(a|nobr|div|details)\b[^>]*>", opens) else ""
    lines = ["/// internal".replace("///", slashes), f"Agents {opens}{draw(st.sampled_from(NOISE))}{gap}",
             *(["<!-- kbgen:defect DEF-0001 -->"] if feed == "above" else []), slashes,
             *(["<!-- kbgen:defect DEF-0001 -->"] if feed == "below" else []), *([""] if gap else []),
             f"{slashes} {draw(st.sampled_from(['note', 'details | More', 'internal | tier: 2']))}",
             f"{ends} now.", "", "qzxheld vault key.", slashes]
    return "\n".join(lines)


@given(held_markers())
def test_a_marker_a_construct_runs_over_is_refused_or_hides_its_block(body):
    with tempfile.TemporaryDirectory() as folder:
        maker = RootMaker(Path(folder))
        maker.doc("kb/a.md", f"# Page\n\nPublic words.\n\n{body}\n\nPublic closing words.\n")
        content = load(maker.path)
        if not errors_of(content):
            assert "qzxheld" not in tier0_texts(content, content.by_rel()["kb/a.md"]).lower(), body

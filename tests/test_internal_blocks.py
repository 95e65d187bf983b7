"""The ``/// internal`` Markdown extension on its own: Markdown source in, HTML out."""

from __future__ import annotations

import textwrap

import pytest
from markdown import Markdown

from generator.internal_blocks import InternalBlocksExtension

EXTENSIONS = ["footnotes", "abbr", "attr_list", "toc", "admonition", "pymdownx.superfences", "pymdownx.details",
              "pymdownx.tabbed", "pymdownx.blocks.details", "pymdownx.snippets"]


def convert(source: str, tier: int) -> tuple[str, InternalBlocksExtension]:
    internal = InternalBlocksExtension(tier=tier)
    md = Markdown(extensions=[*EXTENSIONS, internal])
    return md.convert(textwrap.dedent(source)), internal


def test_a_shown_block_is_a_labelled_callout():
    html, internal = convert("""\
        /// internal | tier: 2
        Check the **audit log**.
        ///
        """, 2)
    assert html == ('<div class="admonition kb-internal" data-kb-tier="2">\n'
                    '<p class="admonition-title kb-internal-title">Internal: tier 2 and above</p>\n'
                    '<p>Check the <strong>audit log</strong>.</p>\n</div>')
    assert internal.parse.floors == [2] and internal.parse.hidden == []
    assert [(floor, around) for floor, _, around in internal.parse.shown] == [(2, 0)]
    assert "audit log" in internal.parse.shown[0][1]


def test_a_hidden_block_leaves_nothing_and_keeps_its_raw_text():
    html, internal = convert("""\
        Public.

        /// internal
        Secret **words**.
        ///
        """, 0)
    assert html == "<p>Public.</p>"
    assert internal.parse.hidden == [(1, "Secret **words**.")]


@pytest.mark.parametrize("definition, used", [
    ("[^1]: Footnote zebra.", "Public[^1]."),
    ('[ref]: https://zebra.corp.example/x "Title zebra"', "Public [link][ref]."),
    ("*[HTML]: Abbreviation zebra", "Public HTML."),
    ("## Heading zebra {#hid}", "Public [jump](#hid)."),
])
def test_nothing_defined_in_a_hidden_block_exists_outside_it(definition, used):
    html, _ = convert(f"{used}\n\n/// internal\n{definition}\n///\n", 0)
    assert "zebra" not in html.lower() and 'id="hid"' not in html
    shown, _ = convert(f"{used}\n\n/// internal\n{definition}\n///\n", 1)
    assert "zebra" in shown.lower()


def test_the_parser_reads_the_marker_as_markdown_does_tabs_included():
    html, internal = convert("Public.\n\n/// internal\t\nSecret after a tab.\n///\n", 0)
    assert "Secret" not in html and internal.parse.floors == [1]


@pytest.mark.parametrize("container", [
    "!!! note\n    Public.\n\n    /// internal\n    Secret.\n    ///\n",
    "!!!note\n    Public.\n\n    /// internal\n    Secret.\n    ///\n",
    '===+ "Web"\n\n    Public.\n\n    /// internal\n    Secret.\n    ///\n',
    "- Public.\n\n    /// internal\n    Secret.\n    ///\n",
    "> Public.\n>\n> /// internal\n> Secret.\n> ///\n",
    "??? note\n    Public.\n\n    /// internal\n    Secret.\n    ///\n",
])
def test_blocks_inside_containers_are_hidden(container):
    html, internal = convert(container, 0)
    assert "Secret" not in html and "Public" in html and internal.parse.floors == [1]
    shown, _ = convert(container, 1)
    assert "Secret" in shown


FOOTNOTE_SHAPES = {  # footnotes parse a definition's text in their tree processor, after the first drop
    "indented under the definition": "[^n]: Public note.\n\n    /// internal | tier: 2\n    Secret `code`.\n    ///\n",
    "the definition's first text": "[^n]:\n    /// internal | tier: 2\n    Secret ![alt](a.png)\n    ///\n",
    "in a div of the definition": '[^n]: Public note.\n\n    <div markdown="1">\n    /// internal | tier: 2\n'
                                  "    Secret <!-- comment -->\n    ///\n    </div>\n",
}


@pytest.mark.parametrize("shape", FOOTNOTE_SHAPES.values(), ids=FOOTNOTE_SHAPES.keys())
def test_a_block_in_a_footnote_is_dropped_and_recorded(shape):
    """A hidden block made after the first drop (inside a footnote's definition) is dropped before the page is
    written, with its raw text recorded for the audit; the tier it is for shows it."""
    source = f"Public claim.[^n]\n\n{shape}"
    for tier in (0, 1):
        html, internal = convert(source, tier)
        assert "Secret" not in html and "data-kb-hidden" not in html
        floors = [floor for floor, text in internal.parse.hidden if "Secret" in text]
        assert floors and all(floor > tier for floor in floors)
        assert all(floor <= tier for floor, _, _ in internal.parse.shown)
    shown, _ = convert(source, 2)
    assert "Secret" in shown


def test_an_unclosed_hidden_block_hides_everything_after_it():
    html, _ = convert("Public.\n\n/// internal\nSecret.\n\nMore secret.\n", 0)
    assert html == "<p>Public.</p>"


def test_a_block_nested_with_as_many_slashes_is_ambiguous_when_hidden():
    source = "/// internal\n/// details | Inner\nSecret.\n///\nAlso secret.\n///\n"
    _, internal = convert(source, 0)
    assert internal.parse.ambiguous
    _, more_slashes = convert(source.replace("/// internal", "//// internal").rstrip("\n/") + "\n////\n", 0)
    assert not more_slashes.parse.ambiguous


def test_code_fences_keep_block_markers_as_text():
    html, internal = convert("```text\n/// internal\nnot a block\n///\n```\n", 0)
    assert "/// internal" in html and internal.parse.floors == []


def test_a_bad_argument_fails_closed():
    html, internal = convert("/// internal | tier: nine\nSecret.\n///\n", 2)
    assert "Secret" not in html and internal.parse.floors == [3]


def test_each_conversion_starts_a_new_record():
    internal = InternalBlocksExtension(tier=0)
    md = Markdown(extensions=[internal])
    md.convert("/// internal\nOne.\n///\n")
    md.reset().convert("Nothing internal.")
    assert internal.parse.floors == [] and internal.parse.hidden == []


def test_hidden_blocks_are_recorded_in_document_order():
    """A block nested in a list item comes before a later top-level one, as in the file."""
    _, internal = convert("1. Item.\n\n    /// internal\n    First.\n    ///\n\n/// internal | tier: 2\nSecond.\n///\n", 0)
    assert internal.parse.hidden == [(1, "First."), (2, "Second.")]

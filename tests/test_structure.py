"""The document model: what each tier's page shows of a document, as the page's own Markdown renders it."""

from __future__ import annotations

import functools
import html.parser
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import structure
from generator.build import build
from generator.content import load, write_json
from generator.incremental import CACHE_DIR

BODY = """\
# Guide

Public text with [a link](other.md#part) and ![a chart](img/chart.png).

## Setup {#setup-public}

/// internal | tier: 2
## Setup

Agents only: see [the runbook](../runbooks/r2.md).
///

1. First step.
2. Second step.

<!-- a note -->
"""


def test_a_view_holds_what_the_page_shows(make_root):
    make_root.doc("kb/guide.md", BODY)
    content = load(make_root.path)
    document = content.by_rel()["kb/guide.md"]
    public = structure.view(content, document, 0)
    assert [(h.level, h.id, h.text) for h in public.headings] == [(1, "guide", "Guide"), (2, "setup-public", "Setup")]
    assert public.links == ("other.md#part", "img/chart.png")
    assert "Agents only" not in public.text and "First step." in public.text
    assert public.comments == ("a note",)
    assert [floor for floor, _ in public.hidden] == [2] and "Agents only" in public.hidden[0][1]
    agents = structure.view(content, document, 2)
    assert "../runbooks/r2.md" in agents.links and "setup" in agents.ids and "Agents only" in agents.text
    assert [(floor, around) for floor, _, around in agents.shown] == [(2, 0)]


def test_tiers_that_show_the_same_blocks_share_one_view(make_root):
    make_root.doc("kb/guide.md", BODY)
    make_root.doc("kb/plain.md", "# Plain\n\nNothing internal.\n")
    content = load(make_root.path)
    guide, plain = content.by_rel()["kb/guide.md"], content.by_rel()["kb/plain.md"]
    assert structure.view(content, guide, 0) is structure.view(content, guide, 1)
    assert structure.view(content, guide, 1) is not structure.view(content, guide, 2)
    assert structure.view(content, guide, 2) is structure.view(content, guide, 3)
    assert len({id(structure.view(content, plain, tier)) for tier in range(4)}) == 1


def test_where_hidden_lines_are_in_the_file(make_root):
    make_root.doc("kb/guide.md", BODY)
    content = load(make_root.path)
    document = content.by_rel()["kb/guide.md"]
    floors = structure.hidden_lines(content, document)
    lines = document.body.split("\n")
    hidden = [lines[i] for i, floor in enumerate(floors) if floor]
    assert hidden[0] == "/// internal | tier: 2" and hidden[-1] == "///" and set(floors) == {0, 2}


def test_views_are_kept_between_runs_while_body_and_pipeline_are_unchanged(make_root, tmp_path):
    make_root.doc("kb/guide.md", BODY)
    make_root.doc("kb/plain.md", "# Plain\n\nNothing internal.\n")
    make_root.file("snippets/note.md", "Shared note.\n")
    content = load(make_root.path)
    structure.prepare(content)
    kept = tmp_path / "views.json"
    write_json(kept, structure.kept_views(content))
    again = load(make_root.path)
    assert structure.load_views(again, kept) == 2
    for document in content.documents:
        for tier in range(4):
            assert structure.view(again, document, tier) == structure.view(content, document, tier)
    make_root.doc("kb/plain.md", "# Plain\n\nChanged.\n")
    assert structure.load_views(load(make_root.path), kept) == 1
    make_root.file("snippets/note.md", "Another note.\n")
    assert structure.load_views(load(make_root.path), kept) == 0
    kept.write_text("{not json", encoding="utf-8")
    assert structure.load_views(load(make_root.path), kept) == 0


def test_the_plugin_and_the_model_render_with_one_pipeline(make_root):
    extensions, configs = structure.page_extensions(["toc", "pymdownx.superfences"], {"toc": {"permalink": True}}, 1,
                                                    make_root.path / "snippets")
    names = [e for e in extensions if isinstance(e, str)]
    assert names[:2] == ["toc", "pymdownx.superfences"] and "pymdownx.snippets" in names
    assert configs["pymdownx.snippets"]["restrict_base_path"] is True
    internal = [e for e in extensions if type(e).__name__ == "InternalBlocksExtension"]
    assert len(internal) == 1 and internal[0].getConfig("tier") == 1


@pytest.mark.slow
def test_a_build_keeps_its_views_for_the_next_one(make_root, tmp_path):
    make_root.doc("kb/guide.md", "# Guide\n\nPublic.\n\n/// internal\nAgents only.\n///\n")
    make_root.doc("kb/plain.md", "# Plain\n\nNothing internal.\n")
    out = tmp_path / "out"
    build(make_root.path, out=out)
    kept = out / CACHE_DIR / structure.VIEWS_FILE
    assert structure.load_views(load(make_root.path), kept) == 2
    make_root.doc("kb/plain.md", "# Plain\n\nqzxedited words.\n")
    build(make_root.path, out=out)
    assert "qzxedited" in (out / "tier0/kb/plain/index.html").read_text(encoding="utf-8")
    assert structure.load_views(load(make_root.path), kept) == 2


# Headings are where Python-Markdown puts them ------------------------------------------------------------
# Not drawn: lines indented as code, and a second kind of fence. The model reads a fence right after
# indented code or an unclosed fence as a fence
# (superfences reads it as text), and an indented heading right after a pymdownx block's end line as
# top-level (the block takes it in as its own content).
HEADING_LINES = ["## Alpha", "##Beta", "#Gamma", "   ## Delta", "Zeta", "---", "===", "- Eta",
                 "***", "", "", "```", "## Theta ##", "##", "#######Iota", "Kappa\\", "| Mu |",
                 "1. Nu", "/// internal", "///", "## Xi {#xi}", "Omicron", "- - -", "////"]


class _TopHeadings(html.parser.HTMLParser):
    """(level, text) of the headings that are not inside another element (an internal block's callout
    is no container: its headings are the document's own, for the tiers that show it)."""

    VOID = {"br", "hr", "img", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.depth, self.found, self.inside, self.open = 0, [], None, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        callout = tag == "div" and "kb-internal" in (dict(attrs).get("class") or "")
        self.open.append(callout)
        if not callout:
            if self.depth == 0 and re.fullmatch(r"h[1-6]", tag):
                self.inside = [int(tag[1]), ""]
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID or self.open.pop():
            return
        self.depth -= 1
        if self.depth == 0 and self.inside:
            self.found.append((self.inside[0], self.inside[1].replace("¶", "").strip()))
            self.inside = None

    def handle_data(self, data):
        if self.inside is not None and self.depth == 1:
            self.inside[1] += data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HEADING_LINES), min_size=1, max_size=12))
@example(["```", "```", "```", "```", "---"])  # two fenced blocks in a row are two lines of their block
@example(["Zeta", "```", "", "```", "---"])  # a blank line inside a fenced block does not end the block
def test_the_model_finds_the_headings_the_page_shows(lines):
    """Sections end where the page's headings are, so no section of a defect or runbook runs into the next."""
    body = "\n".join(lines) + "\n"
    rendered, _ = structure.render_html(_sample(), body, 3)
    parser = _TopHeadings()
    parser.feed(rendered)
    found = [(h.level, structure.ATTR_RE.sub("", h.text).strip()) for h in structure.headings(body)
             if h.text is not None]
    assert found == parser.found, (body, rendered)


@functools.lru_cache(maxsize=1)
def _sample():
    return load(Path(__file__).resolve().parent.parent)


@pytest.mark.parametrize("body, expected", [
    ("## Summary\n\nText.\n\n##Symptoms\n\nMore.\n", [(2, "Summary"), (2, "Symptoms")]),  # no space: a heading
    ("Text.\n   ## Not one\n", []),  # indented: a paragraph's text to Python-Markdown
    ("Text.\nUnder a paragraph line\n---\n", []),  # an underline heads only the first line of a block
    ("- item\n---\n", [(2, "- item")]),
])
def test_headings_are_where_python_markdown_puts_them(body, expected):
    assert [(h.level, h.text) for h in structure.headings(body) if h.text is not None] == expected


@pytest.mark.parametrize("items", [0, 1, 999, 1000, 1001, 2500])
def test_a_cache_written_a_thousand_items_at_a_time_reads_back_as_it_was(tmp_path, items):
    data = {"format": 3, "views": {f"kb/{n}.md": [n, 'quote " and\nline', {"tier": None}] for n in range(items)},
            "after": [1.5, True]}
    write_json(tmp_path / "views.json", data)
    assert json.loads((tmp_path / "views.json").read_text(encoding="utf-8")) == data
    assert [path.name for path in tmp_path.iterdir()] == ["views.json"]  # no temporary file left


@given(st.lists(st.sampled_from("abcd"), max_size=40), st.lists(st.lists(st.sampled_from("abcd"), min_size=1, max_size=7),
                                                                  min_size=1, max_size=6))
def test_runs_count_every_run_as_a_scan_of_the_words_does(words, needles):
    """Runs counts a run where its rarest three words start; a scan of every word is the reference."""
    runs = structure.Runs(words)
    for needle in needles:
        assert runs.count(needle) == sum(words[i:i + len(needle)] == needle for i in range(len(words)))

"""The document model: what each tier's page shows of a document, as the page's own Markdown renders it."""

from __future__ import annotations

import pytest

from generator import structure
from generator.build import build
from generator.content import load
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
    structure.save_views(content, kept)
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

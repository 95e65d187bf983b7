"""What a tier keeps from one page to the next while rendering: one Markdown pipeline, reset between
pages (generator.renders.Pipeline), and the theme partials that are the same on many pages
(generator.frames). A page gets a kept output only when it would have rendered exactly that, a partial
whose reads are not known is rendered for every page, and no state of one page's Markdown reaches the
next: a build with ``keep_renderers: false`` (MkDocs' own way) writes the same files."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, strategies as st
from jinja2 import DictLoader, Environment, FileSystemLoader, pass_context
from mkdocs.utils.templates import script_tag_filter, url_filter

from markdown import Markdown

from generator import frames, renders, structure
from generator.internal_blocks import InternalBlocksExtension
from generator.build import build
from generator.content import load

from conftest import REPO, tree_hash


class Page:
    def __init__(self, url: str, title: str = "A page"):
        self.url, self.title, self.active = url, title, False


class Nav:
    def __init__(self, pages):
        self.pages = list(pages)


PARTIALS = {
    # the navigation's marks of the page being rendered, without reading the page
    "partials/icons.html": "{% for item in nav.pages %}{{ item.active }}{% endfor %}",
    # the same on every page, but for the URLs it makes relative
    "partials/logo.html": '<a href="{{ "index.html" | url }}">{{ config.site_name }}</a>'
                          '<img src="{{ "assets/logo.svg" | url }}">',
    # links into the site, some under the page's own folder
    "partials/search.html": '{% for target in config.targets %}<a href="{{ target | url }}">{{ target }}</a>'
                            '{% endfor %}{{ features | join(",") }}',
    # reads the page: never kept
    "partials/palette.html": "<b>{{ page.title }}</b>",
    # reads the page only to find it in the navigation
    "partials/nav.html": '{% for item in nav.pages %}<a href="{{ item.url | url }}"'
                         '{% if item == page %} class="active"{% endif %}>{{ item.title }}</a>{% endfor %}',
    # includes a template by a computed name: its reads are not known
    "partials/copyright.html": '{% include "partials/" ~ config.which ~ ".html" %}',
    # a filter of its own that reads the context
    "partials/social.html": "{{ 'x' | shout }}",
    "partials/kb-help.html": "{% include 'partials/logo.html' %}|{{ config.site_name }}",
}
MAIN = "".join(f'[{{% include "{name}" %}}]' for name in PARTIALS)


def environment(keep: bool) -> tuple[Environment, frames.Fragments | None]:
    env = Environment(loader=DictLoader({**PARTIALS, "main.html": MAIN}), autoescape=True)
    env.filters["url"] = url_filter
    env.filters["script_tag"] = script_tag_filter
    env.filters["shout"] = pass_context(lambda context, value: f"{value}!{context['page'].url}")
    return env, (frames.Fragments.install(env) if keep else None)


def render(env: Environment, page: Page, nav: Nav, **config) -> str:
    """The main template for ``page``, marked active while it renders, as MkDocs does."""
    config = {"site_name": "Help", "targets": ["kb/a/", "kb/a/b/", "areas/x/", "index.html"], "which": "logo",
              **config}
    base = "/".join([".."] * page.url.rstrip("/").count("/") + [".."]) if page.url else "."
    page.active = True
    try:
        return env.get_template("main.html").render(page=page, nav=nav, config=config, base_url=base,
                                                    features=["search"])
    finally:
        page.active = False


PAGES = [Page("kb/a/one/"), Page("kb/a/b/two/"), Page("kb/c/three/"), Page(""), Page("areas/x/"),
         Page("kb/a/one/"), Page("intents/y/")]


def test_every_page_gets_what_it_would_render():
    nav = Nav([PAGES[4], PAGES[6]])
    kept_env, fragments = environment(True)
    plain_env, _ = environment(False)
    for page in PAGES * 2:
        assert render(kept_env, page, nav) == render(plain_env, page, nav)
    assert fragments.hits > 0


def test_only_partials_whose_reads_are_known_are_kept():
    env, fragments = environment(True)
    nav = Nav([PAGES[4]])
    for page in PAGES:
        render(env, page, nav)
    kept = {key[0] for key in fragments.kept}
    assert {"partials/logo.html", "partials/search.html", "partials/nav.html", "partials/kb-help.html"} <= kept
    # the page's title, a template by a computed name: rendered for every page
    assert not kept & {"partials/palette.html", "partials/copyright.html"}
    # a filter that reads the page's context other than MkDocs' URL filters: no output is kept for it
    assert not fragments.kept.get(("partials/social.html",))


def test_a_page_the_navigation_lists_renders_the_navigation_itself():
    listed = Page("areas/x/", "Area")
    nav = Nav([listed, Page("intents/y/", "Intent")])
    env, _ = environment(True)
    outside = render(env, Page("kb/a/one/"), nav)
    assert 'class="active"' not in outside
    assert 'class="active">Area<' in render(env, listed, nav)
    assert 'class="active"' not in render(env, Page("kb/c/two/"), nav)


def test_a_url_made_relative_differently_is_not_taken():
    """Two pages at the same depth: a link into one page's own folder is relative to it differently."""
    env, _ = environment(True)
    nav = Nav([])
    first, second = render(env, Page("kb/a/one/"), nav), render(env, Page("kb/c/two/"), nav)
    assert 'href="../"' in first  # kb/a/ from kb/a/one/
    assert 'href="../../a/"' in second


def test_reads_follow_includes_and_give_up_on_computed_names():
    env, _ = environment(False)
    assert frames.reads(env, "partials/kb-help.html") == {"config"}
    assert frames.reads(env, "partials/copyright.html") is frames.UNKNOWN
    assert "page" in frames.reads(env, "partials/nav.html")


@pytest.mark.parametrize("icon, kept", [("<svg>{{ page.title }}</svg>", False), ("<svg><path d='M0'/></svg>", True)])
def test_icons_a_site_adds_are_read_for_template_syntax(tmp_path, icon, kept):
    (tmp_path / ".icons").mkdir()
    (tmp_path / ".icons" / "mine.svg").write_text(icon)
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "logo.html").write_text('{% include ".icons/" ~ config.icon ~ ".svg" %}')
    (tmp_path / "main.html").write_text('{% include "partials/logo.html" %}')
    env = Environment(loader=FileSystemLoader([str(tmp_path)]))
    fragments = frames.Fragments.install(env)
    pages = [Page("kb/a/", "First"), Page("kb/b/", "Second")]
    shown = [env.get_template("main.html").render(page=page, config={"icon": "mine"}, nav=Nav([])) for page in pages]
    if kept:
        assert fragments.hits == 1 and shown == [icon, icon]
    else:
        assert fragments.hits == 0 and shown == ["<svg>First</svg>", "<svg>Second</svg>"]


def test_translations_a_site_adds_are_not_taken_as_the_same_on_every_page(tmp_path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "language.html").write_text("{% macro t(key) %}{{ key }} for {{ page.title }}{% endmacro %}")
    (tmp_path / "partials" / "search.html").write_text("{{ lang.t('search') }}")
    (tmp_path / "main.html").write_text('{% import "partials/language.html" as lang with context %}'
                                        '{% include "partials/search.html" %}')
    env = Environment(loader=FileSystemLoader([str(tmp_path)]))
    frames.Fragments.install(env)
    shown = [env.get_template("main.html").render(page=page, nav=Nav([]))
             for page in (Page("kb/a/", "First"), Page("kb/b/", "Second"))]
    assert shown == ["search for First", "search for Second"]
    assert "lang" not in frames.fixed(env) and "lang" in frames.FIXED


def test_the_theme_partials_kept_read_no_page_but_the_navigation():
    """mkdocs-material's own partials, as the build uses them: what is kept is decided from their syntax."""
    from mkdocs.config import load_config

    env = load_config(str(REPO / "mkdocs.yml")).theme.get_env()
    for name in frames.PARTIALS:
        read = frames.reads(env, name) if name in env.list_templates() else frames.UNKNOWN
        if read is not frames.UNKNOWN and name not in frames.NAVIGATION:
            assert "page" not in read, name
    assert frames.reads(env, "partials/footer.html") >= {"page"}  # the page's neighbours: not in PARTIALS


segment = st.sampled_from(["kb", "a", "b", "areas", "x", "index.html", "intents"])
url = st.lists(segment, max_size=4).map(lambda parts: "/".join(parts) + ("/" if parts else ""))


@given(pages=st.lists(url, min_size=1, max_size=12), targets=st.lists(url, max_size=6),
       listed=st.lists(st.integers(0, 11), max_size=3), name=st.sampled_from(["Help", "Hilfe"]))
def test_kept_partials_render_as_the_theme_would_for_any_pages(pages, targets, listed, name):
    pages = [Page(u, f"Page {i}") for i, u in enumerate(pages)]
    nav = Nav([pages[i] for i in listed if i < len(pages)])
    kept_env, _ = environment(True)
    plain_env, _ = environment(False)
    for page in pages + pages[::-1]:
        assert render(kept_env, page, nav, targets=targets, site_name=name) == \
            render(plain_env, page, nav, targets=targets, site_name=name)


# A base template with blocks, and a main.html extending it as a site's would.
BASE_TEMPLATES = {
    "base.html": "{% set features = config.features %}"
                 # the same on every page, but for its URL made relative and the base URL
                 "{% block config %}{{ base_url }}|{{ 'assets/worker.js' | url }}|{{ features | join(',') }}{% endblock %}"
                 # reads the page: never kept
                 "{% block styles %}<b>{{ page.title }}</b>{% endblock %}"
                 # holds a block that main.html replaces with one reading the page: never kept
                 "{% block libs %}[{% block inner %}{{ config.site_name }}{% endblock %}]{% endblock %}"
                 "{% block fonts %}{% include 'partials/palette.html' %}{% endblock %}"
                 '{% block scripts %}<script src="{{ \'assets/app.js\' | url }}"></script>{% endblock %}',
    "main.html": "{% extends 'base.html' %}{% block inner %}{{ page.title }}{% endblock %}"
                 "{% block scripts %}{{ super() }}<i>{{ page.url }}</i>{% endblock %}",
    "partials/palette.html": "<u>{{ page.url }}</u>",  # an include reading the page
}


def base_environment(keep: bool) -> tuple[Environment, frames.Fragments | None]:
    env = Environment(loader=DictLoader(BASE_TEMPLATES), autoescape=True)
    env.filters["url"] = url_filter
    return env, (frames.Fragments.install(env) if keep else None)


def render_main(env: Environment, page: Page, features: list[str]) -> str:
    base = "/".join([".."] * page.url.rstrip("/").count("/") + [".."]) if page.url else "."
    return env.get_template("main.html").render(page=page, config={"site_name": "Help", "features": features},
                                                base_url=base)


def test_blocks_of_the_base_template_are_kept_only_when_their_reads_are_known():
    env, fragments = base_environment(True)
    plain, _ = base_environment(False)
    for page in PAGES * 2:
        assert render_main(env, page, ["search"]) == render_main(plain, page, ["search"])
    kept = {key[0] for key in fragments.kept}
    # the block main.html extends with super() is kept; what main.html adds is rendered for each page
    assert {"base.html#config", "base.html#scripts"} <= kept
    assert not kept & {"base.html#styles", "base.html#libs", "base.html#fonts"}
    assert fragments.hits > 0
    read = frames.block_reads(env, "base.html", ("libs", "fonts", "config", "absent"))
    assert read["libs"] is frames.UNKNOWN and read["absent"] is frames.UNKNOWN
    assert read["fonts"] >= {"page"}
    assert read["config"] == {"base_url", "features"}


@given(pages=st.lists(url, min_size=1, max_size=12),
       features=st.lists(st.sampled_from(["search", "toc", "tabs"]), max_size=2))
def test_kept_blocks_render_as_the_theme_would_for_any_pages(pages, features):
    pages = [Page(u, f"Page {i}") for i, u in enumerate(pages)]
    kept_env, _ = base_environment(True)
    plain_env, _ = base_environment(False)
    for page in pages + pages[::-1]:
        assert render_main(kept_env, page, features) == render_main(plain_env, page, features)


def test_the_theme_blocks_kept_read_no_page():
    """mkdocs-material's own base template, as the build uses it: the blocks kbgen keeps read no page."""
    from mkdocs.config import load_config

    env = load_config(str(REPO / "mkdocs.yml")).theme.get_env()
    known = {block: read for block, read in frames.block_reads(env, frames.BASE, frames.BLOCKS).items()
             if read is not frames.UNKNOWN}
    assert {"config", "scripts"} <= known.keys()
    for block, read in known.items():
        assert "page" not in read, block


# Markdown for each extension a tier may keep one pipeline with (generator.renders.RESET_SAFE), and for
# kbgen's own: what leaves state in a pipeline that is not reset whole (footnotes, reference definitions,
# heading ids made unique, tab sets, abbreviations, stashed HTML, internal blocks, includes).
EXERCISES = {
    "toc": ["# Title", "## Same heading", "## Same heading"],
    "tables": ["| a | b |\n|---|---|\n| 1 | 2 |"],
    "fenced_code": ["```\nplain {n}\n```"],
    "admonition": ["!!! note\n    An admonition."],
    "attr_list": ["Paragraph\n{: #custom-id }"],
    "def_list": ["Term\n:   Definition"],
    "footnotes": ["Text with a footnote.[^1]\n\n[^1]: The note {n}."],
    "md_in_html": ["<div markdown>\n*inside*\n</div>", "<b>raw</b> html"],
    "abbr": ["*[HTML]: Hyper Text {n}", "HTML here"],
    "sane_lists": ["1. one\n2. two\n\n* a\n* b"],
    "smarty": ["'quoted' -- dash..."],
    "pymdownx.details": ["??? note \"More\"\n    Folded."],
    "pymdownx.highlight": ["```python\nprint({n})\n```"],
    "pymdownx.inlinehilite": ["`#!python len({n})`"],
    "pymdownx.superfences": ["```text title=\"a.txt\"\nline\n```"],
    "pymdownx.tabbed": ['=== "One"\n\n    First tab.\n\n=== "Two"\n\n    Second tab.'],
    "pymdownx.tasklist": ["- [x] done\n- [ ] open"],
    "pymdownx.blocks.admonition": ["/// note | Heads up\nA block.\n///"],
    "pymdownx.blocks.details": ["/// details | More\nHidden until opened.\n///"],
    "pymdownx.blocks.tab": ["/// tab | One\nFirst.\n///\n\n/// tab | Two\nSecond.\n///"],
    "pymdownx.snippets": ['--8<-- "parts.md"'],
    "pymdownx.keys": ["++ctrl+alt+del++"],
    "pymdownx.mark": ["==marked=="],
    "pymdownx.caret": ["^^inserted^^ H^2^O"],
    "pymdownx.tilde": ["~~deleted~~ H~2~O"],
    "pymdownx.critic": ["{++added++} {--removed--} {~~old~>new~~}"],
    "pymdownx.betterem": ["**strong** __em__ *a*b*"],
    "pymdownx.smartsymbols": ["(c) --> 1/2 +/-"],
    "kbgen": ["/// internal\nTier 1 note walrus-{n}.\n///", "/// internal | tier: 2\nTier 2 note heron-{n}.\n///",
              "[a link][ref] and [another][other]", "[ref]: https://example.com/ref",
              "[other]: manage-team-members.md", "Words `code` {{ name }}"],
}
PIECES = [piece for pieces in EXERCISES.values() for piece in pieces]


def test_every_extension_a_pipeline_is_kept_with_is_exercised():
    assert set(EXERCISES) == renders.RESET_SAFE | {"kbgen"}
    assert renders.Pipeline.suits(["toc", "markdown.extensions.footnotes", InternalBlocksExtension(tier=0)])
    assert not renders.Pipeline.suits(["toc", "pymdownx.emoji"])  # not known to reset whole: MkDocs' way


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
    """For each tier, a function making the tier's page pipeline as the build does."""
    content = load(REPO)
    snippets = tmp_path_factory.mktemp("snippets")
    (snippets / "parts.md").write_text("Included part with a footnote.[^p]\n\n[^p]: Part note.\n")

    def make(tier: int) -> Markdown:
        extensions, configs = structure.page_extensions(*structure.site_markdown(content), tier, snippets)
        extensions += sorted(renders.RESET_SAFE - {name for name in extensions if isinstance(name, str)}
                             - {"fenced_code"})  # MkDocs lists it; superfences takes its fences
        return Markdown(extensions=extensions, extension_configs=configs)

    return make


@given(documents=st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8), min_size=2, max_size=6),
       tier=st.integers(0, 3))
def test_a_reset_pipeline_renders_each_page_as_a_new_one_would(pipelines, documents, tier):
    kept = pipelines(tier)
    for n, pieces in enumerate(documents):
        source = "\n\n".join(piece.replace("{n}", str(n)) for piece in pieces)
        fresh = pipelines(tier)
        assert kept.reset().convert(source) == fresh.convert(source)
        assert kept.toc_tokens == fresh.toc_tokens


@pytest.fixture(scope="module")
def sample_both_ways(tmp_path_factory):
    """The sample built with kept renderers and without, from one copy (its health page reads Git history),
    with pages after each other that leave state in a pipeline: footnotes, reference definitions, the same
    headings, tab sets, internal blocks."""
    root = tmp_path_factory.mktemp("both") / "root"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "tests", "site", "*.egg-info",
                                                              "__pycache__", "editors", "node_modules"))
    for n in range(4):
        body = "\n\n".join(piece.replace("{n}", str(n)) for piece in PIECES[n % 3::2]
                           if "--8<--" not in piece and "/// tab" not in piece)  # the sample has no blocks.tab
        (root / "kb" / "account" / f"state-{n}.md").write_text(
            f"---\nid: state-{n}\ntitle: State {n}\nkind: article\ntier: 0\nstatus: published\n"
            f"intents: [account.email-change]\nsummary: A page after a page.\nowner: support-account\n"
            f"review_by: 2027-01-31\n---\n\n{body}\n")
    build(root, out=root.parent / "kept")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - kbgen:\n", "  - kbgen:\n      keep_renderers: false\n"))
    build(root, out=root.parent / "plain")
    return root.parent / "kept", root.parent / "plain"


@pytest.mark.parametrize("tier", [0, 1, 2, 3])
def test_every_file_of_every_site_is_what_mkdocs_renders(sample_both_ways, tier):
    kept, plain = (tree_hash(site / f"tier{tier}") for site in sample_both_ways)
    assert any("state-3" in rel for rel in kept)
    assert kept.keys() == plain.keys()
    assert [rel for rel in kept if kept[rel] != plain[rel]] == []

"""Renders shared between tiers: a tier takes another tier's render of a page only when the document
model gives both the same view and the page the same Markdown, and only if its links resolve alike.

The tiers are built here from the top down, each taking what the tiers above it rendered: the order in
which a shared render could carry the most internal text down."""

from __future__ import annotations

import pytest

from generator.build import Reuse, build, build_tier
from generator.audit import audit_site
from generator.content import load

from conftest import article

TIER1_NOTE = "Check the billing flag in the admin console before you answer."
TIER2_NOTE = "Specialists read the gateway log for the request id first."
PLAIN = "Open Settings and choose Reset password to get a new link."

DIFFERING = ("kb/blocks.md", "kb/linking.md", "runbooks/tier1/first.md")  # their tiers see different things
SAME_EVERYWHERE = ("kb/plain.md",)


@pytest.fixture
def shared_root(make_root):
    make_root.doc("kb/plain.md", f"# Plain\n\n{PLAIN}\n")
    make_root.doc("kb/blocks.md", f"""\
        # Blocks

        Public text.

        /// internal
        {TIER1_NOTE}
        ///

        /// internal | tier: 2
        {TIER2_NOTE}
        ///
        """)
    make_root.doc("kb/linking.md", """\
        # Linking

        Public text.

        /// internal
        Agents follow [the first runbook](../runbooks/tier1/first.md).
        ///
        """)
    make_root.doc("runbooks/tier1/first.md", title="First runbook",
                  escalation="{to_tier: 2, when: the steps did not help, runbook: second}")
    make_root.doc("runbooks/tier2/second.md", title="Second runbook from tier two", tier=2)
    return make_root.path


def _build_down(root, tmp_path, tiers=(3, 2, 1, 0)):
    """Build ``tiers`` one after the other, all sharing one folder of renders."""
    content = load(root)
    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    results = {}
    for tier in tiers:
        reuse = Reuse("test", None, tmp_path / f"manifest{tier}.json", renders=tmp_path / "renders")
        results[tier] = build_tier(root, tier, tmp_path / f"tier{tier}", docs, reuse=reuse, content=content)
    return content, results


def _page(site, rel: str) -> str:
    return (site / rel.removesuffix(".md") / "index.html").read_text(encoding="utf-8")


def test_a_lower_tier_renders_itself_every_page_a_higher_tier_sees_differently(shared_root, tmp_path):
    content, results = _build_down(shared_root, tmp_path)
    # Tier 2 takes tier 3's renders of the plain article, of the two articles (their blocks are tier 1 and
    # 2: shown in both), and of the tier 1 and 2 runbooks... except the tier 1 runbook, whose escalation
    # box links the tier 2 runbook in both: the same page too.
    assert results[2].shared == 5
    # Tier 1 hides the tier 2 block, and the tier 1 runbook's box no longer names the tier 2 runbook.
    assert results[1].shared == 2  # the plain article and the linking one
    # Tier 0 sees neither block nor the link: only the plain article is the same page.
    assert results[0].shared == len(SAME_EVERYWHERE)
    tier0, tier1 = results[0].path, results[1].path
    assert PLAIN in article(_page(tier0, "kb/plain.md"))
    shown0 = _page(tier0, "kb/blocks.md") + _page(tier0, "kb/linking.md")
    assert "Public text." in shown0
    assert TIER1_NOTE not in shown0 and TIER2_NOTE not in shown0 and "first runbook" not in shown0.lower()
    shown1 = _page(tier1, "kb/blocks.md")
    assert TIER1_NOTE in shown1 and TIER2_NOTE not in shown1
    box1 = _page(tier1, "runbooks/tier1/first.md")
    assert "Second runbook from tier two" not in box1 and "Tier 2 queue" in box1
    assert "Second runbook from tier two" in _page(results[2].path, "runbooks/tier1/first.md")
    for tier, result in results.items():
        assert audit_site(content, tier, result.path) == []


def test_a_taken_render_is_what_the_tier_renders_itself(shared_root, tmp_path):
    _, shared = _build_down(shared_root, tmp_path / "shared")
    content = load(shared_root)
    (tmp_path / "docs").mkdir()
    for tier in (0, 1, 2):
        alone = build_tier(shared_root, tier, tmp_path / f"alone{tier}", tmp_path / "docs", content=content)
        for rel in (*DIFFERING, *SAME_EVERYWHERE):
            if (alone.path / rel.removesuffix(".md")).is_dir():
                assert _page(alone.path, rel) == _page(shared[tier].path, rel), (tier, rel)


def test_a_render_whose_links_resolve_otherwise_is_not_taken(make_root, tmp_path):
    """The same page whose link leads to a page the other site does not have is rendered again."""
    make_root.doc("kb/a.md", "# A\n\nSee [the other page](b.md).\n")
    make_root.doc("kb/b.md", "# B\n\nText.\n")
    (tmp_path / "docs").mkdir()
    renders = tmp_path / "renders"
    first = build_tier(make_root.path, 0, tmp_path / "first", tmp_path / "docs",
                       reuse=Reuse("test", None, tmp_path / "m1.json", renders=renders))
    assert 'href="../b/"' in article(_page(first.path, "kb/a.md"))
    make_root.doc("kb/b.md", "# B\n\nText.\n", tier=1)  # a.md is unchanged: same view, same Markdown
    second = build_tier(make_root.path, 0, tmp_path / "second", tmp_path / "docs",
                        reuse=Reuse("test", None, tmp_path / "m2.json", renders=renders))
    assert second.shared == 0
    assert 'href="../b/"' not in article(_page(second.path, "kb/a.md"))
    assert any("b.md" in warning for warning in second.warnings)


def test_build_shares_renders_and_leaves_no_store_behind(shared_root, tmp_path):
    result = build(shared_root, tmp_path / "out")
    assert sum(site.shared for site in result.sites.values()) > 0
    assert not list((tmp_path / "out" / ".kbgen-sites").glob("*/.kbgen-renders"))
    assert TIER1_NOTE not in _page(tmp_path / "out" / "tier0", "kb/blocks.md")


def test_raw_html_with_an_empty_id_is_shared(make_root, tmp_path):
    """Raw HTML can give MkDocs an anchor without a name (``<a id>``): the render is kept all the same."""
    make_root.doc("kb/raw.md", '# Raw\n\n<a id></a><a name></a>Text with [a link](#raw).\n')
    _, results = _build_down(make_root.path, tmp_path, tiers=(1, 0))
    assert results[0].shared == 1
    assert "Text with" in article(_page(results[0].path, "kb/raw.md"))


def test_a_render_changed_on_disk_before_its_page_is_written_fails_the_tier(shared_root, tmp_path, monkeypatch):
    """A tier keeps no document's HTML in memory but the one it works on: the others are read back from the
    shared renders when their pages are written, and one that changed in between is refused, not published."""
    import json

    from generator import renders
    from generator.build import BuildError

    read_back = renders.SharedRenders.content

    def planting(self, key):
        path = self._path(key)
        kept = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**kept, "content": kept["content"] + "<p>planted</p>"}), encoding="utf-8")
        return read_back(self, key)

    monkeypatch.setattr(renders.SharedRenders, "content", planting)
    with pytest.raises(BuildError, match="changed on disk during the build"):
        _build_down(shared_root, tmp_path, tiers=(0,))

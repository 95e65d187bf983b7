"""Incremental builds: after an edit, ``kbgen build`` reuses the pages nothing changed for, and its output
is byte for byte the output of a full build (``full=True``) of the same sources: every page, the sitemap and
the search index. Failed builds keep the previous output and manifest; the audit still searches what changed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cases import edit
from conftest import REPO, RootMaker, article, runbook_body, tree_hash
from generator.audit import audit_site
from generator.build import BuildError, build
from generator.cli import main as cli
from generator.content import load
from generator.search import SearchIndex
from generator import incremental, output, site_config
from generator.incremental import file_hash, manifest_path

TIERS = (0, 1, 2, 3)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
DEFAULTS = REPO / "generator" / "defaults" / "mkdocs.yml"
BUILD_DATE = "1767225600"
DEEP_SENTENCE = "Look up the ledger entry for the stuck refund."
GUIDE_BODY = """\
    # Guide

    Open the account settings and follow the steps below.

    /// internal
    Agents: the guide's internal note about the settings flag.
    ///

    ## Section

    More public text in the guide.
    """


@pytest.fixture(autouse=True)
def fixed_build_date(monkeypatch):
    """Sitemaps carry the build date: two builds on either side of midnight must still compare equal."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_DATE)


def write_root(root: RootMaker) -> RootMaker:
    root.file("mkdocs.yml", f"INHERIT: {DEFAULTS}\nsite_name: Help\n")
    root.doc("kb/public.md", "# Public\n\nRead the [guide](guide.md).\n\n![Diagram](img/diagram.png)\n")
    root.file("kb/img/diagram.png", PNG)
    root.doc("kb/guide.md", GUIDE_BODY)
    root.doc("kb/agent.md", "# Agent\n\nAgents only.\n\n--8<-- \"contact.md\"\n", tier=1, intents=["billing.refund"])
    root.file("snippets/contact.md", "Call the billing desk on extension 42.\n")
    root.doc("runbooks/first.md", tier=1, escalation="{to_tier: 2, when: the refund is stuck, runbook: deep}")
    root.doc("runbooks/deep.md", runbook_body("Deep", DEEP_SENTENCE), tier=2)
    root.doc("runbooks/eng.md", runbook_body("Eng", "Engineering text."), tier=3)
    return root


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> Path:
    """The root, built once for the module (with the date fixed, as in every test here)."""
    base = tmp_path_factory.mktemp("incremental")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_DATE)
        build(write_root(RootMaker(base / "root")).path, out=base / "out")
    return base


@pytest.fixture
def root(built_once, tmp_path) -> RootMaker:
    """A fresh copy of the root, with its first build (a full one) in ``tmp_path / "out"``."""
    shutil.copytree(built_once / "root", tmp_path / "root")
    shutil.copytree(built_once / "out", tmp_path / "out", symlinks=True)
    return RootMaker(tmp_path / "root")


def pages_recorded(out: Path, tier: int) -> int:
    return len(json.loads(manifest_path(out, tier).read_text(encoding="utf-8"))["pages"])


def assert_same_as_full_build(root, out: Path, tmp_path: Path):
    """Build ``root`` into ``out`` reusing its previous build, then fully into another folder: same bytes."""
    result = build(root.path, out=out)
    full = tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    full_result = build(root.path, out=full, full=True)
    assert all(site.reused == 0 for site in full_result.sites.values())
    for tier in TIERS:
        incremental, reference = tree_hash(out / f"tier{tier}"), tree_hash(full / f"tier{tier}")
        assert sorted(incremental) == sorted(reference), f"tier {tier}: different files"
        differing = [rel for rel in incremental if incremental[rel] != reference[rel]]
        assert differing == [], f"tier {tier}: incremental and full builds differ"
    return result


def rename(root, old: str, new: str) -> None:
    (root.path / new).parent.mkdir(parents=True, exist_ok=True)
    (root.path / old).rename(root.path / new)


# Each edit, and whether the untouched pages may be reused afterwards.
EDITS = {
    "body": (lambda r: edit(r, "kb/guide.md", "More public text", "Changed public text"), True),
    "internal-block": (lambda r: edit(r, "kb/guide.md", "settings flag", "SSO flag"), True),
    "title": (lambda r: edit(r, "kb/agent.md", "title: Agent", "title: Agent handbook"), False),
    "add": (lambda r: r.doc("kb/added.md", "# Added\n\nA new article.\n"), False),
    "delete": (lambda r: (r.path / "kb/agent.md").unlink(), False),
    "rename": (lambda r: (rename(r, "kb/guide.md", "kb/howto/guide.md"),
                          edit(r, "kb/public.md", "(guide.md)", "(howto/guide.md)")), False),
    "intents": (lambda r: edit(r, "intents.yml", "title: Get a refund", "title: Refund a payment"), False),
    "mkdocs-yml": (lambda r: r.file("mkdocs.yml", f"INHERIT: {DEFAULTS}\nsite_name: Help\nplugins:\n  - search\n"
                                                  "  - kbgen:\n      severities: {P1: Everything is down.}\n"), False),
    "snippet": (lambda r: r.file("snippets/contact.md", "Call the billing desk on extension 43.\n"), False),
    "overrides": (lambda r: r.file("overrides/main.html", '{% extends "base.html" %}\n{% block footer %}'
                                                          '{{ super() }}<p>Footer note</p>{% endblock %}\n'), False),
    "image-removed": (lambda r: (edit(r, "kb/public.md", "![Diagram](img/diagram.png)", "No picture."),
                                 (r.path / "kb/img/diagram.png").unlink()), False),
}


@pytest.mark.parametrize("change", list(EDITS))
def test_build_after_an_edit_equals_a_full_build(root, tmp_path, change):
    out = tmp_path / "out"
    recorded = {tier: pages_recorded(out, tier) for tier in TIERS}
    apply, reusable = EDITS[change]
    apply(root)
    result = assert_same_as_full_build(root, out, tmp_path)
    for tier in TIERS:
        # an edit of one page's body renders that page only; anything else renders every page
        expected = recorded[tier] - 1 if reusable else 0
        assert result.sites[tier].reused == expected, f"tier {tier}"


def test_build_without_changes_reuses_every_page(root, tmp_path):
    out = tmp_path / "out"
    result = assert_same_as_full_build(root, out, tmp_path)
    for tier in TIERS:
        assert result.sites[tier].reused == pages_recorded(out, tier) > 0


def test_index_files_an_edit_leaves_as_they_were_are_taken_from_the_previous_build(root, tmp_path):
    """After one page's edit most of the search index is byte for byte what it was: those files are linked
    from the published site, not written again; the others (and one edited by hand in the published site)
    are written; the index is the one a full build writes."""
    out = tmp_path / "out"
    folder = out / "tier0/search/kbgen"
    before = {path.name: path.stat().st_ino for path in folder.iterdir()}
    docs = folder / "docs-0.json"
    docs.write_text(docs.read_text(encoding="utf-8").replace("Public", "Pub1ic"), encoding="utf-8")
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    assert_same_as_full_build(root, out, tmp_path)
    after = {path.name: path.stat().st_ino for path in folder.iterdir()}
    taken = {name for name in after if before.get(name) == after[name]}
    assert any(name.startswith("postings-") for name in taken) and any(name.startswith("phrasings-") for name in taken)
    assert any(name.startswith("postings-") for name in set(after) - taken)  # the edited page's words moved
    assert "docs-0.json" not in taken and "Pub1ic" not in docs.read_text(encoding="utf-8")


def test_title_edit_updates_the_pages_listing_and_linking_it(root, tmp_path):
    out = tmp_path / "out"
    edit(root, "runbooks/deep.md", "title: Deep", "title: Deep payment diagnosis")
    assert_same_as_full_build(root, out, tmp_path)
    first_runbook = (out / "tier2/runbooks/first/index.html").read_text(encoding="utf-8")
    assert "Deep payment diagnosis" in article(first_runbook)  # the escalation box names the next runbook
    ladder = (out / "tier2/intents/account.password-reset/index.html").read_text(encoding="utf-8")
    assert "Deep payment diagnosis" in article(ladder)
    assert "Deep payment diagnosis" not in (out / "tier1/runbooks/first/index.html").read_text(encoding="utf-8")


def test_deleted_document_leaves_output_sitemap_and_search(root, tmp_path):
    out = tmp_path / "out"
    assert (out / "tier1/kb/agent/index.html").is_file()
    (root.path / "kb/agent.md").unlink()
    build(root.path, out=out)
    site = out / "tier1"
    assert not (site / "kb/agent").exists()
    assert "kb/agent/" not in (site / "sitemap.xml").read_text(encoding="utf-8")
    urls = [doc["url"] for doc in SearchIndex.load(site).documents()]
    assert "kb/public/" in urls and "kb/agent/" not in urls
    assert "kb/agent/" not in json.dumps(json.loads(manifest_path(out, 1).read_text(encoding="utf-8")))


def test_search_index_of_a_rebuild_holds_every_page(root, tmp_path):
    """Reused pages are not rendered; the search index must still find them, and the edited page as edited."""
    out = tmp_path / "out"
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    result = build(root.path, out=out)
    assert result.sites[1].reused > 0
    index = SearchIndex.load(out / "tier1")
    assert {"kb/public/", "kb/agent/", "runbooks/first/"} <= {doc["url"] for doc in index.documents()}
    assert [hit.url for hit in index.search("changed public text")][:1] == ["kb/guide/"]


def test_reused_pages_are_the_previous_files_not_copies(root, tmp_path):
    """An unchanged page is the previous build's file under a new name (a hard link): no bytes copied,
    its old name stays with the replaced version, and neither a good nor a failed build writes into it."""
    out = tmp_path / "out"
    page, edited = out / "tier0/kb/public/index.html", out / "tier0/kb/guide/index.html"
    before, data, edited_before = page.stat(), page.read_bytes(), edited.stat()
    replaced = output.current_version(out)
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    build(root.path, out=out)
    after = page.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (before.st_ino, before.st_mtime_ns, 2)
    assert (replaced / "tier0/kb/public/index.html").stat().st_ino == before.st_ino
    assert output.current_version(out) != replaced
    assert page.read_bytes() == data
    assert edited.stat().st_ino != edited_before.st_ino  # rendered again, into a new file
    edit(root, "kb/guide.md", "Changed public text", "Changed public text" + LEAKING_LINK)
    with pytest.raises(BuildError):
        build(root.path, out=out)
    assert (page.stat().st_ino, page.read_bytes()) == (before.st_ino, data)


def test_replaced_sites_wait_until_the_next_build(root, tmp_path):
    """The version of the sites a build replaced is deleted by the next build, while its tiers build; no
    staging folder is left beside the output or in it."""
    out = tmp_path / "out"
    first = output.current_version(out)
    old_page = (out / "tier0/kb/guide/index.html").read_bytes()
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    build(root.path, out=out)
    second = output.current_version(out)
    assert output.leftovers(out) == [first]
    assert (first / "tier0/kb/guide/index.html").read_bytes() == old_page
    edit(root, "kb/guide.md", "Changed public text", "Changed again")
    build(root.path, out=out)
    assert output.leftovers(out) == [second] and not first.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "root"]


def test_a_rebuild_recycles_the_sites_the_last_build_replaced(root, tmp_path):
    """The sites the previous build replaced are garbage: the next build moves them in and keeps their
    folders and the files that already are its unchanged pages. Nothing else of them stays: not a page of
    a deleted document, not a file put there by hand, not a page whose file was replaced."""
    out = tmp_path / "out"
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    build(root.path, out=out)
    [donor] = output.leftovers(out)
    (donor / "tier0/stray.html").write_text("<p>Put here by hand.</p>", encoding="utf-8")
    (donor / "tier0/kb/stray").mkdir()
    (donor / "tier0/kb/stray/index.html").write_text("<p>By hand too.</p>", encoding="utf-8")
    replaced = donor / "tier0/kb/public/index.html"
    text = replaced.read_text(encoding="utf-8")
    replaced.unlink()
    replaced.write_text(text.replace("Read the", "Replaced: read the"), encoding="utf-8")
    (root.path / "runbooks/eng.md").unlink()
    assert_same_as_full_build(root, out, tmp_path)  # the same files, byte for byte: nothing stray or stale
    assert not (out / "tier3/runbooks/eng").exists()

    [donor] = output.leftovers(out)
    folder, page = donor / "tier0/kb/public", out / "tier0/kb/public/index.html"
    recycled, published = folder.stat().st_ino, page.stat().st_ino
    edit(root, "kb/guide.md", "Changed public text", "Changed again")
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused == pages_recorded(out, 0) - 1
    assert (page.parent.stat().st_ino, page.stat().st_ino) == (recycled, published)
    assert output.leftovers(out) != [donor] and not donor.exists()


def test_tampered_previous_output_is_rendered_again(root, tmp_path):
    """A reused page must be the file the previous build wrote; anything else is rendered again."""
    out = tmp_path / "out"
    page = out / "tier0/kb/public/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Read the", "Tampered: read the"), encoding="utf-8")
    (out / "tier0/kb/guide/index.html").unlink()
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused == pages_recorded(out, 0) - 2


def test_a_page_changed_in_place_to_the_same_size_and_time_is_rendered_again(root, tmp_path):
    """A rebuild trusts a page's file without reading it while its stamp (inode, size, change time) is the
    one the previous build noted: a write of as many bytes, with the modification time set back, still
    changes the change time."""
    out = tmp_path / "out"
    build(root.path, out=out)  # the pages now carry the stamps this build noted
    page = out / "tier0/kb/public/index.html"
    times = page.stat()
    page.write_text(page.read_text(encoding="utf-8").replace("Read the", "Rxad the"), encoding="utf-8")
    os.utime(page, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert page.stat().st_size == times.st_size
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused == pages_recorded(out, 0) - 1


def test_a_rebuild_reads_no_unchanged_page_it_takes(root, tmp_path, monkeypatch):
    """The stamps the previous build noted stand for its pages' bytes: taking them reads none (it hashes
    only the pages it wrote)."""
    out = tmp_path / "out"
    build(root.path, out=out)  # the pages now carry the stamps this build noted
    read = []
    real = incremental.file_hash
    monkeypatch.setattr(incremental, "file_hash", lambda path: read.append(str(path)) or real(path))
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    previous = str((out / "tier0").resolve().parent)  # the version of the sites published
    result = build(root.path, out=out, jobs=1)  # in this process, where file_hash is watched
    assert result.sites[0].reused == pages_recorded(out, 0) - 1
    assert read and [path for path in read if path.startswith(previous)] == []


def test_full_flag_and_the_cli_report_reuse(root, tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    full = runner.invoke(cli, ["build", "--root", str(root.path), "--out", str(out), "--full"])
    assert full.exit_code == 0, full.output
    assert "tier 0: built 2 documents\n" in full.output
    assert "reused" not in full.output
    again = runner.invoke(cli, ["build", "--root", str(root.path), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert f"tier 0: built 2 documents ({pages_recorded(out, 0)} pages unchanged, reused)" in again.output


def test_other_mkdocs_plugins_turn_reuse_off(root, tmp_path):
    """kbgen cannot know what another plugin makes a page depend on: it renders every page."""
    root.file("mkdocs.yml", f"INHERIT: {DEFAULTS}\nsite_name: Help\nplugins: [search, tags, kbgen]\n")
    out = tmp_path / "out"
    build(root.path, out=out)  # the new mkdocs.yml alone renders every page again
    result = build(root.path, out=out)
    assert all(site.reused == 0 for site in result.sites.values())


LEAKING_LINK = "\n<a href=\"https://help.example.com/runbooks/deep/\">the deep runbook</a>\n"  # validation cannot tell


def test_leak_in_an_edited_page_fails_and_keeps_output_and_manifest(root, tmp_path):
    out = tmp_path / "out"
    before, manifests = tree_hash(out), {t: manifest_path(out, t).read_bytes() for t in TIERS}
    guide = root.path / "kb/guide.md"
    guide.write_text(guide.read_text(encoding="utf-8") + LEAKING_LINK, encoding="utf-8")
    with pytest.raises(BuildError) as failure:
        build(root.path, out=out)
    leaks = failure.value.leaks
    assert {(leak.tier, leak.output) for leak in leaks} == {(0, "tier0/kb/guide/index.html"),
                                                            (1, "tier1/kb/guide/index.html")}
    assert all(leak.source == "runbooks/deep.md" for leak in leaks)
    assert tree_hash(out) == before
    assert {t: manifest_path(out, t).read_bytes() for t in TIERS} == manifests
    guide.write_text(guide.read_text(encoding="utf-8").replace(LEAKING_LINK, "\nFixed.\n"), encoding="utf-8")
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused == pages_recorded(out, 0) - 1  # the manifest of the last good build served


def test_failed_validation_keeps_the_manifest(root, tmp_path):
    out = tmp_path / "out"
    manifests = {t: manifest_path(out, t).read_bytes() for t in TIERS}
    edit(root, "kb/guide.md", "More public text", "See [the deep runbook](../runbooks/deep.md)")
    with pytest.raises(BuildError):
        build(root.path, out=out)
    assert {t: manifest_path(out, t).read_bytes() for t in TIERS} == manifests


def test_audit_does_not_search_reused_pages_again(root, tmp_path):
    """A reused page passed the audit of the build that wrote it, from the same sources and settings; only a
    page that still has the hash recorded is skipped, whatever its size, time and inode say."""
    out = tmp_path / "out"
    site = out / "tier0"
    page = site / "kb/public/index.html"
    recorded = {"kb/public/index.html": file_hash(page)}
    content = load(root.path)
    assert audit_site(content, 0, site, reused=recorded) == []
    text = page.read_text(encoding="utf-8")
    page.write_text(text + LEAKING_LINK, encoding="utf-8")
    assert [leak.output for leak in audit_site(content, 0, site)] == ["tier0/kb/public/index.html"]
    recorded = {"kb/public/index.html": file_hash(page)}
    assert audit_site(content, 0, site, reused=recorded) == []
    stat = page.stat()
    page.write_text(text.replace("Read the", "Read ths") + LEAKING_LINK, encoding="utf-8")  # the same size
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and time
    assert [leak.output for leak in audit_site(content, 0, site, reused=recorded)] == ["tier0/kb/public/index.html"]


def test_audit_reads_again_a_placed_page_written_to_since(root, tmp_path):
    """A build reads each reused page's bytes as it takes it; its audit does not read again a page whose
    inode, size and change time are still what they were once it was in place, and reads and searches one
    written to since, or another file under its name."""
    site = tmp_path / "out/tier0"
    page = site / "kb/public/index.html"
    recorded, placed = {"kb/public/index.html": file_hash(page)}, {"kb/public/index.html": incremental.stamp(page)}
    content = load(root.path)
    assert audit_site(content, 0, site, reused=recorded, placed=placed) == []
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("Read the", "Read thx") + LEAKING_LINK, encoding="utf-8")
    assert [leak.output for leak in audit_site(content, 0, site, reused=recorded, placed=placed)] == \
        ["tier0/kb/public/index.html"]
    page.unlink()
    page.write_text(text + LEAKING_LINK, encoding="utf-8")
    assert [leak.output for leak in audit_site(content, 0, site, reused=recorded, placed=placed)] == \
        ["tier0/kb/public/index.html"]


def test_an_edit_that_keeps_size_and_time_is_not_reused(root, tmp_path):
    """An output page edited in place with its size and modification time kept is no longer the page the
    previous build wrote: the build renders it again and its audit searches it."""
    out = tmp_path / "out"
    page = out / "tier0/kb/public/index.html"
    before = page.stat()
    text = page.read_text(encoding="utf-8")
    tampered = text.replace("Read the", "Read thx", 1)
    assert tampered != text and len(tampered) == len(text)
    page.write_text(tampered, encoding="utf-8")
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (page.stat().st_size, page.stat().st_mtime_ns, page.stat().st_ino) == \
        (before.st_size, before.st_mtime_ns, before.st_ino)
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused == pages_recorded(out, 0) - 1
    assert page.read_text(encoding="utf-8") == text


def test_warnings_of_reused_pages_are_reported_again(root, tmp_path):
    root.file("mkdocs.yml", f"INHERIT: {DEFAULTS}\nsite_name: Help\nvalidation: {{links: {{absolute_links: warn}}}}\n")
    edit(root, "kb/public.md", "Read the", "See [the status page](/status/). Read the")
    out = tmp_path / "out"
    first = build(root.path, out=out)
    warned = [w for w in first.sites[0].warnings if "/status/" in w]
    assert warned and "kb/public.md" in warned[0]
    edit(root, "kb/guide.md", "More public text", "Changed public text")
    again = build(root.path, out=out)
    assert again.sites[0].reused > 0
    assert again.sites[0].warnings == first.sites[0].warnings


def test_environment_digest_follows_linked_theme_folders(root, tmp_path, monkeypatch):
    """kbgen's own overrides reach the package through a link: a change there must render every page."""
    package = tmp_path / "package"
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "main.html").write_text("one", encoding="utf-8")
    package.mkdir()
    (package / "overrides").symlink_to(theme, target_is_directory=True)
    monkeypatch.setattr(incremental, "PACKAGE", package)
    content, config = load(root.path), site_config.read(root.path)
    before = incremental.environment_digest(content, config)
    assert incremental.environment_digest(content, config) == before
    (theme / "main.html").write_text("two", encoding="utf-8")
    assert incremental.environment_digest(content, config) != before


def test_a_runbook_edit_that_drops_a_fed_entry_renders_the_pages_that_listed_it(make_root, tmp_path):
    """Whether a tier 3 defect is on the tier 2 Defects page (linked from every tier 2 page's navigation)
    and on its card depends on a runbook's text: removing the entry left 73 pages and the card stale."""
    from generator import defects

    make_root.file("mkdocs.yml", f"INHERIT: {DEFAULTS}\nsite_name: Help\n")
    make_root.doc("kb/refunds.md", "# Refunds\n\nHow refunds work.\n", intents=["billing.refund"])
    make_root.doc("runbooks/tier2/diagnose.md", runbook_body("Diagnose refunds"), id="diagnose", tier=2,
                  title="Diagnose refunds", intents=["billing.refund"])
    make_root.doc("kb/defects/DEF-0101.md", "# Refunds stuck\n\nWritten up.\n\n## Customer-facing summary\n\n"
                  "Refunds may wait.\n\n## Agent workaround\n\nCancel the refund and issue it again.\n",
                  id="DEF-0101", title="Refunds stuck", kind="defect", tier=3, intents=["billing.refund"],
                  severity="P1", state="open", reported_on="2026-10-01", agent_workaround="true")
    defects.feed(make_root.path, "DEF-0101")
    out = tmp_path / "out"
    build(make_root.path, out=out)
    assert (out / "tier2" / "defects" / "index.html").exists()
    runbook = make_root.path / "runbooks/tier2/diagnose.md"
    text = runbook.read_text(encoding="utf-8")
    start, end = text.index("<!-- kbgen:defect DEF-0101"), text.index("<!-- /kbgen:defect -->")
    runbook.write_text(text[:start] + "No known defects now.\n" + text[end + len("<!-- /kbgen:defect -->"):],
                       encoding="utf-8")
    assert_same_as_full_build(make_root, out, tmp_path)
    assert not (out / "tier2" / "defects").exists()


@pytest.mark.parametrize("damage", [
    {"parts": []}, {"parts": {"assets": 5}}, {"parts": {"assets": [{}]}}, {"parts": {"warnings": [7]}},
    {"stamp": "x"}, {"stamp": [1.5]}, {"key": 5}, {"output": None}, {"sha256": []}, {"surprise": 1}, None,
])
def test_a_damaged_page_record_costs_its_page_a_render(root, tmp_path, damage):
    """A manifest is a file anyone can edit: a record of the wrong shape is no record (its page is rendered
    again); a wrong-typed part failed every later build of the tier, naming no file."""
    out = tmp_path / "out"
    manifest = manifest_path(out, 0).resolve()
    kept = json.loads(manifest.read_text(encoding="utf-8"))
    kept["pages"]["kb/public.md"] = None if damage is None else {**kept["pages"]["kb/public.md"], **damage}
    manifest.write_text(json.dumps(kept), encoding="utf-8")
    edit(root, "kb/guide.md", "# Guide", "# Guide\n\nOne more sentence.")
    result = assert_same_as_full_build(root, out, tmp_path)
    assert result.sites[0].reused > 0, "the other pages are still taken"

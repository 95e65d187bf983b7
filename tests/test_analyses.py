"""The search analyses a build keeps for the next one (:mod:`generator.analyses`): what is read back is what
was written, a file this module did not write is never taken, and a rebuild that takes them writes the
index a full build writes."""

from __future__ import annotations

import zipfile
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from conftest import tree_hash
from generator import analyses, search
from generator.build import build
from generator.incremental import analyses_path

ENVIRONMENT = "e" * 64
TERM = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(lambda t: "\n" not in t)
ANALYSIS = st.tuples(st.lists(st.lists(TERM, max_size=6), min_size=6, max_size=6),
                     st.lists(st.integers(0, 2**32 - 1), max_size=8, unique=True).map(sorted))
KEYED = st.lists(st.tuples(st.binary(min_size=16, max_size=16), ANALYSIS), max_size=6, unique_by=lambda item: item[0])


def _kept(tmp_path: Path, items, known=None) -> analyses.Known:
    path = tmp_path / "kept.npz"
    analyses.save(path, ENVIRONMENT, [(key, (fields, array("I", crcs))) for key, (fields, crcs) in items], known)
    loaded = analyses.load(path, ENVIRONMENT)
    assert loaded is not None
    return loaded


@given(items=KEYED, later=KEYED)
def test_what_is_read_back_is_what_was_kept_also_when_copied_from_an_earlier_file(tmp_path_factory, items, later):
    tmp_path = tmp_path_factory.mktemp("analyses")
    first = _kept(tmp_path, items)
    for key, (fields, crcs) in items:
        assert first.get(key) == (fields, array("I", crcs))
    # the next build keeps some of the same texts (copied from the first file as numbers) and new ones
    mixed = items[::2] + [item for item in later if first.row(item[0]) is None]
    second = _kept(tmp_path, mixed, known=first)
    assert len(second) == len(mixed)
    for key, (fields, crcs) in mixed:
        assert second.get(key) == (fields, array("I", crcs))


def test_an_analysis_with_a_line_break_in_a_term_is_not_kept(tmp_path):
    kept = _kept(tmp_path, [(b"a" * 16, ([["one\ntwo"]] + [[]] * 5, [1])), (b"b" * 16, ([["fine"]] + [[]] * 5, [2]))])
    assert kept.get(b"a" * 16) is None and kept.get(b"b" * 16) == ([["fine"]] + [[]] * 5, array("I", [2]))


def _rewritten(path: Path, **arrays) -> None:
    with np.load(path, allow_pickle=False) as stored:
        data = {name: stored[name] for name in stored.files}
    data.update(arrays)
    with open(path, "wb") as file:
        np.savez(file, **data)


BROKEN = {
    "another environment": lambda path: _rewritten(path, environment=np.frombuffer(b"f" * 64, dtype=np.uint8)),
    "another format": lambda path: _rewritten(path, format=np.array([99])),
    "a term beyond the vocabulary": lambda path: _rewritten(path, terms=np.array([0, 7], dtype=np.uint32)),
    "negative term numbers": lambda path: _rewritten(path, terms=np.array([0, -1], dtype=np.int64)),
    "lengths that do not add up": lambda path: _rewritten(path, lengths=np.array([[1, 0, 0, 0, 0, 0]], dtype=np.int64)),
    "float lengths": lambda path: _rewritten(path, lengths=np.array([[1.0, 1, 0, 0, 0, 0]])),
    "pickled objects": lambda path: _rewritten(path, keys=np.array([object()], dtype=object)),
    "arrays of no dimension": lambda path: _rewritten(path, lengths=np.array(2, dtype=np.int64),
                                                      pair_counts=np.array(1, dtype=np.int64)),
    "keys of no width": lambda path: _rewritten(path, keys=np.zeros((1, 0), dtype=np.uint8)),
    "a missing array": lambda path: _rewritten(path, pairs=None),
    "not a NumPy file": lambda path: path.write_bytes(b"PK\x03\x04 not a zip at all"),
    "an empty file": lambda path: path.write_bytes(b""),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_file_this_module_did_not_write_is_never_taken(tmp_path, case):
    path = tmp_path / "kept.npz"
    analyses.save(path, ENVIRONMENT, [(b"k" * 16, ([["alpha", "beta"]] + [[]] * 5, array("I", [5])))])
    assert analyses.load(path, ENVIRONMENT) is not None
    BROKEN[case](path)
    assert analyses.load(path, ENVIRONMENT) is None
    assert zipfile.is_zipfile(path) or path.stat().st_size < 64


NAMES = ["format", "environment", "keys", "vocabulary", "terms", "lengths", "pairs", "pair_counts"]
ANY_ARRAY = st.builds(
    lambda dtype, shape, seed: np.random.default_rng(seed).integers(-3, 40, size=shape).astype(dtype),
    st.sampled_from([np.uint8, np.int8, np.int64, np.uint32, np.float64, np.bool_]),
    st.one_of(st.just(()), st.tuples(st.integers(0, 4)), st.tuples(st.integers(0, 3), st.integers(0, 7))),
    st.integers(0, 2**32 - 1))


@given(changes=st.dictionaries(st.sampled_from(NAMES), ANY_ARRAY, min_size=1, max_size=3))
def test_whatever_arrays_a_file_holds_reading_it_never_fails(tmp_path_factory, changes):
    """The file is read before anything is built: any arrays in it give kept analyses that can be read
    whole, or none, never an error."""
    path = tmp_path_factory.mktemp("arrays") / "kept.npz"
    analyses.save(path, ENVIRONMENT, [(bytes([n]) * 16, ([[f"w{n}", "x"]] + [[]] * 5, array("I", [n])))
                                      for n in range(3)])
    _rewritten(path, **changes)
    known = analyses.load(path, ENVIRONMENT)
    if known is not None:
        for n in range(3):
            known.get(bytes([n]) * 16)


@pytest.fixture
def taking(monkeypatch):
    """How many entries took an earlier build's analysis (builds run in this process: ``jobs=1``)."""
    taken = []
    take = search.Entry.take

    def counting(entry, known):
        found = take(entry, known)
        taken.append(found)
        return found

    monkeypatch.setattr(search.Entry, "take", counting)
    return taken


def test_a_rebuild_takes_the_analyses_of_unchanged_text_and_writes_the_index_of_a_full_build(make_root, tmp_path,
                                                                                            taking):
    for index in range(12):
        make_root.doc(f"kb/a{index}.md", f"# Article {index}\n\nHow to reset option {index} of the router.\n")
    make_root.doc("kb/blocks.md", "# Blocks\n\nPublic words.\n\n/// internal\nAgents restart the relay first.\n///\n")
    out, full = tmp_path / "out", tmp_path / "full"
    build(make_root.path, out=out, jobs=1)
    assert taking == [] and all(analyses_path(out / ".kbgen-sites" / "current", tier).is_file() for tier in range(4))
    edited = make_root.path / "kb/a3.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("router", "modem"), encoding="utf-8")
    build(make_root.path, out=out, jobs=1)
    assert taking.count(False) == 1  # the edited article (the tiers of one process share their entries)
    assert taking.count(True) == 13  # the 11 other articles, and both views of the one with a block (tiers 0, 1+)
    build(make_root.path, out=full, jobs=1, full=True)
    for tier in range(4):
        assert tree_hash(out / f"tier{tier}" / search.INDEX_DIR) == tree_hash(full / f"tier{tier}" / search.INDEX_DIR)


def _damage(path: Path, member: str) -> None:
    """Change one byte in the middle of an array's data in the file, as a bad disk would."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    start = header + 30 + int.from_bytes(data[header + 26:header + 28], "little") + \
        int.from_bytes(data[header + 28:header + 30], "little")
    data[start + info.compress_size // 2] ^= 0x20
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("member", ["keys.npy", "vocabulary.npy", "terms.npy", "lengths.npy", "pairs.npy"])
def test_a_damaged_analyses_file_is_analysed_again(make_root, tmp_path, taking, member):
    """A byte of an array changed on disk (the zip format keeps a CRC of each): nothing is taken from the file."""
    make_root.doc("kb/a.md", "# Article\n\nHow to reset the router.\n")
    out, full = tmp_path / "out", tmp_path / "full"
    build(make_root.path, out=out, jobs=1)
    for tier in range(4):
        _damage(analyses_path(out / ".kbgen-sites" / "current", tier), member)
    build(make_root.path, out=out, jobs=1)
    assert not any(taking)
    build(make_root.path, out=full, jobs=1, full=True)
    assert tree_hash(out / "tier0" / search.INDEX_DIR) == tree_hash(full / "tier0" / search.INDEX_DIR)

"""The search index's analysis of each document's text (its terms, field by field, and its word pairs),
kept from one build of a tier for the next.

Cutting, stemming and pairing the words of every document is the largest part of writing a tier's index
again after one edit (2.6 of a rebuild's 23 seconds at 20,000 documents), and the text of all but the
edited documents is the same as last time. So a build keeps each analysis under a digest of the text it
was made from, and the next build takes it for text with that digest, in the same environment (kbgen's
code, the installed packages, the configuration: :func:`generator.incremental.environment_digest`).

The analyses are arrays in one NumPy file (term numbers into one vocabulary, four bytes a term and a
pair: millions of them at 20,000 documents, which JSON would read no faster than the words are analysed
again), read without pickle, and checked for shape before anything is taken from them (the zip format checks each array's
CRC): a file that is not one this module wrote whole is ignored.
"""

from __future__ import annotations

import os
import zipfile
from array import array
from collections.abc import Iterable
from pathlib import Path

import numpy as np

FORMAT = 1
SEPARATOR = "\n"  # between the vocabulary's terms (a term is one piece of text: it holds no line break)
Analysis = tuple[list[list[str]], array]  # (each field's terms in order, the sorted CRCs of its word pairs)


class Known:
    """Analyses read from an earlier build, by the digest of the text each was made from."""

    def __init__(self, keys: np.ndarray, vocabulary: list[str], terms: np.ndarray, lengths: np.ndarray,
                 pairs: np.ndarray, pair_counts: np.ndarray):
        width = keys.shape[1]
        flat = keys.tobytes()
        self._row = {flat[at:at + width]: row for row, at in enumerate(range(0, len(flat), width))}
        self._words = np.array(vocabulary, dtype=object)
        self.lengths, self._terms, self._pairs = lengths, terms, pairs
        self._term_starts = np.concatenate(([0], np.cumsum(lengths.sum(axis=1)))).tolist()
        self._pair_starts = np.concatenate(([0], np.cumsum(pair_counts))).tolist()

    def __len__(self) -> int:
        return len(self._row)

    @property
    def vocabulary(self) -> list[str]:
        return self._words.tolist()

    def row(self, key: bytes) -> int | None:
        return self._row.get(key)

    def term_numbers(self, row: int) -> np.ndarray:
        """The row's terms, field after field, as numbers into :attr:`vocabulary`."""
        return self._terms[self._term_starts[row]:self._term_starts[row + 1]]

    def pair_crcs(self, row: int) -> np.ndarray:
        return self._pairs[self._pair_starts[row]:self._pair_starts[row + 1]]

    def get(self, key: bytes) -> Analysis | None:
        row = self._row.get(key)
        if row is None:
            return None
        at, fields = 0, []
        numbers = self.term_numbers(row)
        for length in self.lengths[row].tolist():
            fields.append(self._words[numbers[at:at + length]].tolist())
            at += length
        return fields, array("I", self.pair_crcs(row).tobytes())


def load(path: Path, environment: str) -> Known | None:
    """The analyses kept at ``path`` by a build in ``environment``; None if there are none to take."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if arrays["format"].tolist() != [FORMAT] or arrays["environment"].tobytes() != environment.encode():
            return None
        keys, terms, lengths, pairs, counts = (arrays[name] for name in ("keys", "terms", "lengths", "pairs",
                                                                           "pair_counts"))
        vocabulary = arrays["vocabulary"].tobytes().decode("utf-8").split(SEPARATOR)
        if keys.ndim != 2 or lengths.ndim != 2 or terms.ndim != 1 or pairs.ndim != 1:
            return None
        rows = len(keys)
        if keys.dtype != np.uint8 or lengths.shape[0] != rows or counts.shape != (rows,) or \
                int(lengths.sum()) != len(terms) or int(counts.sum()) != len(pairs) or \
                (lengths.size and lengths.min() < 0) or (counts.size and counts.min() < 0) or \
                lengths.dtype != np.int64 or counts.dtype != np.int64 or terms.dtype != np.uint32 or \
                pairs.dtype != np.uint32 or (terms.size and int(terms.max()) >= len(vocabulary)):
            return None
        return Known(keys, vocabulary, terms, lengths, pairs, counts)
    except (OSError, KeyError, IndexError, ValueError, TypeError, UnicodeDecodeError, EOFError, zipfile.BadZipFile):
        return None


def save(path: Path, environment: str, analyses: Iterable[tuple[bytes, Analysis]], known: Known | None = None) -> None:
    """Keep ``analyses`` (digest of the text, analysis) at ``path``, written whole or not at all; those
    taken from ``known`` are copied from its arrays as they are. An analysis with a term that holds a line
    break (none does) is not kept."""
    vocabulary = known.vocabulary if known is not None else []
    number: dict[str, int] | None = None  # term -> its number, made when a new analysis needs it
    keys, lengths, terms, pairs = [], [], [], []
    for key, (fields, crcs) in analyses:
        row = known.row(key) if known is not None else None
        if row is not None and known.lengths.shape[1] == len(fields):
            counts, numbers, crcs = known.lengths[row], known.term_numbers(row), known.pair_crcs(row)
        elif any(SEPARATOR in term for field in fields for term in field):
            continue
        else:
            if number is None:
                number = {term: at for at, term in reversed(list(enumerate(vocabulary)))}
            for term in (term for field in fields for term in field if term not in number):
                number[term] = len(vocabulary)
                vocabulary.append(term)
            counts = [len(field) for field in fields]
            numbers = np.array([number[term] for field in fields for term in field], dtype=np.uint32)
            crcs = np.frombuffer(crcs, dtype=np.uint32)
        keys.append(key)
        lengths.append(counts)
        terms.append(numbers)
        pairs.append(crcs)
    width = len(keys[0]) if keys else 16
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        np.savez(file, format=np.array([FORMAT]), environment=np.frombuffer(environment.encode(), dtype=np.uint8),
                 keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), width),
                 vocabulary=np.frombuffer(SEPARATOR.join(vocabulary).encode("utf-8"), dtype=np.uint8),
                 terms=np.concatenate(terms) if terms else np.zeros(0, dtype=np.uint32),
                 lengths=np.array(lengths, dtype=np.int64).reshape(len(keys), len(lengths[0]) if lengths else 0),
                 pairs=np.concatenate(pairs) if pairs else np.zeros(0, dtype=np.uint32),
                 pair_counts=np.array([len(crcs) for crcs in pairs], dtype=np.int64))
    os.replace(temporary, path)

"""``synonyms.yml``: the customers' words a team adds to search, as Algolia and Typesense define synonyms.

An optional file in the content root::

    defaults: true            # kbgen's support set (log in / sign in, can't / cannot, ...); false turns it off
    synonyms:
      - [invoice, bill, receipt]                                   # two-way: each finds the others
      - {root: close my account, synonyms: [cancel subscription]}  # one-way: the root also finds these

``input`` (Algolia's word) is read as ``root`` (Typesense's). Every mistake is a ``synonyms-schema`` finding at
its line; validation (and so every build) reports it, and search then uses the entries that are right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .content import SYNONYMS_FILE as FILE
from .content import ContentRoot, YamlDoc, parse_yaml, read_text, refusal
from .findings import ERROR, Finding

ROOT_KEYS = ("root", "input")


@dataclass(frozen=True)
class Synonyms:
    """What a content root's ``synonyms.yml`` says (nothing, without the file)."""

    groups: tuple[tuple[str, ...], ...] = ()
    rules: tuple[tuple[str, tuple[str, ...]], ...] = ()
    defaults: bool = True


def read(root: Path) -> tuple[Synonyms, list[Finding]]:
    """The root's synonyms and what is wrong in the file, each at its line."""
    path = root / FILE
    refused = refusal(path, FILE, (root,), "the content root")
    if refused:
        return Synonyms(), [refused]
    if not path.is_file():
        return Synonyms(), []
    try:
        text, findings = read_text(path, FILE)
    except OSError as exc:
        return Synonyms(), [Finding(FILE, 1, 1, "file-unreadable", ERROR, f"cannot read the file: {exc.strerror}")]
    if text is None:
        return Synonyms(), findings
    parsed, yaml_findings = parse_yaml(text, FILE)
    findings += yaml_findings
    if parsed is None:
        return Synonyms(), findings
    if parsed.data is None:
        return Synonyms(), findings
    if not isinstance(parsed.data, dict):
        return Synonyms(), findings + [_finding(parsed, (), "synonyms.yml must be a mapping: 'defaults:' (true or "
                                                         "false) and a 'synonyms:' list")]
    problems: list[Finding] = []
    for key in parsed.data:
        if key not in ("defaults", "synonyms"):
            problems.append(_finding(parsed, (key,), f"'{key}' is not a setting of synonyms.yml; use 'defaults' "
                                                     "and 'synonyms'"))
    defaults = parsed.data.get("defaults", True)
    if not isinstance(defaults, bool):
        problems.append(_finding(parsed, ("defaults",), "'defaults' must be true or false (kbgen's support "
                                                        "synonyms on or off)"))
        defaults = True
    entries = parsed.data.get("synonyms", [])
    if not isinstance(entries, list):
        problems.append(_finding(parsed, ("synonyms",), "'synonyms' must be a list of groups ([a, b]) and "
                                                        "one-way rules ({root: a, synonyms: [b]})"))
        entries = []
    groups, rules = [], []
    for index, entry in enumerate(entries):
        where = ("synonyms", index)
        if isinstance(entry, list):
            if len(entry) < 2 or not all(_phrase(item) for item in entry):
                problems.append(_finding(parsed, where, "a group lists two phrases or more, each a word or "
                                                        "words, e.g. [log in, sign in]"))
            else:
                groups.append(tuple(item.strip() for item in entry))
        elif isinstance(entry, dict):
            roots = [key for key in ROOT_KEYS if key in entry]
            unknown = [key for key in entry if key not in (*ROOT_KEYS, "synonyms")]
            alternatives = entry.get("synonyms")
            if unknown:
                problems.append(_finding(parsed, where + (unknown[0],), f"'{unknown[0]}' is not a key of a one-way "
                                                                        "rule; use 'root' and 'synonyms'"))
            elif len(roots) != 1 or not _phrase(entry[roots[0]]):
                problems.append(_finding(parsed, where, "a one-way rule names its 'root' phrase (once), e.g. "
                                                        "{root: close my account, synonyms: [cancel subscription]}"))
            elif not isinstance(alternatives, list) or not alternatives or not all(map(_phrase, alternatives)):
                problems.append(_finding(parsed, where + (("synonyms",) if "synonyms" in entry else ()),
                                         "a one-way rule lists the phrases its root also finds: 'synonyms: "
                                         "[a, b]'"))
            else:
                rules.append((entry[roots[0]].strip(), tuple(item.strip() for item in alternatives)))
        else:
            problems.append(_finding(parsed, where, "each entry is a group ([a, b]) or a one-way rule "
                                                    "({root: a, synonyms: [b]})"))
    return Synonyms(tuple(groups), tuple(rules), defaults), findings + problems


def of(content: ContentRoot) -> Synonyms:
    """The loaded root's synonyms, read once (validation reports the file's mistakes)."""
    return content.once("synonyms", lambda: read(content.root)[0])


def _phrase(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _finding(parsed: YamlDoc, path: tuple, message: str) -> Finding:
    line, col = parsed.where(path)
    return Finding(FILE, line, col, "synonyms-schema", ERROR, message)

"""``kbgen report --searches FILE``: what customers searched and did not find, the best list of articles to write.

The file is an export of the search events the help site sends to its analytics provider (README, "Search"),
as CSV with a header row or as a JSON list of objects: ``query``, ``count`` (how often it was searched),
``results`` (how many results it showed) and, optionally, ``clicks`` (how often a result was opened). The
report lists the most searched queries that showed nothing, then those whose results were rarely opened,
each with the intent closest to it: where the article belongs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from .content import ContentRoot
from .errors import KbgenError
from .search import text_terms

COLUMNS = ("query", "count", "results")
LOW_CLICK_RATE = 0.1  # a query whose results are opened less often than this was not answered either
TOP = 20  # queries listed per kind
MAX_LOG_BYTES = 256 << 20  # a year of a large help centre's searches, exported, is a few MB


class SearchLogError(KbgenError):
    """The export cannot be read: not CSV or JSON, or a row without its query, count or results."""


@dataclass
class Search:
    query: str
    count: int
    results: int
    clicks: int | None = None


@dataclass
class Gap:
    """A query customers searched and were not answered by, with the intent it is closest to."""

    query: str
    count: int
    clicks: int | None
    intent: str | None
    intent_title: str | None


@dataclass
class SearchReport:
    zero_results: list[Gap]
    low_clicks: list[Gap]
    searches: int  # searches in the export


def read_log(path: Path) -> list[Search]:
    """The export's rows, the same query (case and spacing aside) added up."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a named pipe would wait for a writer, a device never end
            raise SearchLogError(f"{path}: not a file; export the searches to a file and name it")
        with path.open("rb") as stream:
            data = stream.read(MAX_LOG_BYTES + 1)
        if len(data) > MAX_LOG_BYTES:
            raise SearchLogError(f"{path}: over {MAX_LOG_BYTES >> 20} MiB, far more than a search export holds; "
                                 "export a shorter period")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SearchLogError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    rows = _json_rows(path, text) if text.lstrip().startswith(("[", "{")) else _csv_rows(path, text)
    merged: dict[str, Search] = {}
    for line, row in rows:
        search = _search(path, line, row)
        key = " ".join(search.query.lower().split())
        if key in merged:
            known = merged[key]
            known.count += search.count
            known.results = max(known.results, search.results)
            if search.clicks is not None:
                known.clicks = (known.clicks or 0) + search.clicks
        else:
            merged[key] = search
    return list(merged.values())


def _json_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SearchLogError(f"{path}:{getattr(exc, 'lineno', 1)}: not JSON ({exc}); export a list of objects "
                             f"with {', '.join(COLUMNS)}") from None
    except RecursionError:
        raise SearchLogError(f"{path}:1: nested deeper than a search export is; export a list of objects "
                             f"with {', '.join(COLUMNS)}") from None
    if not isinstance(data, list):
        raise SearchLogError(f"{path}:1: a JSON export is a list of objects with {', '.join(COLUMNS)}")
    return [(number, row) for number, row in enumerate(data, 1)]  # the row's place in the list


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise SearchLogError(f"{path}:1: the header row has no column {', '.join(missing)}; a CSV export "
                                 f"starts with '{','.join(COLUMNS)}' (and optionally ',clicks')")
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:  # a field longer than any query, a NUL byte, ...
        raise SearchLogError(f"{path}:{reader.line_num + 1}: not a CSV export kbgen can read ({exc})") from None
    return rows


def _search(path: Path, line: int, row) -> Search:
    """One row, checked: a query, a count of at least 1, a number of results, optionally clicks."""
    where = f"{path}:{line}"
    if not isinstance(row, dict):
        raise SearchLogError(f"{where}: each row is an object with {', '.join(COLUMNS)}")
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        raise SearchLogError(f"{where}: the row has no query")
    numbers = {}
    for column in ("count", "results", "clicks"):
        value = row.get(column)
        if column == "clicks" and value in (None, ""):
            numbers[column] = None
            continue
        try:
            numbers[column] = int(str(value).strip())
        except ValueError:
            raise SearchLogError(f"{where}: '{column}' is {value!r}, not a whole number") from None
        if numbers[column] < (1 if column == "count" else 0):
            raise SearchLogError(f"{where}: '{column}' is {numbers[column]}, which cannot be")
    # A query cut by the analytics tool between the halves of an emoji holds a lone surrogate, which no
    # report can print: it is read as a reader sees it, with the replacement character.
    query = query.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return Search(query.strip(), numbers["count"], numbers["results"], numbers["clicks"])


def closest_intent(content: ContentRoot, query: str) -> tuple[str, str] | None:
    """The intent whose title and phrasings share most of the query's words (as search reads them), if any."""
    wanted = text_terms(query)
    best, best_share = None, 0.0
    for intent in content.intents.values():
        share = len(wanted & text_terms(" ".join((intent.title, *intent.phrasings)))) / len(wanted) if wanted else 0
        if share > best_share:
            best, best_share = intent, share
    return (best.id, best.title) if best else None


def search_report(content: ContentRoot, searches: list[Search]) -> SearchReport:
    def gap(search: Search) -> Gap:
        intent = closest_intent(content, search.query)
        return Gap(search.query, search.count, search.clicks, *(intent or (None, None)))

    by_count = sorted(searches, key=lambda s: (-s.count, s.query.lower()))
    zero = [gap(s) for s in by_count if s.results == 0][:TOP]
    low = [gap(s) for s in by_count
           if s.results > 0 and s.clicks is not None and s.clicks < LOW_CLICK_RATE * s.count][:TOP]
    return SearchReport(zero, low, sum(s.count for s in searches))


def to_json(report: SearchReport) -> str:
    return json.dumps(asdict(report), ensure_ascii=False, indent=2)


def to_text(report: SearchReport) -> str:
    lines = [f"{report.searches} searches in the export."]
    for title, gaps in (("Searched, and nothing found (write these articles)", report.zero_results),
                        ("Results shown but rarely opened", report.low_clicks)):
        lines.append(f"\n{title}:")
        if not gaps:
            lines.append("  none")
        for found in gaps:
            opened = f", {found.clicks} opened" if found.clicks is not None else ""
            intent = f"closest intent: {found.intent} ({found.intent_title})" if found.intent else "no close intent"
            lines.append(f"  {found.count:>5}x  {found.query!r}{opened}  -> {intent}")
    return "\n".join(lines)

"""The search index and ``kbgen search``: what each tier's index holds, how queries rank, the saved file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lunr.builder import Builder
from lunr.pipeline import Pipeline

from conftest import REPO, assert_no_crash, run_cli, stderr_of
from generator.build import build
from generator.cli import main as cli
from generator.content import load
from generator.search import (FIELDS, INDEX_DIR, INDEX_FILE, Entry, PairFiles, SearchIndex, _rounded, _stable_count,
                              _weights, entries, pair_hash, query_pairs, query_words, stem, text_terms, worker_lunr)

INTERNAL_WORD = "walrusprimeval"
BODY = f"""\
# SSO sign-in errors

If you see `ERR_SSO_4012` after signing in, your identity provider sent an assertion we could not
match. The message "Invalid redirect_uri" means the callback address is wrong.

/// internal
Agents check the {INTERNAL_WORD} flag first.
///

## Gateway errors

A `502 Bad Gateway` page means the service is restarting; try again in a minute.
"""


@pytest.fixture
def root(make_root):
    make_root.doc("kb/sso-errors.md", BODY, id="sso-errors", title="SSO sign-in errors",
                  summary="Fix single sign-on errors.")
    make_root.doc("kb/reset-password.md", "# Reset your password\n\nChoose a new password from the sign-in page.\n",
                  id="reset-password", title="Reset your password")
    make_root.doc("kb/gateway-status.md", "# Service status\n\nWhen the gateway is slow, check the status page.\n",
                  id="gateway-status", title="Service status")
    make_root.doc("runbooks/sso-runbook.md", id="sso-runbook", title="Diagnose SSO assertion failures", tier=1)
    return make_root.path


def ids(hits) -> list[str]:
    return [hit.id for hit in hits]


def test_each_tier_indexes_only_what_it_shows(root):
    content = load(root)
    public, agents = SearchIndex.build(content, 0), SearchIndex.build(content, 1)
    public_ids = {doc["id"] for doc in public.documents()}
    assert public_ids == {"sso-errors", "reset-password", "gateway-status"}
    assert {doc["id"] for doc in agents.documents()} == public_ids | {"sso-runbook"}
    assert not text_terms(INTERNAL_WORD) & set(public.terms())
    assert text_terms(INTERNAL_WORD) <= set(agents.terms())
    assert public.search(INTERNAL_WORD) == []
    assert ids(agents.search(INTERNAL_WORD)) == ["sso-errors"]
    assert ids(public.search("assertion")) == ["sso-errors"]
    assert public.search("assertion failures") == []  # one word of two is no good match
    assert ids(agents.search("assertion failures"))[0] == "sso-runbook"


def test_weights_are_what_lunrs_builder_makes(root):
    """Each posting's weight is lunr.py's BM25 weight of the term in each field, summed over the fields, to
    the last bit: lunr's own builder, fed the same terms, makes the same numbers."""
    content = load(root)
    for tier in (0, 1):
        expected = lunr_postings(entries(content, tier))
        saved = SearchIndex.build(content, tier)
        assert sorted(expected) == sorted(saved.terms())
        for term, postings in expected.items():
            assert saved.postings(term) == postings


def lunr_postings(found) -> dict[str, list]:
    """What lunr.py's own builder makes of the entries' terms: each term's [document, weight, ...]."""
    builder = Builder()
    builder.pipeline = Pipeline()  # the terms are kbgen's analysis, as they are
    for name, boost in FIELDS.items():
        builder.field(name, boost=boost)
    for number, entry in enumerate(found):
        builder.add({"id": str(number), **{name: " ".join(entry.analysed[name]) for name in FIELDS}})
    index = builder.build()
    terms = sorted(index.inverted_index, key=lambda term: index.inverted_index[term]["_index"])
    summed: dict[str, dict[int, float]] = {}
    for number in range(len(found)):
        for name in FIELDS:
            vector = index.field_vectors[f"{name}/{number}"]
            for position, value in zip(vector.elements[::2], vector.elements[1::2]):
                by_document = summed.setdefault(terms[position], {})
                by_document[number] = by_document.get(number, 0.0) + value
    return {term: [v for n in sorted(by_document) for v in (n, round(by_document[n], 3))]
            for term, by_document in summed.items()}


WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "invoice", "refund", "err_4012", "sso", "x" * 30])
FIELD_TEXTS = st.fixed_dictionaries({name: st.lists(WORDS, max_size=40 if name == "body" else 6).map(" ".join)
                                     for name in FIELDS})


@given(st.lists(FIELD_TEXTS, min_size=1, max_size=12))
def test_weights_of_any_documents_are_lunrs_to_the_last_bit(texts):
    """Every posting's weight, worked out on arrays of all postings at once, is the float lunr's builder
    makes one posting at a time: generated documents with empty fields, repeated words, a word in every
    document (idf near 0) and lengths far from the average."""
    found = tuple(Entry(id=f"d{n}", title=text["title"], url=f"d{n}/", tier=0, summary=text["summary"],
                        intents=text["intents"], tags=text["tags"], headings=text["headings"], body=text["body"])
                  for n, text in enumerate(texts))
    assert _weights(found) == lunr_postings(found)


@given(st.lists(FIELD_TEXTS, max_size=12))
def test_pairs_files_hold_every_pair_of_every_document(texts):
    """A pair of CRC ``h`` is in file ``h % count`` under ``h // count``, with every document holding it in
    order, each once, however the pairs spread over the files."""
    found = tuple(Entry(id=f"d{n}", title=text["title"], url=f"d{n}/", tier=0, summary=text["summary"],
                        intents=text["intents"], tags=text["tags"], headings=text["headings"], body=text["body"])
                  for n, text in enumerate(texts))
    expected: dict[int, list[int]] = {}
    for number, entry in enumerate(found):
        for crc in entry.pairs:
            expected.setdefault(crc, []).append(number)
    files = PairFiles(found)
    held = {int(key, 16) * len(files) + number: documents for number in range(len(files))
            for key, documents in files.get(f"pairs-{number}.json").items()}
    assert held == expected


@given(st.lists(st.one_of(st.floats(min_value=0, max_value=200, allow_nan=False),
                          st.integers(0, 200_000).map(lambda n: n / 1000 + 0.0005),  # on a half, or a hair off
                          st.integers(0, 200_000).map(lambda n: (n + 0.5) / 1000)), min_size=1))
def test_rounding_arrays_is_pythons_round(values):
    import numpy as np
    assert _rounded(np.array(values)).tolist() == [round(value, 3) for value in values]


@pytest.mark.parametrize("query", ["ERR_SSO_4012", "err_sso_4012", '"Invalid redirect_uri"',
                                   "Error: ERR_SSO_4012.", "502 Bad Gateway", "what does 502 bad gateway mean"])
def test_error_messages_are_found_as_typed(root, query):
    assert ids(SearchIndex.build(load(root), 0).search(query))[0] == "sso-errors"


def test_typos_and_word_forms_are_forgiven(root):
    index = SearchIndex.build(load(root), 0)
    assert ids(index.search("pasword"))[0] == "reset-password"
    assert ids(index.search("resetting passwords"))[0] == "reset-password"
    assert ids(index.search("reset passw"))[0] == "reset-password"  # still typing


def test_no_good_match_is_empty(root):
    index = SearchIndex.build(load(root), 0)
    assert index.search("quantum banana telescope") == []
    # one word of five is too little to call a page a match
    assert index.search("gateway quantum banana telescope orchestra") == []


def test_words_outside_the_basic_plane_are_found(make_root):
    """An emoji is one letter to Python and two UTF-16 units to the browser: typos are counted in letters."""
    astral, wide = "\N{MATHEMATICAL SCRIPT CAPITAL A}lpha", "\uff21wide"
    make_root.doc("kb/letters.md", f"# Letters\n\n{astral} and {wide} and rocket\N{ROCKET}launch.\n", id="letters")
    index = SearchIndex.build(load(make_root.path), 0)
    assert text_terms(astral) | text_terms("rocket\N{ROCKET}launch") <= set(index.terms())
    for query in (astral, wide, "rocket\N{ROCKET}launch", "rocket\N{ROCKET}lanch", "rocket\N{ROCKET}"):
        assert ids(index.search(query)) == ["letters"], query


def test_stemmer_agrees_with_lunr_js(tmp_path):
    """The index is stemmed in Python, queries in the browser (by the part of lunr.js the site ships): both
    must stem every word alike."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run lunr.js (scripts/setup.sh says how to install it)"
    words = sorted({word for document in load(REPO).documents for word in document.body.lower().split()
                    if word.isalpha()} | {"try", "key", "paying", "days", "happy", "sky", "tty", "deploy"})
    lunr_js = tmp_path / "lunr.js"
    lunr_js.write_text(worker_lunr(), encoding="utf-8")
    script = ("const lunr = require(process.argv[1]); const words = JSON.parse(require('fs').readFileSync(0));"
              "console.log(JSON.stringify(words.map(w => lunr.stemmer(new lunr.Token(w)).toString())));")
    result = subprocess.run([node, "-e", script, str(lunr_js)], input=json.dumps(words), capture_output=True,
                            text=True, check=True, timeout=60)
    browser = dict(zip(words, json.loads(result.stdout)))
    ours = {word: stem(word) for word in words}
    assert len(words) > 500
    assert {w: (ours[w], browser[w]) for w in words if ours[w] != browser[w]} == {}


# kbgen search ---------------------------------------------------------------------------------------------

def run(*args: str):
    return CliRunner().invoke(cli, ["search", *args])


def test_a_query_with_bytes_that_are_not_utf8_is_searched(root):
    """A shell passes such bytes as lone surrogates: they are no error, in any word of the query."""
    result = CliRunner().invoke(cli, ["search", "--root", str(root), "--json", "ERR_SSO_\udcff4012 after sign\udcffing"])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "sso-errors" in [hit["id"] for hit in json.loads(result.output)]


def test_a_pasted_log_is_searched_by_its_first_words(root):
    """A query of 60,000 compound parts and words is read no further than its first 24 words."""
    index = SearchIndex.build(load(root), 0)
    frames = ".".join(f"frame{n}" for n in range(30_000))
    pasted = f"ERR_SSO_4012 {frames}" + " word" * 30_000
    words = query_words(pasted, index.synonyms)
    assert len(words) == 24 and words == query_words(f"ERR_SSO_4012 {frames}", index.synonyms)
    assert [word.text for word in words[:5]] == ["ERR_SSO_4012", "err", "sso", "4012", frames]
    assert index.search(pasted) == []  # 4 of 24 words: no good match


def test_cli_json_fields(root):
    result = run("ERR_SSO_4012", "--root", str(root), "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits[0]["id"] == "sso-errors" and hits[0]["tier"] == 0 and hits[0]["path"] == "kb/sso-errors/"
    assert {"id", "title", "url", "score", "tier", "snippet"} <= set(hits[0])
    assert hits[0]["snippet"] == "Fix single sign-on errors."


def test_cli_text_is_readable(root):
    result = run("sso assertion", "--root", str(root), "--tier", "1", "--limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("1. Diagnose SSO assertion failures  (tier 1, score ")
    assert lines[1].strip() == "runbooks/sso-runbook/"
    assert not any(line.startswith("2.") for line in lines)


def test_cli_uses_site_url(root):
    (root / "mkdocs.yml").write_text("site_name: Help\nsite_url: https://help.example.com/\n"
                                     "plugins: [search, {kbgen: {internal_site_url: 'https://agents.example.com/t{tier}/'}}]\n",
                                     encoding="utf-8")
    public = json.loads(run("password", "--root", str(root), "--json").output)
    agents = json.loads(run("password", "--root", str(root), "--json", "--tier", "2").output)
    assert public[0]["url"] == "https://help.example.com/kb/reset-password/"
    assert agents[0]["url"] == "https://agents.example.com/t2/kb/reset-password/"


def test_cli_saved_index_gives_the_same_answers(root, tmp_path):
    out = tmp_path / "site"
    build(root, out=out, tiers=[0, 1])
    for tier in ("0", "1"):
        fresh = run("sso errors", "--root", str(root), "--tier", tier, "--json")
        saved = run("sso errors", "--root", str(root), "--tier", tier, "--json", "--site", str(out))
        assert saved.exit_code == 0, saved.output
        assert json.loads(saved.output) == json.loads(fresh.output)
    assert json.loads((out / "tier0" / "search" / "search_index.json").read_text())["docs"] == []


def test_the_theme_search_attributes_are_stripped_as_the_theme_strips_them(make_root, tmp_path):
    """The theme's search plugin strips ``data-search-*`` attributes with a value from every page; kbgen calls
    it only for the pages holding one, and the pages come out as the theme would make them."""
    make_root.doc("kb/marked.md", '# Marked\n\n<div data-search-exclude="yes" class="kept">Boxed text.</div>\n\n'
                  'Plain text.\n', id="marked", title="Marked")
    make_root.doc("kb/plain.md", '# Plain\n\n<div data-search-exclude="" class="kept">Empty value.</div>\n',
                  id="plain", title="Plain")
    out = tmp_path / "site"
    build(make_root.path, out=out, tiers=[0])
    marked = (out / "tier0" / "kb" / "marked" / "index.html").read_text(encoding="utf-8")
    plain = (out / "tier0" / "kb" / "plain" / "index.html").read_text(encoding="utf-8")
    assert '<div class="kept">Boxed text.</div>' in marked
    assert "data-search-" not in marked
    assert '<div data-search-exclude="" class="kept">Empty value.</div>' in plain  # the theme's pattern wants a value


def test_cli_bad_saved_index_is_a_clear_error(root, tmp_path):
    out = tmp_path / "site"
    build(root, out=out, tiers=[1])
    wrong = run("sso", "--root", str(root), "--tier", "0", "--site", str(out / "tier1"))
    assert wrong.exit_code == 2 and "holds the tier 1 site, not tier 0" in wrong.output
    missing = run("sso", "--root", str(root), "--site", str(tmp_path))
    assert missing.exit_code == 1 and "no search index; build the site first" in missing.output
    (out / "tier1" / INDEX_FILE).write_text("{not json", encoding="utf-8")
    broken = run("sso", "--root", str(root), "--tier", "1", "--site", str(out))
    assert broken.exit_code == 1 and "unreadable search index" in broken.output
    assert not any(r.exception and not isinstance(r.exception, SystemExit) for r in (wrong, missing, broken))


def test_cli_saved_site_needs_no_content_root(root, tmp_path, monkeypatch):
    """An agent's terminal: ``kbgen search --site OUT/tierN`` from any folder; the site gives its tier, address
    and contact routes; a query may start with '-'."""
    (root / "mkdocs.yml").write_text(
        "site_name: Help\nsite_url: https://help.example.com/\nplugins: [search, {kbgen: {internal_site_url: "
        "'https://agents.example.com/t{tier}/', contact_routes: [{name: Chat, url: 'https://example.com/chat'}]}}]\n",
        encoding="utf-8")
    out = tmp_path / "out"
    build(root, out=out, tiers=[0, 1])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    agents = run("assertion failures", "--site", str(out / "tier1"), "--json")
    assert agents.exit_code == 0, agents.output
    hits = json.loads(agents.output)
    assert hits[0]["id"] == "sso-runbook" and hits[0]["url"] == "https://agents.example.com/t1/runbooks/sso-runbook/"
    public = run("-ERR_SSO_4012", "--site", str(out), "--json")
    assert public.exit_code == 0, public.output
    assert json.loads(public.output)[0]["url"] == "https://help.example.com/kb/sso-errors/"
    nothing = run("quantum banana telescope", "--site", str(out / "tier0"))
    assert nothing.exit_code == 0 and "Still need help? Chat: https://example.com/chat" in nothing.output
    assert "Chat" not in run("quantum banana telescope", "--site", str(out / "tier1")).output
    assert run("sso", "--site", str(out / "tier1")).exit_code == 0
    assert "not a content root" in run("sso").output  # without --site, the content is still needed


# Support content as customers and agents type it -----------------------------------------------------------

LOG_LINES = """\
# Management point log errors

The log shows `MP_GetAuth_ISAPI hr, HRESULT=8000ffff (e:\\\\sms\\\\getauth.cpp,2124)` and
`path_openat+0x1b7/0x1330`, then `Exception:StoragePermanentException.MapiExceptionMaxObjsExceeded`.
"""


@pytest.fixture
def codes_root(make_root):
    make_root.doc("kb/mp-log.md", LOG_LINES, id="mp-log", title="Management point log errors")
    make_root.doc("kb/hresult-codes.md", "# HRESULT codes\n\nAn HRESULT names an error, such as 8000ffff; "
                  "the exception text says which storage failed.\n", id="hresult-codes", title="HRESULT codes")
    return make_root.path


@pytest.mark.parametrize("query", ["0x1b7", "HRESULT=8000ffff", "0x1330", "openat", "getauth.cpp",
                                   "StoragePermanentException", "MaxObjsExceeded", "mapi exception"])
def test_codes_are_found_from_any_part(codes_root, query):
    assert ids(SearchIndex.build(load(codes_root), 0).search(query))[0] == "mp-log"


def test_whole_code_ranks_above_its_parts(codes_root):
    index = SearchIndex.build(load(codes_root), 0)
    assert text_terms("HRESULT=8000ffff") == {"hresult=8000ffff", "hresult", "8000ffff"}
    assert ids(index.search("HRESULT"))[0] == "hresult-codes"  # the page about the word itself
    assert ids(index.search("HRESULT=8000ffff")) == ["mp-log", "hresult-codes"]  # its parts, apart
    assert ids(index.search("HRESULT 8000ffff"))[0] == "hresult-codes"  # the parts as typed, in its title


@pytest.mark.parametrize(("query", "expected"), [
    ("cant login", "reset-password"), ("can't log in", "reset-password"), ("I cannot sign in", "reset-password"),
    ("delete my account", "change-or-cancel-plan"), ("charged twice", "refunds"),
])
def test_customer_wording_finds_the_answer(query, expected):
    """The sample's failures: the customer's words are not the writer's."""
    assert ids(SearchIndex.build(load(REPO), 0).search(query, 3))[0] == expected


def test_intent_phrasing_is_an_exact_match(make_root):
    """billing.refund says "refund my subscription": its document comes first, even below another's score."""
    make_root.doc("kb/refunds.md", "# Money back\n\nWe send the money back in full.\n", id="refunds",
                  title="Money back", intents=["billing.refund"])
    make_root.doc("kb/plans.md", "# Subscription refund\n\nA refund of a subscription: refund, subscription, refund.\n",
                  id="plans", title="Subscription refund")
    index = SearchIndex.build(load(make_root.path), 0)
    assert ids(index.search("refund my subscription")) == ["refunds", "plans"]
    assert ids(index.search("Refund subscription!")) == ["refunds", "plans"]  # stop words and case aside
    assert ids(index.search("subscription refund"))[0] == "plans"  # other words: ranked by score


def test_no_answer_is_no_match():
    index = SearchIndex.build(load(REPO), 0)
    assert index.search("export to excel") == []
    hits = index.search("refund")
    assert hits and all(hit.score >= 0.1 * hits[0].score for hit in hits)


def test_the_one_page_naming_a_rare_code_comes_first(make_root):
    """Event ID 5740 must not give the pages about event IDs in general, which say "event" and "ID" more."""
    for number in (1839, 4002, 7000):
        make_root.doc(f"kb/event-{number}.md", f"# Event ID {number}\n\nEvent ID {number} is logged; the event "
                      "log shows the event ID.\n", id=f"event-{number}", title=f"Event ID {number}")
    make_root.doc("kb/lockout.md", "# Account lockouts\n\nA long page about lockouts and policies. "
                  + "Lockout policies apply. " * 40 + "The event log then records event 5740.\n", id="lockout",
                  title="Account lockouts")
    index = SearchIndex.build(load(make_root.path), 0)
    assert ids(index.search("Event ID 5740"))[0] == "lockout"
    assert ids(index.search("Event ID 4002"))[0] == "event-4002"
    assert ids(index.search("Event ID"))[0] != "lockout"


def message_root(make_root) -> SearchIndex:
    """Pages that use a message's words a lot, scattered, and one page quoting the message once, verbatim."""
    for n, topic in enumerate(("reports", "exports", "views")):
        make_root.doc(f"kb/columns-{n}.md", f"# Column names in {topic}\n\n"
                      + f"Each column has a name. An invalid name is refused; rename the column in {topic}. " * 6,
                      id=f"columns-{n}", title=f"Column names in {topic}")
    make_root.doc("kb/sql-update.md", "# Queries fail after the update\n\nAfter the update, saved queries stop "
                  "with the error \"Invalid column name 'LegacyId'\". Run the repair script, then retry.\n",
                  id="sql-update", title="Queries fail after the update")
    make_root.doc("kb/file-names.md", "# Naming files\n\n" + "Each filename is checked: a valid one has no slash, "
                  "and a filename with a slash is refused. " * 5, id="file-names", title="Naming files")
    make_root.doc("kb/open-error.md", "# Documents do not open\n\nWord says: Filename is not valid. Move the "
                  "document to a shorter path.\n", id="open-error", title="Documents do not open")
    return SearchIndex.build(load(make_root.path), 0)


@pytest.mark.parametrize(("query", "expected"), [
    ("Invalid column name", "sql-update"), ("invalid column name 'LegacyId'", "sql-update"),
    ("Filename is not valid.", "open-error"), ("filename not valid", "open-error")])
def test_a_pasted_message_finds_the_page_quoting_it_first(make_root, query, expected):
    """The words in the order of the message outweigh the same words scattered, however often."""
    assert ids(message_root(make_root).search(query))[0] == expected


def test_words_in_order_only_raise_a_page(make_root):
    """Neighbouring words are a bonus, never a match of their own: the scattered pages still come."""
    found = ids(message_root(make_root).search("Invalid column name"))
    assert found[0] == "sql-update" and {"columns-0", "columns-1", "columns-2"} <= set(found)
    assert ids(message_root(make_root).search("column invalid"))[0] != "sql-update"


def test_word_pairs_of_a_page_skip_stop_words_and_stay_within_a_field():
    entry = Entry(id="a", title="Filename errors", url="a/", tier=0, summary="", intents="", tags="", headings="",
                  body="Filename is not valid. HRESULT=8000ffff then 0x1b7")
    assert set(entry.pairs) == {pair_hash("filenam", "error"), pair_hash("filenam", "valid"),
                                pair_hash("valid", "hresult=8000ffff"), pair_hash("hresult=8000ffff", "0x1b7")}
    assert pair_hash("filenam", "valid") != pair_hash("valid", "filenam")


def test_hidden_text_leaves_no_word_pair_in_a_lower_index(root):
    """The pairs of an internal block are no pairs of the tier 0 index, and are of tier 1's."""
    hidden = pair_hash(stem(INTERNAL_WORD), "flag")
    tiers = {tier: SearchIndex.build(load(root), tier) for tier in (0, 1)}
    held = {tier: index._holding([hidden]) for tier, index in tiers.items()}
    assert held[0] == {} and held[1]


WORKER = REPO / "overrides" / "assets" / "javascripts" / "kbgen" / "search-worker.js"
# The site's search worker, run by Node.js on a saved index: fetch reads the index's files, lunr.js is the
# one the site ships. It prints, per query, what the search box would list and the query it answered.
WORKER_HARNESS = """
const fs = require("fs"), path = require("path");
const [worker, lunrJs, folder] = process.argv.slice(1);
let handler;
const answers = [];
Object.assign(globalThis, {
  self: { location: { href: "file:///site/assets/javascripts/kbgen/search-worker.js" } },
  importScripts: () => { globalThis.lunr = require(lunrJs); },
  fetch: async url => ({ ok: true, json: async () =>
    JSON.parse(fs.readFileSync(path.join(folder, path.basename(new URL(url).pathname)), "utf8")) }),
  postMessage: message => answers.push(message),
  addEventListener: (type, listener) => { handler = listener; },
});
require("vm").runInThisContext(fs.readFileSync(worker, "utf8"));
(async () => {
  const queries = JSON.parse(fs.readFileSync(0, "utf8"));
  const out = [];
  for (const query of queries) {
    answers.length = 0;
    await handler({ data: { type: 2, data: query } });
    const { items, kbgen } = answers[0].data;
    out.push({ hits: items.map(([item]) => [item.location, String(item.score)]), corrected: kbgen.corrected });
  }
  console.log(JSON.stringify(out));
})();
"""
AGREEMENT_QUERIES = [
    "ERR_SSO_4012", "4012", "PAY_2012 cvc", "Error: ERR_SSO_4012 then 502", "pasword reset", "webhok signature",
    "reset passw", "cant login", "I can't log in to my account", "delete my account", "charged twice",
    "two factor authentification", "\"webhok signature\"", "SsoLoginError", "invoice", "export to excel",
    "refund my subscription", "how do I cancel my subscription", "quickboks sync", "constructor", "in",
    "HRESULT=8000ffff path_openat+0x1b7/0x1330", "\N{ROCKET} launch", "payout", "",
    "Invalid redirect_uri", "the callback address is wrong", "webhook signature does not match",
    "ca\udcffrd was declined", "\ud83d launch \udc80 day",  # lone surrogates: a query argument's bytes
    ".".join(f"part{n}" for n in range(3_000)) + " invoice",  # a pasted log line: read up to 24 words
    " ".join(f"word{n}" for n in range(3_000)),
]
AGREEMENT_SAMPLES = 300  # and this many runs of words cut from the sample's pages, some with a typo


def page_windows(count: int) -> list[str]:
    """Queries as customers paste them: runs of 2 to 6 words of the sample's pages (seeded), a letter of some
    dropped, and in the words' forms as written (case, punctuation)."""
    import random
    chance = random.Random(20)
    words = [text.split() for text in (path.read_text(encoding="utf-8") for path in sorted(REPO.glob("kb/**/*.md")))]
    queries = []
    while len(queries) < count:
        page = chance.choice(words)
        start = chance.randrange(len(page))
        run = page[start:start + chance.randint(2, 6)]
        if chance.random() < 0.2:
            word = chance.randrange(len(run))
            cut = chance.randrange(len(run[word]))
            run[word] = run[word][:cut] + run[word][cut + 1:]
        queries.append(" ".join(run))
    return queries


def test_worker_and_terminal_agree_to_the_bit(tmp_path):
    """Every score the search box computes is the very float ``kbgen search`` computes (Python's repr and
    JavaScript's String are both the shortest text of a double), and both say the same "Showing results for"."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run the search worker (scripts/setup.sh says how to install it)"
    lunr_js = tmp_path / "lunr.js"  # what the site ships of lunr.js
    lunr_js.write_text(worker_lunr(), encoding="utf-8")
    index = SearchIndex.build(load(REPO), 0)
    index.write(tmp_path / "index")
    queries = AGREEMENT_QUERIES + page_windows(AGREEMENT_SAMPLES)
    result = subprocess.run([node, "-e", WORKER_HARNESS, str(WORKER), str(lunr_js), str(tmp_path / "index")],
                            input=json.dumps(queries), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # JavaScript's String and Python's repr are both the shortest text of a double ("1" and "1.0" aside):
    # read back, they are the very float
    browser = [{"hits": [[url, float(score)] for url, score in answer["hits"]], "corrected": answer["corrected"]}
               for answer in json.loads(result.stdout)]
    terminal = []
    for query in queries:
        answer = index.answer(query, 20)
        terminal.append({"hits": [[hit.url, hit.score] for hit in answer.hits], "corrected": answer.corrected})
    assert sum(len(answer["hits"]) for answer in terminal) > 50
    assert sum(bool(index._holding(query_pairs(query_words(query, index.synonyms)))) for query in queries) > 100
    assert any(answer["corrected"] for answer in terminal)
    differences = {query: {"browser": seen, "terminal": expected}
                   for query, seen, expected in zip(queries, browser, terminal) if seen != expected}
    assert differences == {}


# synonyms.yml ----------------------------------------------------------------------------------------------

def test_synonyms_file_adds_groups_and_one_way_rules(make_root):
    make_root.doc("kb/bills.md", "# Bills\n\nDownload every invoice as a PDF.\n", id="bills", title="Bills")
    make_root.doc("kb/closing.md", "# Closing\n\nCancel the subscription from the billing page.\n", id="closing")
    make_root.file("synonyms.yml", "synonyms:\n  - [invoice, receipt]\n"
                   "  - {root: shut down my workspace, synonyms: [cancel subscription]}\n")
    index = SearchIndex.build(load(make_root.path), 0)
    assert ids(index.search("receipt")) == ["bills"]  # two-way
    assert ids(index.search("shut down my workspace")) == ["closing"]  # one-way
    assert ids(index.search("cancel subscription")) == ["closing"]  # one way only: no root words in it
    assert ids(index.search("delete my account"))[0] == "closing"  # kbgen's support set is on by default


def test_synonyms_file_can_turn_the_default_set_off(make_root):
    make_root.doc("kb/closing.md", "# Closing\n\nCancel the subscription from the billing page.\n", id="closing")
    assert ids(SearchIndex.build(load(make_root.path), 0).search("delete my account")) == ["closing"]
    make_root.file("synonyms.yml", "defaults: false\n")
    assert SearchIndex.build(load(make_root.path), 0).search("delete my account") == []


def test_synonyms_file_mistakes_are_findings_at_their_line(make_root):
    from generator.validate import validate
    make_root.doc("kb/closing.md", "# Closing\n\nText.\n", id="closing")
    make_root.file("synonyms.yml", "defaults: maybe\nsynonyms:\n  - [alone]\n  - {root: a, synonyms: []}\n"
                   "  - {root: b, into: [c]}\n  - 42\n  - [log in, sign in]\ncolour: blue\n")
    found = [(f.path, f.line, f.rule) for f in validate(make_root.path) if f.path == "synonyms.yml"]
    assert found == [("synonyms.yml", line, "synonyms-schema") for line in (1, 3, 4, 5, 6, 8)]
    result = run_cli("validate", "--root", str(make_root.path))
    assert result.exit_code == 1 and "synonyms.yml:5:15: error [synonyms-schema] 'into' is not a key" in result.output
    assert_no_crash(result)
    index = SearchIndex.build(load(make_root.path), 0)  # the right entries still count
    assert index.synonyms["log in"][:1] == ["login"] and "sign in" in index.synonyms["log in"]
    make_root.file("synonyms.yml", "synonyms: [unclosed\n")
    assert [(f.line, f.rule) for f in validate(make_root.path) if f.path == "synonyms.yml"] == [(2, "yaml-syntax")]


# kbgen report --searches -----------------------------------------------------------------------------------

def test_report_lists_unanswered_searches_with_their_closest_intent(tmp_path):
    export = tmp_path / "searches.csv"
    export.write_text("query,count,results,clicks\nforgot my passwrd,40,0,\nForgot my  passwrd,2,0,\n"
                      "refund my annual plan,90,3,1\nrefund,300,4,120\nbanana,3,0,\n", encoding="utf-8")
    result = run_cli("report", "--root", str(REPO), "--searches", str(export), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(gap["query"], gap["count"], gap["intent"]) for gap in report["zero_results"]] == [
        ("forgot my passwrd", 42, "account.password-reset"), ("banana", 3, None)]
    assert [(gap["query"], gap["clicks"], gap["intent"]) for gap in report["low_clicks"]] == [
        ("refund my annual plan", 1, "billing.refund")]
    assert report["searches"] == 435
    text = run_cli("report", "--root", str(REPO), "--searches", str(export)).output
    assert "42x  'forgot my passwrd'  -> closest intent: account.password-reset (Reset a forgotten password)" in text
    export.with_suffix(".json").write_text(json.dumps([{"query": "banana", "count": 2, "results": 0}]))
    assert json.loads(run_cli("report", "--root", str(REPO), "--searches", str(export.with_suffix(".json")),
                              "--format", "json").output)["zero_results"][0]["query"] == "banana"


@pytest.mark.parametrize(("text", "message"), [
    ("q,count\nx,1\n", "searches.csv:1: the header row has no column query, results"),
    ("query,count,results\nx,many,0\n", "searches.csv:2: 'count' is 'many', not a whole number"),
    ("query,count,results\nx,1,0\n,2,0\n", "searches.csv:3: the row has no query"),
    ('[{"query": "x", "count": 0, "results": 0}]', "searches.csv:1: 'count' is 0, which cannot be"),
    ('{"query": ', "searches.csv:1: not JSON"),
    ("[" * 100_000 + "]" * 100_000, "searches.csv:1: nested deeper than a search export is"),
    ("query,count,results\n" + "x" * 200_000 + ",1,0\n", "searches.csv:2: not a CSV export kbgen can read"),
])
def test_report_refuses_an_unreadable_export_at_its_line(tmp_path, text, message):
    export = tmp_path / "searches.csv"
    export.write_text(text, encoding="utf-8")
    result = run_cli("report", "--root", str(REPO), "--searches", str(export))
    assert result.exit_code == 1 and message in result.output
    assert_no_crash(result)


def test_report_reads_a_query_cut_inside_an_emoji(tmp_path):
    """An analytics tool that cuts a query between the halves of an emoji exports a lone surrogate: the
    JSON report printed it with a traceback."""
    export = tmp_path / "searches.json"
    export.write_text('[{"query": "refund \\ud83d", "count": 3, "results": 0}]', encoding="utf-8")
    result = run_cli("report", "--root", str(REPO), "--searches", str(export), "--format", "json")
    assert_no_crash(result)
    assert json.loads(result.output)["zero_results"][0]["query"] == "refund \ufffd"


@pytest.mark.parametrize("what", ["fifo", "device"])
def test_report_refuses_an_export_that_is_not_a_file(tmp_path, what):
    """A named pipe made the report wait for good; /dev/zero was read until memory ran out."""
    export = tmp_path / "searches.csv"
    if what == "fifo":
        os.mkfifo(export)
    else:
        export = Path("/dev/zero")
    result = run_cli("report", "--root", str(REPO), "--searches", str(export))
    assert_no_crash(result)
    assert result.exit_code == 1 and "not a file" in result.output + stderr_of(result)


def test_audit_reads_the_phrasings_of_the_index(root, tmp_path):
    """The intents' phrasings are index terms too: one that no text of the tier holds is traced as a leak."""
    from generator.audit import audit
    out = tmp_path / "site"
    build(root, out=out, tiers=[0])
    assert audit(root, out, tiers=[0]) == []
    folder = out / "tier0" / "search" / "kbgen"
    phrasings = next(folder.glob("phrasings-*.json"))
    data = json.loads(phrasings.read_text(encoding="utf-8"))
    data[f"forgot {stem(INTERNAL_WORD)}"] = [0]
    phrasings.write_text(json.dumps(data), encoding="utf-8")
    leaks = audit(root, out, tiers=[0])
    assert [(leak.output, leak.source) for leak in leaks] == [
        (f"tier0/search/kbgen/{phrasings.name}", "kb/sso-errors.md")]


def test_audit_finds_word_pairs_no_page_of_the_tier_holds(root, tmp_path):
    """A pair is a CRC and cannot be traced to words: a pairs file other than the tier's pages make is a leak."""
    from generator.audit import audit
    out = tmp_path / "site"
    build(root, out=out, tiers=[0])
    folder = out / "tier0" / "search" / "kbgen"
    count = json.loads((folder / "index.json").read_text(encoding="utf-8"))["pairFiles"]
    crc = pair_hash(stem(INTERNAL_WORD), "flag")
    target = folder / f"pairs-{crc % count}.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    data[format(crc // count, "x")] = [0]  # any key that is not the tier's
    target.write_text(json.dumps(data), encoding="utf-8")
    assert [(leak.output, leak.what) for leak in audit(root, out, tiers=[0])] == [
        (f"tier0/search/kbgen/{target.name}", "no text this tier may show")]


def test_the_audit_after_writing_an_index_compares_pairs_files_with_what_was_written(root, tmp_path):
    """A build audits the index it has just written against the pairs it wrote it from (kept by the writer,
    not made again): a pairs file changed on disk after the writer is still found."""
    from generator.audit import audit_site
    from generator.content import load
    from generator.search import write_site_index
    out = tmp_path / "site"
    build(root, out=out, tiers=[0])
    content, site = load(root), out / "tier0"
    write_site_index(content, 0, site)
    target = sorted((site / "search" / "kbgen").glob("pairs-*.json"))[-1]
    data = json.loads(target.read_text(encoding="utf-8"))
    data["0"] = data.get("0", []) + [0]
    target.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    assert [(leak.output, leak.what) for leak in audit_site(content, 0, site)] == [
        (f"tier0/search/kbgen/{target.name}", "no text this tier may show")]


def test_pairs_files_with_the_fingerprint_of_the_last_build_are_linked_without_being_made(root, tmp_path,
                                                                                           monkeypatch):
    """The manifest keeps each pairs file's fingerprint (of the pairs it holds) and sha256: the next build
    links a file whose pairs are the same from the published site without making it; the files are the
    ones it would have made."""
    from generator.content import load
    from generator.search import PairFiles, write_site_index
    first, second = tmp_path / "first", tmp_path / "second"
    written = write_site_index(load(root), 0, first)
    assert written.pairs and not written.taken
    monkeypatch.setattr(PairFiles, "get", lambda self, name: pytest.fail(f"{name} was made again"))
    again = write_site_index(load(root), 0, second, previous_site=first, previous_pairs=written.pairs)
    assert again.pairs == written.pairs
    folder = "search/kbgen"
    assert {f"{folder}/{name}" for name in written.pairs} <= set(again.taken)
    for name in written.pairs:
        assert (second / folder / name).stat().st_ino == (first / folder / name).stat().st_ino


def test_a_site_built_before_synonyms_changed_is_built_again(root, tmp_path):
    """Every site's index carries the synonyms: a build of one tier rebuilds the others after a change."""
    out = tmp_path / "out"
    build(root, out=out, tiers=[0, 1])
    (root / "synonyms.yml").write_text("synonyms:\n  - [assertion, saml response]\n", encoding="utf-8")
    build(root, out=out, tiers=[0])
    assert "saml response" in SearchIndex.load(out / "tier1").synonyms["assertion"]


def test_the_number_of_pairs_files_moves_only_with_a_good_part_of_the_site():
    """A few pairs more or less keep every pair in its file (a rebuild takes the files as they were); the
    files stay within a quarter of the size asked for."""
    counts = [_stable_count(needed) for needed in range(1, 20_000)]
    assert all(needed <= count < needed * 1.25 + 1 for needed, count in enumerate(counts, 1))
    assert counts == sorted(counts)
    assert len(set(counts)) < len(counts) / 50


def _deep(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def _pipe(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


INDEX_DAMAGE = {  # what kbgen search --site meets in a site someone changed: (file pattern, damage)
    "entries not a list": ("docs-0.json", lambda path: path.write_text("{}", encoding="utf-8")),
    "word lists not maps": ("terms-*.json", lambda path: path.write_text("[]", encoding="utf-8")),
    "index nested too deep": ("index.json", _deep),
    "index a named pipe": ("index.json", _pipe),
    "no documents a file": ("index.json", lambda path: _meta(path, docsPerFile=0)),
    "a count of documents not a number": ("index.json", lambda path: _meta(path, documents="12")),
}


def _meta(path: Path, **values) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **values}), encoding="utf-8")


@pytest.mark.parametrize("damage", INDEX_DAMAGE)
def test_a_damaged_site_index_is_a_message_not_a_traceback_or_a_hang(sample_site, tmp_path, damage):
    site = tmp_path / "tier0"
    shutil.copytree(sample_site / "tier0", site)
    pattern, spoil = INDEX_DAMAGE[damage]
    for path in (site / INDEX_DIR).glob(pattern):
        spoil(path)
    done = subprocess.run([str(Path(sys.executable).parent / "kbgen"), "search", "refund card", "--site", str(site)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "search index" in done.stderr or "not a file" in done.stderr, done.stderr

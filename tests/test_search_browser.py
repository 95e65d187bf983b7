"""The help site's search box in headless Chromium agrees with ``kbgen search``: same results, same order.

Queries are typed into mkdocs-material's own search box of the built sample tier 0 site; the answers
come from kbgen's worker and prebuilt index. Also: an index with characters outside the Basic
Multilingual Plane loads in the browser, and a query with no good match shows the contact routes.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from conftest import REPO, TIMEOUT_MS, QuietHandler, RootMaker
from generator.build import build
from generator.cli import main as cli
from generator.search import INDEX_DIR

QUERIES = [
    "ERR_SSO_4012",
    "502 Bad Gateway",
    '"Invalid redirect_uri"',
    "how do I get a refund",
    "pasword reset",
    "my card was declined",
    "webhoks not arriving",
    "invoice email never arrived",
    "export invoices",
    "payout",
    "two factor lost phone",
    "Error: card_declined when paying",
    "4012",  # a part of ERR_SSO_4012
    "PAY_2012 cvc",
    "cant login",  # synonyms: a phrase as one word
    "I can't log in to my account",
    "delete my account",
    "charged twice",  # an intent's phrasing: its documents come first
    "SsoLoginError",  # parts at a case change
    "Error: ERR_SSO_4012 then 502",  # rare codes first
    "two factor authentification",  # a synonym phrase counts as two words
    "Duplicate invoice number",  # a message pasted whole: the page quoting it first
    "Email domain not allowed",
    "an invoice with this number already exists",
    "Tallybook shows it as paid",
]
NO_MATCH = "qwertyuiop zxcvbnm"


def serve(folder: Path):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def sample_url(sample_site):
    server, url = serve(sample_site)
    yield url
    server.shutdown()
    server.server_close()


def terminal(query: str, *extra: str, root: Path = REPO) -> list[dict]:
    result = CliRunner().invoke(cli, ["search", query, "--root", str(root), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def open_search(page, url: str) -> None:
    if isinstance(page, str):
        pytest.fail(page, pytrace=False)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    page.wait_for_function("() => document.getElementById('__search').checked")


def typed(page, query: str) -> None:
    box = page.locator("input[data-md-component=search-query]")
    box.fill("")
    box.press_sequentially(query, delay=5)


def shown_paths(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(".md-search-result__item > a.md-search-result__link",
                                      "links => links.map(a => a.href)")
    return [urlsplit(href).path.removeprefix(urlsplit(base).path).lstrip("/") for href in hrefs]


def wait_for_paths(page, base: str, expected: list[str]) -> list[str]:
    """The result list once it shows ``expected`` (the worker answers asynchronously), or as it is after
    the time limit, for the assertion to show the difference."""
    script = """([expected, prefix]) => {
        const paths = [...document.querySelectorAll('.md-search-result__item > a.md-search-result__link')]
            .map(a => new URL(a.href).pathname.slice(prefix.length).replace(/^\\//, ''));
        return JSON.stringify(paths) === JSON.stringify(expected);
    }"""
    try:
        page.wait_for_function(script, arg=[expected, urlsplit(base).path], timeout=TIMEOUT_MS // 2)
    except Exception:  # noqa: BLE001 - the comparison below reports what differs
        pass
    return shown_paths(page, base)


def test_browser_and_terminal_agree(page, sample_url):
    base = f"{sample_url}/tier0/"
    open_search(page, base)
    disagreements = []
    for query in QUERIES:
        expected = [hit["path"] for hit in terminal(query)]
        assert expected, f"kbgen search finds nothing for {query!r}: the query set is wrong"
        typed(page, query)
        shown = wait_for_paths(page, base, expected)
        if shown != expected:
            disagreements.append((query, shown, expected))
    assert disagreements == [], json.dumps(disagreements, indent=1)
    assert page.js_errors == []


def test_no_good_match_points_to_contact_routes(page, sample_url):
    assert terminal(NO_MATCH) == []
    open_search(page, f"{sample_url}/tier0/")
    typed(page, NO_MATCH)
    note = page.locator(".kb-search-nomatch")
    note.wait_for(state="visible")
    assert "No good match" in note.inner_text()
    routes = [a.get_attribute("href") for a in note.locator("a.kb-contact-route").all()]
    assert routes == ["https://tallybook.example/support/chat", "mailto:support@tallybook.example"]
    assert page.locator(".md-search-result__item").count() == 0
    typed(page, "refund")  # a query with results hides the note again
    page.locator(".md-search-result__item").first.wait_for(state="visible")
    assert note.is_hidden()


def focused_path(page, base: str) -> str:
    href = page.evaluate("document.activeElement.href || ''")
    return urlsplit(href).path.removeprefix(urlsplit(base).path).lstrip("/")


def test_keyboard_walks_and_opens_results(page, sample_url):
    """As in mkdocs-material: ArrowDown and ArrowUp move through the results, Enter opens the one in focus,
    Escape closes the search."""
    base = f"{sample_url}/tier0/"
    expected = [hit["path"] for hit in terminal("invoice")]
    assert len(expected) >= 2
    open_search(page, base)
    typed(page, "invoice")
    assert wait_for_paths(page, base, expected) == expected
    page.keyboard.press("ArrowDown")
    assert focused_path(page, base) == expected[0]
    page.keyboard.press("ArrowDown")
    assert focused_path(page, base) == expected[1]
    page.keyboard.press("ArrowUp")
    assert focused_path(page, base) == expected[0]
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(base + expected[0]).path)  # ?h= highlights
    open_search(page, base)
    typed(page, "refund")
    refunds = [hit["path"] for hit in terminal("refund")]
    assert wait_for_paths(page, base, refunds) == refunds  # the whole query's, not a prefix's, as typed
    page.keyboard.press("Enter")  # from the box: the best result opens, as in the theme
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(base + refunds[0]).path)
    open_search(page, base)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('__search').checked")
    assert page.js_errors == []


def test_a_corrected_typo_is_said_and_the_query_as_typed_is_one_click_away(page, sample_url):
    base = f"{sample_url}/tier0/"
    open_search(page, base)
    typed(page, "webhok signature")
    note = page.locator(".kb-search-corrected")
    note.wait_for(state="visible")
    assert note.inner_text().startswith("Showing results for webhook signature.")
    expected = [hit["path"] for hit in terminal("webhok signature")]
    assert wait_for_paths(page, base, expected) == expected
    note.locator("button.kb-search-original").click()  # the query as typed, without typo correction
    assert page.locator("input[data-md-component=search-query]").input_value() == '"webhok signature"'
    page.locator(".kb-search-nomatch").wait_for(state="visible")
    assert terminal('"webhok signature"') == []
    assert note.is_hidden()
    typed(page, "webhook signature")  # spelled right: nothing to say
    page.locator(".md-search-result__item").first.wait_for(state="visible")
    assert note.is_hidden()
    assert page.js_errors == []


def test_cli_says_which_query_it_answered():
    result = CliRunner().invoke(cli, ["search", "pasword reset", "--root", str(REPO), "--limit", "1"])
    assert result.output.startswith("Showing results for 'password reset'; search instead for '\"pasword reset\"'.")
    assert "Showing" not in CliRunner().invoke(cli, ["search", "password reset", "--root", str(REPO)]).output


def test_a_pasted_message_shows_the_page_quoting_it_first(page, sample_url):
    """The sync page says "Tallybook shows it as paid" once; the webhooks page says "Tallybook", "shows"
    and "paid" more, apart, and comes first without the words' order."""
    base = f"{sample_url}/tier0/"
    open_search(page, base)
    typed(page, "Tallybook shows it as paid")
    shown = wait_for_paths(page, base, [hit["path"] for hit in terminal("Tallybook shows it as paid")])
    assert shown[0] == "kb/integrations/xero-quickbooks-sync/" and "kb/integrations/webhooks/" in shown
    assert page.js_errors == []


def test_results_mark_the_words_and_say_what_they_are(page, sample_url):
    """Search words are marked in titles and snippets; each result names its area and, in an agents' site,
    whether it is a runbook (of which tier) or an article."""
    base = f"{sample_url}/tier2/"
    expected = [hit["path"] for hit in terminal("sso", "--tier", "2")]
    open_search(page, base)
    typed(page, "sso")
    assert wait_for_paths(page, base, expected) == expected
    items = page.locator(".md-search-result__item")
    labels = [items.nth(n).locator(".kb-result-label").inner_text() for n in range(3)]
    assert labels == ["Runbook · Tier 2 · Single sign-on", "Article · Single sign-on", "Article · Single sign-on"]
    assert "SSO" in items.first.locator("h1 mark").first.inner_text()
    open_search(page, f"{sample_url}/tier0/")
    typed(page, "refunds")
    refunds = [hit["path"] for hit in terminal("refunds")]
    assert wait_for_paths(page, f"{sample_url}/tier0/", refunds) == refunds  # the whole query's results
    first = page.locator(".md-search-result__item").first
    assert first.locator(".kb-result-label").inner_text() == "Your Tallybook subscription"  # no kind: all articles
    marks = [mark.lower() for mark in first.locator("mark").all_inner_texts()]
    assert len(marks) >= 2 and {mark.rstrip("s") for mark in marks} == {"refund"}  # every form of the word
    assert page.js_errors == []


def test_a_query_link_lists_results_with_a_filter_by_area(page, sample_url):
    """The home page's form (and any ?q= link) opens the results; a filter shows one area's results."""
    base = f"{sample_url}/tier0/"
    expected = terminal("payment", "--limit", "20")
    assert len(expected) <= 10  # the theme shows ten at first
    areas = sorted({hit["area"] for hit in expected})
    assert len(areas) >= 2
    page.goto(f"{base}?q=payment", wait_until="load")
    assert wait_for_paths(page, base, [hit["path"] for hit in expected]) == [hit["path"] for hit in expected]
    buttons = page.locator(".kb-search-areas button")
    assert buttons.all_inner_texts() == ["All areas", *sorted(areas, key=[hit["area"] for hit in expected].index)]
    page.locator(".kb-search-areas button", has_text=areas[0]).click()
    visible = page.locator(".md-search-result__item:not([hidden]) .kb-result-label")
    assert set(visible.all_inner_texts()) == {areas[0]}
    assert visible.count() == sum(hit["area"] == areas[0] for hit in expected)
    page.locator(".kb-search-areas button", has_text="All areas").click()
    assert page.locator(".md-search-result__item[hidden]").count() == 0
    assert page.js_errors == []


def test_cli_no_good_match_names_contact_routes():
    result = CliRunner().invoke(cli, ["search", NO_MATCH, "--root", str(REPO)])
    assert result.exit_code == 0
    assert "No good match" in result.output
    assert "Chat with us: https://tallybook.example/support/chat" in result.output


ASTRAL_WORD = "rocket\N{ROCKET}launch"  # an emoji inside a word survives trimming and enters the index


@pytest.fixture(scope="module")
def emoji_site(tmp_path_factory):
    root = RootMaker(tmp_path_factory.mktemp("emoji") / "root")
    root.doc("kb/emoji-guide.md", f"# Emoji guide\n\nThe {ASTRAL_WORD} button and the \uff21wide letter.\n",
             id="emoji-guide", title="Emoji guide")
    root.doc("kb/plain-guide.md", "# Plain guide\n\nNothing special, zebra.\n", id="plain-guide",
             title="Plain guide")
    out = tmp_path_factory.mktemp("emoji-out") / "site"
    build(root.path, out=out, tiers=[0])
    server, url = serve(out)
    yield root.path, url
    server.shutdown()
    server.server_close()


def test_index_with_emoji_loads_and_finds_it_in_browser(page, emoji_site):
    root, url = emoji_site
    expected = [hit["path"] for hit in terminal(ASTRAL_WORD, root=root)]
    assert expected == ["kb/emoji-guide/"]
    open_search(page, f"{url}/tier0/")
    typed(page, ASTRAL_WORD)
    assert wait_for_paths(page, f"{url}/tier0/", expected) == expected
    assert page.js_errors == []


def test_search_fetches_only_what_the_query_needs(page, sample_url, sample_site):
    """The index is chunked: a page load fetches one small file, a query only its words' shards, and no
    file twice (the worker, lunr.js and index.json were prefetched by the page and then fetched again)."""
    fetched: list[str] = []
    page.context.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    open_search(page, f"{sample_url}/tier0/")
    typed(page, "refund")
    refunds = [hit["path"] for hit in terminal("refund")]
    assert wait_for_paths(page, f"{sample_url}/tier0/", refunds) == refunds  # every letter typed is answered
    index_files = sorted({path.rsplit("/", 1)[1] for path in fetched if "/search/kbgen/" in path})
    assert "index.json" in index_files and "terms-re.json" in index_files
    assert [name for name in index_files if name.startswith(("terms-", "postings-"))  # "r" was typed first
            and not name.startswith(("terms-re.", "postings-re-", "terms-r_.", "postings-r_-"))] == []
    searching = [path for path in fetched if "/search/" in path or "/javascripts/kbgen/" in path]
    assert sorted({path for path in searching if searching.count(path) > 1}) == []  # each file fetched once
    assert len(index_files) < len(list((sample_site / "tier0" / INDEX_DIR).iterdir())) / 3


def test_a_file_that_failed_to_load_is_asked_for_again(page, sample_site, tmp_path):
    """A shard the server could not give (a deploy in progress) is fetched again by a later query."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(sample_site / "tier0", site)
    shard = site / INDEX_DIR / "terms-re.json"
    hidden = shard.with_name("terms-re.json.away")
    shard.rename(hidden)
    server, url = serve(site)
    try:
        open_search(page, f"{url}/")
        typed(page, "refund")
        page.locator(".kb-search-nomatch").wait_for(state="visible")
        hidden.rename(shard)
        typed(page, "refunds")
        expected = [hit["path"] for hit in terminal("refunds")]
        assert expected[0] == "kb/billing/refunds/"
        # Waiting for the whole list: the first results shown may answer a prefix typed on the way.
        assert wait_for_paths(page, f"{url}/", expected) == expected
    finally:
        server.shutdown()
        server.server_close()


ANALYTICS_PARTIAL = """<script>
  document.addEventListener("kbgen-search", event => {
    const seen = JSON.parse(sessionStorage.getItem("kbEvents") || "[]");
    seen.push(event.detail);
    sessionStorage.setItem("kbEvents", JSON.stringify(seen));
  });
</script>
"""


def test_searches_and_their_results_go_to_the_analytics_provider(page, tmp_path):
    """As mkdocs-material reports its own search (on leaving the box): each query with how many results it
    showed, and the result opened; here to a custom provider's partial."""
    root = RootMaker(tmp_path / "root")
    root.doc("kb/refunds.md", "# Refunds\n\nAsk for a refund within 30 days.\n", id="refunds", title="Refunds")
    root.file("mkdocs.yml", "site_name: Help\nextra: {analytics: {provider: custom}}\n")
    root.file("overrides/partials/integrations/analytics/custom.html", ANALYTICS_PARTIAL)
    build(root.path, out=tmp_path / "out", tiers=[0])
    server, url = serve(tmp_path / "out" / "tier0")
    try:
        open_search(page, f"{url}/")
        # Put in whole, so that every answer is to the whole query: typed letter by letter, the note may
        # show for a prefix's answer while the query's own is still on its way.
        page.locator("input[data-md-component=search-query]").fill(NO_MATCH)
        page.keyboard.press("End")
        page.locator(".kb-search-nomatch").wait_for(state="visible")
        page.keyboard.press("Tab")  # leaves the box: the theme closes the search
        open_search(page, f"{url}/")
        typed(page, "refund")
        refunds = [hit["path"] for hit in terminal("refund", root=root.path)]
        assert wait_for_paths(page, f"{url}/", refunds) == refunds  # the whole query's results, not a prefix's
        page.locator(".md-search-result__item a").first.click()
        page.wait_for_url(lambda address: urlsplit(address).path == "/kb/refunds/")
        events = page.evaluate("JSON.parse(sessionStorage.getItem('kbEvents') || '[]')")
    finally:
        server.shutdown()
        server.server_close()
    assert events == [
        {"event": "view_search_results", "search_term": NO_MATCH, "results": 0},
        {"event": "view_search_results", "search_term": "refund", "results": 1},
        {"event": "select_content", "content_type": "search_result", "item_id": "/kb/refunds/",
         "search_term": "refund"},
    ]
    assert page.js_errors == []

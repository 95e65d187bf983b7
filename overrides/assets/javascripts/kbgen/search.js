/* kbgen: the theme's search box, answered by kbgen's prebuilt index (see search-worker.js). Runs before
 * the theme's script, which reads its configuration once. When a query has no good match, the "No good
 * match" note with the contact routes (partials/search.html) is shown under the result count; when a word
 * was taken for a typo, "Showing results for ..." with the query as typed one click away; when the results
 * come from several areas, a filter by area (also on the results a ?q= link, e.g. the home page's form,
 * opens). With an analytics provider, each search and whether it found anything is reported as
 * mkdocs-material reports its own (on leaving the box): the GA4 events view_search_results {search_term, results} and, for a result opened,
 * select_content {content_type: "search_result", item_id, search_term}; every provider also gets them as
 * "kbgen-search" DOM events on the document ({event, search_term, results | item_id}) for a custom partial. */
"use strict";
(function () {
  const script = document.currentScript;
  const element = document.getElementById("__config");
  const config = JSON.parse(element.textContent);
  config.search = script.dataset.worker;
  element.textContent = JSON.stringify(config);
  const none = config.translations["search.result.none"];
  const RESULT = 3;  // mkdocs-material's SearchMessageType
  const provider = script.dataset.analytics;
  let answered = { query: "", results: 0 };  // the latest answer the page showed
  let left = "", reported = "";  // the query in the box when the customer left it; the last one reported

  /* Once the customer has left the box and the answer to what it holds is in. */
  function reportSearch() {
    if (left && left === answered.query.trim() && left !== reported) {
      reported = left;
      report("view_search_results", { search_term: left, results: answered.results });
    }
  }

  function report(event, details) {
    if (!provider)
      return;
    if (provider === "google") {
      window.dataLayer = window.dataLayer || [];
      (function gtag() { window.dataLayer.push(arguments); })("event", event, details);
    }
    document.dispatchEvent(new CustomEvent("kbgen-search", { detail: { event, ...details } }));
  }

  /* The theme keeps its worker's answers to itself: listen to them beside it. */
  function listen(worker) {
    worker.addEventListener("message", event => {
      if (event.data.type === RESULT && event.data.data.kbgen) {
        corrected(event.data.data.kbgen);
        answered = { query: event.data.data.kbgen.query, results: event.data.data.items.length };
        reportSearch();
      }
    });
    return worker;
  }

  /* The theme asks for its worker: it gets the one the page started early (main.html), once. */
  const PageWorker = window.Worker;
  window.Worker = class extends PageWorker {
    constructor(url, options) {
      const early = window.__kbgenSearchWorker;
      if (String(url) === config.search && early) {
        delete window.__kbgenSearchWorker;
        return listen(early);
      }
      super(url, options);
      if (String(url) === config.search)
        listen(this);
    }
  };

  function box() {
    return document.querySelector("input[data-md-component=search-query]");
  }

  function corrected({ query, corrected: answeredAs }) {
    const note = document.querySelector(".kb-search-corrected");
    if (!note)
      return;
    note.hidden = !answeredAs || box().value.trim() !== query.trim();
    note.querySelector(".kb-search-corrected__query").textContent = answeredAs || "";
    note.querySelector(".kb-search-original__query").textContent = query;
  }

  /* The query as typed: in quotes, searched without typos (as the worker reads quotes). */
  function searchAsTyped(event) {
    const input = box();
    const typed = event.currentTarget.querySelector(".kb-search-original__query").textContent;
    input.value = typed.includes('"') ? typed : `"${typed}"`;
    input.focus();
    input.dispatchEvent(new KeyboardEvent("keyup", { key: "End" }));
  }

  /* One button per area of the results (each result's label names it), and "All": a click shows one area. */
  let chosenArea = "";

  function areasOf(list) {
    return [...new Set([...list.querySelectorAll(".kb-result-label[data-area]")].map(label => label.dataset.area)
      .filter(Boolean))];
  }

  function filterByArea(list, filter) {
    const areas = areasOf(list);
    if (chosenArea && !areas.includes(chosenArea))
      chosenArea = "";
    filter.hidden = areas.length < 2;
    const wanted = ["", ...areas];
    const shown = [...filter.querySelectorAll("button")].map(button => button.dataset.area);
    if (JSON.stringify(shown) !== JSON.stringify(wanted)) {
      filter.replaceChildren(...wanted.map(area => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "kb-search-area";
        button.dataset.area = area;
        button.textContent = area || "All areas";
        button.addEventListener("click", () => {
          chosenArea = area;
          filterByArea(list, filter);
        });
        return button;
      }));
    }
    for (const button of filter.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.area === chosenArea));
    for (const item of list.querySelectorAll(".md-search-result__item")) {
      const label = item.querySelector(".kb-result-label[data-area]");
      item.hidden = Boolean(chosenArea) && (!label || label.dataset.area !== chosenArea);
    }
  }

  function watch() {
    const note = document.querySelector(".kb-search-nomatch");
    const meta = document.querySelector(".md-search-result__meta");
    if (!note || !meta)
      return;
    const update = () => { note.hidden = meta.textContent.trim() !== none; };
    new MutationObserver(update).observe(meta, { childList: true, characterData: true, subtree: true });
    update();
    const list = document.querySelector(".md-search-result__list"), filter = document.querySelector(".kb-search-areas");
    if (list && filter)
      new MutationObserver(() => filterByArea(list, filter)).observe(list, { childList: true });
    const original = document.querySelector(".kb-search-original");
    if (original)
      original.addEventListener("click", searchAsTyped);
    box().addEventListener("blur", () => {
      left = box().value.trim();
      reportSearch();
    });
    box().addEventListener("focus", () => { left = ""; });
    document.querySelector("[data-md-component=search-result]").addEventListener("click", event => {
      const link = event.target.closest("a[href]");
      if (link)
        report("select_content", { content_type: "search_result", item_id: new URL(link.href).pathname,
                                   search_term: box().value.trim() });
    });
    box().addEventListener("input", () => {
      const correctedNote = document.querySelector(".kb-search-corrected");
      if (correctedNote && !box().value.trim())
        correctedNote.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", watch);
})();

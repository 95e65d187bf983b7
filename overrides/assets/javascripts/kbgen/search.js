/* kbgen: the theme's search box, answered by kbgen's prebuilt index (see search-worker.js). Runs before
 * the theme's script, which reads its configuration once. When a query has no good match, the "No good
 * match" note with the contact routes (partials/search.html) is shown under the result count; when a word
 * was taken for a typo, "Showing results for ..." with the query as typed one click away. */
"use strict";
(function () {
  const script = document.currentScript;
  const element = document.getElementById("__config");
  const config = JSON.parse(element.textContent);
  config.search = script.dataset.worker;
  element.textContent = JSON.stringify(config);
  const none = config.translations["search.result.none"];
  const RESULT = 3;  // mkdocs-material's SearchMessageType

  /* The theme starts the worker and keeps its answers to itself: listen to them beside it. */
  const PageWorker = window.Worker;
  window.Worker = class extends PageWorker {
    constructor(url, options) {
      super(url, options);
      if (String(url) === config.search)
        this.addEventListener("message", event => {
          if (event.data.type === RESULT && event.data.data.kbgen)
            corrected(event.data.data.kbgen);
        });
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

  function watch() {
    const note = document.querySelector(".kb-search-nomatch");
    const meta = document.querySelector(".md-search-result__meta");
    if (!note || !meta)
      return;
    const update = () => { note.hidden = meta.textContent.trim() !== none; };
    new MutationObserver(update).observe(meta, { childList: true, characterData: true, subtree: true });
    update();
    const original = document.querySelector(".kb-search-original");
    if (original)
      original.addEventListener("click", searchAsTyped);
    box().addEventListener("input", () => {
      const correctedNote = document.querySelector(".kb-search-corrected");
      if (correctedNote && !box().value.trim())
        correctedNote.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", watch);
})();

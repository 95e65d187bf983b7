/* kbgen: the theme's search box, answered by kbgen's prebuilt index (see search-worker.js). Runs before
 * the theme's script, which reads its configuration once. When a query has no good match, the "No good
 * match" note with the contact routes (partials/search.html) is shown under the result count. */
"use strict";
(function () {
  const script = document.currentScript;
  const element = document.getElementById("__config");
  const config = JSON.parse(element.textContent);
  config.search = script.dataset.worker;
  element.textContent = JSON.stringify(config);
  const none = config.translations["search.result.none"];

  function watch() {
    const note = document.querySelector(".kb-search-nomatch");
    const meta = document.querySelector(".md-search-result__meta");
    if (!note || !meta)
      return;
    const update = () => { note.hidden = meta.textContent.trim() !== none; };
    new MutationObserver(update).observe(meta, { childList: true, characterData: true, subtree: true });
    update();
  }
  document.addEventListener("DOMContentLoaded", watch);
})();

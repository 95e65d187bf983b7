/* kbgen: the defect index's filters (state, severity, intent), in the reader's browser: the sites are
   static files and need no server. Without JavaScript the form stays hidden and every defect is listed. */
(function () {
  function wire() {
    var form = document.querySelector("form.kb-defect-filters");
    var rows = document.querySelectorAll("table.kb-defect-index tbody tr");
    if (!form || form.dataset.wired) return;
    form.dataset.wired = "1";
    var count = form.querySelector(".kb-defect-count");
    function apply() {
      var state = form.elements.state.value, severity = form.elements.severity.value;
      var intent = form.elements.intent.value, shown = 0;
      rows.forEach(function (row) {
        var match = (!state || row.dataset.state === state) && (!severity || row.dataset.severity === severity) &&
          (!intent || row.dataset.intents.split(" ").indexOf(intent) >= 0);
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = shown + " of " + rows.length + " defects";
    }
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
  }
  if (typeof document$ !== "undefined") document$.subscribe(wire);
  else document.addEventListener("DOMContentLoaded", wire);
})();

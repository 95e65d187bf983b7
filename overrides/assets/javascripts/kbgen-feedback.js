/* kbgen: "Was this page helpful?" when no analytics provider is configured. mkdocs-material shows and
   wires its feedback form only from a provider's script; without one the answer is acknowledged on
   the page and sent nowhere. */
document$.subscribe(function () {
  var form = document.forms.feedback;
  if (!form) return;
  form.querySelectorAll("[type=submit]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var value = button.getAttribute("data-md-value");
      form.firstElementChild.disabled = true;
      var note = form.querySelector(".md-feedback__note [data-md-value='" + value + "']");
      if (note) note.hidden = false;
    });
  });
  form.hidden = false;
});

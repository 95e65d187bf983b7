/* kbgen: a runbook page followed with a customer waiting (generator/runbooks.py writes what this reads).
 * - The fields at the top (the ticket and the runbook's inputs) fill every {{ name }} of the page: commands,
 *   their copy buttons, text and the handover. Until a field is filled its placeholders are highlighted,
 *   and copying a command that still holds one is refused with a note saying what to fill in.
 * - Ticks and values are kept in this browser's local storage per runbook and ticket (for KEEP_DAYS days),
 *   so a reload or a return to the page finds them; "Start over" forgets them. Nothing is sent anywhere.
 * - The progress bar counts the steps done; the handover lists them, with their titles, ready to paste. */
"use strict";
(function () {
  const PREFIX = "kbgen-runbook:";
  const KEEP_DAYS = 14;
  const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;
  const STEPS_DONE = "Steps done:";
  const SKIP = ".kb-inputs, .kb-handover, script, style, textarea";

  const store = {
    get(key) {
      try { return JSON.parse(localStorage.getItem(PREFIX + key)); } catch (error) { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(PREFIX + key, JSON.stringify(value)); } catch (error) { /* storage off or full */ }
    },
    remove(key) {
      try { localStorage.removeItem(PREFIX + key); } catch (error) { /* storage off */ }
    },
    expire() {
      try {
        const oldest = Date.now() - KEEP_DAYS * 864e5;
        for (const key of Object.keys(localStorage)) {
          if (!key.startsWith(PREFIX)) continue;
          const value = store.get(key.slice(PREFIX.length));
          if (value && typeof value === "object" && !(value.at > oldest)) localStorage.removeItem(key);
        }
      } catch (error) { /* storage off */ }
    },
  };

  /* Each {{ name }} of a field on the page, in the text under root, becomes one <span> whatever the code
   * highlighter split it into: the span starts where the placeholder starts, the rest of its characters
   * are taken out of the text nodes they were in, so the highlighting around it is kept. */
  function wrapPlaceholders(root, names) {
    const nodes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => node.parentElement.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    let text = "";
    const starts = [];
    while (walker.nextNode()) {
      nodes.push(walker.currentNode);
      starts.push(text.length);
      text += walker.currentNode.data;
    }
    const found = [...text.matchAll(PLACEHOLDER)].filter((match) => names.has(match[1]));
    for (const match of found.reverse()) {
      let index = starts.findLastIndex((start) => start <= match.index);
      const node = nodes[index].splitText(match.index - starts[index]);
      node.before(placeholder(match[1], match[0]));
      let left = match[0].length;
      for (let current = node; left > 0 && current; current = nodes[++index]) {
        const taken = Math.min(left, current.data.length);
        current.deleteData(0, taken);
        left -= taken;
      }
    }
  }

  function placeholder(name, written) {
    const span = document.createElement("span");
    span.className = "kb-value";
    span.dataset.kbInput = name;
    span.dataset.placeholder = written;
    return span;
  }

  /* What the handover calls a step: the first sentence of its own text (not its commands or sub-lists). */
  function stepTitle(step) {
    const host = step.querySelector(":scope > p") || step;
    let title = "";
    for (const node of host.childNodes) {
      if (node.nodeType === Node.ELEMENT_NODE && node.matches("ul, ol, div, pre, table, details, input, .kb-step__link"))
        continue;
      title += node.textContent;
    }
    title = title.replace(/\s+/g, " ").trim().split(/(?<=[.!?])\s/)[0].replace(/[:.]$/, "");  // its first sentence
    return title.length > 90 ? title.slice(0, 89) + "…" : title;
  }

  function setup() {
    const bar = document.querySelector(".kb-progress[data-kb-runbook]");
    if (!bar) return;
    const article = bar.parentElement;
    const runbook = bar.dataset.kbRunbook;
    const fields = new Map([...document.querySelectorAll(".kb-inputs [data-kb-input]")]
      .map((field) => [field.dataset.kbInput, field]));
    const steps = [...article.querySelectorAll("li.kb-step")];
    const checks = steps.map((step) => step.querySelector(".kb-step__check"));
    const handover = article.querySelector(".kb-handover code");
    const template = handover ? handover.textContent.replace(/\n$/, "") : "";
    const count = bar.querySelector(".kb-progress__count");
    const ticketField = fields.get("ticket");
    let ticket = (store.get(runbook) || {}).ticket || "";

    store.expire();
    wrapPlaceholders(article, new Set(fields.keys()));

    const values = () => Object.fromEntries([...fields].map(([name, field]) => [name, field.value.trim()]));
    const done = () => steps.filter((step, index) => checks[index] && checks[index].checked);
    const number = (step) => step.querySelector(".kb-step__link").id.replace("step-", "");

    function fill(target, value, written) {
      target.textContent = value || written;
      target.classList.toggle("kb-value--empty", !value);
    }

    function renderHandover(current) {
      if (!handover) return;
      const finished = done();
      handover.textContent = "";
      for (const line of template.split("\n")) {
        if (line !== STEPS_DONE) {
          let last = 0;
          for (const match of line.matchAll(PLACEHOLDER)) {
            handover.append(line.slice(last, match.index));
            if (fields.has(match[1])) {
              const span = placeholder(match[1], match[0]);
              fill(span, current[match[1]], match[0]);
              handover.append(span);
            } else {
              handover.append(match[0]);
            }
            last = match.index + match[0].length;
          }
          handover.append(line.slice(last) + "\n");
          continue;
        }
        handover.append(steps.length ? `${STEPS_DONE} ${finished.length} of ${steps.length}\n` : `${line}\n`);
        for (const step of finished) handover.append(`  ${number(step)}. ${stepTitle(step)}\n`);
      }
    }

    function update() {
      const current = values();
      for (const span of article.querySelectorAll(".kb-value")) {
        if (!span.closest(".kb-handover")) fill(span, current[span.dataset.kbInput], span.dataset.placeholder);
      }
      for (const [name, field] of fields) {
        let pattern = null;
        try { pattern = field.dataset.pattern ? new RegExp(`^(?:${field.dataset.pattern})$`) : null; } catch (error) { /* not one */ }
        const wrong = Boolean(current[name] && pattern && !pattern.test(current[name]));
        field.setAttribute("aria-invalid", String(wrong));
        field.title = wrong ? "This does not look like a " + field.previousElementSibling.textContent : "";
      }
      count.textContent = steps.length ? `${done().length} / ${steps.length} steps` : "";
      renderHandover(current);
    }

    function save() {
      const record = { values: values(), done: done().map(number), at: Date.now() };
      store.set(runbook, { ticket, at: Date.now() });
      store.set(`${runbook}:${ticket}`, record);
    }

    function apply(record) {
      for (const [name, field] of fields) {
        if (field !== ticketField) field.value = (record && record.values && record.values[name]) || "";
      }
      const ticked = new Set(record && record.done || []);
      steps.forEach((step, index) => { if (checks[index]) checks[index].checked = ticked.has(number(step)); });
    }

    if (ticketField) ticketField.value = ticket;
    apply(store.get(`${runbook}:${ticket}`));

    for (const [, field] of fields) {
      field.addEventListener("input", () => { if (field !== ticketField) save(); update(); });
    }
    if (ticketField) {
      ticketField.addEventListener("change", () => {
        const next = ticketField.value.trim();
        if (next === ticket) return;
        const kept = store.get(`${runbook}:${next}`);
        if (ticket === "") store.remove(`${runbook}:`);  // the work so far was for this ticket
        else if (!kept) apply(null);  // another ticket: start it afresh
        ticket = next;
        if (kept) apply(kept);
        save();
        update();
      });
    }
    checks.forEach((check) => check && check.addEventListener("change", () => { save(); update(); }));
    bar.querySelector(".kb-progress__reset").addEventListener("click", () => {
      store.remove(`${runbook}:${ticket}`);
      store.remove(runbook);
      ticket = "";
      if (ticketField) ticketField.value = "";
      apply(null);
      update();
    });

    for (const hidden of [bar, document.querySelector(".kb-inputs")]) if (hidden) hidden.hidden = false;
    update();
  }

  /* A command still holding an empty placeholder is not copied: the note says what to fill in first. The
   * handover is copied all the same (it has lines to fill in anyway), with the note. */
  function refuseIncomplete(event) {
    const button = event.target.closest && event.target.closest("[data-clipboard-target]");
    const code = button && document.querySelector(button.dataset.clipboardTarget);
    const block = code && code.closest(".highlight");
    if (!block) return;
    const empty = [...code.querySelectorAll(".kb-value--empty")];
    let note = block.nextElementSibling;
    if (!(note && note.classList.contains("kb-copy-warning"))) note = null;
    if (!empty.length) {
      if (note) note.remove();
      return;
    }
    const handover = Boolean(block.closest(".kb-handover"));
    if (!handover) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
    const labels = [...new Set(empty.map((span) => {
      const field = document.querySelector(`.kb-inputs [data-kb-input="${span.dataset.kbInput}"]`);
      return field ? field.previousElementSibling.textContent : span.dataset.kbInput;
    }))];
    if (!note) {
      note = document.createElement("p");
      note.className = "kb-copy-warning";
      note.setAttribute("role", "alert");
      block.after(note);
    }
    note.textContent = handover ? `Copied, without ${labels.join(", ")}: fill them in at the top of the page, or in the ticket.`
      : `Not copied: fill in ${labels.join(", ")} at the top of the page first.`;
  }

  document.addEventListener("click", refuseIncomplete, true);
  if (typeof document$ !== "undefined") document$.subscribe(setup);
  else document.addEventListener("DOMContentLoaded", setup);
})();

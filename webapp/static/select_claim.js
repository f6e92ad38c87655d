// Adding a claim the extractor missed: a selection inside the source text becomes the span's
// offsets into the stored text (the element's `data-text-offset` plus the characters before it).
"use strict";
(() => {
  const form = document.getElementById("add-claim");
  if (!form) return;
  const source = document.getElementById(form.dataset.source);
  if (!source) return;
  const base = parseInt(source.dataset.textOffset || "0", 10);
  const fields = {
    start: document.getElementById("add-claim-start"),
    end: document.getElementById("add-claim-end"),
    quote: document.getElementById("add-claim-quote"),
    shown: document.getElementById("add-claim-selection"),
  };

  function selectedSpan() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!source.contains(range.startContainer) || !source.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.selectNodeContents(source);
    before.setEnd(range.startContainer, range.startOffset);
    let text = range.toString();
    let start = before.toString().length;
    // A double click often takes the space after a word: the span is the text itself.
    const lead = text.length - text.trimStart().length;
    text = text.trim();
    start += lead;
    if (!text) return null;
    return { start: base + start, end: base + start + text.length, quote: text };
  }

  function update() {
    // A click elsewhere (on the button, say) clears the selection: the last one stays offered.
    const span = selectedSpan();
    if (!span) return;
    fields.start.value = span.start;
    fields.end.value = span.end;
    fields.quote.value = span.quote;
    fields.shown.textContent = span.quote;
    form.hidden = false;
  }

  document.addEventListener("selectionchange", update);
})();

// The review page: keep the lease alive while the reviewer works, and keyboard shortcuts.
"use strict";
(() => {
  const HEARTBEAT_MS = 60 * 1000;
  const root = document.getElementById("review");
  if (!root) return;
  const form = document.getElementById("review-form");
  const note = document.getElementById("field-note");
  const hint = document.getElementById("key-hint");
  const help = document.getElementById("shortcuts");
  const token = document.querySelector('meta[name="csrf-token"]');
  const editable = root.dataset.editable === "true";
  let pending = null;

  function heartbeat() {
    fetch(root.dataset.leaseUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.content : "", "Accept": "application/json" },
    }).then((response) => {
      if (response.status !== 409 || !hint) return;
      return response.json().then((answer) => {
        hint.hidden = false;
        hint.textContent = answer.limit
          ? `Your hold on this claim has lapsed and you hold ${answer.limit} other claims, the most at once; decide or skip one of them to hold this one again.`
          : "Your hold on this claim has lapsed and someone else has it now; your decision may be refused.";
      });
    }).catch(() => {});
  }
  if (editable) setInterval(heartbeat, HEARTBEAT_MS);

  function submit(decision) {
    const button = form.querySelector(`.buttons button[name="decision"][value="${decision}"]`);
    if (button) form.requestSubmit(button);
  }

  function needsNote(decision, message) {
    if (note.value.trim()) { submit(decision); return; }
    pending = decision;
    hint.hidden = false;
    hint.textContent = message;
    note.focus();
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function press(selector) {
    const button = document.querySelector(selector);
    if (button) button.click();
  }

  if (note) {
    note.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && pending) {
        event.preventDefault();
        submit(pending);
      }
    });
  }

  // Enter in a correction field saves the correction: the reviewer was editing, not verifying.
  if (form && editable) {
    form.addEventListener("keydown", (event) => {
      const field = event.target;
      if (event.key !== "Enter" || event.isComposing || !(field instanceof HTMLElement)) return;
      if (!["INPUT", "SELECT"].includes(field.tagName) || field.type === "submit") return;
      event.preventDefault();
      submit("correct");
    });
  }

  document.addEventListener("keydown", (event) => {
    // The open help dialog is modal: only its own keys act, never the page's shortcuts underneath.
    if (help && help.open) {
      if (event.key === "?") { event.preventDefault(); help.close(); }
      return;
    }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      help.showModal();
      return;
    }
    const moves = {
      j: () => press("#step-next button"),
      k: () => press("#step-previous button"),
      u: () => press("#undo-mine button"),
    };
    if (moves[event.key]) { event.preventDefault(); moves[event.key](); return; }
    if (!editable || !form) return;
    const actions = {
      v: () => submit("verify"),
      r: () => needsNote("reject", "Type the reason for rejecting, then press Enter."),
      n: () => needsNote("needs_info", "Type what information is needed, then press Enter."),
      s: () => submit("skip"),
      c: () => submit("correct"),
      e: () => { const value = document.getElementById("field-value"); value.focus(); value.select(); },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
})();

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
    const button = form.querySelector(`button[name="decision"][value="${decision}"]`);
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

  if (note) {
    note.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && pending) {
        event.preventDefault();
        submit(pending);
      }
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      if (help.open) help.close(); else help.showModal();
      return;
    }
    if (!editable || !form) return;
    const actions = {
      v: () => submit("verify"),
      r: () => needsNote("reject", "Type the reason for rejecting, then press Enter."),
      n: () => needsNote("needs_info", "Type what information is needed, then press Enter."),
      s: () => submit("skip"),
      e: () => { const value = document.getElementById("field-value"); value.focus(); value.select(); },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
})();

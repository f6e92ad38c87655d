// Review pages: `g` opens (and closes) the team's reviewing guidelines.
"use strict";
(() => {
  const dialog = document.getElementById("guidelines-dialog");
  if (!dialog) return;

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  document.getElementById("guidelines-link").addEventListener("click", (event) => {
    event.preventDefault();
    dialog.showModal();
  });

  document.addEventListener("keydown", (event) => {
    // While the guidelines are open, no review shortcut reaches the page underneath.
    if (dialog.open && event.key !== "g" && event.key !== "Escape" && event.key !== "Tab") {
      event.stopImmediatePropagation();
      return;
    }
    if (event.key !== "g" || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const other = document.querySelector("dialog[open]:not(#guidelines-dialog)");
    if (other) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (dialog.open) dialog.close(); else dialog.showModal();
  }, true);
})();

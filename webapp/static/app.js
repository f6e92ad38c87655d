// Claimtrack page behaviour. Loaded on every page; no inline script anywhere (CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash && document.querySelector(location.hash);
  if (target) target.scrollIntoView({ block: "center" });
});

// Claims list: one box selects or clears every claim on the page; it shows a partial choice as mixed.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => [...document.querySelectorAll('#claims input[name="claim_id"]')];
  const reflect = () => {
    const checked = boxes().filter((box) => box.checked).length;
    all.checked = checked > 0 && checked === boxes().length;
    all.indeterminate = checked > 0 && checked < boxes().length;
  };
  all.hidden = false;
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
  });
  boxes().forEach((box) => box.addEventListener("change", reflect));
  reflect();
});

// Export page: "Prepare as a job" sends the filters chosen in the download form (shown only with script).
document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("export-job-form");
  const filters = document.querySelector("form.export-filters");
  if (!job || !filters) return;
  job.hidden = false;
  job.addEventListener("submit", () => {
    job.querySelector('input[name="query"]').value = new URLSearchParams(new FormData(filters)).toString();
  });
});

// Job tables (/jobs, one job, the documents page): follow each running job until it ends, without reloading.
"use strict";
(() => {
  const POLL_MS = 1000;

  const follow = (table) => {
    const url = table.dataset.jobsStatus;
    const running = () => [...table.querySelectorAll('tr[data-job][data-finished="no"]')];

    const show = (row, job) => {
      const state = row.querySelector(".job-state");
      state.className = `job-state ${job.state}`;
      state.textContent = job.state_label;
      const outcome = row.querySelector(".job-outcome");
      outcome.textContent = job.outcome;
      const link = (href, className, text) => {
        const anchor = document.createElement("a");
        anchor.href = href;
        anchor.className = className;
        anchor.textContent = text;
        outcome.append(" ", anchor);
      };
      if (job.document_url) link(job.document_url, "job-document", `document ${job.document_id}`);
      if (job.download_url) link(job.download_url, "job-download", "download CSV");
      row.dataset.finished = job.finished ? "yes" : "no";
    };

    const poll = async () => {
      const rows = running();
      if (!rows.length) return;
      const ids = rows.map((row) => row.dataset.job).join(",");
      try {
        const response = await fetch(`${url}?ids=${ids}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.ok) {
          const { jobs } = await response.json();
          for (const job of jobs) {
            const row = table.querySelector(`tr[data-job="${job.id}"]`);
            if (row) show(row, job);
          }
        }
      } catch (_error) {
        // The server is restarting or the network dropped: the next poll tries again.
      }
      if (running().length) setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("table[data-jobs-status]").forEach(follow);
  });
})();

// Claimtrack page behaviour. Loaded on every page; no inline script anywhere (CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash && document.querySelector(location.hash);
  if (target) target.scrollIntoView({ block: "center" });
});

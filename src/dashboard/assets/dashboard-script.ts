/**
 * /assets/dashboard.js: refreshes the page's `data-live` regions in place every few seconds (the
 * same URL, re-rendered by the server), keeping checked boxes; reloads when the session is gone.
 * Pauses while the tab is hidden, so an idle dashboard costs no D1 reads.
 */
export const DASHBOARD_JS = `"use strict";
(function () {
  var REFRESH_MS = 5000;
  var busy = false;

  function wire() {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.onchange = function () {
        document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
      };
    });
  }

  async function refresh() {
    if (busy || document.visibilityState !== "visible") return;
    busy = true;
    try {
      var res = await fetch(location.href, { headers: { accept: "text/html" }, credentials: "same-origin", cache: "no-store" });
      var next = new DOMParser().parseFromString(await res.text(), "text/html");
      // Logged out (or the key was removed): show the login page.
      if (next.body.dataset.page !== document.body.dataset.page) return location.reload();
      var checked = new Set(Array.from(document.querySelectorAll("input[name=ids]:checked"), function (box) { return box.value; }));
      next.querySelectorAll("[data-live][id]").forEach(function (fresh) {
        var current = document.getElementById(fresh.id);
        if (current) current.replaceWith(document.importNode(fresh, true));
      });
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = checked.has(box.value); });
      wire();
    } catch (error) {
      // Offline for a moment: the next round tries again.
    } finally {
      busy = false;
    }
  }

  wire();
  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
})();
`;

/**
 * /docs/try-it.js: sends each "Try it" form with fetch. The key typed on the page goes in the
 * Authorization header (never the URL); cookies are left out, as an outside app would call.
 */
export const TRY_IT_JS = `"use strict";
(function () {
  var keyInput = document.getElementById("api-key");
  document.querySelectorAll("form[data-try-it]").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var out = form.querySelector("pre.response");
      var path = form.dataset.path;
      form.querySelectorAll("input[name^='param:']").forEach(function (input) {
        path = path.replace("{" + input.name.slice(6) + "}", encodeURIComponent(input.value));
      });
      var headers = {};
      var key = keyInput ? keyInput.value.trim() : "";
      if (key) headers.authorization = "Bearer " + key;
      var init = { method: form.dataset.method, headers: headers, credentials: "omit", cache: "no-store" };
      var body = form.querySelector("textarea[name=body]");
      if (body) {
        headers["content-type"] = "application/json";
        init.body = body.value;
      }
      out.textContent = "...";
      try {
        var res = await fetch(path, init);
        var text = await res.text();
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) {}
        out.dataset.status = String(res.status);
        out.textContent = res.status + " " + res.statusText + "\\n" + shown;
      } catch (error) {
        out.textContent = "request failed: " + error;
      }
    });
  });
})();
`;

/** The headers of every HTML page and asset (dashboard and /docs), whatever their status; none on the JSON API. */
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type Browser, logIn, ORIGIN } from "./support/dashboard";
import { resetDb } from "./support/relay";

const PAGE_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};
/** Headers that say what a response is, not how a browser must treat it. */
const CONTENT_HEADERS = new Set(["content-type", "content-length", "location", "set-cookie"]);

function fetchAs(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, redirect: "manual" }));
}

const form = (headers: Record<string, string>, body: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", ...headers },
  body,
});

describe("page headers", () => {
  let browser: Browser;
  beforeEach(async () => {
    await resetDb();
    browser = await logIn();
  });

  it("are exactly the same on every page, asset and form answer, whatever its status", async () => {
    const html = { accept: "text/html" };
    const session = { ...html, cookie: browser.cookie };
    const cases: [string, string, RequestInit, number][] = [
      ["/docs", "/docs", {}, 200],
      ["/docs/try-it.js", "/docs/try-it.js", {}, 200],
      ["relay.css", "/assets/relay.css", {}, 200],
      ["dashboard.js", "/assets/dashboard.js", {}, 200],
      ["favicon", "/assets/favicon.svg", {}, 200],
      ["login page", "/", { headers: html }, 200],
      ["overview", "/", { headers: session }, 200],
      ["a page without a session", "/dashboard/tasks", { headers: html }, 401],
      ["tasks", "/dashboard/tasks", { headers: session }, 200],
      ["an unknown task", "/dashboard/tasks/nope", { headers: session }, 404],
      ["subscriptions", "/dashboard/subscriptions", { headers: session }, 200],
      ["a wrong key", "/dashboard/login", form({ "sec-fetch-site": "same-origin" }, "api_key=nope"), 401],
      ["a cross-site login", "/dashboard/login", form({ "sec-fetch-site": "cross-site" }, "api_key=nope"), 403],
      ["a form without its token", "/dashboard/redeliver", form({ "sec-fetch-site": "same-origin", cookie: browser.cookie }, "ids=x"), 403],
      [
        "a redirect after a form",
        "/dashboard/redeliver",
        form({ "sec-fetch-site": "same-origin", cookie: browser.cookie }, `ids=x&form_token=${encodeURIComponent(browser.formToken)}`),
        303,
      ],
    ];
    for (const [name, path, init, status] of cases) {
      const res = await fetchAs(path, init);
      await res.arrayBuffer();
      expect(res.status, name).toBe(status);
      const security = Object.fromEntries([...res.headers].filter(([header]) => !CONTENT_HEADERS.has(header)));
      expect(security, name).toEqual(PAGE_HEADERS);
    }
  });

  it("are not sent with the API's JSON", async () => {
    for (const path of ["/healthz", "/openapi.json", "/v1/tasks/x", "/nope"]) {
      const res = await fetchAs(path);
      await res.arrayBuffer();
      for (const header of Object.keys(PAGE_HEADERS)) expect(res.headers.has(header), `${path} ${header}`).toBe(false);
    }
  });
});

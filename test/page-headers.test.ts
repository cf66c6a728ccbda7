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
/**
 * /docs (Scalar's reference): the same but for its policy (src/lib/html-page.ts says why): inline
 * styles and data: images allowed, scripts from this origin plus a fresh nonce for the one inline
 * script Scalar's page starts with; never 'unsafe-inline' or 'unsafe-eval' for scripts.
 */
const DOCS_CSP =
  /^default-src 'none'; script-src 'self' 'nonce-([A-Za-z0-9+/=]{16,})'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/;
const DOCS_HEADERS = { ...PAGE_HEADERS, "content-security-policy": expect.stringMatching(DOCS_CSP) };
/** Scalar's 4 MB bundle (a static asset): the same security headers, but revalidated by its ETag instead of no-store. */
const BUNDLE_HEADERS = { ...PAGE_HEADERS, "cache-control": "public, max-age=0, must-revalidate" };
/** Headers that say what a response is, not how a browser must treat it. */
const CONTENT_HEADERS = new Set(["content-type", "content-length", "location", "set-cookie", "etag", "cf-cache-status"]);

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
    const cases: [string, string, RequestInit, number, object?][] = [
      ["/docs", "/docs", {}, 200, DOCS_HEADERS],
      ["Scalar's bundle", "/docs/scalar/standalone.js", {}, 200, BUNDLE_HEADERS],
      ["a missing bundle file", "/docs/scalar/nope.js", {}, 404],
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
    for (const [name, path, init, status, expected = PAGE_HEADERS] of cases) {
      const res = await fetchAs(path, init);
      await res.arrayBuffer();
      expect(res.status, name).toBe(status);
      const security = Object.fromEntries([...res.headers].filter(([header]) => !CONTENT_HEADERS.has(header)));
      expect(security, name).toEqual(expected);
    }
  });

  it("give /docs a new nonce on every response, the one its scripts carry", async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await fetchAs("/docs");
      const nonce = res.headers.get("content-security-policy")!.match(DOCS_CSP)![1]!;
      const scripts = [...(await res.text()).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(3);
  });

  it("are not sent with the API's JSON", async () => {
    for (const path of ["/healthz", "/openapi.json", "/v1/tasks/x", "/nope"]) {
      const res = await fetchAs(path);
      await res.arrayBuffer();
      for (const header of Object.keys(PAGE_HEADERS)) expect(res.headers.has(header), `${path} ${header}`).toBe(false);
    }
  });
});

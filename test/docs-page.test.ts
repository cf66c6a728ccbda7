/** /docs: Scalar's API reference, its bundle served from the Worker's own static assets. */
import { describe, expect, it } from "vitest";
import { SCALAR_BUNDLE_PATH } from "../src/http/docs/docs-routes";
import { api } from "./support/relay";

/** Every URL the page makes the browser load or follow. */
const urlsIn = (html: string) => [...html.matchAll(/\b(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!);

describe("/docs", () => {
  it("is Scalar's page for /openapi.json, loading its bundle from this origin and nothing from elsewhere", async () => {
    const res = await api("/docs", {}, null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(urlsIn(html)).toEqual([SCALAR_BUNDLE_PATH]);
    expect(html).toContain("Scalar.createApiReference('#app'");
    const config = JSON.parse(html.match(/createApiReference\('#app', (\{[\s\S]*?\n\s*\})\)/)![1]!);
    expect(config).toMatchObject({
      url: "/openapi.json",
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: "never",
    });
    expect(config).not.toHaveProperty("proxyUrl");
    // No other host named anywhere in the page (the bundle's default CDN, Scalar's fonts or proxy).
    expect(html).not.toMatch(/https?:\/\/|\/\/[a-z0-9-]+\.[a-z]/i);
  });

  it("still serves the document it renders", async () => {
    const res = await api("/openapi.json", {}, null);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("serves Scalar's standalone bundle from the static assets, as JavaScript", async () => {
    const res = await api(SCALAR_BUNDLE_PATH, {}, null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    const etag = res.headers.get("etag");
    const body = await res.text();
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(body).toContain("createApiReference");
    // Revalidated, not fetched again: the 4 MB come once per version.
    expect(etag).toBeTruthy();
    const again = await api(SCALAR_BUNDLE_PATH, { headers: { "if-none-match": etag! } }, null);
    expect(again.status).toBe(304);
    await again.arrayBuffer();
  });
});

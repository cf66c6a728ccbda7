/** /docs: the interactive reference, rendered from the document and served by the Worker alone. */
import { describe, expect, it } from "vitest";
import { api } from "./support/relay";

/** Every URL the page makes the browser load or follow. */
const urlsIn = (html: string) => [...html.matchAll(/\b(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]!);

describe("/docs", () => {
  it("lists every operation with a try-it form, and loads nothing from elsewhere", async () => {
    const res = await api("/docs", {}, null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    const doc = (await (await api("/openapi.json", {}, null)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) expect(html).toContain(`data-method="${method.toUpperCase()}" data-path="${path}"`);
    }
    for (const url of urlsIn(html)) expect(url, url).toMatch(/^(\/(?!\/)|#)/);
    expect(html).not.toMatch(/<script>|\son[a-z]+="/i);
    expect(html).toContain('id="api-key" type="password"');
  });

  it("serves its script and stylesheet itself", async () => {
    for (const [path, type] of [
      ["/docs/try-it.js", "text/javascript"],
      ["/assets/relay.css", "text/css"],
    ] as const) {
      const res = await api(path, {}, null);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain(type);
      expect(await res.text()).not.toMatch(/https?:\/\//);
    }
  });

  it("sends the key only as a header: the script never builds a URL from it", async () => {
    const script = await (await api("/docs/try-it.js", {}, null)).text();
    expect(script).toContain('headers.authorization = "Bearer " + key');
    expect(script).not.toMatch(/key\s*\+\s*["']?[&?]|[?&]key=/);
  });
});

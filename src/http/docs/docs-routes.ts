import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { SecureHeadersVariables } from "hono/secure-headers";
import type { Env } from "../../env";
import { docsPageHeaders, staticAssetHeaders } from "../../lib/html-page";

/**
 * Where Scalar's standalone bundle is served: public/docs/scalar/standalone.js in the Worker's
 * static assets, copied there from node_modules by tools/scalar-assets.mjs (wrangler.toml's
 * `[build] command`). Same origin, so the page loads nothing from elsewhere.
 */
export const SCALAR_BUNDLE_PATH = "/docs/scalar/standalone.js";

/**
 * `/docs`: Scalar's API reference (search, request samples in many languages, a client to try a
 * call), rendered in the browser from `/openapi.json`.
 *
 * Scalar's hono middleware writes a page with one inline `<script>` (the call that starts the
 * reference, with this configuration) after the `<script src>` of the bundle. The CSP's
 * `script-src 'self'` would block it, so the page gets a per-response nonce (docsPageHeaders(),
 * which hono's secureHeaders puts in `secureHeadersNonce`) and the middleware puts it on both
 * scripts; we keep the middleware (Scalar's own page, updated with the package) rather than
 * writing the HTML ourselves, and no script is allowed by `'unsafe-inline'`.
 * `cdn` points the bundle at our own asset; `withDefaultFonts: false` keeps the fonts from
 * Scalar's font host; no `proxyUrl`, so "try it" calls go straight to this origin;
 * `telemetry: false`; Scalar's hosted extras off.
 */
export function docsRoutes() {
  return new Hono<{ Bindings: Env; Variables: SecureHeadersVariables }>()
    .get(
      "/docs",
      docsPageHeaders(),
      Scalar<{ Bindings: Env; Variables: SecureHeadersVariables }>((c) => ({
        pageTitle: "kling-webhook-relay API reference",
        // The dashboard's icon (without one the browser asks for /favicon.ico: a 404 in the console).
        favicon: "/assets/favicon.svg",
        url: "/openapi.json",
        cdn: SCALAR_BUNDLE_PATH,
        nonce: c.get("secureHeadersNonce"),
        withDefaultFonts: false,
        telemetry: false,
        // Scalar's hosted extras, each a way to another origin: its AI chat, MCP generator and the
        // developer toolbar (configure, share, deploy on scalar.com).
        agent: { disabled: true },
        mcp: { disabled: true },
        showDeveloperTools: "never",
      })),
    )
    .get("/docs/scalar/*", staticAssetHeaders(), async (c) => {
      // The binding's answer (with its content type and ETag), in a copy whose headers can be added to.
      const res = await c.env.ASSETS.fetch(c.req.raw);
      return new Response(res.body, res);
    });
}

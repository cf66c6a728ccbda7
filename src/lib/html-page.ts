import type { Context, MiddlewareHandler } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * What every HTML page of the Worker shares (the dashboard's and the API reference's): the
 * response headers, the way a page is rendered, and how a bundled asset is served.
 */

/**
 * Served with every HTML page and asset: everything comes from this Worker (no CDN, no inline
 * script or style), nothing may frame it, nothing is cached (pages show live operational data).
 */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function pageHeaders(): MiddlewareHandler {
  return async function setPageHeaders(c, next) {
    await next();
    c.header("content-security-policy", PAGE_CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "same-origin");
    c.header("cache-control", "no-store");
  };
}

/** A hono/jsx page as a full HTML document (JSX has no doctype). Text and attributes are escaped. */
export async function renderPage(c: Context, page: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}

/** A static text asset (script or stylesheet) kept in the bundle: no build step, no asset binding. */
export const asset = (body: string, type: string) => () =>
  new Response(body, { headers: { "content-type": `${type}; charset=utf-8` } });

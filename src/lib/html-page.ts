import type { Context, MiddlewareHandler } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * What every HTML page of the Worker shares (the dashboard's and the API reference's): the
 * response headers, the way a page is rendered, and how a bundled asset is served.
 */

/**
 * hono's `secureHeaders()`, set to what every HTML page and asset is served with: a strict
 * Content-Security-Policy (everything comes from this Worker: no CDN, no inline script or style,
 * no nonce needed), `nosniff`, no framing, the referrer kept to this origin. hono's other headers
 * (HSTS, COOP, CORP, Origin-Agent-Cluster, X-XSS-Protection, ...) stay off: the pages send exactly
 * these (test/page-headers.test.ts).
 */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xContentTypeOptions: true,
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
  crossOriginEmbedderPolicy: false,
  crossOriginResourcePolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

/** The security headers, and `no-store`: pages show live operational data. */
export function pageHeaders(): MiddlewareHandler {
  return async function setPageHeaders(c, next) {
    await securityHeaders(c, next);
    c.header("cache-control", "no-store");
  };
}

/** A hono/jsx page as a full HTML document (JSX has no doctype). Text and attributes are escaped. */
export async function renderPage(c: Context, page: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}

/** A static text asset (script or stylesheet) kept in the bundle: no build step, no asset binding. */
export const asset = (body: string, type: string) => () => new Response(body, { headers: { "content-type": `${type}; charset=utf-8` } });

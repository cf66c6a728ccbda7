import type { Context, MiddlewareHandler } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * What every HTML page of the Worker shares (the dashboard's and the API reference's): the
 * response headers, the way a page is rendered, and how a bundled asset is served.
 */

/** The Content-Security-Policy of every page and asset: everything comes from this Worker. */
const STRICT_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/**
 * hono's `secureHeaders()`, set to what every HTML page and asset is served with: `nosniff`, no
 * framing, the referrer kept to this origin, and a Content-Security-Policy. hono's other headers
 * (HSTS, COOP, CORP, Origin-Agent-Cluster, X-XSS-Protection, ...) stay off: the pages send exactly
 * these (test/page-headers.test.ts).
 */
const secureHeadersWith = (contentSecurityPolicy: NonNullable<Parameters<typeof secureHeaders>[0]>["contentSecurityPolicy"]) =>
  secureHeaders({
    contentSecurityPolicy,
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

/** The dashboard's pages and every asset: the strict policy (no CDN, no inline script or style, no nonce). */
const securityHeaders = secureHeadersWith(STRICT_CSP);

/**
 * `/docs` only (Scalar's API reference, src/http/docs/docs-routes.ts). Measured in Chromium with
 * @scalar/api-reference 1.72.1's standalone bundle: under `style-src 'self'` it logs 8 CSP
 * violations (the bundle applies inline styles), under `style-src 'self' 'unsafe-inline'` and
 * `img-src 'self' data:` none. So styles are relaxed, scripts are not: no `'unsafe-inline'`, no
 * `'unsafe-eval'` (the bundle needs neither), only a fresh nonce per response for the one inline
 * `<script>` that Scalar's hono middleware writes to start the reference (and no nonce in
 * style-src: it would switch `'unsafe-inline'` off). Nothing else is allowed: no font host
 * (`withDefaultFonts: false`), no proxy, connect-src to this origin only.
 */
const docsSecurityHeaders = secureHeadersWith({
  ...STRICT_CSP,
  scriptSrc: ["'self'", NONCE],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
});

/** The security headers, and `no-store`: pages show live operational data. */
export function pageHeaders(): MiddlewareHandler {
  return async function setPageHeaders(c, next) {
    await securityHeaders(c, next);
    c.header("cache-control", "no-store");
  };
}

/** `/docs`'s headers: pageHeaders() but with the docs policy above; the nonce is `c.get("secureHeadersNonce")`. */
export function docsPageHeaders(): MiddlewareHandler {
  return async function setDocsPageHeaders(c, next) {
    await docsSecurityHeaders(c, next);
    c.header("cache-control", "no-store");
  };
}

/**
 * A large static asset served from the ASSETS binding (Scalar's bundle): the security headers of
 * every asset, but the binding's own caching (an ETag to revalidate with) instead of `no-store`,
 * so a browser does not fetch 4 MB again on every visit. An answer without caching headers (a
 * missing file) gets `no-store`, like the pages.
 */
export function staticAssetHeaders(): MiddlewareHandler {
  return async function setStaticAssetHeaders(c, next) {
    await securityHeaders(c, next);
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  };
}

/** A hono/jsx page as a full HTML document (JSX has no doctype). Text and attributes are escaped. */
export async function renderPage(c: Context, page: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}

/** A static text asset (script or stylesheet) kept in the bundle: no build step, no asset binding. */
export const asset = (body: string, type: string) => () => new Response(body, { headers: { "content-type": `${type}; charset=utf-8` } });

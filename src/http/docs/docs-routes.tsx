import { Hono } from "hono";
import { asset, pageHeaders, renderPage } from "../../lib/html-page";
import { DocsPage, type OpenApiDocument } from "./docs-page";
import { TRY_IT_JS } from "./try-it-script";

/** `/docs`: the interactive API reference, served by the Worker itself (no CDN, no bundle). */
export function docsRoutes(document: () => object) {
  return new Hono()
    .get("/docs", pageHeaders(), (c) => renderPage(c, <DocsPage doc={document() as OpenApiDocument} />))
    .get("/docs/try-it.js", pageHeaders(), asset(TRY_IT_JS, "text/javascript"));
}

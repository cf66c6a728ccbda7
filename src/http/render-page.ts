import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSX } from "hono/jsx/jsx-runtime";

/** A hono/jsx page as a full HTML document (JSX has no doctype). Text and attributes are escaped. */
export async function renderPage(c: Context, page: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}

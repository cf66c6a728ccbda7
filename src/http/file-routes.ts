import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError, errorResponse } from "../api-kit/api-error";
import { ErrorEnvelopeSchema } from "../api-kit/api-schemas";
import { loadConfig } from "../config";
import { verifyArchiveLink } from "../domain/archive-link";
import type { Env } from "../env";
import { ifRangeHolds, noneMatchHits, parseRange } from "../lib/byte-range";
import { systemClock } from "../lib/clock";

/**
 * `GET /files/{key}?expires=...&signature=...`: an archived output file, streamed from the
 * `ARCHIVE` R2 bucket. The signed link (src/domain/archive-link.ts) is the only credential: no API
 * key. A key is `{tenant}/{provider}/{task id}/{index}-{field}`, so the route has those four
 * segments. Without the bucket or without `ARCHIVE_LINK_SECRET` the route answers 404 as if it
 * did not exist; a link that does not verify (altered, or missing its query) or has expired 403,
 * before the bucket is asked anything; a signed link to a missing object 404. The signature is
 * in the query, which nothing here logs (`handleError` logs the path only). Mounted by src/app.ts.
 */

const PATH = "/files/{tenant}/{provider}/{task_id}/{file}";

const envelope = (description: string) => ({ description, content: { "application/json": { schema: ErrorEnvelopeSchema } } });
const header = (description: string) => ({ description, schema: { type: "string" as const } });
const FILE_HEADERS = {
  "Content-Length": header("Bytes in this answer"),
  ETag: header("The object's entity tag: send it as `If-None-Match` (304) or `If-Range`"),
  "Accept-Ranges": header("`bytes`"),
  "Cache-Control": header("`private, max-age=<seconds until the link expires>`"),
};
const binary = { "*/*": { schema: z.string().openapi({ format: "binary" }) } };
const segment = (name: string, description: string, example: string) =>
  z.string().openapi({ param: { name, in: "path" }, description, example });

const route = {
  method: "get" as const,
  path: PATH,
  tags: ["files"],
  summary: "An archived output file",
  description: [
    "The link a webhook's `archived_url` holds when the relay archives outputs (the `ARCHIVE` R2 bucket): `{PUBLIC_BASE_URL}/files/{tenant}/{provider}/{task_id}/{index}-{field}?expires=...&signature=...`. No API key: the signature (HMAC-SHA256 with `ARCHIVE_LINK_SECRET`) is the credential, and the link works until `expires` (`ARCHIVE_LINK_TTL_SECONDS` after it was made, 7 days by default). Use the link as it came: a segment's own `%` is sent as `%25`.",
    "`Range: bytes=a-b`, `bytes=a-` and `bytes=-n` answer 206 with `Content-Range` (one range; several are answered with the whole file), `If-Range` with the ETag keeps the range, `If-None-Match` answers 304. HEAD answers the same headers without the body.",
  ].join("\n\n"),
  request: {
    params: z.object({
      tenant: segment("tenant", "The tenant id", "default"),
      provider: segment("provider", "The task's provider", "kling"),
      task_id: segment("task_id", "The task id", "8781"),
      file: segment("file", "`{output index}-{field}`: which output, and which of its URL fields was copied", "0-url"),
    }),
    query: z.object({
      expires: z.string().openapi({ description: "Unix seconds: the first second the link no longer works", example: "1767225600" }),
      signature: z.string().openapi({ description: "base64url HMAC-SHA256 over `{key}\\n{expires}`" }),
    }),
  },
  responses: {
    200: {
      description: "The file, streamed, with the `Content-Type` it was archived with (`application/octet-stream` when none)",
      headers: FILE_HEADERS,
      content: binary,
    },
    206: {
      description: "The range asked for",
      headers: { ...FILE_HEADERS, "Content-Range": header("`bytes a-b/size`") },
      content: binary,
    },
    304: {
      description: "`If-None-Match` names the file's ETag",
      headers: { ETag: FILE_HEADERS.ETag, "Cache-Control": FILE_HEADERS["Cache-Control"] },
    },
    403: envelope("The link has expired, was altered, or has no `expires` or `signature`"),
    404: envelope("No such file, or no archive here (the `ARCHIVE` bucket or `ARCHIVE_LINK_SECRET` is not set)"),
    409: envelope("The file was replaced twice while it was being read: try again"),
    416: envelope("The range starts past the end of the file: `Content-Range: bytes */size`"),
  },
};

const noFile = () => new ApiError("not_found", "no such file");

/** The key of a `/files/...` path: its four segments, each URL-decoded once; null when it is not one. */
function keyOf(pathname: string): string | null {
  const segments = pathname.split("/").slice(2);
  if (segments.length !== 4) return null;
  try {
    return segments.map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
}

async function serveFile(c: Context<{ Bindings: Env }>, retried = false): Promise<Response> {
  const bucket = c.env.ARCHIVE;
  const secrets = loadConfig(c.env).archiveLinkSecrets;
  if (!bucket || secrets.length === 0) throw noFile();
  const now = Math.floor(systemClock.now() / 1000);
  const key = keyOf(new URL(c.req.url).pathname);
  const expires = c.req.query("expires") ?? "";
  const verdict =
    key === null ? "invalid" : await verifyArchiveLink({ key, expires, signature: c.req.query("signature") ?? "", secrets, now });
  if (verdict === "expired") throw new ApiError("forbidden", "this link has expired");
  if (verdict !== "ok" || key === null) throw new ApiError("forbidden", "this link is not valid");

  const object = await bucket.head(key);
  if (!object) throw noFile();
  const headers = new Headers({
    etag: object.httpEtag,
    "cache-control": `private, max-age=${Number(expires) - now}`,
  });
  if (noneMatchHits(c.req.header("if-none-match"), object.httpEtag)) return new Response(null, { status: 304, headers });

  const range = ifRangeHolds(c.req.header("if-range"), object.httpEtag) ? parseRange(c.req.header("range"), object.size) : null;
  if (range === "unsatisfiable") {
    const res = errorResponse(c, new ApiError("range_not_satisfiable", `the file has ${object.size} bytes`));
    res.headers.set("content-range", `bytes */${object.size}`);
    return res;
  }
  headers.set("content-type", object.httpMetadata?.contentType || "application/octet-stream");
  if (object.httpMetadata?.contentDisposition) headers.set("content-disposition", object.httpMetadata.contentDisposition);
  headers.set("accept-ranges", "bytes");
  headers.set("last-modified", object.uploaded.toUTCString());
  // The file is whatever upstream made: never sniffed, never a page of the relay's origin.
  headers.set("x-content-type-options", "nosniff");
  headers.set("content-security-policy", "sandbox");
  headers.set("content-length", String(range ? range.length : object.size));
  if (range) headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`);
  const status = range ? 206 : 200;
  if (c.req.method === "HEAD") return new Response(null, { status, headers });

  // Only the object whose head gave these headers: replaced in between, the request starts over once.
  const body = await bucket.get(key, { onlyIf: { etagMatches: object.etag }, ...(range ? { range } : {}) });
  if (!body) throw noFile();
  if (!("body" in body)) {
    if (retried) throw new ApiError("conflict", "the file changed while it was being read: try again");
    return serveFile(c, true);
  }
  return new Response(body.body, { status, headers });
}

export const fileRoutes = new OpenAPIHono<{ Bindings: Env }>();
fileRoutes.openAPIRegistry.registerPath(route);
// HEAD is served by this handler too (Hono routes it to GET); it reads the object's head only.
fileRoutes.get("/files/:tenant/:provider/:task_id/:file", (c) => serveFile(c));

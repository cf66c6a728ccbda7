import type { Hook, RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { readBoundedText } from "../lib/read-bounded";
import { ApiError, type FieldError } from "./api-error";

/** How every request part is validated: zod schemas, failures as the 400 envelope. */

/** A JSON object (not null, not an array): what `typeof` alone does not say. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Zod issues as the envelope's `details`: one entry per field, named by its JSON path. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: key, message: "is not a known field" }));
    return [{ field: issue.path.map(String).join("."), message: issue.message }];
  });
}

/** The `invalid_request` error for a failed schema: every bad field in the message and in `details`. */
export function invalidRequest(error: z.ZodError): ApiError {
  const details = fieldErrors(error);
  return new ApiError(
    "invalid_request",
    `invalid request: ${details.map((d) => (d.field ? `${d.field} ${d.message}` : d.message)).join("; ")}`,
    details,
  );
}

/** Parses or throws `invalid_request` listing every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(result.error);
}

/**
 * The app's `defaultHook`: a request part that fails its schema answers the usual envelope,
 * 400 `invalid_request` with one `details` entry per field, like `parseOrThrow`.
 */
// biome-ignore lint/suspicious/noExplicitAny: one hook serves every route, whatever its env and path.
export const validationHook: Hook<unknown, any, any, void> = (result) => {
  if (result.success) return;
  throw invalidRequest(result.error);
};

/** The body's text as it arrived, for fields kept verbatim (see `exactMemberText`). */
export type JsonBodyVariables = { jsonBodyText: string };

export const MAX_BODY_BYTES = 16 * 1024;

const tooLarge = (maxBytes: number) => new ApiError("payload_too_large", `the body must be at most ${maxBytes} bytes`);

/** 415 unless the body is declared as JSON. */
const jsonContentType: MiddlewareHandler = async function requireJsonContentType(c, next) {
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError("unsupported_media_type", "the body must be JSON, sent with content-type: application/json");
  }
  await next();
};

/**
 * hono's `bodyLimit()`: 413 for a declared Content-Length past the limit, and for a body without
 * one (chunked) as soon as it has counted past the limit.
 */
const limitBody = (maxBytes: number) =>
  bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });

/**
 * Reads and validates a JSON body the relay's way, before the handler: 415 for another content
 * type, 413 past `maxBytes` (16 KiB unless the route says otherwise, or past what `allowedBytes`
 * allows the parsed value, when that is less), 400 for malformed JSON, then
 * the schema (which may depend on the configuration). The result is what the handler gets from
 * `c.req.valid("json")`; the text it came from, from `c.get("jsonBodyText")`.
 */
export function validJsonBody(
  schemaFor: (c: Context) => z.ZodType,
  maxBytes = MAX_BODY_BYTES,
  allowedBytes?: (value: unknown) => number,
): MiddlewareHandler<{ Variables: JsonBodyVariables }>[] {
  return [
    jsonContentType,
    limitBody(maxBytes),
    async function validateJsonBody(c, next) {
      // bodyLimit believes a Content-Length below the limit: a body that lies about its length
      // is counted again here as it arrives, and never read past the limit.
      const { text, truncated } = await readBoundedText(c.req.raw.body, maxBytes);
      if (truncated) throw tooLarge(maxBytes);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ApiError("invalid_request", "the body is not valid JSON", [{ field: "", message: "malformed JSON" }]);
      }
      // A route whose limit depends on what the body is (a create may be larger than a registration).
      if (allowedBytes) {
        const allowed = allowedBytes(value);
        if (allowed < maxBytes && new TextEncoder().encode(text).byteLength > allowed) throw tooLarge(allowed);
      }
      c.req.addValidatedData("json", parseOrThrow(schemaFor(c), value) as object);
      c.set("jsonBodyText", text);
      await next();
    },
  ];
}

/**
 * The route as served: its body stays in the document and in the handler's types, but is read by
 * `validJsonBody` rather than by zod-openapi, whose validator would accept bodies of any size and
 * answer its own 415 and 400 messages (the API's contract: 16 KiB unless `maxBytes` says more, the
 * error envelope). The handler's `c.req.valid("json")` is what `schemaFor` made of the body.
 * Register `route` itself in the document with `openAPIRegistry.registerPath`.
 */
export function bodyReadByRelay<R extends RouteConfig>(
  route: R,
  schemaFor: (c: Context) => z.ZodType,
  maxBytes = MAX_BODY_BYTES,
  allowedBytes?: (value: unknown) => number,
): R {
  const { body: _documented, ...request } = route.request ?? {};
  return { ...route, hide: true, request, middleware: validJsonBody(schemaFor, maxBytes, allowedBytes) };
}

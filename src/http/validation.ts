import type { Hook } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { readJsonBody } from "./read-json-body";
import { invalidRequest, parseOrThrow } from "./registration-schema";

/**
 * The app's `defaultHook`: a request part that fails its schema answers the usual envelope,
 * 400 `invalid_request` with one `details` entry per field, like `parseOrThrow`.
 */
export const validationHook: Hook<unknown, any, any, void> = (result) => {
  if (result.success) return;
  throw invalidRequest(result.error);
};

/** The body's text as it arrived, for fields kept verbatim (see `exactMemberText`). */
export type JsonBodyVariables = { jsonBodyText: string };

/**
 * Reads and validates a JSON body the relay's way, before the handler: 415 for another content
 * type, 413 past 16 KiB (counted as it arrives), 400 for malformed JSON, then the schema (which may
 * depend on the configuration). The result is what the handler gets from `c.req.valid("json")`;
 * the text it came from, from `c.get("jsonBodyText")`.
 */
export function validJsonBody(schemaFor: (c: Context) => z.ZodType): MiddlewareHandler<{ Variables: JsonBodyVariables }> {
  return async function validateJsonBody(c, next) {
    const { value, text } = await readJsonBody(c);
    c.req.addValidatedData("json", parseOrThrow(schemaFor(c), value) as object);
    c.set("jsonBodyText", text);
    await next();
  };
}

import type { Context } from "hono";
import { readBoundedText } from "../lib/read-bounded";
import { ApiError } from "./api-error";

export const MAX_BODY_BYTES = 16 * 1024;

/** Reads a request's JSON body: JSON content type, at most 16 KiB, a syntactically valid document. */
export async function readJsonBody(c: Context): Promise<{ value: unknown; text: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError("unsupported_media_type", "the body must be JSON, sent with content-type: application/json");
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new ApiError("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  // The declared length can lie (or be absent with chunked bodies): count what actually arrives.
  const { text, truncated } = await readBoundedText(c.req.raw.body, MAX_BODY_BYTES);
  if (truncated) throw new ApiError("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch {
    throw new ApiError("invalid_request", "the body is not valid JSON", [{ field: "", message: "malformed JSON" }]);
  }
}

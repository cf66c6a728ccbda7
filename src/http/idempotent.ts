import type { Db } from "../storage/db";
import { claimIdempotencyKey, finishIdempotencyKey, releaseIdempotencyKey } from "../storage/idempotency";
import { ApiError } from "./api-error";

/** Printable ASCII, as Stripe and the IETF draft take it: a UUID fits, and so does any app's own scheme. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

/**
 * The external task id a create goes upstream under: derived from (tenant, `Idempotency-Key`), so
 * a retry creates under the same one and finds what a first attempt created; random without a key.
 */
export const externalIdFor = async (tenantId: string, key: string | undefined) =>
  key !== undefined ? `rly-${(await sha256Hex(`${tenantId}\n${key}`)).slice(0, 32)}` : `rly-${crypto.randomUUID().replaceAll("-", "")}`;

/** The request's `Idempotency-Key`, checked; undefined without one. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header))
    throw new ApiError("invalid_request", "invalid request: Idempotency-Key must be 1-255 printable ASCII characters", [
      { field: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
    ]);
  return header;
}

/**
 * Runs a create once per (tenant, `Idempotency-Key`): the first request runs `run` and its answer
 * is stored and replayed for 24 hours (`Idempotent-Replayed: true`); a request with the key while
 * the first runs answers 409, the key with another body 409. An answer of 502 (nothing created, or
 * nobody can tell) or an exception releases the key: a retry goes ahead as a first request.
 * Without a key, `run` just runs.
 */
export async function idempotent(
  db: Db,
  o: { tenantId: string; key: string | undefined; requestText: string },
  run: () => Promise<Response>,
): Promise<Response> {
  const { tenantId, key } = o;
  if (key === undefined) return run();
  const claim = await claimIdempotencyKey(db, { tenantId, key, requestHash: await sha256Hex(o.requestText), now: Date.now() });
  if (claim.kind === "replay")
    return new Response(claim.body, {
      status: claim.status,
      headers: { "content-type": "application/json", "idempotent-replayed": "true" },
    });
  if (claim.kind === "in_progress")
    throw new ApiError("conflict", "a request with this Idempotency-Key is still running: retry in a few seconds", undefined, 5);
  if (claim.kind === "mismatch")
    throw new ApiError("conflict", "this Idempotency-Key was used with another request body in the last 24 hours");
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    await releaseIdempotencyKey(db, { tenantId, key }).catch(() => undefined);
    throw error;
  }
  if (response.status === 502) await releaseIdempotencyKey(db, { tenantId, key });
  else await finishIdempotencyKey(db, { tenantId, key, status: response.status, body: await response.clone().text(), now: Date.now() });
  return response;
}

import type { TenantId } from "../domain/ids";
import { systemClock } from "../lib/clock";
import type { Db } from "../storage/db";
import { claimIdempotencyKey, finishIdempotencyKey, loseIdempotencyKey, releaseIdempotencyKey } from "../storage/idempotency";
import { ApiError } from "./api-error";

/** Printable ASCII, as Stripe and the IETF draft take it: a UUID fits, and so does any app's own scheme. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

/** An `Idempotency-Key` as the relay keeps it: the app's key within the route it was sent to. */
export interface ScopedKey {
  /** `{METHOD} {path}` and the app's key, on two lines: the same key on another route is another key. */
  scoped: string;
}

/**
 * The external task id a create goes upstream under: always the relay's own (an app's
 * `external_task_id` is never sent or looked up: on an account several tenants share it could name
 * another tenant's task). Derived from (tenant, method, path, `Idempotency-Key`), so a retry
 * creates under the same one and finds what a first attempt created; random without a key.
 */
export const externalIdFor = async (tenantId: TenantId, key: ScopedKey | undefined) =>
  key !== undefined
    ? `rly-${(await sha256Hex(`${tenantId}\n${key.scoped}`)).slice(0, 32)}`
    : `rly-${crypto.randomUUID().replaceAll("-", "")}`;

/** The request's `Idempotency-Key`, checked and scoped to its method and path; undefined without one. */
export function idempotencyKeyOf(req: { method: string; path: string; header(name: string): string | undefined }): ScopedKey | undefined {
  const header = req.header("idempotency-key");
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header))
    throw new ApiError("invalid_request", "invalid request: Idempotency-Key must be 1-255 printable ASCII characters", [
      { field: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
    ]);
  return { scoped: `${req.method} ${req.path}\n${header}` };
}

/**
 * One run of a keyed create: whether an earlier one lost upstream's answer (look the create up
 * first), and, set by the run, whether this one did (keep the key for a retry to look up).
 */
export interface IdempotentAttempt {
  readonly afterLostAnswer: boolean;
  answerLost: boolean;
}

/**
 * Runs a create once per (tenant, method, path, `Idempotency-Key`): the first request runs `run`
 * and its answer is stored and replayed for 24 hours (`Idempotent-Replayed: true`); a request with
 * the key while the first runs answers 409, the key with another body 409. An answer of 502 or an
 * exception releases the key (a retry goes ahead as a first request), unless the run lost
 * upstream's answer (`attempt.answerLost`): then the key is kept as lost, and the retry runs with
 * `afterLostAnswer` (it looks its create up first). Without a key, `run` just runs.
 */
export async function idempotent(
  db: Db,
  o: { tenantId: TenantId; key: ScopedKey | undefined; requestText: string },
  run: (attempt: IdempotentAttempt) => Promise<Response>,
): Promise<Response> {
  const { tenantId } = o;
  if (o.key === undefined) return run({ afterLostAnswer: false, answerLost: false });
  const key = o.key.scoped;
  const claim = await claimIdempotencyKey(db, { tenantId, key, requestHash: await sha256Hex(o.requestText), now: systemClock.now() });
  if (claim.kind === "replay")
    return new Response(claim.body, {
      status: claim.status,
      headers: { "content-type": "application/json", "idempotent-replayed": "true" },
    });
  if (claim.kind === "in_progress")
    throw new ApiError("conflict", "a request with this Idempotency-Key is still running: retry in a few seconds", undefined, 5);
  if (claim.kind === "mismatch")
    throw new ApiError("conflict", "this Idempotency-Key was used with another request body in the last 24 hours");
  const attempt: IdempotentAttempt = { afterLostAnswer: claim.afterLostAnswer, answerLost: false };
  const giveUp = () =>
    attempt.answerLost ? loseIdempotencyKey(db, { tenantId, key, now: systemClock.now() }) : releaseIdempotencyKey(db, { tenantId, key });
  let response: Response;
  try {
    response = await run(attempt);
  } catch (error) {
    await giveUp().catch(() => undefined);
    throw error;
  }
  if (response.status === 502) await giveUp();
  else
    await finishIdempotencyKey(db, { tenantId, key, status: response.status, body: await response.clone().text(), now: systemClock.now() });
  return response;
}

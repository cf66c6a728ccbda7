import type { Context } from "hono";
import { NO_ACTION } from "../domain/kling";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { claimIdempotencyKey, finishIdempotencyKey, releaseIdempotencyKey } from "../storage/idempotency";
import { registerSubscription } from "../storage/subscriptions";
import { ApiError, errorResponse } from "./api-error";
import type { AuthVariables } from "./bearer-auth";
import { type CalledBackVariables, pollCalledBackTasks } from "./called-back";
import { presentSubscription } from "./present";
import { actionPairConflict, type RegistrationBody, registrationOf } from "./registration";
import type { TaskCreatorVariables } from "./task-creator";
import type { JsonBodyVariables } from "./validation";

type CreateContext = Context<{ Bindings: Env; Variables: AuthVariables & JsonBodyVariables & CalledBackVariables & TaskCreatorVariables }>;

/** Printable ASCII, as Stripe and the IETF draft take it: a UUID fits, and so does any app's own scheme. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

/**
 * `POST /v1/tasks` with `create`: creates the task upstream (through the gateway the app wired
 * in), then registers it with the subscription, and answers like a registration (201).
 *
 * With an `Idempotency-Key`, the external task id is derived from (tenant, key): a retry creates
 * under the same external id, so a first attempt that did create the task is found by it, never
 * duplicated; the answer is stored and replayed for 24 hours (`Idempotent-Replayed: true`), a
 * request running with that key meanwhile answers 409, the key with another body 409. When
 * nothing was created (or nobody can tell), the key is released: a retry goes ahead.
 */
export async function createAndRegister(
  c: CreateContext,
  body: RegistrationBody,
  metadata: string | null,
  create: Record<string, unknown>,
) {
  const createTask = c.get("createTask");
  if (!createTask) throw new Error("createTask is not wired in (http/app.ts)");
  const tenantId = c.get("tenantId");
  const db = openDb(c.env.DB);
  const key = c.req.header("idempotency-key");
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
    throw new ApiError("invalid_request", "invalid request: Idempotency-Key must be 1-255 printable ASCII characters", [
      { field: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" },
    ]);
  if (key !== undefined) {
    const claim = await claimIdempotencyKey(db, { tenantId, key, requestHash: await hex(c.get("jsonBodyText")), now: Date.now() });
    if (claim.kind === "replay")
      return new Response(claim.body, {
        status: claim.status,
        headers: { "content-type": "application/json", "idempotent-replayed": "true" },
      });
    if (claim.kind === "in_progress")
      throw new ApiError("conflict", "a request with this Idempotency-Key is still running: retry in a few seconds", undefined, 5);
    if (claim.kind === "mismatch")
      throw new ApiError("conflict", "this Idempotency-Key was used with another request body in the last 24 hours");
  }
  const done = async (status: number, text: string) => {
    if (key !== undefined) await finishIdempotencyKey(db, { tenantId, key, status, body: text, now: Date.now() });
  };
  try {
    const result = await createTask({
      provider: body.provider,
      action: body.action,
      action2: body.action2,
      path: body.action === NO_ACTION ? (body.path ?? null) : null,
      body: create,
      externalId:
        key !== undefined ? `rly-${(await hex(`${tenantId}\n${key}`)).slice(0, 32)}` : `rly-${crypto.randomUUID().replaceAll("-", "")}`,
      mayExist: key !== undefined,
    });
    if (result.kind === "unavailable") {
      const retryAfter = result.retryAfterMs === null ? undefined : Math.ceil(result.retryAfterMs / 1000);
      throw new ApiError("upstream_unavailable", result.message, undefined, retryAfter);
    }
    if (result.kind === "rejected") {
      const refusal = errorResponse(
        c,
        new ApiError("upstream_rejected", "upstream refused to create the task", undefined, undefined, {
          code: result.code,
          message: result.message,
        }),
      );
      await done(422, await refusal.clone().text());
      return refusal;
    }
    const registration = registrationOf(tenantId, result.taskId, body, metadata);
    const registered = await registerSubscription(db, registration, Date.now());
    if (registered.kind === "action_pair_conflict") {
      const conflict = errorResponse(c, actionPairConflict(result.taskId, registered.task));
      await done(409, await conflict.clone().text());
      return conflict;
    }
    pollCalledBackTasks(c.get("pollCalledBack"), [registered.task]);
    const subscription = presentSubscription(registered.subscription, registered.task);
    await done(201, JSON.stringify(subscription));
    return c.json(subscription, 201);
  } catch (error) {
    // Nothing registered: the key goes back, so a retry with it is a first request again.
    if (key !== undefined) await releaseIdempotencyKey(db, { tenantId, key }).catch(() => undefined);
    throw error;
  }
}

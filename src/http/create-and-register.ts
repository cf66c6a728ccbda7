import type { Context } from "hono";
import { loadConfig } from "../config";
import type { CreateRequest, CreateResult } from "../domain/create-outcome";
import { NO_ACTION } from "../domain/kling";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { registerSubscription } from "../storage/subscriptions";
import { ApiError, errorResponse } from "./api-error";
import type { AuthVariables } from "./bearer-auth";
import { type CalledBackVariables, pollCalledBackTasks } from "./called-back";
import { externalIdFor, idempotencyKeyOf, idempotent } from "./idempotent";
import { presentSubscription } from "./present";
import { actionPairConflict, type RegistrationBody, registrationOf } from "./registration";
import type { TaskCreatorVariables } from "./task-creator";
import type { JsonBodyVariables } from "./validation";

export type CreateContext = Context<{
  Bindings: Env;
  Variables: AuthVariables & JsonBodyVariables & CalledBackVariables & TaskCreatorVariables;
}>;

/**
 * Creates a task upstream through the gateway the app wired in. `unavailable` becomes a 502
 * `upstream_unavailable` (with `Retry-After` when upstream gave one); the rest is the caller's.
 */
export async function createUpstream(
  c: CreateContext,
  request: Omit<CreateRequest, "externalId" | "mayExist">,
  key: string | undefined,
): Promise<Exclude<CreateResult, { kind: "unavailable" }>> {
  const createTask = c.get("createTask");
  if (!createTask) throw new Error("createTask is not wired in (http/app.ts)");
  const result = await createTask({ ...request, externalId: await externalIdFor(c.get("tenantId"), key), mayExist: key !== undefined });
  if (result.kind === "unavailable") {
    const retryAfter = result.retryAfterMs === null ? undefined : Math.ceil(result.retryAfterMs / 1000);
    throw new ApiError("upstream_unavailable", result.message, undefined, retryAfter);
  }
  return result;
}

/** 422 `upstream_rejected`, with upstream's own code and message. */
export const upstreamRejected = (result: { code: string | number | null; message: string }) =>
  new ApiError("upstream_rejected", "upstream refused to create the task", undefined, undefined, {
    code: result.code,
    message: result.message,
  });

/**
 * `POST /v1/tasks` with `create`: creates the task upstream, then registers it with the
 * subscription, and answers like a registration (201). With an `Idempotency-Key` see `idempotent`:
 * a retry is answered the first result, or creates under the same external id, so that a first
 * attempt that did create the task is found, never duplicated.
 */
export async function createAndRegister(
  c: CreateContext,
  body: RegistrationBody,
  metadata: string | null,
  archive: boolean,
  create: Record<string, unknown>,
) {
  const tenantId = c.get("tenantId");
  const db = openDb(c.env.DB);
  const key = idempotencyKeyOf(c.req.header("idempotency-key"));
  return idempotent(db, { tenantId, key, requestText: c.get("jsonBodyText") }, async () => {
    const path = body.action === NO_ACTION ? (body.path ?? null) : null;
    const result = await createUpstream(
      c,
      { provider: body.provider, action: body.action, action2: body.action2, path, body: create },
      key,
    );
    if (result.kind === "rejected") return errorResponse(c, upstreamRejected(result));
    const registered = await registerSubscription(
      db,
      loadConfig(c.env).secretsKeyring,
      registrationOf(tenantId, result.taskId, body, metadata, archive),
      Date.now(),
    );
    if (registered.kind === "action_pair_conflict") return errorResponse(c, actionPairConflict(result.taskId, registered.task));
    pollCalledBackTasks(c.get("pollCalledBack"), [registered.task]);
    return c.json(presentSubscription(registered.subscription, registered.task), 201);
  });
}

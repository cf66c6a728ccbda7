import type { Context } from "hono";
import { loadConfig } from "../config";
import type { CreateRequest, CreateResult } from "../domain/create-outcome";
import type { Provider } from "../domain/kling";
import { NO_ACTION } from "../domain/kling";
import type { UpstreamAccount } from "../domain/upstream-access";
import type { Env } from "../env";
import { type Db, openDb } from "../storage/db";
import { registerSubscription } from "../storage/subscriptions";
import { recordUpstreamOwner } from "../storage/tenant-policy";
import { admitCreate } from "./admission";
import { ApiError, errorResponse } from "./api-error";
import type { AuthVariables } from "./bearer-auth";
import { type CalledBackVariables, pollCalledBackTasks } from "./called-back";
import { externalIdFor, type IdempotentAttempt, idempotencyKeyOf, idempotent, type ScopedKey } from "./idempotent";
import { presentSubscription } from "./present";
import { actionPairConflict, type RegistrationBody, registrationOf } from "./registration";
import type { TaskCreatorVariables } from "./task-creator";
import type { JsonBodyVariables } from "./validation";

export type CreateContext = Context<{
  Bindings: Env;
  Variables: AuthVariables & JsonBodyVariables & CalledBackVariables & TaskCreatorVariables;
}>;

/**
 * Creates a task upstream through the gateway the app wired in, under the relay's own external id.
 * `unavailable` becomes a 502 `upstream_unavailable` (with `Retry-After` when upstream gave one;
 * a lost answer is noted on `attempt`, so that a retry with the key looks it up first); the rest
 * is the caller's.
 */
export async function createUpstream(
  c: CreateContext,
  request: Omit<CreateRequest, "externalId" | "lookupFirst">,
  key: ScopedKey | undefined,
  attempt: IdempotentAttempt,
  account: UpstreamAccount,
): Promise<Exclude<CreateResult, { kind: "unavailable" }>> {
  const externalId = await externalIdFor(c.get("tenantId"), key);
  const result = await c.var.createTask(
    c.env,
    { ...request, externalId, lookupFirst: attempt.afterLostAnswer },
    { tenantId: c.get("tenantId"), account },
  );
  if (result.kind === "unavailable") {
    attempt.answerLost = result.answerLost;
    const retryAfter = result.retryAfterMs === null ? undefined : Math.ceil(result.retryAfterMs / 1000);
    throw new ApiError("upstream_unavailable", result.message, undefined, retryAfter);
  }
  return result;
}

/**
 * Notes a task just created on the operator's account as the tenant's own, before anything else
 * (a failure after this leaves it owned, never open to other tenants).
 */
export async function createdFor(db: Db, tenantId: string, provider: Provider, taskId: string, account: UpstreamAccount) {
  if (account === "operator") await recordUpstreamOwner(db, { provider, taskId, tenantId, now: Date.now() });
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
  const key = idempotencyKeyOf(c.req);
  return idempotent(db, { tenantId, key, requestText: c.get("jsonBodyText") }, async (attempt) => {
    const account = await admitCreate(db, tenantId, body.provider, body.callback_url);
    const path = body.action === NO_ACTION ? (body.path ?? null) : null;
    const result = await createUpstream(
      c,
      { provider: body.provider, action: body.action, action2: body.action2, path, body: create },
      key,
      attempt,
      account,
    );
    if (result.kind === "rejected") return errorResponse(c, upstreamRejected(result));
    await createdFor(db, tenantId, body.provider, result.taskId, account);
    const registered = await registerSubscription(
      db,
      loadConfig(c.env).secretsKeyring,
      registrationOf(tenantId, result.taskId, body, metadata, archive, account),
      Date.now(),
    );
    if (registered.kind === "action_pair_conflict") return errorResponse(c, actionPairConflict(result.taskId, registered.task));
    pollCalledBackTasks(c.get("pollCalledBack"), [registered.task]);
    return c.json(presentSubscription(registered.subscription, registered.task), 201);
  });
}

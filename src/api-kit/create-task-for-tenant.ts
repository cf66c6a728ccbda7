import { loadConfig } from "../config";
import type { CreateRequest } from "../domain/create-outcome";
import { newTaskKey, type TenantId } from "../domain/ids";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { openDb } from "../storage/db";
import { rememberTask } from "../storage/on-demand";
import type { SubscriptionRow, TaskRow } from "../storage/schema";
import { registerSubscription } from "../storage/subscriptions";
import { recordUpstreamOwner } from "../storage/tenant-policy";
import { admitCreate } from "./admission";
import { ApiError } from "./api-error";
import { pollCalledBackTasks } from "./called-back";
import { externalIdFor, idempotencyKeyOf, idempotent } from "./idempotent";
import { actionPairConflict, type RegistrationBody, registrationOf } from "./registration";
import type { RequestScope, ServiceVariables } from "./services";
import type { JsonBodyVariables } from "./validation";

/** What a create reads of the request (any route's context with the tenant auth scoped it to, and its JSON body). */
export interface CreateContext extends RequestScope {
  env: Env;
  req: Parameters<typeof idempotencyKeyOf>[0];
  var: Readonly<{ tenantId: TenantId } & JsonBodyVariables & ServiceVariables>;
}

/** The subscription an app asked for with its create: a registration's fields. */
export interface Subscribe {
  body: Pick<RegistrationBody, "provider" | "action" | "action2" | "callback_url" | "events">;
  metadata: string | null;
  archive: boolean;
}

/** What a tenant's create asks: upstream's part (the relay adds its external id), and a subscription or none. */
export interface TenantCreate<S extends Subscribe | null = Subscribe | null> {
  upstream: Omit<CreateRequest, "externalId" | "lookupFirst">;
  subscribe: S;
}

/** Created and registered; `at` is when the relay wrote it down. */
export type Created = { kind: "created"; taskId: string; externalId: string; at: number; task: TaskRow; subscription: SubscriptionRow };
/** Created with no subscription asked: only remembered, for the app's queries (storage/on-demand.ts). */
export type Remembered = { kind: "remembered"; taskId: string; externalId: string; at: number };
/** Not created (rejected, unavailable), or created but registered already with another action pair (conflict). */
export type CreateFailure =
  | { kind: "rejected"; code: string | number | null; message: string }
  | { kind: "unavailable"; message: string; retryAfterMs: number | null; answerLost: boolean }
  | { kind: "conflict"; taskId: string; task: TaskRow };
export type CreateForTenant<S extends Subscribe | null> = (S extends null ? Remembered : Created) | CreateFailure;

/**
 * The relay's error for a failed create, the same on every route: 422 `upstream_rejected` with
 * upstream's own code and message, 502 `upstream_unavailable` (with `Retry-After` when upstream
 * gave one), or 409 `conflict` for another action pair.
 */
export function createFailure(failure: CreateFailure): ApiError {
  switch (failure.kind) {
    case "rejected":
      return new ApiError("upstream_rejected", "upstream refused to create the task", undefined, undefined, {
        code: failure.code,
        message: failure.message,
      });
    case "unavailable": {
      const retryAfter = failure.retryAfterMs === null ? undefined : Math.ceil(failure.retryAfterMs / 1000);
      return new ApiError("upstream_unavailable", failure.message, undefined, retryAfter);
    }
    case "conflict":
      return actionPairConflict(failure.taskId, failure.task);
  }
}

/**
 * Creates a task upstream for the request's tenant, the one way every route does: admission (the
 * account, the caps), under `idempotent` (an `Idempotency-Key` replays the first answer, and a
 * retry after a lost answer looks its create up first), upstream under the relay's own external
 * id (`externalIdFor`: an app's could name another tenant's task), the owner noted before anything
 * else (a failure after it leaves the task the tenant's, never open to others), then the
 * subscription registered, or without one the task only remembered. `answer` turns the outcome
 * into the route's own shape; the response it gives is what the key stores and replays (a 502
 * releases the key, or keeps it as lost when the answer was).
 * Upstream is called through the request's `createTask` service (the gateway's, wired by
 * src/app.ts): handlers never call upstream themselves.
 */
export async function createTaskForTenant<S extends Subscribe | null>(
  c: CreateContext,
  create: TenantCreate<S>,
  answer: (outcome: CreateForTenant<S>) => Response,
): Promise<Response> {
  const { tenantId } = c.var;
  const db = openDb(c.env.DB);
  const key = idempotencyKeyOf(c.req);
  const { upstream, subscribe } = create;
  const done = (outcome: CreateForTenant<Subscribe | null>) => answer(outcome as CreateForTenant<S>);
  return idempotent(db, { tenantId, key, requestText: c.var.jsonBodyText }, async (attempt) => {
    const account = await admitCreate(db, tenantId, upstream.provider, subscribe?.body.callback_url ?? null);
    const externalId = await externalIdFor(tenantId, key);
    const result = await c.var.services.createTask(
      c.env,
      { ...upstream, externalId, lookupFirst: attempt.afterLostAnswer },
      { tenantId, account },
    );
    if (result.kind === "unavailable") attempt.answerLost = result.answerLost;
    if (result.kind !== "created") return done(result);
    const { taskId } = result;
    const at = systemClock.now();
    if (account === "operator") await recordUpstreamOwner(db, { provider: upstream.provider, taskId, tenantId, now: at });
    if (subscribe === null) {
      const { provider, action, action2 } = upstream;
      await rememberTask(db, { key: newTaskKey(), tenantId, provider, taskId, upstreamAccount: account, action, action2, now: at });
      return done({ kind: "remembered", taskId, externalId: result.externalId, at });
    }
    const registration = registrationOf(tenantId, taskId, subscribe.body, subscribe.metadata, subscribe.archive, account);
    const registered = await registerSubscription(db, loadConfig(c.env).secretsKeyring, registration, at);
    if (registered.kind === "action_pair_conflict") return done({ kind: "conflict", taskId, task: registered.task });
    pollCalledBackTasks(c, [registered.task]);
    const { task, subscription } = registered;
    return done({ kind: "created", taskId, externalId: result.externalId, at, task, subscription });
  });
}

import { createMiddleware } from "hono/factory";
import type { CreateRequest, CreateResult } from "../domain/create-outcome";
import type { TenantId } from "../domain/ids";
import type { UpstreamAccount } from "../domain/upstream-access";
import type { Env } from "../env";
import type { TaskRow } from "../storage/schema";

/**
 * Creates a task upstream for an app, on the account admission chose for `tenantId` (its own
 * credentials, or the operator's lent). Handlers never call upstream: src/gateway makes this.
 */
export type CreateTask = (env: Env, request: CreateRequest, on: { tenantId: TenantId; account: UpstreamAccount }) => Promise<CreateResult>;

/** The request a service acts in: its bindings, and its `waitUntil` for work that outlives the answer. */
export interface RequestScope {
  env: Env;
  executionCtx: Pick<ExecutionContext, "waitUntil">;
}

/**
 * Polls, in the request's `waitUntil`, tasks that a registration just created after upstream had
 * called back about them. Handlers never poll: src/inbound makes this (see api-kit/called-back.ts).
 */
export type PollCalledBack = (request: RequestScope, tasks: readonly TaskRow[]) => void;

/**
 * What the routes may not do themselves and are given: built once by src/app.ts, set on every
 * request's context by `provideServices`, and typed as required, so a handler neither imports
 * them nor skips them when they are missing.
 */
export interface Services {
  createTask: CreateTask;
  pollCalledBack: PollCalledBack;
}
export type ServiceVariables = { services: Services };

/** The one middleware that hands every request the services (src/app.ts mounts it first, on every path). */
export const provideServices = (services: Services) =>
  createMiddleware<{ Variables: ServiceVariables }>(async function setServices(c, next) {
    c.set("services", services);
    await next();
  });

import type { CreateRequest, CreateResult } from "../domain/create-outcome";
import type { TenantId } from "../domain/ids";
import type { UpstreamAccount } from "../domain/upstream-access";
import type { Env } from "../env";

/**
 * Creates a task upstream for an app, on the account admission chose for `tenantId` (its own
 * credentials, or the operator's lent). Handlers never call upstream: src/gateway makes this, and
 * the routes get it as an argument (http/app.ts passes it to `v1`), so a route without it fails
 * type checking rather than at a request.
 */
export type CreateTask = (env: Env, request: CreateRequest, on: { tenantId: TenantId; account: UpstreamAccount }) => Promise<CreateResult>;
export type TaskCreatorVariables = { createTask: CreateTask };

import type { CreateRequest, CreateResult } from "../domain/create-outcome";
import type { UpstreamAccount } from "../domain/upstream-access";

/**
 * Creates a task upstream for the app (`POST /v1/tasks` with `create`), on the account admission
 * chose for `tenantId` (its own credentials, or the operator's lent). Handlers never call
 * upstream: http/app.ts wires this in from src/gateway, for the request at hand.
 */
export type CreateTask = (request: CreateRequest, on: { tenantId: string; account: UpstreamAccount }) => Promise<CreateResult>;
export type TaskCreatorVariables = { createTask?: CreateTask };

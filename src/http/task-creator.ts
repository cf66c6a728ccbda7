import type { CreateRequest, CreateResult } from "../domain/create-outcome";

/**
 * Creates a task upstream for the app (`POST /v1/tasks` with `create`). Handlers never call
 * upstream: http/app.ts wires this in from src/gateway, for the request at hand.
 */
export type CreateTask = (request: CreateRequest) => Promise<CreateResult>;
export type TaskCreatorVariables = { createTask?: CreateTask };

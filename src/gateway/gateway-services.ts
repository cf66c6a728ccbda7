import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import type { TaskCreatorVariables } from "../http/task-creator";
import { createTask } from "./create-task";

/**
 * Lets the API's handlers create tasks upstream (see http/task-creator.ts) without importing the
 * upstream client. Mounted on `/v1/*` by http/app.ts.
 */
export const taskCreation = (): MiddlewareHandler<{ Bindings: Env; Variables: TaskCreatorVariables }> =>
  async function setCreateTask(c, next) {
    c.set("createTask", (request) => createTask(loadConfig(c.env), request, Date.now));
    await next();
  };

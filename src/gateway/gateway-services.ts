import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import type { TaskCreatorVariables } from "../http/task-creator";
import { openDb } from "../storage/db";
import { credentialResolver } from "../work/upstream-credentials";
import { createTask, inboundUrlFor } from "./create-task";

/**
 * Lets the API's handlers create tasks upstream (see http/task-creator.ts) without importing the
 * upstream client. Mounted on `/v1/*` by http/app.ts.
 */
export const taskCreation = (): MiddlewareHandler<{ Bindings: Env; Variables: TaskCreatorVariables }> =>
  async function setCreateTask(c, next) {
    c.set("createTask", async (request, on) => {
      const config = loadConfig(c.env);
      const account = await credentialResolver(openDb(c.env.DB), config).resolve({ ...on, provider: request.provider });
      if (account.kind === "unconfigured")
        return {
          kind: "unavailable",
          message: `the relay cannot create this task: ${account.error}`,
          retryAfterMs: null,
          answerLost: false,
        };
      const callbackUrl = await inboundUrlFor(config, request.provider, on.tenantId, on.account);
      return createTask(config, request, Date.now, { credentials: account.credentials, callbackUrl });
    });
    await next();
  };

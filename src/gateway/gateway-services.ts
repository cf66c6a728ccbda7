import type { CreateTask } from "../api-kit/services";
import { loadConfig } from "../config";
import { systemClock } from "../lib/clock";
import { openDb } from "../storage/db";
import { credentialResolver } from "../work/upstream-credentials";
import { createTask, inboundUrlFor } from "./create-task";

/**
 * The API's create upstream (`CreateTask`, api-kit/services.ts): the account's credentials (the tenant's own,
 * or the operator's), the relay's callback URL for that account, then `createTask`. Given to the
 * routes (the API's and the drop-in paths') as a service by src/app.ts, so that both create alike.
 */
export const createOnAccount: CreateTask = async (env, request, on) => {
  const config = loadConfig(env);
  const account = await credentialResolver(openDb(env.DB), config).resolve({ ...on, provider: request.provider });
  if (account.kind === "unconfigured")
    return { kind: "unavailable", message: `the relay cannot create this task: ${account.error}`, retryAfterMs: null, answerLost: false };
  const callbackUrl = await inboundUrlFor(config, request.provider, on.tenantId, on.account);
  return createTask(config, request, () => systemClock.now(), { credentials: account.credentials, callbackUrl });
};

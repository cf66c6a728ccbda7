import type { Context } from "hono";
import { ApiError, errorResponse } from "../api-kit/api-error";
import { createFailure, createTaskForTenant } from "../api-kit/create-task-for-tenant";
import { takeRegistrations } from "../api-kit/rate-limit";
import { archiveOf } from "../api-kit/registration";
import { loadConfig } from "../config";
import { checkCallbackUrl } from "../domain/callback-url";
import { DEFAULT_EVENTS } from "../domain/kling";
import { type DropInEnv, envelope, jsonResponse } from "./dropin-answers";

/** The `callback_url` of a drop-in create body, checked as a registration's is; null without one. */
function callbackUrlOf(body: Record<string, unknown>, allowInsecure: boolean): string | null {
  const callbackUrl = body.callback_url;
  if (callbackUrl === undefined) return null;
  const check = typeof callbackUrl === "string" ? checkCallbackUrl(callbackUrl, { allowInsecure }) : null;
  if (!check?.ok)
    throw new ApiError("invalid_request", "invalid request: callback_url", [
      { field: "callback_url", message: check ? check.reason : "must be a string" },
    ]);
  return check.url;
}

/**
 * `POST /kling/v1/{action}/{action2}`: the create, in CometAPI's shapes, through the API's own
 * (`createTaskForTenant`): a `callback_url` becomes a subscription, upstream gets the relay's
 * external id, and the answer is CometAPI's envelope (the app's `external_task_id` echoed).
 */
export async function createForDropIn(c: Context<DropInEnv>, pair: { action: string; action2: string }): Promise<Response> {
  const { action, action2 } = pair;
  // A create is a registration: it counts against the key's registration limit.
  await takeRegistrations(c.env, c.var.apiKeyId, 1);
  const config = loadConfig(c.env);
  const body = JSON.parse(c.var.jsonBodyText) as Record<string, unknown>;
  const url = callbackUrlOf(body, config.allowInsecureCallbacks);
  const { callback_url: _callbackUrl, ...create } = body;
  // The app's own external id is kept for its answer, never sent or looked up: upstream gets the
  // relay's (on an account tenants share, the app's could name another tenant's task).
  const appExternalId = typeof create.external_task_id === "string" ? create.external_task_id : undefined;
  const upstream = { provider: "cometapi", action, action2, path: null, body: create } as const;
  const subscribe =
    url === null
      ? null
      : {
          body: { provider: "cometapi", action, action2, callback_url: url, events: DEFAULT_EVENTS } as const,
          metadata: null,
          archive: archiveOf(c.env, undefined),
        };
  return createTaskForTenant(c, { upstream, subscribe }, (outcome) => {
    if (outcome.kind !== "created" && outcome.kind !== "remembered") return errorResponse(c, createFailure(outcome));
    const data = {
      task_id: outcome.taskId,
      task_status: "submitted",
      task_info: { external_task_id: appExternalId ?? outcome.externalId },
      created_at: outcome.at,
      updated_at: outcome.at,
    };
    return jsonResponse(envelope(JSON.stringify(data)));
  });
}

import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { loadConfig } from "../config";
import { checkCallbackUrl } from "../domain/callback-url";
import { newLeaseToken } from "../domain/ids";
import { exceedsJsonDepth } from "../domain/json-depth";
import { DEFAULT_EVENTS, isProductPath, isTerminal, TASK_ID_PATTERN } from "../domain/kling";
import { taskAccess } from "../domain/upstream-access";
import type { Env } from "../env";
import { admissionError, tenantLimits } from "../http/admission";
import { ApiError, errorResponse } from "../http/api-error";
import type { AuthVariables } from "../http/bearer-auth";
import type { CalledBackVariables } from "../http/called-back";
import { createFailure, createTaskForTenant } from "../http/create-task-for-tenant";
import { takePassThrough } from "../http/passthrough-limit";
import { takeRegistrations } from "../http/rate-limit";
import { archiveOf } from "../http/registration";
import { MAX_CREATE_BODY_BYTES, MAX_METADATA_DEPTH } from "../http/registration-schema";
import { type JsonBodyVariables, validJsonBody } from "../http/validation";
import { openDb } from "../storage/db";
import { claimForQuery } from "../storage/on-demand";
import { findTask } from "../storage/read-models";
import { upstreamOwnerOf } from "../storage/tenant-policy";
import { queryCometApiTask } from "../upstream/query-cometapi";
import { pushLeaseMs } from "../work/leases";
import { pollLeased } from "../work/poll-leased";
import { credentialResolver } from "../work/upstream-credentials";
import { WorkBudget } from "../work/work-budget";
import { systemClock } from "../work/work-context";
import { emptyWorkReport } from "../work/work-report";
import { createOnAccount } from "./gateway-services";

type DropInEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables & CalledBackVariables };

/** CometAPI's success envelope around a task object's exact JSON text. */
const envelope = (data: string) => `{"code":0,"message":"SUCCEED","request_id":"relay-${crypto.randomUUID()}","data":${data}}`;
const jsonResponse = (text: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(text, { status, headers: { "content-type": "application/json", ...headers } });

function productPair(c: { req: { param(name: string): string | undefined } }): { action: string; action2: string } {
  const action = c.req.param("action") ?? "";
  const action2 = c.req.param("action2") ?? "";
  if (!isProductPath("cometapi", action, action2))
    throw new ApiError("not_found", `no route: ${action}/${action2} is not one of CometAPI's Kling products`);
  return { action, action2 };
}

/**
 * A create body as CometAPI defines it: any object, nested no deeper than a registration's `create`
 * (a deeper one would exhaust the stack of whatever walks it, and SQLite refuses depth past 1000).
 */
const DropInCreateSchema = z
  .looseObject({})
  .refine((b) => !exceedsJsonDepth(b, MAX_METADATA_DEPTH), `must nest at most ${MAX_METADATA_DEPTH} levels deep`);

/** The API's JSON body reading (415, 413 past 10 MiB, 400), for a body CometAPI defines. */
const [jsonContentType, limitBody, parseBody] = validJsonBody(() => DropInCreateSchema, MAX_CREATE_BODY_BYTES) as unknown as [
  MiddlewareHandler<DropInEnv>,
  MiddlewareHandler<DropInEnv>,
  MiddlewareHandler<DropInEnv>,
];

/**
 * CometAPI's own Kling paths, served by the relay for an app that speaks CometAPI: it changes only
 * its base URL (to the relay's) and its key (to a relay key). Mounted by http/app.ts behind the
 * API's bearer authentication; errors answer the relay's envelope.
 *
 * - `POST /kling/v1/{action}/{action2}`: the create, in CometAPI's shapes. A `callback_url` in the
 *   body becomes a subscription (signed and retried as any); upstream gets the relay's inbound URL
 *   instead. `Idempotency-Key` as on `POST /v1/tasks`. Upstream gets the relay's own external id;
 *   the app's `external_task_id` is only echoed in the answer. The create itself is the API's
 *   (http/create-task-for-tenant.ts): only the answer's shape is CometAPI's.
 * - `GET /kling/v1/{action}/{action2}/{task_id}`: answers from the relay's last view of the task
 *   when it is at most `POLL_MIN_INTERVAL_SECONDS` old (or final), otherwise polls upstream once
 *   (under a claim, as a tick would) and answers that; a task the relay does not know is passed
 *   through to upstream as it is, when the tenant may reach it there (`taskAccess`), at most
 *   `caps.passthrough_per_minute` a minute (`takePassThrough`).
 */
export const dropInRoutes = new Hono<DropInEnv>()
  .post("/kling/v1/:action/:action2", jsonContentType, limitBody, parseBody, async (c) => {
    const { action, action2 } = productPair(c);
    // A create is a registration: it counts against the key's registration limit.
    await takeRegistrations(c.env, c.get("apiKeyId"), 1);
    const config = loadConfig(c.env);
    const body = JSON.parse(c.get("jsonBodyText")) as Record<string, unknown>;
    const { callback_url: callbackUrl, ...create } = body;
    let url: string | null = null;
    if (callbackUrl !== undefined) {
      const check =
        typeof callbackUrl === "string" ? checkCallbackUrl(callbackUrl, { allowInsecure: config.allowInsecureCallbacks }) : null;
      if (!check?.ok)
        throw new ApiError("invalid_request", "invalid request: callback_url", [
          { field: "callback_url", message: check ? check.reason : "must be a string" },
        ]);
      url = check.url;
    }
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
    return createTaskForTenant(c, createOnAccount, { upstream, subscribe }, (outcome) => {
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
  })
  .get("/kling/v1/:action/:action2/:task_id", async (c) => {
    const { action, action2 } = productPair(c);
    const taskId = c.req.param("task_id");
    if (!TASK_ID_PATTERN.test(taskId)) throw new ApiError("not_found", "no such task");
    const config = loadConfig(c.env);
    const db = openDb(c.env.DB);
    const now = systemClock.now();
    const known = await findTask(db, c.get("tenantId"), "cometapi", taskId);
    const ours = known && known.action === action && known.action2 === action2 ? known : undefined;
    const fresh = (t: typeof known) =>
      t?.data != null && (isTerminal(t.taskStatus) || (t.lastPolledAt ?? 0) >= now - config.pollMinIntervalMs);
    if (ours && fresh(ours)) return jsonResponse(envelope(ours.data!), 200, { "x-relay-cache": "hit" });
    if (ours) {
      const leaseToken = newLeaseToken();
      const claimed = await claimForQuery(db, { key: ours.id, now, leaseToken, leaseMs: pushLeaseMs(config.upstreamTimeoutMs) });
      if (claimed) {
        const report = { ...emptyWorkReport(), released: 0 };
        await pollLeased({ db, config, clock: systemClock, budget: new WorkBudget(1, now + config.upstreamTimeoutMs), report }, [claimed]);
      }
      const seen = await findTask(db, c.get("tenantId"), "cometapi", taskId);
      if (seen?.data != null) return jsonResponse(envelope(seen.data), 200, { "x-relay-cache": claimed ? "miss" : "hit" });
    }
    // Not a task of the relay's (or never seen yet): upstream's own answer, as it is, if the tenant
    // may reach the id there (its own account, or a trusted tenant on the operator's and an id no
    // other tenant created), within its pass-through limit.
    const { policy, caps } = await tenantLimits(db, c.get("tenantId"));
    const access = taskAccess(policy, "cometapi", await upstreamOwnerOf(db, "cometapi", taskId));
    if (access.kind === "refused") throw admissionError(access, { provider: "cometapi", taskId });
    await takePassThrough(c.env, c.get("tenantId"), caps.passthrough_per_minute);
    // With the account `taskAccess` chose: a tenant with its own credentials passes through with its own key.
    const credentials = await credentialResolver(db, config).resolve({
      tenantId: c.get("tenantId"),
      provider: "cometapi",
      account: access.account,
    });
    if (credentials.kind === "unconfigured" || !("apiKey" in credentials.credentials))
      throw new ApiError("upstream_unavailable", "the relay cannot query upstream for this tenant: its CometAPI account is not configured");
    const exchange = await queryCometApiTask({
      baseUrl: config.upstreamBaseUrl,
      apiKey: credentials.credentials.apiKey,
      action,
      action2,
      taskId,
      timeoutMs: config.upstreamTimeoutMs,
    });
    if (exchange.kind !== "response" || exchange.truncated)
      throw new ApiError(
        "upstream_unavailable",
        `upstream did not answer (${exchange.kind === "response" ? "body too large" : exchange.kind})`,
      );
    return jsonResponse(exchange.body, exchange.status, { "x-relay-cache": "pass" });
  });

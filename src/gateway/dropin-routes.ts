import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { loadConfig } from "../config";
import { checkCallbackUrl } from "../domain/callback-url";
import { exceedsJsonDepth } from "../domain/json-depth";
import { DEFAULT_EVENTS, isProductPath, isTerminal, TASK_ID_PATTERN } from "../domain/kling";
import { newId } from "../domain/tenancy";
import { taskAccess } from "../domain/upstream-access";
import type { Env } from "../env";
import { admissionError, admitCreate, tenantLimits } from "../http/admission";
import { ApiError, errorResponse } from "../http/api-error";
import type { AuthVariables } from "../http/bearer-auth";
import { type CalledBackVariables, pollCalledBackTasks } from "../http/called-back";
import { createdFor, upstreamRejected } from "../http/create-and-register";
import { externalIdFor, idempotencyKeyOf, idempotent } from "../http/idempotent";
import { takePassThrough } from "../http/passthrough-limit";
import { takeRegistrations } from "../http/rate-limit";
import { archiveOf, registrationOf } from "../http/registration";
import { MAX_CREATE_BODY_BYTES, MAX_METADATA_DEPTH } from "../http/registration-schema";
import { type JsonBodyVariables, validJsonBody } from "../http/validation";
import { newLeaseToken, openDb } from "../storage/db";
import { claimForQuery, rememberTask } from "../storage/on-demand";
import { findTask } from "../storage/read-models";
import { registerSubscription } from "../storage/subscriptions";
import { upstreamOwnerOf } from "../storage/tenant-policy";
import { queryKlingTask } from "../upstream/query-task";
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
 *   the app's `external_task_id` is only echoed in the answer.
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
    const tenantId = c.get("tenantId");
    const db = openDb(c.env.DB);
    const key = idempotencyKeyOf(c.req);
    // The app's own external id is kept for its answer, never sent or looked up: upstream gets the
    // relay's (on an account tenants share, the app's could name another tenant's task).
    const appExternalId = typeof create.external_task_id === "string" ? create.external_task_id : undefined;
    return idempotent(db, { tenantId, key, requestText: c.get("jsonBodyText") }, async (attempt) => {
      const account = await admitCreate(db, tenantId, "cometapi", url);
      const externalId = await externalIdFor(tenantId, key);
      const result = await createOnAccount(
        c.env,
        { provider: "cometapi", action, action2, path: null, body: create, externalId, lookupFirst: attempt.afterLostAnswer },
        { tenantId, account },
      );
      if (result.kind === "unavailable") {
        attempt.answerLost = result.answerLost;
        const retryAfter = result.retryAfterMs === null ? undefined : Math.ceil(result.retryAfterMs / 1000);
        return errorResponse(c, new ApiError("upstream_unavailable", result.message, undefined, retryAfter));
      }
      if (result.kind === "rejected") return errorResponse(c, upstreamRejected(result));
      await createdFor(db, tenantId, "cometapi", result.taskId, account);
      const now = Date.now();
      if (url === null) {
        await rememberTask(db, {
          key: newId("tsk"),
          tenantId,
          provider: "cometapi",
          taskId: result.taskId,
          upstreamAccount: account,
          action,
          action2,
          now,
        });
      } else {
        const registration = registrationOf(
          tenantId,
          result.taskId,
          { provider: "cometapi", action, action2, callback_url: url, events: DEFAULT_EVENTS },
          null,
          archiveOf(c.env, undefined),
          account,
        );
        const registered = await registerSubscription(db, config.secretsKeyring, registration, now);
        pollCalledBackTasks(c.get("pollCalledBack"), [registered.task]);
      }
      const data = {
        task_id: result.taskId,
        task_status: "submitted",
        task_info: { external_task_id: appExternalId ?? result.externalId },
        created_at: now,
        updated_at: now,
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
    const now = Date.now();
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
    const exchange = await queryKlingTask({
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

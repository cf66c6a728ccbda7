import { admissionError, tenantLimits } from "../api-kit/admission";
import { ApiError } from "../api-kit/api-error";
import { takePassThrough } from "../api-kit/passthrough-limit";
import { type Config, loadConfig } from "../config";
import { newLeaseToken, type TenantId } from "../domain/ids";
import { isTerminal } from "../domain/kling";
import { taskAccess } from "../domain/upstream-access";
import type { Env } from "../env";
import { type Db, openDb } from "../storage/db";
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
import { envelope, jsonResponse } from "./dropin-answers";

/** A drop-in query: the tenant, the product path and the task id it names. */
interface DropInQuery {
  tenantId: TenantId;
  action: string;
  action2: string;
  taskId: string;
}

/**
 * The relay's own view of a task of the tenant's on this product path: as it is when at most
 * `POLL_MIN_INTERVAL_SECONDS` old (or final), otherwise polled upstream once under a claim, as a
 * tick would (another poll holding the claim: its last view). Null for a task the relay does not
 * know, or has seen nothing of yet.
 */
async function relayView(db: Db, config: Config, query: DropInQuery): Promise<Response | null> {
  const { tenantId, action, action2, taskId } = query;
  const now = systemClock.now();
  const known = await findTask(db, tenantId, "cometapi", taskId);
  const ours = known && known.action === action && known.action2 === action2 ? known : undefined;
  const fresh = (t: typeof known) =>
    t?.data != null && (isTerminal(t.taskStatus) || (t.lastPolledAt ?? 0) >= now - config.pollMinIntervalMs);
  if (ours && fresh(ours)) return jsonResponse(envelope(ours.data!), 200, { "x-relay-cache": "hit" });
  if (!ours) return null;
  const leaseToken = newLeaseToken();
  const claimed = await claimForQuery(db, { key: ours.id, now, leaseToken, leaseMs: pushLeaseMs(config.upstreamTimeoutMs) });
  if (claimed) {
    const report = { ...emptyWorkReport(), released: 0 };
    await pollLeased({ db, config, clock: systemClock, budget: new WorkBudget(1, now + config.upstreamTimeoutMs), report }, [claimed]);
  }
  const seen = await findTask(db, tenantId, "cometapi", taskId);
  return seen?.data != null ? jsonResponse(envelope(seen.data), 200, { "x-relay-cache": claimed ? "miss" : "hit" }) : null;
}

/**
 * Upstream's own answer, as it is, for a task the relay does not know, if the tenant may reach the
 * id there (its own account, or a trusted tenant on the operator's and an id no other tenant
 * created), within its pass-through limit.
 */
async function passThrough(env: Env, db: Db, config: Config, query: DropInQuery): Promise<Response> {
  const { tenantId, action, action2, taskId } = query;
  const { policy, caps } = await tenantLimits(db, tenantId);
  const access = taskAccess(policy, "cometapi", await upstreamOwnerOf(db, "cometapi", taskId));
  if (access.kind === "refused") throw admissionError(access, { provider: "cometapi", taskId });
  await takePassThrough(env, tenantId, caps.passthrough_per_minute);
  // With the account `taskAccess` chose: a tenant with its own credentials passes through with its own key.
  const credentials = await credentialResolver(db, config).resolve({ tenantId, provider: "cometapi", account: access.account });
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
}

/** `GET /kling/v1/{action}/{action2}/{task_id}`: the relay's view of the task, or upstream's passed through. */
export async function answerDropInQuery(env: Env, query: DropInQuery): Promise<Response> {
  const config = loadConfig(env);
  const db = openDb(env.DB);
  return (await relayView(db, config, query)) ?? passThrough(env, db, config, query);
}

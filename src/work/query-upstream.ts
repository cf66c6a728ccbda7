import type { Config } from "../config";
import { classifyBatch } from "../domain/batch-outcome";
import { isNewApiTask, type KlingCredentials } from "../domain/kling";
import { classifyPoll, isTokenRejection, type PollOutcome } from "../domain/poll-outcome";
import { systemClock } from "../lib/clock";
import type { ClaimedTask } from "../storage/claim-tasks";
import { invalidateKlingToken, klingAuthorization } from "../upstream/kling-auth";
import { queryCometApiTask } from "../upstream/query-cometapi";
import { isKlingProductPath, queryKlingBatch, queryKlingLegacy } from "../upstream/query-kling";

/**
 * One task's poll, through its provider: CometAPI's proxy; Kling's own legacy query for a task
 * with a product path; Kling's new query (`GET /tasks?task_ids=`) for one without. Returns the
 * outcome classified. A token Kling refused as expired or not yet valid (1004/1003) is dropped, so
 * the next poll signs a new one. The JWT is signed against the real clock: Kling checks it with its
 * own, whatever clock schedules the work. `credentials` are those of the task's account
 * (work/upstream-credentials.ts): CometAPI takes only an API key.
 */
export async function pollUpstream(
  config: Config,
  task: ClaimedTask,
  now: () => number,
  credentials: KlingCredentials,
): Promise<PollOutcome> {
  if (task.provider !== "kling") {
    if (!("apiKey" in credentials)) return { kind: "configuration", error: "CometAPI needs an API key", retryAfterMs: null };
    return classifyPoll(
      await queryCometApiTask({
        baseUrl: config.upstreamBaseUrl,
        apiKey: credentials.apiKey,
        action: task.action,
        action2: task.action2,
        taskId: task.taskId,
        timeoutMs: config.upstreamTimeoutMs,
      }),
      now(),
    );
  }
  // One id through the batch query: the same request and reading as a batch's. The tick and
  // `pollLeased` send these tasks many per request instead (work/poll-units.ts).
  if (isNewApiTask(task)) return (await pollUpstreamBatch(config, [task.taskId], now, credentials)).get(task.taskId)!;
  const productPath = `${task.action}/${task.action2}`;
  if (!isKlingProductPath(productPath))
    return { kind: "rejected", reason: "invalid_request", error: `not a product path of Kling's API: ${productPath}` };
  const authorization = await klingAuthorization(credentials, systemClock.now());
  const outcome = classifyPoll(
    await queryKlingLegacy({
      baseUrl: config.klingBaseUrl,
      authorization,
      productPath,
      taskId: task.taskId,
      timeoutMs: config.upstreamTimeoutMs,
    }),
    now(),
  );
  if (isTokenRejection(outcome)) invalidateKlingToken(credentials, authorization);
  return outcome;
}

/**
 * Tasks of Kling's new API in one request: an outcome per task id (an id missing from the answer
 * is "not found" for that task only; a failed request is the same outcome for every id). The
 * caller keeps `tasks` within `KLING_BATCH_SIZE` and the URL within 16 KB (`chunkTaskIds`), and
 * every id on the one account `credentials` sign in to: Kling answers another account's id as not
 * found, and one request never mixes two accounts.
 */
export async function pollUpstreamBatch(
  config: Config,
  taskIds: readonly string[],
  now: () => number,
  credentials: KlingCredentials,
): Promise<Map<string, PollOutcome>> {
  if (!("apiKey" in credentials)) {
    const outcome: PollOutcome = {
      kind: "configuration",
      error: "Kling's new API needs an API key (KLING_API_KEY, or the tenant's api_key)",
      retryAfterMs: null,
    };
    return new Map(taskIds.map((id) => [id, outcome]));
  }
  const authorization = await klingAuthorization(credentials, systemClock.now());
  const exchange = await queryKlingBatch({ baseUrl: config.klingBaseUrl, authorization, taskIds, timeoutMs: config.upstreamTimeoutMs });
  return classifyBatch(exchange, taskIds, now());
}

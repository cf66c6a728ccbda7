import type { Config } from "../config";
import { classifyBatch } from "../domain/batch-outcome";
import { isNewApiTask } from "../domain/kling";
import { classifyPoll, isTokenRejection, type PollOutcome } from "../domain/poll-outcome";
import type { ClaimedTask } from "../storage/claim-tasks";
import { invalidateKlingToken, klingAuthorization } from "../upstream/kling-auth";
import { isKlingProductPath, queryKlingBatch, queryKlingLegacy } from "../upstream/query-kling";
import { queryKlingTask } from "../upstream/query-task";

/**
 * One task's poll, through its provider: CometAPI's proxy; Kling's own legacy query for a task
 * with a product path; Kling's new query (`GET /tasks?task_ids=`) for one without. Returns the
 * outcome classified. A token Kling refused as expired or not yet valid (1004/1003) is dropped, so
 * the next poll signs a new one. The JWT is signed against the real clock: Kling checks it with its
 * own, whatever clock schedules the work.
 */
export async function pollUpstream(config: Config, task: ClaimedTask, now: () => number): Promise<PollOutcome> {
  if (task.provider !== "kling")
    return classifyPoll(
      await queryKlingTask({
        baseUrl: config.upstreamBaseUrl,
        apiKey: config.upstreamKey,
        action: task.action,
        action2: task.action2,
        taskId: task.taskId,
        timeoutMs: config.upstreamTimeoutMs,
      }),
      now(),
    );
  const credentials = config.klingCredentials;
  // Claimed only while the credentials exist (pollableProviders); removed since, it waits.
  if (!credentials)
    return {
      kind: "configuration",
      error: "no Kling credentials (KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY)",
      retryAfterMs: null,
    };
  // One id through the batch query: the same request and reading as the tick's batches.
  if (isNewApiTask(task)) return (await pollUpstreamBatch(config, [task.taskId], now)).get(task.taskId)!;
  const productPath = `${task.action}/${task.action2}`;
  if (!isKlingProductPath(productPath))
    return { kind: "rejected", reason: "invalid_request", error: `not a product path of Kling's API: ${productPath}` };
  const authorization = await klingAuthorization(credentials, Date.now());
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
 * caller keeps `tasks` within `KLING_BATCH_SIZE` and the URL within 16 KB (`chunkTaskIds`).
 */
export async function pollUpstreamBatch(config: Config, taskIds: readonly string[], now: () => number): Promise<Map<string, PollOutcome>> {
  const credentials = config.klingCredentials;
  if (!credentials || !("apiKey" in credentials)) {
    const outcome: PollOutcome = { kind: "configuration", error: "Kling's new API needs KLING_API_KEY", retryAfterMs: null };
    return new Map(taskIds.map((id) => [id, outcome]));
  }
  const authorization = await klingAuthorization(credentials, Date.now());
  const exchange = await queryKlingBatch({ baseUrl: config.klingBaseUrl, authorization, taskIds, timeoutMs: config.upstreamTimeoutMs });
  return classifyBatch(exchange, taskIds, now());
}

import type { Config } from "../config";
import { isNewApiTask } from "../domain/kling";
import type { ClaimedTask } from "../storage/claim-tasks";
import type { PollRecord } from "../storage/record-polls";
import { chunkTaskIds } from "../upstream/query-kling";
import type { PollWork } from "./poll-work";
import { accountOfRow, type CredentialResolver } from "./upstream-credentials";

/**
 * One upstream request's worth of tasks: one task, or up to `KLING_BATCH_SIZE` tasks of Kling's new
 * API on one account, queried together (`GET /tasks?task_ids=`). The tick and every caller of
 * `pollLeased` (queue consumers, callbacks) spend one subrequest per unit, not per task.
 */
export type PollUnit<T extends ClaimedTask = ClaimedTask> = { batch: false; tasks: [T] } | { batch: true; tasks: T[] };

/**
 * Tasks of Kling's new API grouped by the account that queries them (one request never asks for
 * two accounts' ids), each group's ids chunked into requests; a task whose account is not
 * configured goes with the others of its tenant, and is settled without a request.
 */
export async function batchChunks<T extends ClaimedTask>(
  config: Config,
  credentials: CredentialResolver,
  tasks: readonly T[],
): Promise<T[][]> {
  await credentials.prepare(tasks);
  const groups = new Map<string, T[]>();
  for (const task of tasks) {
    const account = await credentials.resolve({
      tenantId: task.tenantId,
      provider: task.provider,
      account: accountOfRow(task.upstreamAccount),
    });
    const key = account.kind === "ok" ? account.accountKey : `unconfigured:${task.tenantId}:${task.upstreamAccount}`;
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }
  const chunks: T[][] = [];
  for (const group of groups.values()) {
    // Two tenants may register the same id on one account: both tasks ride on its one entry.
    const byId = new Map<string, T[]>();
    for (const task of group) byId.set(task.taskId, [...(byId.get(task.taskId) ?? []), task]);
    for (const ids of chunkTaskIds(config.klingBaseUrl, [...byId.keys()], config.klingBatchSize))
      chunks.push(ids.flatMap((id) => byId.get(id)!));
  }
  return chunks;
}

/**
 * Tasks already claimed, as the requests that poll them: Kling's new API in batches (`batchChunks`),
 * first, as the tick claims them; every other task alone, in the order given.
 */
export async function pollUnits<T extends ClaimedTask>(
  config: Config,
  credentials: CredentialResolver,
  tasks: readonly T[],
): Promise<PollUnit<T>[]> {
  const units: PollUnit<T>[] = (await batchChunks(config, credentials, tasks.filter(isNewApiTask))).map((chunk) => ({
    batch: true,
    tasks: chunk,
  }));
  for (const task of tasks) if (!isNewApiTask(task)) units.push({ batch: false, tasks: [task] });
  return units;
}

/** One unit's request, and a record per task in it. */
export const pollUnit = (work: PollWork, unit: PollUnit): Promise<PollRecord[]> =>
  unit.batch ? work.pollBatch(unit.tasks) : work.poll(unit.tasks[0]).then((record) => [record]);

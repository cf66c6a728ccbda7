import { sql } from "drizzle-orm";
import type { ArchiveLinkConfig } from "../domain/archive-link";
import { archiveResultsOf } from "../domain/archive-plan";
import type { TaskKey, TenantId } from "../domain/ids";
import { archiveFilesOfTasks } from "./archive-files";
import { asJson, type Db, keySet, runBatch, statement } from "./db";
import { fanOutToSubscriptions } from "./fan-out";
import { messageIn, redeliverySet } from "./message-sql";
import { column as of, readAll, rowSchema } from "./rows";
import { messages, subscriptions, tasks } from "./schema";
import { resumeTaskPolling } from "./settle";

/**
 * The failed messages one recovery moves at most: one D1 batch of a few statements over a JSON
 * list of this many ids. The caller asks again while `more` says some are left (those moved are no
 * longer failed, so the next call starts at the next ones).
 */
export const RECOVER_BATCH = 1_000;

const FailedRow = rowSchema({
  id: of(messages.id),
  subscription_id: of(messages.subscriptionId),
  task_key: of(subscriptions.taskKey),
  archive: of(tasks.archive),
  event_type: of(messages.eventType),
});

/**
 * `POST /v1/endpoints/{id}/recover`: every `failed` message of the endpoint created at `since` or
 * later, oldest first, at most `RECOVER_BATCH`, each sent again as `POST
 * /v1/subscriptions/{id}/redeliver` sends one (storage/subscriptions.ts `redeliverLatest`): same
 * message (same webhook-id), a fresh retry cycle (schedule step 0), due now (or held while its
 * task's files are still being copied), archive links signed anew; its subscription active again,
 * caught up with its task's last event, the task polled again if it still runs. A message of a
 * cancelled subscription stays as it is (registering it again revives it).
 *
 * The endpoint must be the tenant's (the caller checks, and every statement checks it again).
 * Reads `messages_endpoint_created` from `since` on: a search of the endpoint's rows, never a
 * scan.
 */
export async function recoverEndpoint(
  db: Db,
  tenant: TenantId,
  endpointId: string,
  since: number,
  now: number,
  links: ArchiveLinkConfig,
): Promise<{ recovered: number; more: boolean }> {
  const found = await readAll(
    db,
    FailedRow,
    "an endpoint's failed messages",
    sql`SELECT m.id, m.subscription_id, s.task_key, t.archive, m.event_type
    FROM messages m JOIN subscriptions s ON s.id = m.subscription_id JOIN tasks t ON t.id = s.task_key
    WHERE m.endpoint_id = ${endpointId} AND +m.tenant_id = ${tenant} AND m.created_at >= ${since}
      AND ${messageIn("m.state", "failed")} AND s.status <> 'cancelled'
    ORDER BY m.created_at, m.id
    LIMIT ${RECOVER_BATCH + 1}`,
  );
  const batch = found.slice(0, RECOVER_BATCH);
  if (batch.length === 0) return { recovered: 0, more: false };

  // A task.succeeded of an archived task gets its links signed anew, as a redelivery does: the old
  // ones may have expired while it lay failed.
  const archived = [...new Set(batch.filter((m) => m.event_type === "task.succeeded" && m.archive === "done").map((m) => m.task_key))];
  const files = await archiveFilesOfTasks(db, archived);
  const fresh = new Map<TaskKey, string>();
  for (const [taskKey, ofTask] of files) fresh.set(taskKey, JSON.stringify(await archiveResultsOf(links, ofTask, now)));

  const rows = asJson(
    batch.map((m) => ({
      id: m.id,
      task_key: m.task_key,
      archive: m.event_type === "task.succeeded" ? (fresh.get(m.task_key) ?? null) : null,
    })),
  );
  const taskKeys = keySet([...new Set(batch.map((m) => m.task_key))]);
  const subscriptionIds = keySet([...new Set(batch.map((m) => m.subscription_id))]);
  const results = await runBatch(db, [
    statement(
      db,
      sql`UPDATE subscriptions SET status = 'active', status_reason = NULL, updated_at = ${now}
      WHERE id IN ${subscriptionIds} AND tenant_id = ${tenant} AND status <> 'cancelled'`,
    ),
    // Only messages still failed: one a concurrent redelivery already moved is left to it.
    statement(
      db,
      sql`UPDATE messages SET ${redeliverySet(sql`r.value ->> 'task_key'`, sql`coalesce(r.value ->> 'archive', archive)`, now)}
      FROM json_each(${rows}) r
      WHERE messages.id = r.value ->> 'id' AND ${messageIn("messages.state", "failed")} AND messages.tenant_id = ${tenant}`,
    ),
    fanOutToSubscriptions(db, taskKeys, subscriptionIds, now),
    resumeTaskPolling(db, taskKeys, now),
  ]);
  return { recovered: results[1]?.meta.changes ?? 0, more: found.length > RECOVER_BATCH };
}

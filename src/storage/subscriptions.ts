import { desc, eq, sql } from "drizzle-orm";
import type { ArchiveLinkConfig } from "../domain/archive-link";
import { archiveResultsOf } from "../domain/archive-plan";
import type { TaskKey, TenantId } from "../domain/ids";
import type { EventType, Provider } from "../domain/kling";
import { OPEN_MESSAGE_STATES, UNLEASED_OPEN_STATES } from "../domain/message-states";
import { sealEndpointKey } from "../domain/sealed-endpoint-keys";
import type { UpstreamAccount } from "../domain/upstream-access";
import type { SecretsKeyring } from "../lib/sealed-secrets";
import { archiveFilesOfTask } from "./archive-files";
import { taskArchive } from "./archive-sql";
import { asJson, type Db, keySet, prebuilt, runBatch, statement } from "./db";
import { fanOutToSubscription, fanOutToSubscriptions } from "./fan-out";
import { HINT_TTL_MS } from "./inbound-callbacks";
import { messageIn, moveTo, redeliverySet } from "./message-sql";
import { batchRows, selectList, wholeRowSchema } from "./rows";
import { messages, type SubscriptionRow, subscriptions, type TaskRow, tasks } from "./schema";
import { resumeTaskPolling, settleTasks } from "./settle";

export interface Registration {
  id: string;
  tenantId: TenantId;
  provider: Provider;
  taskId: string;
  action: string;
  action2: string;
  callbackUrl: string;
  events: EventType[];
  /** The metadata's JSON text exactly as the app sent it (numbers untouched), or null. */
  metadata: string | null;
  /** Whether the task's output files are to be archived (once asked, a task stays asked). */
  archive: boolean;
  /** The upstream account a task created by this registration lives on (domain/upstream-access.ts). */
  upstreamAccount: UpstreamAccount;
  /** The key a task created by this registration gets (unused when the tenant has the task already). */
  taskKeyIfNew: TaskKey;
  /** Id and secret (in clear: stored sealed under the keyring) of the endpoint created if the tenant has none for this URL yet. */
  newEndpoint: { id: string; secret: string };
}

export type RegistrationResult =
  | { kind: "created" | "existing"; subscription: SubscriptionRow; task: TaskRow }
  | { kind: "action_pair_conflict"; task: TaskRow };

/**
 * Registers callbacks for tenants' tasks in a single D1 batch, so concurrent registrations and
 * ticks never interleave: each task is created if the tenant has none by that id (due at once;
 * pushed already if upstream called back about it in the last 10 minutes: `inbound_hints`);
 * so is the tenant's endpoint for the URL, with its own secret; the subscription is inserted only
 * if the task has the same action pair; a task left idle resumes polling; the event the task
 * already reached is sent at once.
 *
 * Registering the same (task, URL) again makes the registration's `events` and `metadata` the
 * subscription's own (a registration says the whole of what it wants, as a first one does):
 * - a cancelled subscription becomes active again; a delivered one too, and settles back to
 *   delivered in the same batch unless it now asks for an event still to come; a failed one stays
 *   failed (redeliver revives it); an identical registration changes nothing, not even updated_at;
 * - messages created from now on carry the new metadata, and so does a pending message no attempt
 *   was made of yet (none recorded, none under way); a message already attempted keeps its bytes,
 *   so every retry of a `webhook-id` sends the same body. Messages created for events the new
 *   list leaves out go on: events decide what is created, not what was.
 */
export async function registerSubscription(
  db: Db,
  keyring: SecretsKeyring | null,
  r: Registration,
  now: number,
): Promise<RegistrationResult> {
  const [result] = await registerSubscriptions(db, keyring, [r], now);
  if (!result) throw new Error("registration batch answered nothing");
  return result;
}

/**
 * Many registrations as `registerSubscription` makes one, all in one D1 batch of a fixed number of
 * statements (the registrations travel as one JSON parameter, read with `json_each`, in order: a
 * later one meets what an earlier one created, e.g. its task), read back at the batch's end.
 * One result per registration, in order. Callers keep (tenant, provider, task id, callback URL)
 * unique within one call: two registrations of one subscription would both answer its final state.
 * New endpoints' secrets are stored sealed under `keyring` (in clear without one).
 */
export async function registerSubscriptions(
  db: Db,
  keyring: SecretsKeyring | null,
  rs: readonly Registration[],
  now: number,
): Promise<RegistrationResult[]> {
  if (rs.length === 0) return [];
  const sealed = await Promise.all(
    rs.map(async (r) => ({
      ...r,
      newEndpoint: { id: r.newEndpoint.id, secret: await sealEndpointKey(keyring, r.newEndpoint.id, "secret", r.newEndpoint.secret) },
    })),
  );
  const pairs = registrationPairs(rs);
  // The answer is read back in the same batch, after the writes: one round trip, and what it
  // reads is exactly what this transaction left.
  const results = await runBatch(db, [...registrationStatements(db, sealed, now), ...readBack(db, { pairs })]);
  const taskRows: TaskRow[] = batchRows(WholeTask, "the registrations' tasks", results.at(-2));
  const subRows: SubscriptionRow[] = batchRows(WholeSubscription, "the registrations' subscriptions", results.at(-1));
  const taskOf = new Map(taskRows.map((t) => [JSON.stringify([t.tenantId, t.provider, t.taskId]), t]));
  const subscriptionOf = new Map(subRows.map((s) => [JSON.stringify([s.taskKey, s.callbackUrl]), s]));
  return rs.map((r) => {
    const task = taskOf.get(JSON.stringify([r.tenantId, r.provider, r.taskId]));
    if (!task) throw new Error("registration batch left no task row");
    const subscription = subscriptionOf.get(JSON.stringify([task.id, r.callbackUrl]));
    // Checked on the task, not on the subscription: an existing subscription for the same URL must
    // not hide that this registration names another action pair.
    if (!subscription || task.action !== r.action || task.action2 !== r.action2) return { kind: "action_pair_conflict", task };
    return { kind: subscription.id === r.id ? "created" : "existing", subscription, task };
  });
}

/** Whole rows of tasks and subscriptions, as drizzle's `select()` gives them, for the read-back. */
const WholeTask = wholeRowSchema(tasks);
const WholeSubscription = wholeRowSchema(subscriptions);

/** The registrations' tasks and subscriptions, whole, by the pairs that name them. */
const readBack = prebuilt([{ pairs: "[1]" }, { pairs: "[2]" }], (db, { pairs }) => [
  statement(db, sql`SELECT ${selectList(WholeTask)} FROM tasks WHERE id IN ${registeredTaskKeys(pairs)}`),
  statement(db, sql`SELECT ${selectList(WholeSubscription)} FROM subscriptions WHERE id IN ${registeredSubscriptionIds(pairs)}`),
]);

/** What names each registration's task and subscription, as one JSON parameter (`r.value`). */
const registrationPairs = (rs: readonly Registration[]) =>
  asJson(rs.map((r) => ({ tenant_id: r.tenantId, provider: r.provider, task_id: r.taskId, callback_url: r.callbackUrl })));

/** `r` (a row of `json_each`) names task `t`: found through the unique (tenant, provider, task id) index. */
const NAMES_TASK = sql`t.tenant_id = r.value ->> 'tenant_id' AND t.provider = r.value ->> 'provider' AND t.task_id = r.value ->> 'task_id'`;

/** The keys of the registrations' tasks, as a SQL set. CROSS JOIN: json_each drives, tasks is searched. */
const registeredTaskKeys = (pairs: string) => sql`(SELECT t.id FROM json_each(${pairs}) r CROSS JOIN tasks t WHERE ${NAMES_TASK})`;

/** The ids of the registrations' subscriptions (by task and URL), as a SQL set. */
const registeredSubscriptionIds = (pairs: string) =>
  sql`(SELECT s.id FROM json_each(${pairs}) r CROSS JOIN tasks t CROSS JOIN subscriptions s
    WHERE ${NAMES_TASK} AND s.task_key = t.id AND s.callback_url = r.value ->> 'callback_url')`;

/**
 * The statements of `registerSubscriptions`, the same few whatever the number of registrations:
 * each reads them all from one JSON parameter. New endpoints' secrets are stored as given (sealed by the caller).
 */
export function registrationStatements(db: Db, rs: readonly Registration[], now: number): D1PreparedStatement[] {
  const rows = asJson(
    rs.map((r) => ({
      id: r.id,
      tenant_id: r.tenantId,
      provider: r.provider,
      task_id: r.taskId,
      action: r.action,
      action2: r.action2,
      callback_url: r.callbackUrl,
      // Text, compared and stored as it is: the exact metadata and the events array.
      events: JSON.stringify(r.events),
      metadata: r.metadata,
      task_key: r.taskKeyIfNew,
      endpoint_id: r.newEndpoint.id,
      endpoint_secret: r.newEndpoint.secret,
      archive: r.archive ? 1 : 0,
      upstream_account: r.upstreamAccount === "own" ? "own" : null,
    })),
  );
  return registrationWrites(db, { rows, pairs: registrationPairs(rs), now, hintSince: now - HINT_TTL_MS });
}

/** The values a registration batch binds: its rows and pairs as JSON, the time, and the oldest hint it takes. */
type RegistrationValues = { rows: string; pairs: string; now: number; hintSince: number };
const standIn = (n: number): RegistrationValues => ({ rows: `[${n}]`, pairs: `[${n + 1}]`, now: n + 2, hintSince: n + 3 });

/** `registrationStatements`' statements, built by drizzle once (`prebuilt`). */
const registrationWrites = prebuilt([standIn(-10), standIn(-20)], (db, { rows, pairs, now, hintSince }) => {
  const taskKeys = registeredTaskKeys(pairs);
  // `WHERE true`: SQLite needs a WHERE in an INSERT ... SELECT with an upsert clause.
  return [
    statement(
      db,
      sql`INSERT INTO tasks (id, tenant_id, provider, task_id, upstream_account, action, action2, next_poll_at, pushed_at, created_at, updated_at)
      SELECT r.value ->> 'task_key', r.value ->> 'tenant_id', r.value ->> 'provider', r.value ->> 'task_id', r.value ->> 'upstream_account',
        r.value ->> 'action', r.value ->> 'action2', ${now},
        -- Upstream called back before this registration: the task is pushed from the start.
        (SELECT h.received_at FROM inbound_hints h WHERE h.provider = r.value ->> 'provider' AND h.task_id = r.value ->> 'task_id'
          AND h.received_at >= ${hintSince}),
        ${now}, ${now}
      FROM json_each(${rows}) r WHERE true
      ON CONFLICT DO NOTHING`,
    ),
    // A task asked to archive stays asked; one that finished archiving is not archived again.
    statement(
      db,
      sql`UPDATE tasks SET archive = ${taskArchive("requested")}, updated_at = ${now}
      WHERE archive IS NULL AND id IN (SELECT t.id FROM json_each(${rows}) r CROSS JOIN tasks t WHERE ${NAMES_TASK} AND r.value ->> 'archive' = 1)`,
    ),
    statement(
      db,
      sql`INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at)
      SELECT r.value ->> 'endpoint_id', r.value ->> 'tenant_id', r.value ->> 'callback_url', r.value ->> 'endpoint_secret', ${now}, ${now}
      FROM json_each(${rows}) r WHERE true
      ON CONFLICT DO NOTHING`,
    ),
    statement(
      db,
      sql`INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, metadata, status, created_at, updated_at)
      SELECT r.value ->> 'id', r.value ->> 'tenant_id', t.id, e.id, r.value ->> 'callback_url', r.value ->> 'events', r.value ->> 'metadata',
        'active', ${now}, ${now}
      FROM json_each(${rows}) r CROSS JOIN tasks t CROSS JOIN endpoints e
      WHERE ${NAMES_TASK} AND t.action = r.value ->> 'action' AND t.action2 = r.value ->> 'action2'
        AND e.tenant_id = r.value ->> 'tenant_id' AND e.url = r.value ->> 'callback_url'
      ON CONFLICT (task_key, callback_url) DO UPDATE SET
        status = CASE WHEN subscriptions.status = 'failed' THEN 'failed' ELSE 'active' END,
        status_reason = CASE WHEN subscriptions.status = 'failed' THEN subscriptions.status_reason END,
        events = excluded.events, metadata = excluded.metadata, endpoint_id = excluded.endpoint_id, updated_at = ${now}
      WHERE subscriptions.status = 'cancelled' OR subscriptions.events IS NOT excluded.events OR subscriptions.metadata IS NOT excluded.metadata
        -- Its endpoint was deleted and this registration made a new one: it signs from now on.
        OR subscriptions.endpoint_id IS NOT excluded.endpoint_id`,
    ),
    // The metadata fact of a message nobody attempted yet, which the fan-out would copy now.
    statement(
      db,
      sql`UPDATE messages SET metadata = (SELECT s.metadata FROM subscriptions s WHERE s.id = messages.subscription_id), updated_at = ${now}
      WHERE subscription_id IN ${registeredSubscriptionIds(pairs)}
        AND ${messageIn("state", ...UNLEASED_OPEN_STATES)} AND attempts = 0
        AND metadata IS NOT (SELECT s.metadata FROM subscriptions s WHERE s.id = messages.subscription_id)`,
    ),
    resumeTaskPolling(db, taskKeys, now),
    fanOutToSubscriptions(db, taskKeys, registeredSubscriptionIds(pairs), now),
    ...settleTasks(db, taskKeys, now),
  ];
});

/** Cancels a subscription and its pending messages; its task stops polling if nobody else waits. */
export async function cancelSubscription(db: Db, subscription: SubscriptionRow, now: number): Promise<void> {
  await runBatch(db, [
    statement(db, db.update(subscriptions).set({ status: "cancelled", updatedAt: now }).where(eq(subscriptions.id, subscription.id))),
    statement(
      db,
      sql`UPDATE messages SET ${moveTo("cancelled")}, next_attempt_at = NULL, lease_token = NULL, updated_at = ${now}
      WHERE subscription_id = ${subscription.id} AND ${messageIn("state", ...OPEN_MESSAGE_STATES)}`,
    ),
    ...settleTasks(db, keySet([subscription.taskKey]), now),
  ]);
}

/**
 * Sends the subscription's latest message again, as a new attempt of the same message (same
 * `webhook-id`) with a fresh retry schedule. A `task.succeeded` of an archived task gets links
 * signed now (its old ones may have expired): the only fact a redelivery changes. The subscription becomes active again, catches up
 * with the event its task reached meanwhile, and its task resumes polling if it had stopped.
 * Returns false when no message exists yet.
 */
export async function redeliverLatest(db: Db, subscription: SubscriptionRow, now: number, links: ArchiveLinkConfig): Promise<boolean> {
  const [latest] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.subscriptionId, subscription.id))
    .orderBy(desc(messages.createdAt), desc(sql`rowid`))
    .limit(1);
  if (!latest) return false;
  const fresh = await freshArchiveFacts(db, subscription.taskKey, now, links);
  await runBatch(db, [
    statement(
      db,
      db.update(subscriptions).set({ status: "active", statusReason: null, updatedAt: now }).where(eq(subscriptions.id, subscription.id)),
    ),
    // A task.succeeded still held for its archive stays held: the copies release it.
    statement(
      db,
      sql`UPDATE messages SET ${redeliverySet(
        sql`${subscription.taskKey}`,
        sql`CASE WHEN event_type = 'task.succeeded' AND ${fresh} IS NOT NULL THEN ${fresh} ELSE archive END`,
        now,
      )}
      WHERE id = ${latest.id}`,
    ),
    fanOutToSubscription(db, keySet([subscription.taskKey]), subscription.callbackUrl, now),
    resumeTaskPolling(db, keySet([subscription.taskKey]), now),
  ]);
  return true;
}

/**
 * The archive facts of a task whose copies ended, with every link signed at `now`; null when the
 * task was not archived (or its copies have not ended: the message is still held).
 */
async function freshArchiveFacts(db: Db, taskKey: TaskKey, now: number, links: ArchiveLinkConfig): Promise<string | null> {
  const [task] = await db.select({ archive: tasks.archive }).from(tasks).where(eq(tasks.id, taskKey));
  if (task?.archive !== "done") return null;
  return JSON.stringify(await archiveResultsOf(links, await archiveFilesOfTask(db, taskKey), now));
}

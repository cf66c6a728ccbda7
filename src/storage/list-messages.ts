import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { MessageStatus } from "../domain/message-states";
import type { Db } from "./db";
import { column as of, type RowOf, readAll, readOne, rowSchema } from "./rows";
import { messageAttempts, messages, tasks } from "./schema";

/** The attempts one answer lists at most: a message's retries end long before (the schedule's steps). */
export const MAX_LISTED_ATTEMPTS = 100;

/**
 * Where a page of messages ends: its last row's `created_at` and id. The id, not the rowid, breaks
 * ties: it is the indexes' last named column, so the page follows their order and never sorts.
 */
export interface MessageCursor {
  createdAt: number;
  id: string;
}

/** A row of the tenant's message list. */
const MessageListed = rowSchema({
  id: of(messages.id),
  subscription_id: of(messages.subscriptionId),
  endpoint_id: of(messages.endpointId, "notNull"),
  provider: of(tasks.provider),
  task_id: of(tasks.taskId),
  event_type: of(messages.eventType),
  status: of(messages.status),
  attempts: of(messages.attempts),
  next_attempt_at: of(messages.nextAttemptAt),
  last_status_code: of(messages.lastStatusCode),
  last_error: of(messages.lastError),
  created_at: of(messages.createdAt),
  delivered_at: of(messages.deliveredAt),
});
export type MessageListRow = RowOf<typeof MessageListed>;

const AttemptRow = rowSchema({
  attempted_at: of(messageAttempts.attemptedAt),
  status_code: of(messageAttempts.statusCode),
  duration_ms: of(messageAttempts.durationMs),
  error: of(messageAttempts.error),
  response_body: of(messageAttempts.responseBody),
});
export type AttemptListRow = RowOf<typeof AttemptRow>;

/**
 * A page of a tenant's webhook messages, newest first: a walk down `messages_tenant_created`, or
 * `messages_endpoint_created` for one endpoint (migration 0014: each message names both), from the
 * cursor on, in the index's own order: never a sort, and a page reads its rows and no more (a
 * status is checked per row on the way). With an endpoint, `+` keeps the tenant out of index
 * selection: it is checked per row too (the caller found the endpoint the tenant's already).
 */
export async function listMessages(
  db: Db,
  tenant: TenantId,
  query: { endpointId?: string; status?: MessageStatus; after?: MessageCursor; limit: number },
): Promise<{ rows: MessageListRow[]; next: MessageCursor | null }> {
  const owner =
    query.endpointId === undefined ? sql`m.tenant_id = ${tenant}` : sql`m.endpoint_id = ${query.endpointId} AND +m.tenant_id = ${tenant}`;
  const status = query.status === undefined ? sql`1 = 1` : sql`m.status = ${query.status}`;
  const after =
    query.after === undefined
      ? sql`1 = 1`
      : sql`m.created_at <= ${query.after.createdAt} AND (m.created_at < ${query.after.createdAt} OR m.id < ${query.after.id})`;
  const rows = await readAll(
    db,
    MessageListed,
    "a page of messages",
    sql`SELECT m.id, m.subscription_id, m.endpoint_id, t.provider, t.task_id, m.event_type, m.status,
      m.attempts, m.next_attempt_at, m.last_status_code, m.last_error, m.created_at, m.delivered_at
    FROM messages m JOIN subscriptions s ON s.id = m.subscription_id JOIN tasks t ON t.id = s.task_key
    WHERE ${owner} AND ${status} AND ${after}
    ORDER BY m.created_at DESC, m.id DESC
    LIMIT ${query.limit + 1}`,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > query.limit && last ? { createdAt: last.created_at, id: last.id } : null };
}

/**
 * One message's attempts, oldest first, at most `MAX_LISTED_ATTEMPTS`; undefined when the tenant
 * has no such message (another tenant's answers the same as a missing one).
 */
export async function listAttempts(db: Db, tenant: TenantId, messageId: string): Promise<AttemptListRow[] | undefined> {
  const owned = await readOne(
    db,
    rowSchema({ id: of(messages.id) }),
    "a tenant's message",
    sql`SELECT id FROM messages WHERE id = ${messageId} AND tenant_id = ${tenant}`,
  );
  if (!owned) return undefined;
  return readAll(
    db,
    AttemptRow,
    "a message's attempts",
    // `message_attempts` spelt out: a compound whose arms are each in `seq` order (the kept first
    // attempt, then the log down `delivery_attempts_message`) merges without a sort.
    sql`SELECT 0 AS seq, first_attempt ->> 'attempted_at' AS attempted_at, first_attempt ->> 'status_code' AS status_code,
      first_attempt ->> 'duration_ms' AS duration_ms, NULL AS error, first_attempt ->> 'response_body' AS response_body
    FROM messages WHERE id = ${messageId} AND first_attempt IS NOT NULL
    UNION ALL
    SELECT id, attempted_at, status_code, duration_ms, error, response_body FROM delivery_attempts WHERE message_id = ${messageId}
    ORDER BY 1 LIMIT ${MAX_LISTED_ATTEMPTS}`,
  );
}

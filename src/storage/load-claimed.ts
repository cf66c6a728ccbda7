import { sql } from "drizzle-orm";
import type { LeaseToken } from "../domain/ids";
import { type EventType, isFinalEvent } from "../domain/kling";
import { type ClaimedArchiveFile, ClaimedArchiveFileRow, claimedArchiveColumns } from "./archive-files";
import { archiveFileIn } from "./archive-sql";
import { type ClaimedMessage, TargetRow, targetColumns, targetJoins, toTarget } from "./claim-messages";
import { type ClaimedTask, ClaimedTaskRow, claimedTaskColumns, toClaimedTask } from "./claim-tasks";
import { asJson, type Db } from "./db";
import { firstAttemptKeptUntil } from "./first-attempt";
import { BodyRow, bodyColumns, messageBody } from "./message-body";
import { messageIn } from "./message-sql";
import { column, readAll } from "./rows";
import { archiveFiles, messages, tasks } from "./schema";

/** Ids claimed under one lease token: what one queue message names. */
export interface LeasedIds {
  leaseToken: LeaseToken;
  ids: readonly string[];
}

/** Who holds a loaded row, and until when (the claim moved the row's due time to the lease's end). */
export interface Lease {
  leaseToken: LeaseToken;
  leaseEndsAt: number;
}

/** Each (id, lease token) pair as one JSON parameter: D1 allows only 100 bound parameters. */
const pairs = (claims: readonly LeasedIds[]) => asJson(claims.flatMap((c) => c.ids.map((id) => ({ id, lease: c.leaseToken }))));

const firstOfEach = <T>(rows: T[], key: (row: T) => string) => [...new Map(rows.map((r) => [key(r), r] as const)).values()];

/**
 * Loads the tasks that queue messages name, each only while it is still claimed under that
 * message's lease token. A task whose lease moved on (already recorded, or expired and claimed
 * again) is left out, so a late, retried or duplicate message never polls it twice. One
 * statement, one primary-key lookup per id.
 */
export async function loadClaimedTasks(db: Db, claims: readonly LeasedIds[]): Promise<(ClaimedTask & Lease)[]> {
  if (claims.every((c) => c.ids.length === 0)) return [];
  const row = ClaimedTaskRow.with({ lease_token: column(tasks.leaseToken, "notNull"), next_poll_at: column(tasks.nextPollAt, "notNull") });
  const rows = await readAll(
    db,
    row,
    "load claimed tasks",
    sql`SELECT ${claimedTaskColumns("t.")}, t.lease_token, t.next_poll_at
    FROM json_each(${pairs(claims)}) p JOIN tasks t ON t.id = p.value ->> 'id'
    WHERE t.lease_token = p.value ->> 'lease' AND t.next_poll_at IS NOT NULL`,
  );
  return firstOfEach(rows, (r) => r.id).map((r) => ({
    ...toClaimedTask(r),
    leaseToken: r.lease_token,
    leaseEndsAt: r.next_poll_at,
  }));
}

/**
 * Loads the webhook messages that queue messages name, with their subscription's target, each only
 * while it is still claimed under that message's lease token (see `loadClaimedTasks`). A message
 * cancelled meanwhile has no lease any more, so it is left out too.
 */
export async function loadClaimedMessages(db: Db, claims: readonly LeasedIds[]): Promise<(ClaimedMessage & Lease)[]> {
  if (claims.every((c) => c.ids.length === 0)) return [];
  const row = TargetRow.with(BodyRow.columns).with({
    id: column(messages.id),
    schedule_step: column(messages.scheduleStep),
    attempts: column(messages.attempts),
    created_at: column(messages.createdAt),
    lease_token: column(messages.leaseToken, "notNull"),
    next_attempt_at: column(messages.nextAttemptAt, "notNull"),
  });
  const rows = await readAll(
    db,
    row,
    "load claimed messages",
    sql`
    SELECT m.id, m.subscription_id, ${bodyColumns("m.")}, m.schedule_step, m.attempts, m.created_at, m.lease_token, m.next_attempt_at, ${targetColumns}
    FROM json_each(${pairs(claims)}) p JOIN messages m ON m.id = p.value ->> 'id'
    JOIN subscriptions s ON s.id = m.subscription_id ${targetJoins}
    WHERE m.lease_token = p.value ->> 'lease' AND ${messageIn("m.state", "leased")}`,
  );
  return firstOfEach(rows, (r) => r.id).map((r) => ({
    ...toTarget(r),
    id: r.id,
    body: messageBody(r),
    scheduleStep: r.schedule_step,
    probe: r.probe_message_id === r.id,
    taskFinished: isFinalEvent(r.event_type as EventType),
    firstAttemptKeptUntil: firstAttemptKeptUntil(r.attempts, r.created_at),
    leaseToken: r.lease_token,
    leaseEndsAt: r.next_attempt_at,
  }));
}

/**
 * Loads the archive files that queue messages name, each only while it is still pending and
 * claimed under that message's lease token (see `loadClaimedTasks`).
 */
export async function loadClaimedArchiveFiles(db: Db, claims: readonly LeasedIds[]): Promise<(ClaimedArchiveFile & Lease)[]> {
  if (claims.every((c) => c.ids.length === 0)) return [];
  const row = ClaimedArchiveFileRow.with({
    leaseToken: column(archiveFiles.leaseToken, "notNull"),
    leaseEndsAt: column(archiveFiles.nextAttemptAt, "notNull"),
  });
  const rows = await readAll(
    db,
    row,
    "load claimed archive files",
    sql`
    SELECT ${claimedArchiveColumns("a.")}, a.lease_token AS leaseToken, a.next_attempt_at AS leaseEndsAt
    FROM json_each(${pairs(claims)}) p JOIN archive_files a ON a.id = p.value ->> 'id'
    WHERE a.lease_token = p.value ->> 'lease' AND a.next_attempt_at IS NOT NULL AND ${archiveFileIn("a.status", "pending")}`,
  );
  return firstOfEach(rows, (r) => r.id);
}

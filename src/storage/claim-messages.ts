import { type SQL, sql } from "drizzle-orm";
import type { EndpointKeys } from "../domain/endpoint-signing";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import { type EventType, isFinalEvent } from "../domain/kling";
import { DUE_MESSAGE_STATES } from "../domain/message-states";
import { asJson, type Db } from "./db";
import { heldByEndpoint } from "./endpoint-health";
import { ENDPOINT_KEY_FIELDS, endpointKeyColumns, endpointKeysOf } from "./endpoint-keys";
import { firstAttemptKeptUntil } from "./first-attempt";
import { BodyRow, bodyColumns, messageBody } from "./message-body";
import { messageIn, messageState } from "./message-sql";
import { claimPastParked, parkedAt, tenantHalted } from "./parking";
import { column, int, type RowColumns, type RowOf, type RowSchema, readAll, rowSchema } from "./rows";
import { endpoints, messages, subscriptions, tasks } from "./schema";
import { claimOrLook } from "./storage-errors";

/** Where and how a message goes: its subscription's task, URL, tenant and endpoint keys. */
export interface MessageTarget {
  subscriptionId: string;
  tenantId: TenantId;
  /** The task's `tasks.id`. */
  taskKey: TaskKey;
  callbackUrl: string;
  /** The endpoint whose keys sign the message: what its sealed keys are bound to (src/domain/sealed-endpoint-keys.ts). */
  endpointId: string;
  /** As stored: sealed under SECRETS_KEY, or in clear; opened only to sign. */
  keys: EndpointKeys;
  /** The endpoint's sends a second, across every invocation (work/pace-send.ts); null: no limit. */
  rateLimitPerSecond: number | null;
}

export interface ClaimedMessage extends MessageTarget {
  id: string;
  /** The exact bytes to sign and send (see `messageBody`). */
  body: string;
  scheduleStep: number;
  /**
   * The probe of its endpoint's open circuit (storage/endpoint-upkeep.ts): its failure is the
   * endpoint's, and does not spend a step of its own retry schedule.
   */
  probe: boolean;
  /** It announces its task's final event: the task finished (see `DeliveryRecord.taskFinished`). */
  taskFinished: boolean;
  /** Until when its first attempt, if it delivers it, is kept in its row (storage/first-attempt.ts). */
  firstAttemptKeptUntil: number | null;
}

/** The columns `toTarget` reads, from subscriptions `s`, tasks `t` and endpoints `e` (see `targetJoins`). */
export const targetColumns = sql`s.tenant_id, s.task_key, t.provider, t.task_id, s.callback_url, e.id AS endpoint_id, ${endpointKeyColumns("e")},
  e.rate_limit_per_second, e.probe_message_id`;
export const targetJoins = sql.raw("JOIN tasks t ON t.id = s.task_key JOIN endpoints e ON e.id = s.endpoint_id");

/** The row of `targetColumns`, with the subscription's id. */
export const TargetRow = rowSchema({
  subscription_id: column(subscriptions.id),
  tenant_id: column(subscriptions.tenantId),
  task_key: column(subscriptions.taskKey),
  provider: column(tasks.provider),
  task_id: column(tasks.taskId),
  callback_url: column(subscriptions.callbackUrl),
  endpoint_id: column(endpoints.id),
  ...ENDPOINT_KEY_FIELDS,
  rate_limit_per_second: column(endpoints.rateLimitPerSecond),
  probe_message_id: column(endpoints.probeMessageId),
});
export type TargetRow = RowOf<typeof TargetRow>;

export const toTarget = (r: TargetRow): MessageTarget => ({
  subscriptionId: r.subscription_id,
  tenantId: r.tenant_id,
  taskKey: r.task_key,
  callbackUrl: r.callback_url,
  endpointId: r.endpoint_id,
  keys: endpointKeysOf(r),
  rateLimitPerSecond: r.rate_limit_per_second,
});

interface ClaimOptions {
  now: number;
  limit: number;
  leaseToken: LeaseToken;
  /**
   * The lease's length. Its end (`now + leaseMs`) must differ from that of every other claim under
   * the same token: a claim D1 answered with an error is found again by it (`claimOrLook`).
   */
  leaseMs: number;
}

// The message's own copy of its tenant (migration 0014): read by key, with no subscription read.
const halted = tenantHalted(sql`messages.tenant_id`);
/** The states with a due time; the claim walks `messages_due` by it (`next_attempt_at <= ?` first, for the index). */
const DUE = messageIn("state", ...DUE_MESSAGE_STATES);

/**
 * The guarded claim statement, returning `columns` of each message it claimed: a `scheduled` message
 * whose time came, or a `leased` one whose lease ran out, becomes `leased` under this token until the
 * lease's end. A due message of a suspended or deleted tenant is parked instead (storage/parking.ts):
 * `scheduled` at its parked time, not sent, no attempt spent; so is one whose endpoint's circuit is
 * open (all but its probe) or that is disabled (storage/endpoint-health.ts). Whether the tenant is
 * halted and the endpoint holds it are looked up once per message, in the FROM (its tenant's and
 * its endpoint's rows, by key), not once per column they decide.
 */
const claim = <C extends RowColumns>(db: Db, o: ClaimOptions, row: RowSchema<C>, columns: SQL) =>
  claimPastParked(o.limit, async (limit) => {
    const rows = await readAll(
      db,
      row.with({ parked: int }),
      "claim due messages",
      sql`
      UPDATE messages SET state = CASE WHEN c.halted OR c.held IS NOT NULL THEN ${messageState("scheduled")} ELSE ${messageState("leased")} END,
        lease_token = CASE WHEN c.halted OR c.held IS NOT NULL THEN NULL ELSE ${o.leaseToken} END,
        next_attempt_at = CASE WHEN c.halted THEN ${parkedAt(sql`messages.tenant_id`)} WHEN c.held IS NOT NULL THEN c.held ELSE ${o.now + o.leaseMs} END
      FROM (SELECT id, ${halted} AS halted, ${heldByEndpoint} AS held FROM messages
        WHERE next_attempt_at <= ${o.now} AND ${DUE} ORDER BY next_attempt_at LIMIT ${limit}) AS c
      WHERE messages.id = c.id
      RETURNING ${columns}, ${messageIn("state", "scheduled")} AS parked`,
    );
    const taken = rows.filter((r) => r.parked === 0);
    return { taken, parked: rows.length - taken.length };
  });

/**
 * The messages a claim under `o` leased, by its lease's end (`messages_due`) and token: what
 * `claimOrLook` finds again after a claim D1 answered with an error.
 */
const leasedBy = <C extends RowColumns>(db: Db, o: ClaimOptions, row: RowSchema<C>, columns: SQL) =>
  readAll(
    db,
    row,
    "messages a claim leased",
    sql`SELECT ${columns} FROM messages
      WHERE next_attempt_at = ${o.now + o.leaseMs} AND lease_token = ${o.leaseToken} AND ${messageIn("state", "leased")}`,
  );

/**
 * The same claim returning only the ids. In queue mode the tick hands ids to consumers, which
 * load and build the bodies themselves: a thousand bodies of a few KiB each would cost the tick
 * CPU time for nothing.
 */
export async function claimDueMessageIds(db: Db, options: ClaimOptions): Promise<string[]> {
  if (options.limit <= 0) return [];
  const ids = rowSchema({ id: column(messages.id) });
  const rows = await claimOrLook(
    () => claim(db, options, ids, sql`id`),
    () => leasedBy(db, options, ids, sql`id`),
  );
  return rows.map((m) => m.id);
}

/** A claimed message with its body's columns. */
const ClaimedBodyRow = BodyRow.with({
  id: column(messages.id),
  subscription_id: column(messages.subscriptionId),
  schedule_step: column(messages.scheduleStep),
  attempts: column(messages.attempts),
  created_at: column(messages.createdAt),
});

/**
 * Claims up to `limit` due messages, exactly like tasks: one guarded statement over the
 * `messages_due` index that pushes `next_attempt_at` to the lease's end. A claim D1 answered with
 * an error (or whose targets' read failed) is found again by that end (`claimOrLook`).
 */
export async function claimDueMessages(db: Db, options: ClaimOptions): Promise<ClaimedMessage[]> {
  if (options.limit <= 0) return [];
  const columns = sql`id, subscription_id, schedule_step, attempts, created_at, ${bodyColumns()}`;
  return claimOrLook(
    async () => withTargets(db, await claim(db, options, ClaimedBodyRow, columns)),
    async () => withTargets(db, await leasedBy(db, options, ClaimedBodyRow, columns)),
  );
}

/** Claimed messages with their subscriptions' targets, read in one statement. */
async function withTargets(db: Db, claimed: RowOf<typeof ClaimedBodyRow>[]): Promise<ClaimedMessage[]> {
  if (claimed.length === 0) return [];
  const subscriptionIds = [...new Set(claimed.map((m) => m.subscription_id))];
  const targets = await readAll(
    db,
    TargetRow,
    "the targets of claimed messages",
    sql`
    SELECT s.id AS subscription_id, ${targetColumns} FROM subscriptions s ${targetJoins}
    WHERE s.id IN (SELECT value FROM json_each(${asJson(subscriptionIds)}))`,
  );
  const byId = new Map(targets.map((s) => [s.subscription_id, s]));
  return claimed.flatMap((m) => {
    const target = byId.get(m.subscription_id);
    // A message always has its subscription; retention deletes both together.
    if (!target) return [];
    return [
      {
        ...toTarget(target),
        id: m.id,
        body: messageBody({ ...m, provider: target.provider, task_id: target.task_id }),
        scheduleStep: m.schedule_step,
        probe: target.probe_message_id === m.id,
        taskFinished: isFinalEvent(m.event_type as EventType),
        firstAttemptKeptUntil: firstAttemptKeptUntil(m.attempts, m.created_at),
      },
    ];
  });
}

import { sql } from "drizzle-orm";
import type { LeaseToken } from "../domain/ids";
import { asJson, type Db } from "./db";
import type { CircuitPolicy } from "./endpoint-health";
import { messageIn, messageState } from "./message-sql";
import { type DeliveryRecord, recordDeliveries } from "./record-deliveries";

/** A claimed message not sent because its endpoint's rate limit had no slot soon: due again at `retryAt`. */
export interface DeferredMessage {
  messageId: string;
  retryAt: number;
}

/** What delivering one claimed message came to: an attempt to record, or a message put off. */
export type DeliveryOutcome = DeliveryRecord | DeferredMessage;

const isDeferred = (outcome: DeliveryOutcome): outcome is DeferredMessage => "retryAt" in outcome;
const isAttempt = (outcome: DeliveryOutcome): outcome is DeliveryRecord => !isDeferred(outcome);

/**
 * Gives messages still leased under `leaseToken` back, `scheduled` at their `retryAt`, as they
 * were: no attempt is counted, logged or spent on the retry schedule (nothing was sent).
 */
export async function deferMessages(db: Db, deferred: readonly DeferredMessage[], leaseToken: LeaseToken, now: number): Promise<void> {
  if (deferred.length === 0) return;
  const rows = asJson(deferred.map((d) => ({ id: d.messageId, retry_at: d.retryAt })));
  await db.run(sql`UPDATE messages SET state = ${messageState("scheduled")}, lease_token = NULL, next_attempt_at = r.value ->> 'retry_at', updated_at = ${now}
    FROM json_each(${rows}) r
    WHERE messages.id = r.value ->> 'id' AND messages.lease_token = ${leaseToken}`);
}

/**
 * Records a round's attempts (`recordDeliveries`) and gives back the messages it put off
 * (`deferMessages`), unless `sendBack` takes them (a queue consumer: they come back through the
 * queue); what it returns, it could not take.
 */
export async function recordDeliveryOutcomes(
  db: Db,
  outcomes: readonly DeliveryOutcome[],
  leaseToken: LeaseToken,
  now: number,
  circuit: CircuitPolicy,
  sendBack?: (deferred: DeferredMessage[]) => Promise<readonly DeferredMessage[]>,
): Promise<void> {
  await recordDeliveries(db, outcomes.filter(isAttempt), leaseToken, now, circuit);
  const deferred = outcomes.filter(isDeferred);
  await deferMessages(db, sendBack && deferred.length > 0 ? await sendBack(deferred) : deferred, leaseToken, now);
}

/**
 * Keeps messages leased under `leaseToken`, each until `leaseMs` after its `retryAt`: a queue
 * consumer sends them back to the queue to come back by themselves at their slot, and the lease
 * keeps the tick from claiming them meanwhile, and lets it claim them again should the queued
 * message be lost. Nothing was sent, so no attempt is counted.
 */
export async function holdDeferred(
  db: Db,
  deferred: readonly DeferredMessage[],
  leaseToken: LeaseToken,
  leaseMs: number,
  now: number,
): Promise<void> {
  if (deferred.length === 0) return;
  const rows = asJson(deferred.map((d) => ({ id: d.messageId, lease_ends_at: d.retryAt + leaseMs })));
  await db.run(sql`UPDATE messages SET next_attempt_at = r.value ->> 'lease_ends_at', updated_at = ${now}
    FROM json_each(${rows}) r
    WHERE messages.id = r.value ->> 'id' AND messages.lease_token = ${leaseToken} AND ${messageIn("messages.state", "leased")}`);
}

import { type SQL, sql } from "drizzle-orm";

/**
 * How soon after its message's creation a first attempt that delivers it may be kept in the
 * message's row (`messages.first_attempt`) instead of a `delivery_attempts` row. Most webhooks are
 * delivered so within seconds (a tick sends the webhooks its polls create); one parked behind an
 * open circuit or a suspension for longer is logged as before. The bound is what lets the
 * endpoints' 24-hour figures find the kept attempts by a range of `messages_endpoint_created`: an
 * attempt made at or after `t` belongs to a message created at or after `t` minus this.
 */
export const FIRST_ATTEMPT_INLINE_MS = 10 * 60_000;

/**
 * Whether attempt `r` (a row of `recordDeliveries`' JSON) of message `m` (its row before the
 * round's update) is kept in the message: it delivered it, no attempt came before it, and it came
 * within the bound above. Nothing before it means the view's order (`seq` 0 first) is the order
 * the attempts were made in.
 */
export const keptInline = (m: string): SQL =>
  sql`(r.value ->> 'status' = 'delivered' AND ${sql.raw(m)}.attempts = 0
    AND r.value ->> 'attempted_at' - ${sql.raw(m)}.created_at <= ${FIRST_ATTEMPT_INLINE_MS})`;

/** The kept attempt's JSON object, from attempt `r`: what `message_attempts` reads back. */
export const inlineAttempt = sql`json_object('attempted_at', r.value -> 'attempted_at', 'status_code', r.value -> 'status_code',
  'duration_ms', r.value -> 'duration_ms', 'response_body', r.value ->> 'response_body')`;

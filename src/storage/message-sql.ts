import { type SQL, sql } from "drizzle-orm";
import { ARCHIVE_HOLDING_STATES } from "../domain/archive-states";
import { type MessageState, statusOf } from "../domain/message-states";
import { taskArchiveList } from "./archive-sql";
import { literal, literalText, oneOf } from "./sql-literals";

/**
 * A message's states in SQL, typed against domain/message-states.ts and rendered as literals (like
 * storage/archive-sql.ts): a state misspelled or renamed there fails the type check here.
 */

/** `column = 'held'` or `column IN ('scheduled', 'leased')`, on `messages.state`. */
export const messageIn = (column: string, ...states: MessageState[]): SQL => oneOf(column, states);
/** `'scheduled'`: a state as a value, for a CASE or a comparison. */
export const messageState = (state: MessageState): SQL => literal(state);

/**
 * `state = 'cancelled', status = 'cancelled'`: the SET of a move to `state`. The status goes with
 * it (`pending` for an open state): the API shows it, and a Worker from before migration 0013 may
 * still run beside this one and reads only the status.
 */
export const moveTo = (state: MessageState): SQL => sql.raw(`state = ${literalText(state)}, status = ${literalText(statusOf(state))}`);

/**
 * The SET of a redelivery (`POST /v1/subscriptions/{id}/redeliver`, an endpoint's recover): the same
 * message (same webhook-id) in a fresh retry cycle, due now; a `task.succeeded` whose task
 * `taskKey` (a SQL expression) still copies its files stays `held` (the copies release it).
 * `archive`: the message's archive facts from now on (links signed anew, or as they were).
 */
export const redeliverySet = (taskKey: SQL, archive: SQL, now: number): SQL => {
  const holding = sql`messages.event_type = 'task.succeeded'
    AND (SELECT archive FROM tasks WHERE id = ${taskKey}) IN ${taskArchiveList(ARCHIVE_HOLDING_STATES)}`;
  return sql`status = 'pending', schedule_step = 0, lease_token = NULL, updated_at = ${now}, archive = ${archive},
    state = CASE WHEN ${holding} THEN ${messageState("held")} ELSE ${messageState("scheduled")} END,
    next_attempt_at = CASE WHEN ${holding} THEN NULL ELSE ${now} END`;
};

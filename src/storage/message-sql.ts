import { type SQL, sql } from "drizzle-orm";
import { type MessageState, statusOf } from "../domain/message-states";
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

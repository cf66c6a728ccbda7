/**
 * A webhook message's states (`messages.state`), declared once: the schema's column type and (through
 * storage/message-sql.ts) every statement that selects, filters or moves a message by its state name
 * these. `next_attempt_at` (when it is due) and `lease_token` (who holds it) are the state's data,
 * never its meaning.
 *
 * - `held`: a `task.succeeded` of a task whose files are still being archived; never due, until
 *   the copies end and release it (storage/archive-files.ts) with the links. No due time, no lease.
 * - `scheduled`: waiting to be sent at `next_attempt_at` (now, a retry's time, or a parked time
 *   while its tenant is suspended: domain/parked-time.ts). No lease.
 * - `leased`: claimed under `lease_token` until `next_attempt_at`, the lease's end; a lease that ran
 *   out is due again, and the next claim takes it over.
 * - `delivered`, `failed`, `cancelled`: ended (a redelivery, or a revival for a subscription
 *   registered again, makes one `held` or `scheduled` again).
 *
 * How they move: a fan-out creates a message `held` or `scheduled`; a claim makes a `scheduled` (or
 * run-out `leased`) one `leased`, or parks it (`scheduled` at a parked time); a recorded attempt
 * makes a `leased` one `delivered`, `failed` or `scheduled` (a retry), an unstarted one is released
 * `scheduled`; the archive releases `held` ones `scheduled` and holds again `scheduled` ones nobody
 * attempted; a cancellation ends every open one.
 */
export const MESSAGE_STATES = ["held", "scheduled", "leased", "delivered", "failed", "cancelled"] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** Not ended: what the API and `messages.status` call `pending`. */
export const OPEN_MESSAGE_STATES = ["held", "scheduled", "leased"] as const satisfies readonly MessageState[];
export type OpenMessageState = (typeof OPEN_MESSAGE_STATES)[number];
/** The states with a due time (`next_attempt_at`): what a claim may take once that time came. */
export const DUE_MESSAGE_STATES = ["scheduled", "leased"] as const satisfies readonly MessageState[];
/** The open states without a lease: a message no attempt is under way for, whose facts may still change. */
export const UNLEASED_OPEN_STATES = ["held", "scheduled"] as const satisfies readonly MessageState[];

/**
 * `messages.status` as the API and the dashboard show it (and as a Worker from before migration
 * 0013 reads and writes it): the open states are all `pending`.
 */
export const MESSAGE_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** @example statusOf("leased") // "pending" */
export const statusOf = (state: MessageState): MessageStatus =>
  (OPEN_MESSAGE_STATES as readonly MessageState[]).includes(state) ? "pending" : (state as MessageStatus);

/**
 * The state an attempt's outcome leaves a message in: a retry (`pending`, with its next time) is
 * `scheduled`.
 * @example stateAfterAttempt("pending") // "scheduled"
 */
export const stateAfterAttempt = (status: "delivered" | "pending" | "failed"): MessageState =>
  status === "pending" ? "scheduled" : status;

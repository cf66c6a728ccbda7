import { asJson } from "./db";

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
 * Until when a claimed message's first attempt, if it delivers it, is kept in its row: null once
 * an attempt was made (`attempts`, as its claim read it: nobody else writes a leased message).
 * Nothing before it means the view's order (`seq` 0 first) is the order the attempts were made in.
 */
export const firstAttemptKeptUntil = (attempts: number, createdAt: number): number | null =>
  attempts === 0 ? createdAt + FIRST_ATTEMPT_INLINE_MS : null;

/** An attempt as `recordDeliveries` gets it: what it did, when, of a message kept until when. */
interface Attempt {
  attemptedAt: number;
  firstAttemptKeptUntil: number | null;
  update: { status: string; statusCode: number | null; durationMs: number | null; responseBody: string | null };
}

/**
 * Whether an attempt is kept in its message's row: it delivered it, no attempt came before, and it
 * came within the bound above. Decided here, from the claim, so that a round whose attempts are
 * all kept skips the attempt log's statement (which would read every message to find that out).
 */
export const keptInline = (a: Attempt): boolean =>
  a.update.status === "delivered" && a.firstAttemptKeptUntil !== null && a.attemptedAt <= a.firstAttemptKeptUntil;

/** The kept attempt as `messages.first_attempt` holds it (JSON): what `message_attempts` reads back. */
export const inlineAttempt = ({ attemptedAt, update: u }: Attempt): string =>
  asJson({ attempted_at: attemptedAt, status_code: u.statusCode, duration_ms: u.durationMs, response_body: u.responseBody });

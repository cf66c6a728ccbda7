import { LEASE_MARGIN_MS } from "../tick/tick-budget";

/**
 * How long a message may wait in its queue before a consumer starts on it: the consumers'
 * `max_batch_timeout` (1 s in wrangler.toml), a backlog while Queues scales consumers up (its
 * autoscaler reacts within a minute or so), and one retry after `retry_delay` (10 s).
 */
export const QUEUE_WAIT_ALLOWANCE_MS = 120_000;

/**
 * A consumer starts new work for at most this long after it was invoked, then releases what is
 * left. With the default budget (40 ids a batch, 6 in flight) it needs a few seconds; the bound
 * matters only when the upstream hangs. Four 15 s timeouts deep, like a tick's window: the
 * pipeline keeps only as many requests outstanding as could all time out before the deadline, so
 * a window of a single timeout would starve it to one wave at a time.
 */
export const CONSUMER_WORK_MS = 60_000;

/**
 * The lease of queued work. An in-tick lease only has to outlive the tick itself; queued work also
 * waits in the queue and then runs in a consumer, so its lease covers the wait, the consumer's
 * window to start it, one request timeout to finish it, and the margin for the D1 write: 225 s
 * with the defaults. Longer is safe (every write checks the lease token) but delays the retry of
 * work whose consumer died: it is claimed again only when this lease runs out.
 * @example claimDueTasks(db, { now, limit, leaseToken, leaseMs: queuedLeaseMs(config.upstreamTimeoutMs) })
 */
export const queuedLeaseMs = (timeoutMs: number) => QUEUE_WAIT_ALLOWANCE_MS + CONSUMER_WORK_MS + timeoutMs + LEASE_MARGIN_MS;

/**
 * A consumer starts an item only while its lease has room for one request and the D1 write;
 * otherwise it releases it, due again at once, rather than race the tick that will claim it anew.
 */
export const hasTimeLeft = (leaseEndsAt: number, now: number, timeoutMs: number) => leaseEndsAt - now >= timeoutMs + LEASE_MARGIN_MS;

/**
 * Lease arithmetic. Claimed work is out of every other invocation's reach until its lease ends,
 * and due again then if whoever claimed it died: a lease must outlive the worst case of the work
 * it covers, and every figure past that only delays the retry of work whose worker died. Longer
 * is never unsafe: every write checks the lease token.
 */

/** Extra lease time beyond the worst case, for the D1 write that records the work. */
export const LEASE_MARGIN_MS = 30_000;

/**
 * The lease of work a tick claims to do itself: it only has to outlive the tick, whose requests
 * all start before `deadline`, so the time left to the deadline, one request timeout, and the
 * margin for the write.
 * @example claimDueTasks(db, { now, limit, leaseToken, leaseMs: tickLeaseMs(budget.deadline, now, config.upstreamTimeoutMs) })
 */
export const tickLeaseMs = (deadline: number, now: number, timeoutMs: number) => Math.max(0, deadline - now) + timeoutMs + LEASE_MARGIN_MS;

/**
 * How long a message may wait in its queue before a consumer starts on it: the consumers'
 * `max_batch_timeout` (wrangler.toml), a backlog while Queues scales consumers up (its autoscaler
 * reacts within a minute or so), and one retry after `retry_delay` (wrangler.toml).
 */
export const QUEUE_WAIT_ALLOWANCE_MS = 120_000;

/**
 * A consumer starts new work for at most this long after it was invoked, then releases what is
 * left. A full batch needs a few seconds; the bound matters only when the upstream hangs. Several
 * request timeouts deep, like a tick's window: the pipeline keeps only as many requests
 * outstanding as could all time out before the deadline, so a window of a single timeout would
 * starve it to one wave at a time.
 */
export const CONSUMER_WORK_MS = 60_000;

/**
 * The lease of queued work. Unlike a tick's own work it also waits in the queue and then runs in
 * a consumer, so its lease is QUEUE_WAIT_ALLOWANCE_MS for the wait, CONSUMER_WORK_MS for the
 * consumer's window to start it, one request timeout to finish it, and LEASE_MARGIN_MS for the
 * D1 write. It does not depend on the tick's deadline: the consumer may start after the tick ended.
 * @example claimDueTasks(db, { now, limit, leaseToken, leaseMs: queuedLeaseMs(config.upstreamTimeoutMs) })
 */
export const queuedLeaseMs = (timeoutMs: number) => QUEUE_WAIT_ALLOWANCE_MS + CONSUMER_WORK_MS + timeoutMs + LEASE_MARGIN_MS;

/**
 * A consumer starts an item only while its lease has room for one request and the D1 write;
 * otherwise it releases it, due again at once, rather than race the tick that will claim it anew.
 */
export const hasTimeLeft = (leaseEndsAt: number, now: number, timeoutMs: number) => leaseEndsAt - now >= timeoutMs + LEASE_MARGIN_MS;

/**
 * Work set going by a request (an upstream callback, a registration that a callback came
 * before) starts for at most this long: it runs in the request's `waitUntil`, which the platform
 * keeps alive for 30 s after the response.
 */
export const PUSH_WORK_MS = 10_000;

/**
 * A callback that comes within POLL_MIN_INTERVAL_SECONDS of a task's last poll waits, in the same
 * `waitUntil`, at most this long (from its arrival) for the interval to end, then confirms it in a
 * PUSH_WORK_MS window of its own: at most 25 s of the platform's 30 before its last work starts.
 * Work the platform cuts off is not lost: its lease ends and the tick does it. A task whose
 * interval ends later is left to the tick (it is due by then).
 */
export const PUSH_WAIT_MS = 15_000;

/**
 * The lease of such work: its window to start, one request timeout, and the margin for the write
 * (so `hasTimeLeft` admits it for the whole window).
 */
export const pushLeaseMs = (timeoutMs: number) => PUSH_WORK_MS + timeoutMs + LEASE_MARGIN_MS;

/**
 * What D1 says when it cannot answer for now (Cloudflare's D1 docs list these as the errors to
 * retry): the connection to the database dropped, the database object was reset (a deploy of its
 * code, storage trouble, an operation past its time), or it is overloaded. The statement may or
 * may not have committed: whoever retries must be safe either way (every write of the relay is
 * guarded by an id, a lease token or a unique key).
 */
const TRANSIENT = [
  "Network connection lost",
  "storage caused object to be reset",
  "reset because its code was updated",
  "D1 DB is overloaded",
  "Cannot resolve D1 DB due to transient issue",
  "storage operation exceeded timeout",
  "Internal error while starting up D1 DB",
];

const textOf = (error: unknown) => (error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error));

/** Whether `error` is D1 being unavailable for now (worth a retry), not a fault of the statement. */
export function isStorageUnavailable(error: unknown): boolean {
  const text = textOf(error);
  return TRANSIENT.some((marker) => text.includes(marker));
}

/** Whether `error` is a round trip that did not answer in time (D1's own limit, or D1_TIMEOUT_SECONDS: storage/bounded-d1.ts). */
const isStorageTimeout = (error: unknown) => textOf(error).includes("storage operation exceeded timeout");

/** The pause before `writeOnceMore` tries a write again: a moment for a reset or an overload to pass. */
const RETRY_PAUSE_MS = 200;

/**
 * Runs `write`, and once more after a short pause when D1 could not answer for now: for a record
 * of what was already sent (a webhook's, an operational event's), which, lost, would send it again,
 * and for a record of polls, which, lost, would leave its tasks until their lease ends. `stands`
 * tells whether the failed write committed after all (it is then not run again, and its result
 * is unknown: undefined); without it, the write must be safe to run twice. Any other error, or a
 * second failure, is thrown; so is the first failure when `stands` itself cannot answer.
 */
export async function writeOnceMore<T>(
  write: () => Promise<T>,
  stands: () => Promise<boolean> = async () => false,
): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (!isStorageUnavailable(error)) throw error;
    if (await stands().catch(() => Promise.reject(error))) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    return await write();
  }
}

/**
 * A claim (one guarded UPDATE that leases due work) that D1 answered with an error for now may
 * have committed before its answer was lost: what it leased would then wait, untouched, for the
 * lease to end (a minute for a tick's own work, about four for queued work). `look` finds it
 * again, by the lease's end and token (every claim of a tick ends its leases at a time of its own:
 * tick/tick-context.ts `claimLeaseMs`), for the caller to do now. Nothing found, it leased nothing
 * and what was due stays due. Any other error is thrown; so is the claim's when the look fails
 * too (D1 is down for now), and a claim that did not answer in time is not looked after: it may
 * still commit after any look, and a D1 that hangs would hold the caller a second timeout.
 */
export async function claimOrLook<T>(claim: () => Promise<T>, look: () => Promise<T>): Promise<T> {
  try {
    return await claim();
  } catch (error) {
    if (!isStorageUnavailable(error) || isStorageTimeout(error)) throw error;
    return await look().catch(() => Promise.reject(error));
  }
}

/**
 * What to log of such an error: D1's own words only. Drizzle wraps a failed statement in an error
 * that quotes its SQL and its parameters, which may hold a tenant's data.
 */
export function storageErrorMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  return TRANSIENT.find((marker) => text.includes(marker)) ? text.slice(0, 200) : "D1 unavailable";
}

/** Helpers for the suites that run against real (miniflare) queues. */
import { env } from "cloudflare:workers";

/**
 * Waits until the queue consumers recorded everything the tick sent: no task or message is
 * leased any more (every record, and every release, clears the lease).
 */
export async function drained(timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare(`SELECT (SELECT count(*) FROM tasks WHERE lease_token IS NOT NULL)
      + (SELECT count(*) FROM messages WHERE lease_token IS NOT NULL) AS n`).first<{ n: number }>();
    if (row!.n === 0) return;
    if (Date.now() > until) throw new Error(`${row!.n} rows still leased after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A real clock that does not linger: one pass over what is due, like the benchmarks'. */
export const onePass = { now: () => Date.now(), random: Math.random };

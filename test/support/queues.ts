/** Helpers for the suites that run against real (miniflare) queues, or a stand-in for one. */
import { env } from "cloudflare:workers";
import type { WorkMessage } from "../../src/work/work-message";

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

/** A stand-in for a queue: keeps what is sent (`sent`), for the test to read or hand out as Queues would (`take`). */
export function collectingQueue() {
  const sent: WorkMessage[] = [];
  const queue = {
    async send(body: WorkMessage) {
      sent.push(body);
    },
    async sendBatch(batch: Iterable<MessageSendRequest<WorkMessage>>) {
      for (const m of batch) sent.push(m.body);
    },
  } as unknown as Queue<WorkMessage>;
  return { queue, sent, take: () => sent.splice(0) };
}

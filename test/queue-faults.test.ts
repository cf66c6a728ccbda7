/**
 * Queue mode under faults (issue 26): Queues delivers at least once, so a message may come twice
 * and in any order; a consumer whose D1 fails throws, and its batch is retried, then dead-lettered
 * after `max_retries`. The work stays claimed in D1 meanwhile, and the tick claims it again once
 * its lease ends. Whatever happens, every webhook arrives, a webhook arriving twice is the same
 * webhook, and nothing stays leased.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { consumeBatch } from "../src/queue/consume-batch";
import { seededRandom } from "../tools/seeded-random";
import { faultyD1 } from "./support/faulty-d1";
import { collectingQueue } from "./support/queues";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

/** wrangler.toml's consumers: max_batch_size and max_retries. */
const BATCH = 4;
const MAX_RETRIES = 3;

describe("queue mode under faults", () => {
  beforeEach(resetDb);

  it("loses nothing with messages delivered twice and out of order, consumers whose D1 fails, and batches dead-lettered", async () => {
    const random = seededRandom(2612);
    const hooks = [await receiver(), await receiver(), await receiver()];
    const TASKS = 60;
    for (let i = 0; i < TASKS; i++) {
      const task = await upstreamTask(i % 4 === 0 ? [{ status: "processing" }, { status: "succeed" }] : [{ status: "succeed" }]);
      expect((await register({ task_id: task.id, callback_url: hooks[i % 3]!.url })).status).toBe(201);
    }
    const queues = collectingQueue();
    const queueEnv = { POLL_QUEUE: queues.queue, DELIVERY_QUEUE: queues.queue };
    const clock = manualClock();
    const figures = { messages: 0, duplicated: 0, batches: 0, threw: 0, deadLettered: 0, d1Faults: 0 };

    for (let round = 0; round < 40; round++) {
      await tick(clock, queueEnv);
      // At least once, in any order: some messages come twice, and they are shuffled.
      const messages = queues.take().flatMap((m) => {
        if (random() >= 0.3) return [m];
        figures.duplicated += 1;
        return [m, m];
      });
      messages.sort(() => random() - 0.5);
      figures.messages += messages.length;
      for (let i = 0; i < messages.length; i += BATCH) {
        const bodies = messages.slice(i, i + BATCH);
        figures.batches += 1;
        for (let attempt = 1; ; attempt++) {
          // The first batch meets a D1 that stays down through every retry: it is dead-lettered.
          const rate = round === 0 && i === 0 ? 1 : 0.25;
          const faults = faultyD1(env.DB, { rate, kinds: ["before", "after"], seed: round * 1_000 + i * 10 + attempt });
          const batch = createMessageBatch(
            "kling-webhook-relay-polls",
            bodies.map((body, n) => ({ id: `m-${round}-${i + n}`, timestamp: new Date(), attempts: attempt, body })),
          );
          try {
            await consumeBatch(batch, { ...env, ...queueEnv, DB: faults.db }, clock);
            break;
          } catch {
            figures.threw += 1;
            // Queues retries the whole batch, then moves it to the dead-letter queue.
            if (attempt > MAX_RETRIES) {
              figures.deadLettered += 1;
              break;
            }
          } finally {
            figures.d1Faults += faults.log.failed.before + faults.log.failed.after;
          }
        }
      }
      const open = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE status <> 'delivered'").first<{ n: number }>();
      const leased = await env.DB.prepare(
        "SELECT (SELECT count(*) FROM tasks WHERE lease_token IS NOT NULL) + (SELECT count(*) FROM messages WHERE lease_token IS NOT NULL) AS n",
      ).first<{ n: number }>();
      if (open!.n === 0 && leased!.n === 0) break;
      // A minute a round: what a dead-lettered batch left claimed is due again when its lease ends.
      clock.advance(60_000);
    }

    console.log(JSON.stringify(figures)); // shown when the test fails
    expect(figures.duplicated).toBeGreaterThan(0);
    expect(figures.threw).toBeGreaterThan(MAX_RETRIES);
    expect(figures.deadLettered).toBeGreaterThan(0);
    const subs = await env.DB.prepare("SELECT status, count(*) AS n FROM subscriptions GROUP BY status").all();
    expect(subs.results).toEqual([{ status: "delivered", n: TASKS }]);
    const leftLeased = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM tasks WHERE lease_token IS NOT NULL) + (SELECT count(*) FROM messages WHERE lease_token IS NOT NULL) AS n",
    ).first<{ n: number }>();
    expect(leftLeased!.n).toBe(0);
    // Every task's final webhook arrived; one arriving twice is the same webhook, byte for byte.
    const received = (await Promise.all(hooks.map((h) => h.deliveries()))).flat();
    const byId = new Map<string, string>();
    for (const d of received) {
      const id = d.headers["webhook-id"]!;
      if (byId.has(id)) expect(d.body).toBe(byId.get(id));
      byId.set(id, d.body);
    }
    const finals = new Set(received.filter((d) => JSON.parse(d.body).type === "task.succeeded").map((d) => JSON.parse(d.body).task_id));
    expect(finals.size).toBe(TASKS);
  }, 60_000);
});

/**
 * 10. A burst to a rate-limited endpoint in queue mode: 1,000 finished tasks whose webhooks all go
 * to one endpoint limited to 10/s, handed by one tick to the deliveries queue and sent by 25
 * consumers at once, on the real clock. Their sends share the endpoint's pacer (the
 * ENDPOINT_PACER Durable Object); what it puts off goes back to the queue with `delaySeconds` and
 * comes back at its slot. The promise: the burst arrives over about 100 s, at most 11 in any
 * second, none dropped, one attempt each.
 *
 * Locally there is no Queues service with max_concurrency = 25: a stand-in queue keeps what is
 * sent (honouring each message's `delaySeconds` on the real clock) and 25 loops hand what is ready
 * to the relay's real consumer in batches of 4, as Queues would. test/queue-fanout.test.ts runs
 * the same path through miniflare's own queues (one consumer at a time).
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { consumeBatch } from "../../src/queue/consume-batch";
import { queueDispatchers } from "../../src/queue/send-work";
import { runTick } from "../../src/tick/run-tick";
import type { WorkMessage } from "../../src/work/work-message";
import { fmt, onePassClock, receiverWith, report, resetTables, seedMessages, seedTasks } from "./bench-support";

const BURST = 1_000;
const RATE = 10;
const CONSUMERS = 25;
/** The consumers' max_batch_size in wrangler.toml. */
const BATCH_MESSAGES = 4;
/** How long the run may take before it is called a failure: twice the promise. */
const DEADLINE_MS = 2 * (BURST / RATE) * 1000 + 30_000;

/** A stand-in for one queue: what is sent becomes ready after its `delaySeconds`. */
function delayingQueue() {
  const pending: { body: WorkMessage; readyAt: number }[] = [];
  let sent = 0;
  const add = (body: WorkMessage, delaySeconds = 0) => {
    sent += 1;
    pending.push({ body, readyAt: Date.now() + delaySeconds * 1000 });
  };
  const queue = {
    async send(body: WorkMessage, options?: QueueSendOptions) {
      add(body, options?.delaySeconds);
    },
    async sendBatch(batch: Iterable<MessageSendRequest<WorkMessage>>) {
      for (const m of batch) add(m.body, m.delaySeconds);
    },
  } as unknown as Queue<WorkMessage>;
  /** Up to `max` messages whose time came, oldest first. */
  const take = (max: number) => {
    const now = Date.now();
    const ready = pending.filter((m) => m.readyAt <= now).slice(0, max);
    for (const m of ready) pending.splice(pending.indexOf(m), 1);
    return ready.map((m) => m.body);
  };
  return { queue, take, waiting: () => pending.length, sent: () => sent };
}

it("spreads a burst of 1,000 webhooks to an endpoint limited to 10/s over about 100 s", async () => {
  await resetTables();
  const hook = await receiverWith(`burst-${Date.now()}`, [{ status: 204 }]);
  const prefix = `burst-${Date.now()}-`;
  await seedTasks({ prefix, count: BURST, nextPollAt: null, finished: true, callbackUrl: hook });
  await env.DB.prepare("UPDATE subscriptions SET status = 'active' WHERE task_key LIKE ?").bind(`tsk_${prefix}%`).run();
  await seedMessages(prefix, BURST);
  await env.DB.prepare("UPDATE endpoints SET rate_limit_per_second = ? WHERE id = ?").bind(RATE, `ep_${prefix}`).run();

  const deliveries = delayingQueue();
  const consumerEnv = { ...env, DELIVERY_QUEUE: deliveries.queue };
  const tick = await runTick(consumerEnv, onePassClock, queueDispatchers({ DELIVERY_QUEUE: deliveries.queue }));
  expect(tick.queued?.deliveries).toBe(BURST);
  const fromTick = deliveries.sent();

  const started = Date.now();
  const totals = { batches: 0, delivered: 0, deferred: 0, sentBack: 0, d1: 0 };
  let seq = 0;
  // 25 consumers at once, like Queues with max_concurrency = 25: each takes what is ready, or
  // waits a little (Queues' max_batch_timeout is 1 s) while others still work or messages wait.
  await Promise.all(
    Array.from({ length: CONSUMERS }, async () => {
      while (totals.delivered < BURST) {
        expect(Date.now() - started, `the burst delivered within ${DEADLINE_MS / 1000} s`).toBeLessThan(DEADLINE_MS);
        const batch = deliveries.take(BATCH_MESSAGES);
        if (batch.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          continue;
        }
        const body = batch.map((m) => ({ id: `m${seq++}`, timestamp: new Date(), attempts: 1, body: m }));
        const run = await consumeBatch(createMessageBatch("kling-webhook-relay-deliveries", body), consumerEnv);
        totals.batches += 1;
        totals.delivered += run.delivered;
        totals.deferred += run.deferred ?? 0;
        totals.sentBack += run.sentBack ?? 0;
        totals.d1 += run.d1.queries;
      }
    }),
  );

  const sent = (
    await env.DB.prepare("SELECT attempted_at FROM message_attempts ORDER BY attempted_at").all<{ attempted_at: number }>()
  ).results.map((r) => r.attempted_at);
  const busiest = Math.max(...sent.map((start) => sent.filter((t) => t >= start && t <= start + 1_000).length));
  const spread = (sent.at(-1)! - sent[0]!) / 1000;
  const messages = await env.DB.prepare("SELECT status, attempts, count(*) AS n FROM messages GROUP BY status, attempts").all();
  expect(messages.results).toEqual([{ status: "delivered", attempts: 1, n: BURST }]);
  const { attempts } = (await env.DB.prepare("SELECT sum(attempts) AS attempts FROM messages").first<{ attempts: number }>())!;
  const received = await (await fetch(`${hook.replace("/hooks/", "/_sim/receivers/")}`)).json<{ deliveries: unknown[] }>();

  await report({
    order: 10,
    title: `10. A burst of ${BURST.toLocaleString("en-US")} webhooks to one endpoint limited to ${RATE}/s, queue mode (${CONSUMERS} consumers)`,
    columns: [
      "webhooks",
      "first to last send (s)",
      "promise (s)",
      "most sends in any second",
      "received",
      "attempts / webhook",
      "put off (pacer said later)",
      "sent back through the queue",
      "queue messages (tick + sent back)",
      "consumer invocations",
      "D1 round trips / webhook",
    ],
    rows: [
      [
        BURST.toLocaleString("en-US"),
        fmt(spread, 1),
        fmt((BURST - 1) / RATE, 1),
        busiest,
        received.deliveries.length.toLocaleString("en-US"),
        fmt(attempts / BURST, 2),
        totals.deferred.toLocaleString("en-US"),
        totals.sentBack.toLocaleString("en-US"),
        `${fromTick} + ${(deliveries.sent() - fromTick).toLocaleString("en-US")}`,
        totals.batches.toLocaleString("en-US"),
        fmt(totals.d1 / BURST, 2),
      ],
    ],
    notes: [
      "",
      "One tick hands the 1,000 to the deliveries queue; each consumer's 6 lanes ask the endpoint's pacer for a slot and wait at most",
      "1.5 s for it. A webhook whose slot is further off is not sent, costs no attempt, stays leased, and goes back to the queue with",
      "`delaySeconds` to come back when its slot is near; without that it would wait in D1 for the next tick (a minute), and a burst",
      "this size would take many minutes. The stand-in queue replaces Queues' own delivery (its latency and batching are not modelled).",
    ],
  });
});

/**
 * 5. Fan-out through Queues. What one tick hands to the queue against what it polls itself, and
 * what queue consumers achieve against their ceiling: each invocation keeps 6 requests in flight,
 * so N consumers at upstream latency L poll at most N x 6/L per second.
 *
 * Locally there is no Queues service behind the producer: a stand-in collects what the tick sends
 * (the real producer's limits are the same code path: messages of 10 ids, sendBatch calls within
 * 100 messages and 256 KB), and the collected messages are handed in batches of 4 (the consumers'
 * max_batch_size) to the relay's real consumer through `createMessageBatch`, N at a time, as
 * Queues would with max_concurrency = N. The end-to-end path through miniflare's own queues is
 * covered by test/queue-fanout.test.ts.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { Env } from "../../src/env";
import { consumeBatch } from "../../src/queue/consume-batch";
import { queueDispatchers } from "../../src/queue/send-work";
import { runTick } from "../../src/tick/run-tick";
import type { WorkMessage } from "../../src/work/work-message";
import { fmt, onePassClock, receiverWith, report, resetTables, seedTasks, upstreamBulk } from "./bench-support";

/** The consumers' max_batch_size in wrangler.toml. */
const BATCH_MESSAGES = 4;

/** Stands in for the Queues producer binding: keeps every message the tick sends. */
function collectingQueue() {
  const messages: WorkMessage[] = [];
  let calls = 0;
  const queue = {
    async send(body: WorkMessage) {
      calls += 1;
      messages.push(body);
    },
    async sendBatch(batch: Iterable<MessageSendRequest<WorkMessage>>) {
      calls += 1;
      for (const m of batch) messages.push(m.body);
    },
  } as unknown as Queue<WorkMessage>;
  return { queue, messages, calls: () => calls };
}

/** Sums D1's own `meta.duration` (time spent in the database) over everything run through it. */
function timedD1(db: D1Database, total: { ms: number }): D1Database {
  const add = (result: D1Result | D1Result[]) => {
    for (const r of Array.isArray(result) ? result : [result]) total.ms += r.meta?.duration ?? 0;
    return result;
  };
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "run") return async () => add(await target.all());
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") return async (statements: D1PreparedStatement[]) => add(await target.batch(statements));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function seedDue(prefix: string, count: number, latencyMs: number, hook: string): Promise<void> {
  await fetch(`${env.FAKE_URL}/_sim/bulk`, {
    method: "PUT",
    body: JSON.stringify({
      prefix,
      count,
      steps: [{ status: "processing" }],
      latencyMs,
      action: "videos",
      action2: "text2video",
      group: prefix,
    }),
  });
  await seedTasks({ prefix, count, nextPollAt: Date.now(), callbackUrl: hook });
}

/**
 * Runs `consumers` consumer invocations at a time over the collected messages, like Queues would,
 * each a batch of `batchMessages` messages (max_batch_size), with `vars` over the Worker's.
 */
async function consume(
  messages: WorkMessage[],
  consumers: number,
  d1: { ms: number },
  { batchMessages = BATCH_MESSAGES, vars = {} }: { batchMessages?: number; vars?: Partial<Env> } = {},
) {
  const batches: WorkMessage[][] = [];
  for (let i = 0; i < messages.length; i += batchMessages) batches.push(messages.slice(i, i + batchMessages));
  const DB = timedD1(env.DB, d1);
  let polled = 0;
  let queries = 0;
  let rowsWritten = 0;
  let seq = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: consumers }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const body = batch.map((m) => ({ id: `b${seq++}`, timestamp: new Date(), attempts: 1, body: m }));
        const result = await consumeBatch(createMessageBatch("kling-webhook-relay-polls", body), { ...env, ...vars, DB });
        polled += result.polled;
        queries += result.d1.queries;
        rowsWritten += result.d1.rowsWritten;
      }
    }),
  );
  return {
    polled,
    queries,
    rowsWritten,
    batches: Math.ceil(messages.length / batchMessages),
    seconds: (performance.now() - started) / 1000,
  };
}

const maxInFlight = async (group: string) =>
  ((await (await fetch(`${env.FAKE_URL}/_sim/groups/${group}`)).json()) as { maxInFlight: number }).maxInFlight;

it("spreads polls over queue consumers", async () => {
  const hook = await receiverWith("fanout", []);

  // A. One pass of the tick over 5,000 due tasks, with the free plan's budget: itself, then queued.
  const DUE = 5_000;
  const dispatchRows: (string | number)[][] = [];
  for (const mode of ["polls itself", "sends to POLL_QUEUE"] as const) {
    await resetTables();
    const prefix = `fan-a-${mode === "polls itself" ? "t" : "q"}-${Date.now()}-`;
    await seedDue(prefix, DUE, 300, hook);
    const producer = collectingQueue();
    const started = performance.now();
    const tick = await runTick(env, onePassClock, mode === "polls itself" ? {} : queueDispatchers({ POLL_QUEUE: producer.queue }));
    const seconds = (performance.now() - started) / 1000;
    dispatchRows.push([
      mode,
      DUE,
      tick.polled,
      tick.queued?.polls ?? 0,
      45 - tick.subrequestsLeft,
      producer.messages.length,
      producer.calls(),
      tick.d1.queries,
      fmt(seconds, 2),
    ]);
  }
  expect(dispatchRows[1]![3]).toBe(DUE);

  // B. N consumers at once, each invocation a batch of 4 messages of 10 ids (40 polls).
  const consumerRows: (string | number)[][] = [];
  let msPerPoll = 0;
  for (const [consumers, latencyMs] of [
    [1, 300],
    [4, 300],
    [16, 300],
    [16, 0],
  ] as const) {
    await resetTables();
    const prefix = `fan-b-${consumers}-${latencyMs}-${Date.now()}-`;
    const count = consumers * 3 * BATCH_MESSAGES * 10;
    await seedDue(prefix, count, latencyMs, hook);
    const producer = collectingQueue();
    const tick = await runTick(env, onePassClock, queueDispatchers({ POLL_QUEUE: producer.queue }));
    expect(tick.queued?.polls).toBe(count);
    const d1 = { ms: 0 };
    const run = await consume(producer.messages, consumers, d1);
    expect(run.polled).toBe(count);
    const achieved = run.polled / run.seconds;
    const ceiling = latencyMs > 0 ? (consumers * 6000) / latencyMs : null;
    if (latencyMs > 0) msPerPoll = Math.max(msPerPoll, d1.ms / run.polled);
    consumerRows.push([
      consumers,
      `${latencyMs} ms`,
      count,
      fmt(run.seconds, 1),
      fmt(achieved, 1),
      ceiling === null ? "—" : fmt(ceiling, 1),
      ceiling === null ? "—" : fmt(achieved / ceiling),
      latencyMs > 0 ? await maxInFlight(prefix) : "—",
      fmt(run.queries / run.batches, 1),
      fmt((tick.d1.rowsWritten + run.rowsWritten) / run.polled, 1),
      fmt(d1.ms / run.polled, 3),
    ]);
  }

  await report({
    order: 5,
    title: "5. Fan-out through Queues: what a tick dispatches, and N consumers vs their ceiling N x 6/L",
    columns: [
      "tick (free-plan budget 45)",
      "due tasks",
      "polled in the tick",
      "sent to the queue",
      "upstream subrequests spent",
      "messages",
      "sendBatch calls",
      "D1 round trips",
      "tick seconds",
    ],
    rows: dispatchRows,
    notes: [
      "",
      "| consumers N | upstream latency L | polls | seconds | polls/s | ceiling N x 6/L | ratio | max in flight (all consumers) | D1 round trips / batch of 40 | D1 rows written / poll (tick + consumer) | local D1 ms / poll |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      ...consumerRows.map((r) => `| ${r.join(" | ")} |`),
      "",
      "Upstream latency is simulated: in queue mode the tick makes no upstream request, so its pass costs D1 claims and sendBatch calls only.",
      "Local limits: the stand-in producer replaces Queues (no queue latency, no autoscaling); all N consumers share one workerd isolate,",
      "one SQLite file and 2 CPU cores, so the L = 0 row is this machine's ceiling, not D1's. What it does show: each consumer keeps its own",
      `6 requests in flight, and throughput adds up with N. D1 itself is the shared limit in production: one database runs one query at a time;`,
      `here each poll costs ${fmt(msPerPoll, 3)} ms of SQLite time at most (production D1 adds its own overhead per round trip).`,
    ],
  });
});

it("polls Kling's new API through batch queries in queue consumers", async () => {
  const hook = await receiverWith("fanout-batches", []);
  // B ids per `GET /tasks?task_ids=`. A consumer batch of M messages of 10 ids makes M x 10 / B
  // requests: at M = 90, 18, three waves of the 6 in flight, within the free plan's 45. At the
  // deploy's max_batch_size (4), one request of 40 ids: one in flight.
  const B = 50;
  const vars = { KLING_BATCH_SIZE: String(B) };
  const rows: (string | number)[][] = [];
  for (const [consumers, latencyMs, messages] of [
    [1, 300, 4],
    [1, 300, 90],
    [4, 300, 90],
    [1, 1000, 90],
    [4, 1000, 90],
    [4, 0, 90],
  ] as const) {
    await resetTables();
    await fetch(`${env.FAKE_URL}/_sim/batches`, { method: "DELETE" });
    const prefix = `fan-k-${consumers}-${latencyMs}-${messages}-${Date.now()}-`;
    // Two consumer batches per consumer (three at M = 4, whose batches are short).
    const count = consumers * (messages === 4 ? 3 : 2) * messages * 10;
    await upstreamBulk(prefix, count, [{ status: "processing" }], latencyMs, "videos", "text2video", "kling-new");
    await seedTasks({ prefix, count, nextPollAt: Date.now(), callbackUrl: hook, provider: "kling", action: "", action2: "" });
    const producer = collectingQueue();
    const tick = await runTick({ ...env, ...vars }, onePassClock, queueDispatchers({ POLL_QUEUE: producer.queue }));
    expect(tick.queued?.polls).toBe(count);
    const run = await consume(producer.messages, consumers, { ms: 0 }, { batchMessages: messages, vars });
    expect(run.polled).toBe(count);
    const requests = ((await (await fetch(`${env.FAKE_URL}/_sim/batches`)).json()) as { requests: number }).requests;
    // Every consumer batch's tasks in ceil(tasks / B) requests: one subrequest each.
    expect(requests).toBe(run.batches * Math.ceil((messages * 10) / B));
    const achieved = run.polled / run.seconds;
    const ceiling = latencyMs > 0 ? (consumers * 6 * B * 1000) / latencyMs : null;
    rows.push([
      consumers,
      `${latencyMs} ms`,
      `${messages} x 10`,
      count,
      requests,
      fmt(run.seconds, 1),
      fmt(achieved, 1),
      ceiling === null ? "—" : fmt(ceiling, 1),
      ceiling === null ? "—" : fmt(achieved / ceiling),
      fmt(run.queries / run.batches, 1),
    ]);
  }
  await report({
    order: 5.5,
    title: `5b. Queue consumers polling Kling's new API through batch queries (B = ${B} ids per request): N consumers vs their ceiling N x 6·B/L`,
    columns: [
      "consumers N",
      "upstream latency L",
      "consumer batch (messages x ids)",
      "tasks",
      "upstream requests",
      "seconds",
      "tasks/s",
      "ceiling N x 6·B/L",
      "ratio",
      "D1 round trips / consumer batch",
    ],
    rows,
    notes: [
      "Target: ratio ≥ 0.9. A consumer keeps 6 requests in flight only with at least 6·B tasks in its batch (30 messages of 10 ids at B = 50).",
      "The L = 0 row is this machine's ceiling (one workerd, one SQLite file and the simulator on 2 cores), not D1's.",
    ],
  });
});

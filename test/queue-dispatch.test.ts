/**
 * The tick's side of queue mode: message size, sendBatch limits, the per-tick cap, and what
 * happens when a queue refuses. The producer here stands in for the platform's binding (it
 * records or refuses what it is sent); everything else is the relay's own code against D1.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { leaseToken } from "../src/domain/ids";
import { packMessages, SEND_BATCH_MAX_BYTES, SEND_BATCH_MAX_MESSAGES, sendBatches } from "../src/queue/send-work";
import { MAX_QUEUED_PER_TICK } from "../src/tick/dispatch-phase";
import { IDS_PER_MESSAGE, type WorkMessage, WorkMessageSchema } from "../src/work/work-message";
import { lingeringClock, manualClock, receiver, register, resetDb, taskKey, tick, upstreamTask } from "./support/relay";

/** A producer that keeps every sendBatch call, or refuses them all. */
function standInQueue(options: { refuse?: boolean } = {}) {
  const calls: WorkMessage[][] = [];
  const queue = {
    async send(body: WorkMessage) {
      await queue.sendBatch([{ body }]);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<WorkMessage>>) {
      if (options.refuse) throw new Error("Too Many Requests (10xxx)");
      calls.push([...messages].map((m) => m.body));
    },
  } as unknown as Queue<WorkMessage> & { send(body: WorkMessage): Promise<void> };
  return { queue, calls };
}

const bytes = (batch: WorkMessage[]) => batch.reduce((n, m) => n + new TextEncoder().encode(JSON.stringify(m)).byteLength + 100, 0);

describe("queue messages", () => {
  it("carry at most 10 ids each, and sendBatch calls stay within 100 messages and 256 KB", () => {
    const ids = Array.from({ length: 4_321 }, (_, i) => `${"x".repeat(120)}-${i}`);
    const messages = packMessages("poll", leaseToken("lease_abc"), ids);
    expect(messages).toHaveLength(Math.ceil(4_321 / IDS_PER_MESSAGE));
    expect(messages.every((m) => m.ids.length <= IDS_PER_MESSAGE && WorkMessageSchema.safeParse(m).success)).toBe(true);
    expect(messages.flatMap((m) => m.ids)).toEqual(ids);
    const batches = sendBatches(messages);
    expect(batches.flat()).toEqual(messages);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(SEND_BATCH_MAX_MESSAGES);
      expect(bytes(batch)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
    }
    // Even 128-character ids make messages of ~1.4 KB: 100 of them fit one call.
    expect(batches[0]).toHaveLength(SEND_BATCH_MAX_MESSAGES);
  });

  it("are cut by size when larger messages would pass 256 KB in one call", () => {
    const big = Array.from({ length: 100 }, (_, i) => ({
      kind: "poll" as const,
      leaseToken: leaseToken("lease_abc"),
      ids: Array.from({ length: 100 }, (_, j) => `${i}-${j}-${"y".repeat(120)}`),
    }));
    const batches = sendBatches(big);
    expect(batches.flat()).toEqual(big);
    expect(batches.length).toBeGreaterThan(5);
    for (const batch of batches) expect(bytes(batch)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
  });
});

describe("the tick in queue mode", () => {
  beforeEach(resetDb);

  it("hands at most MAX_QUEUED_PER_TICK polls to the queue in messages of 10 ids, then ends", async () => {
    const now = Date.now();
    const count = MAX_QUEUED_PER_TICK + 500;
    await env.DB.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
      INSERT INTO tasks (id, tenant_id, task_id, action, action2, next_poll_at, created_at, updated_at)
      SELECT 'tsk_cap-' || n, 'default', 'cap-' || n, 'videos', 'text2video', ?2, ?2, ?2 FROM seq`)
      .bind(count, now)
      .run();
    const { queue, calls } = standInQueue();
    const report = await tick(lingeringClock(now), { POLL_QUEUE: queue });
    expect(report).toMatchObject({
      rounds: 1,
      claimed: 0,
      polled: 0,
      queued: { polls: MAX_QUEUED_PER_TICK, deliveries: 0, sendErrors: 0 },
    });
    const messages = calls.flat();
    expect(messages.every((m) => m.kind === "poll" && m.ids.length === IDS_PER_MESSAGE && m.leaseToken === messages[0]!.leaseToken)).toBe(
      true,
    );
    expect(new Set(messages.flatMap((m) => m.ids)).size).toBe(MAX_QUEUED_PER_TICK);
    expect(calls.every((c) => c.length <= SEND_BATCH_MAX_MESSAGES)).toBe(true);
    // D1 cost of the tick: one claim per 1,000 ids, whatever the number of tasks, and one that finds
    // the other due lane (Kling's new API) empty (and, with the
    // ARCHIVE bucket bound as in these tests, one look at the archive's to-do lists), the tenants'
    // upkeep's one look (storage/tenant-upkeep.ts) and, with SECRETS_KEY, one look for secrets to
    // seal again, made by an isolate's first tick, as each of these ticks is: src/tick/reseal-phase.ts.
    expect(report.d1.queries).toBeLessThanOrEqual(MAX_QUEUED_PER_TICK / 1_000 + 1 + 3 + 1 + 1 + 1);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE lease_token IS NULL AND next_poll_at <= ?")
      .bind(now)
      .first<{ n: number }>();
    expect(left!.n).toBe(500);
  });

  it("takes turns between the due lanes: a backlog of Kling new-API tasks does not hold the others back", async () => {
    const now = Date.now();
    await env.DB.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 2500)
      INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, next_poll_at, created_at, updated_at)
      SELECT 'tsk_new-' || n, 'default', 'kling', 'new-' || n, '', 'text2video', ?1, ?1, ?1 FROM seq`)
      .bind(now - 1_000)
      .run();
    await env.DB.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 20)
      INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, next_poll_at, created_at, updated_at)
      SELECT 'tsk_other-' || n, 'default', 'cometapi', 'other-' || n, 'videos', 'text2video', ?1, ?1, ?1 FROM seq`)
      .bind(now)
      .run();
    const { queue, calls } = standInQueue();
    const report = await tick(lingeringClock(now), { POLL_QUEUE: queue });
    expect(report.queued?.polls).toBe(2520);
    const ids = calls.flat().flatMap((m) => m.ids);
    expect(new Set(ids).size).toBe(2520);
    // Sent after the first 1,000 of the backlog (one claim's worth), not after all 2,500 of it,
    // though the backlog was due first.
    const first = ids.findIndex((id) => id.startsWith("tsk_other-"));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(1_500);
  });

  it("does the work itself when the queue refuses, releasing what it could not send", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    const { queue } = standInQueue({ refuse: true });
    const report = await tick(lingeringClock(), { POLL_QUEUE: queue, DELIVERY_QUEUE: queue, TICK_WALL_BUDGET_SECONDS: "5" });
    expect(report).toMatchObject({ polled: 1, delivered: 1, queued: { polls: 0, deliveries: 0, sendErrors: 2 } });
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("claims queued work with a lease that outlives the queue wait and the consumer", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    const clock = manualClock();
    const { queue, calls } = standInQueue();
    await tick(clock, { POLL_QUEUE: queue });
    expect(calls.flat()).toEqual([{ kind: "poll", leaseToken: expect.stringMatching(/^lease_/), ids: [await taskKey(task.id)] }]);
    const row = await env.DB.prepare("SELECT next_poll_at, lease_token FROM tasks WHERE task_id = ?")
      .bind(task.id)
      .first<{ next_poll_at: number; lease_token: string }>();
    expect(row!.lease_token).toBe(calls[0]![0]!.leaseToken);
    // 120 s of queue wait + 60 s for the consumer to start it + a 15 s timeout + 30 s margin, and a
    // millisecond a claim the tick made up to this one (tick-context.ts `claimLeaseMs`).
    expect(row!.next_poll_at - clock.now()).toBeGreaterThan(225_000);
    expect(row!.next_poll_at - clock.now()).toBeLessThanOrEqual(225_010);
    expect(await task.polls()).toBe(0);
  });
});

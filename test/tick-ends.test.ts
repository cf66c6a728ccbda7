/**
 * Ticks that cannot make progress must still end. These run under the real clock (the tick's own
 * `systemClock`, which really sleeps) with short wall budgets; a manual clock cannot see this class
 * of bug, because a spinning loop never advances it. Each test has a deadline of its own, which
 * catches a tick that naps for ever; a tick that spins on local D1 can starve workerd's timers
 * (seen: the whole file hung), so the same cases also run in test/e2e/tick-ends.e2e.test.ts,
 * where Node enforces the deadline from outside workerd.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { WorkMessage } from "../src/work/work-message";
import { lingeringClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

const WALL_SECONDS = 2;
const TIMEOUT_SECONDS = 2;
/** The promise every tick keeps: its wall budget plus one request timeout (and D1's share). */
const TICK_LIMIT_MS = (WALL_SECONDS + TIMEOUT_SECONDS) * 1000 + 3_000;
const shortTick = {
  TICK_WALL_BUDGET_SECONDS: String(WALL_SECONDS),
  UPSTREAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
  DELIVERY_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
};

/** Resolves with `work`, or fails once `ms` have really passed. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: number | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tick still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer ?? null);
  }
}

/** `count` tasks due now, unknown upstream (each poll answers 404). */
async function dueTasks(count: number): Promise<void> {
  const now = Date.now();
  await env.DB.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
    INSERT INTO tasks (id, tenant_id, task_id, action, action2, next_poll_at, created_at, updated_at)
    SELECT 'tsk_due-' || ?3 || '-' || n, 'default', 'due-' || ?3 || '-' || n, 'videos', 'text2video', ?2, ?2, ?2 FROM seq`)
    .bind(count, now, now.toString(36))
    .run();
}

/** A queue binding that takes everything (a Cloudflare service, so a stand-in at the edge). */
const acceptingQueue = () => ({ send: async () => {}, sendBatch: async () => {} }) as unknown as Queue<WorkMessage>;

describe("a tick under the real clock", () => {
  beforeEach(resetDb);

  it("ends when its subrequest budget is spent with tasks still due", async () => {
    await dueTasks(200);
    const report = await within(TICK_LIMIT_MS, tick(undefined, shortTick));
    expect(report.claimed).toBeLessThanOrEqual(45);
    expect(report.endReason).toBe("subrequest_budget");
    expect(report.d1.queries).toBeLessThanOrEqual(60);
  });

  it("ends when polling is paused (no COMETAPI_KEY) and a task is due", async () => {
    await dueTasks(1);
    const report = await within(TICK_LIMIT_MS, tick(undefined, { ...shortTick, COMETAPI_KEY: "", KLING_API_KEY: "" }));
    expect(report.claimed).toBe(0);
    expect(report.endReason).toBe("paused");
    // One of them asks whether any tenant has credentials of its own (then it would poll for it).
    expect(report.d1.queries).toBeLessThanOrEqual(10);
  });

  it("ends in queue mode when polling is paused and a task is due", async () => {
    await dueTasks(3);
    const report = await within(
      TICK_LIMIT_MS,
      tick(undefined, { ...shortTick, COMETAPI_KEY: "", KLING_API_KEY: "", POLL_QUEUE: acceptingQueue() }),
    );
    expect(report.queued?.polls).toBe(0);
    expect(report.endReason).toBe("paused");
  });
});

describe("a 58 s tick that can do nothing", () => {
  beforeEach(resetDb);

  // The lingering clock sleeps at once, so a full-length tick takes milliseconds: the figure to
  // watch is D1 round trips, about one per nap of at most 5 s.
  it("costs about one D1 round trip per nap while a polled task waits for its next poll", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    const report = await within(TICK_LIMIT_MS, tick(lingeringClock()));
    expect(report.polled).toBeGreaterThan(1);
    expect(report.endReason).toBe("wall_budget");
    expect(report.d1.queries).toBeLessThanOrEqual(60);
  });

  it("ends at once when its budget is spent and no message falls due before its deadline", async () => {
    await dueTasks(200);
    const report = await within(TICK_LIMIT_MS, tick(lingeringClock()));
    expect(report.endReason).toBe("subrequest_budget");
    expect(report.rounds).toBe(1);
  });
});

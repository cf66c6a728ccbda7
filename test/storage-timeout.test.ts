/**
 * A D1 that does not answer (issue 26), on the real clock: every way in gives up on a round trip
 * after D1_TIMEOUT_SECONDS (src/index.ts bounds the env's D1), so an API request answers 503
 * `storage_unavailable` and a tick or a queue batch ends, instead of waiting until the platform
 * cuts them.
 */
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { newLeaseToken } from "../src/domain/ids";
import worker from "../src/index";
import { failingWhere, faultyD1 } from "./support/faulty-d1";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { receiver, register, resetDb, upstreamTask } from "./support/relay";

/** Fails the test if `work` takes longer than `ms` of real time. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer = 0;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${ms} ms`)), ms) as unknown as number;
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

describe("D1_FAULT_RATE, the drill", () => {
  beforeEach(resetDb);

  it("fails that share of D1's round trips through the Worker's own way in: 503 storage_unavailable, never 500", async () => {
    const hook = await receiver();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await worker.fetch(
        new Request("http://relay.test/v1/tasks", {
          method: "POST",
          headers: { authorization: "Bearer relay-test-key-one-0123456789", "content-type": "application/json" },
          body: JSON.stringify({ task_id: `drill-${i % 5}`, action: "videos", action2: "text2video", callback_url: hook.url }),
        }),
        { ...env, D1_FAULT_RATE: "0.5" },
        createExecutionContext(),
      );
      statuses.push(res.status);
    }
    // With half the round trips failing, a registration of three gets through about one time in eight.
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(
      statuses.every((s) => [200, 201, 503].includes(s)),
      statuses.join(","),
    ).toBe(true);
  });
});

describe("a D1 that hangs", () => {
  beforeEach(resetDb);

  it("gets an API request 503 storage_unavailable with Retry-After after D1_TIMEOUT_SECONDS, whichever round trip hangs", async () => {
    const hook = await receiver();
    for (const n of [0, 1, 2]) {
      const faults = faultyD1(env.DB, { rate: 0, kinds: ["hang"], at: [n] });
      const started = Date.now();
      const res = await within(
        5_000,
        `registration with round trip ${n} hanging`,
        Promise.resolve(
          worker.fetch(
            new Request("http://relay.test/v1/tasks", {
              method: "POST",
              headers: { authorization: "Bearer relay-test-key-one-0123456789", "content-type": "application/json" },
              body: JSON.stringify({ task_id: `hang-${n}`, action: "videos", action2: "text2video", callback_url: hook.url }),
            }),
            { ...env, DB: faults.db, D1_TIMEOUT_SECONDS: "0.4" },
            createExecutionContext(),
          ),
        ),
      );
      expect(faults.log.failed.hang, `round trip ${n}`).toBe(1);
      expect(res.status, `round trip ${n}`).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(await res.json()).toMatchObject({ error: { code: "storage_unavailable" } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    }
  });

  it("ends a tick whose round trip hangs, within its deadline, with one log line", async () => {
    // Round trip 0, the upkeep before any round: a fault there ends the tick (one in a round ends only the round, below).
    const faults = faultyD1(env.DB, { rate: 0, kinds: ["hang"], at: [0] });
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    try {
      await within(
        5_000,
        "the tick",
        worker.scheduled(createScheduledController(), { ...env, DB: faults.db, D1_TIMEOUT_SECONDS: "0.4", TICK_WALL_BUDGET_SECONDS: "20" }),
      );
    } finally {
      console.error = original;
    }
    expect(faults.log.failed.hang).toBe(1);
    const logged = lines.filter((l) => l.includes('"storage_unavailable"') && l.includes('"during":"tick"'));
    expect(logged).toHaveLength(1);
    // D1's own words only: never drizzle's wrapper, which quotes the statement and its parameters.
    expect(logged[0]).toMatch(/storage operation exceeded timeout/);
    expect(logged[0]).not.toMatch(/Failed query|params/);
    // What it got through before D1 ended it (it logs no tick line): every round trip, the hung one too.
    const line = JSON.parse(logged[0]!) as { durationMs: number; d1: { queries: number } };
    expect(line.d1.queries).toBe(faults.log.roundTrips);
    expect(line.durationMs).toBeGreaterThanOrEqual(350);
  });
});

/**
 * Runs the Worker's own `scheduled` on the real clock with `overrides` (its D1 among them), within
 * `deadlineMs` of real time, and returns the JSON lines it logged.
 */
async function scheduledTick(overrides: Partial<typeof env>, deadlineMs: number): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const [error, log] = [console.error, console.log];
  console.error = console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    await within(deadlineMs, "the tick", worker.scheduled(createScheduledController(), { ...env, ...overrides }));
  } finally {
    [console.error, console.log] = [error, log];
  }
  return lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("a lingering tick whose D1 fails", () => {
  beforeEach(resetDb);

  /** The Worker's own `scheduled` on the real clock with D1 failing at `at`: what failed, and its log lines. */
  async function tickWith(at: number[], wallSeconds: number, deadlineMs: number) {
    const faults = faultyD1(env.DB, { rate: 0, kinds: ["before"], at });
    const events = await scheduledTick({ DB: faults.db, TICK_WALL_BUDGET_SECONDS: String(wallSeconds) }, deadlineMs);
    return { faults, events };
  }

  it("goes on after a round that D1 ended: the next round polls the task and delivers its webhook, in the same tick", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    // Round trip 0 is the upkeep's; 1 is the first round's first claim, 2 its look for what it
    // may have leased all the same (storage/storage-errors.ts `claimOrLook`): both failing, the round ends.
    const { faults, events } = await tickWith([1, 2], 4, 10_000);
    expect(faults.log.failed.before).toBe(2);
    expect(events.filter((e) => e.event === "storage_unavailable").map((e) => e.during)).toEqual(["tick_round"]);
    expect(events.find((e) => e.event === "tick")).toMatchObject({ storageFaults: 1, polled: 1, delivered: 1, endReason: "wall_budget" });
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("ends at the third fault in a row, D1 taken to be down, with the tick's storage_unavailable line", async () => {
    const { faults, events } = await tickWith(
      Array.from({ length: 60 }, (_, i) => i + 1),
      20,
      8_000,
    );
    // Each round: its first claim, and the claim's look for what it may have leased.
    expect(faults.log.failed.before).toBe(6);
    expect(events.filter((e) => e.event === "storage_unavailable").map((e) => e.during)).toEqual(["tick_round", "tick_round", "tick"]);
    expect(events.some((e) => e.event === "tick")).toBe(false);
  });
});

describe("a claim that D1 does not answer in time", () => {
  beforeEach(resetDb);

  it("ends its round after one D1_TIMEOUT_SECONDS, with no look for what it may have leased; the next round delivers", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    // The first round's delivery claim (storage/claim-messages.ts) hangs: it may still commit after any look.
    const faults = failingWhere(env.DB, /UPDATE messages SET state = CASE WHEN c\.halted/, "hang");
    const log: Recorded[] = [];
    const events = await scheduledTick(
      { DB: recordingD1(faults.db, log), D1_TIMEOUT_SECONDS: "0.4", TICK_WALL_BUDGET_SECONDS: "3" },
      8_000,
    );
    expect(faults.failed()).toBe(1);
    expect(log.some((s) => /WHERE next_attempt_at = \? AND lease_token = \?/.test(s.sql))).toBe(false);
    expect(events.find((e) => e.event === "tick")).toMatchObject({ storageFaults: 1, polled: 1, delivered: 1 });
    expect(await hook.deliveries()).toHaveLength(1);
  });
});

describe("a queue batch whose D1 fails", () => {
  beforeEach(resetDb);

  it.each([
    ["fails before running", { rate: 0, kinds: ["before"], at: [0] }, /D1_ERROR/],
    ["hangs", { rate: 0, kinds: ["hang"], at: [0] }, /storage operation exceeded timeout/],
  ] as const)(
    "ends when its round trip %s: one storage_unavailable line in D1's own words, the batch retried, nothing thrown",
    async (_, plan, words) => {
      const faults = faultyD1(env.DB, plan);
      const batch = createMessageBatch("kling-webhook-relay-deliveries", [
        { id: "msg-1", timestamp: new Date(), attempts: 1, body: { kind: "deliver", leaseToken: newLeaseToken(), ids: ["msg_soak"] } },
      ]);
      const ctx = createExecutionContext();
      const lines: string[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
      try {
        // Thrown, it would reach the platform as an uncaught error, with drizzle's wrapper quoting the statement.
        await within(5_000, "the queue batch", worker.queue(batch, { ...env, DB: faults.db, D1_TIMEOUT_SECONDS: "0.4" }));
      } finally {
        console.error = original;
      }
      expect(faults.log.failed[plan.kinds[0]]).toBe(1);
      const result = await getQueueResult(batch, ctx);
      expect(result.retryBatch.retry).toBe(true);
      expect(result.explicitAcks).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ event: "storage_unavailable", during: "queue_batch" });
      expect(lines[0]).toMatch(words);
      expect(lines[0]).not.toMatch(/Failed query|params/);
    },
  );
});

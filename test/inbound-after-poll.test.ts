/**
 * An upstream callback that comes within POLL_MIN_INTERVAL_SECONDS of the task's last poll: its
 * confirming poll waits for the interval's end in the callback's own invocation (the request's
 * `waitUntil`), never for the next cron tick. Real clock, a short interval, and a deadline the
 * test enforces. (That a flood of them still costs one poll per interval: inbound-callbacks.test.ts.)
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { manualClock, receiver, relayRequest, resetDb, tick, upstreamTask } from "./support/relay";

const TOKEN = "inbound-test-token-0123456789-abcdefgh";
const INTERVAL_MS = 1_000;
/** How late the webhook may be after the interval's end: D1 round trips, one poll, one POST. */
const SLACK_MS = 5_000;
const SHORT: Partial<Env> = { INBOUND_TOKEN: TOKEN, POLL_MIN_INTERVAL_SECONDS: String(INTERVAL_MS / 1000) };

const register = (taskId: string, callbackUrl: string, overrides = SHORT) =>
  relayRequest(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer relay-test-key-one-0123456789" },
      body: JSON.stringify({ action: "videos", action2: "text2video", task_id: taskId, callback_url: callbackUrl }),
    },
    overrides,
  );

/** Upstream's callback, as the route receives it; resolves once the work it left in `waitUntil` is done. */
const callBack = (taskId: string, status: string, overrides = SHORT) =>
  relayRequest(
    `/inbound/cometapi/${TOKEN}`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ task_id: taskId, task_status: status, created_at: Date.now() - 30_000 }),
    },
    overrides,
  );

const taskRow = (taskId: string) =>
  env.DB.prepare("SELECT pushed_at, next_poll_at, last_polled_at, task_status FROM tasks WHERE task_id = ?")
    .bind(taskId)
    .first<{ pushed_at: number | null; next_poll_at: number | null; last_polled_at: number; task_status: string | null }>();

/** Waits (real time) until `check` holds, failing at `deadline`. */
async function until(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not by the deadline`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A registered task, polled once by a tick (a pass that ended: nothing lingers to poll it again). */
async function polledOnce(steps: Parameters<typeof upstreamTask>[0], overrides = SHORT) {
  const task = await upstreamTask(steps);
  const hook = await receiver();
  expect((await register(task.id, hook.url, overrides)).status).toBe(201);
  await tick(manualClock(), overrides);
  expect(await task.polls()).toBe(1);
  const polledAt = (await taskRow(task.id))!.last_polled_at;
  return { task, hook, polledAt };
}

describe("inbound callbacks within the minimum interval", () => {
  beforeEach(resetDb);

  it(
    "confirms a callback right after a poll at the interval's end, in its own invocation: no tick",
    async () => {
      const { task, hook, polledAt } = await polledOnce([{ status: "processing" }, { status: "succeed" }]);
      const sent = Date.now();
      const work = callBack(task.id, "succeed");
      await until("the webhook", sent + INTERVAL_MS + SLACK_MS, async () => (await hook.deliveries()).length > 0);
      expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
      expect((await work).status).toBe(200);
      // One confirming poll, not before the interval's end.
      expect(await task.polls()).toBe(2);
      const row = (await taskRow(task.id))!;
      expect(row.task_status).toBe("succeed");
      expect(row.last_polled_at - polledAt).toBeGreaterThanOrEqual(INTERVAL_MS);
    },
    INTERVAL_MS + SLACK_MS + 10_000,
  );

  it("does not poll again a task a tick polled while the callback waited", async () => {
    const { task, hook } = await polledOnce([{ status: "processing" }, { status: "succeed" }]);
    const work = callBack(task.id, "succeed");
    // Once the callback is noted (and waiting), a tick whose clock is past the interval polls the task.
    await until("the callback noted", Date.now() + SLACK_MS, async () => (await taskRow(task.id))!.pushed_at !== null);
    await tick(manualClock(Date.now() + INTERVAL_MS), SHORT);
    expect(await task.polls()).toBe(2);
    expect((await work).status).toBe(200);
    expect(await task.polls()).toBe(2);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
  });

  it("leaves an interval that ends past the callback's waitUntil window (PUSH_WAIT_MS, 15 s) to the tick", async () => {
    const long = { ...SHORT, POLL_MIN_INTERVAL_SECONDS: "20" };
    const { task, hook, polledAt } = await polledOnce([{ status: "processing" }, { status: "succeed" }], long);
    const sent = Date.now();
    expect((await callBack(task.id, "succeed", long)).status).toBe(200);
    // Answered and done without waiting the 20 s; the task is due at the interval's end.
    expect(Date.now() - sent).toBeLessThan(SLACK_MS);
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toEqual([]);
    expect((await taskRow(task.id))!.next_poll_at).toBe(polledAt + 20_000);
  });
});

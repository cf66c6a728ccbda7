/** 4. Delivery throughput: webhooks per second in one tick to a receiver answering after L ms. */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { runTick } from "../../src/tick/run-tick";
import { fmt, onePassClock, receiverWith, report, resetTables, seedMessages, seedTasks } from "./bench-support";

const MESSAGES = 300;

it("delivers at the 6-in-flight ceiling", async () => {
  const rows: (string | number)[][] = [];
  for (const latencyMs of [100, 300]) {
    await resetTables();
    const hook = await receiverWith(`deliver-${latencyMs}-${Date.now()}`, [{ status: 204, delayMs: latencyMs }]);
    const prefix = `dl${latencyMs}-${Date.now()}-`;
    await seedTasks({ prefix, count: MESSAGES, nextPollAt: null, finished: true, callbackUrl: hook });
    await env.DB.prepare("UPDATE subscriptions SET status = 'active' WHERE task_key LIKE ?").bind(`tsk_${prefix}%`).run();
    await seedMessages(prefix, MESSAGES);
    const started = performance.now();
    const tick = await runTick({ ...env, SUBREQUEST_BUDGET: "100000", TICK_WALL_BUDGET_SECONDS: "600" }, onePassClock);
    const seconds = (performance.now() - started) / 1000;
    expect(tick.delivered).toBe(MESSAGES);
    const achieved = tick.delivered / seconds;
    const ceiling = 6000 / latencyMs;
    rows.push([`${latencyMs} ms`, MESSAGES, fmt(seconds, 1), fmt(achieved, 1), fmt(ceiling, 1), fmt(achieved / ceiling), tick.d1.queries]);
  }
  await report({
    order: 4,
    title: "4. Delivery throughput in one tick vs the 6-in-flight ceiling (6/L)",
    columns: ["receiver latency L", "due webhooks", "tick seconds", "webhooks/s", "ceiling 6/L", "ratio", "D1 round trips"],
    rows,
  });
});

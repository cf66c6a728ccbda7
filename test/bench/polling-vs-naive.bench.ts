/**
 * 3. Upstream calls and notification delay, the relay vs the loop an app would write (poll every
 * 5 s). Simulated time: the real tick runs every simulated minute against the simulator, whose
 * clock follows the tick's; hours of task time pass in seconds. Durations drawn like the real
 * ones (images 10-30 s, video 1-5 min).
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { app } from "../../src/app";
import { emptyUsage, meteredD1 } from "../../src/storage/metered-d1";
import { runTick } from "../../src/tick/run-tick";
import { seededRandom } from "../../tools/seeded-random";
import { fmt, receiverWith, report, reportLifecycle, resetTables } from "./bench-support";
import {
  ARRIVALS_OVER_MS,
  drawWorkload,
  IMAGE_SHARE,
  isMeasured,
  MEASURED_FROM_MS,
  MEASURED_TO_MS,
  mean,
  naiveCalls,
  naiveDelay,
  percentile,
  productOf,
  type WorkloadTask,
} from "./workload";

const TASKS = 600;

type SimTask = WorkloadTask & { id: string };

it("calls upstream a fraction as often as a 5 s loop, for a similar notification delay", async () => {
  await resetTables();
  const t0 = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
  const tasks: SimTask[] = drawWorkload(TASKS, t0).map((t) => ({ ...t, id: `sim-${t0}-${t.n}` }));
  await fetch(`${env.FAKE_URL}/_sim/timelines`, {
    method: "PUT",
    body: JSON.stringify({
      tasks: tasks.map((t) => ({
        id: t.id,
        action: t.kind,
        action2: productOf(t),
        createdAt: t.createdAt,
        submittedMs: t.submittedMs,
        processingMs: t.durationMs - t.submittedMs,
      })),
    }),
  });
  const hook = await receiverWith(`naive-${t0}`, []);
  // Everything the lifecycle costs in D1: the registrations' requests and every tick.
  const d1 = emptyUsage();
  const registerEnv = { ...env, DB: meteredD1(env.DB, d1), REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "1000000" };
  let ticks = 0;
  let delivered = 0;

  // The simulated clock: moving it registers the tasks created meanwhile, as their apps would.
  let now = t0;
  const arrivals = [...tasks].sort((a, b) => a.createdAt - b.createdAt);
  const setClock = (ms: number) => fetch(`${env.FAKE_URL}/_sim/clock`, { method: "PUT", body: JSON.stringify({ now: ms }) });
  async function advanceTo(target: number) {
    while (arrivals.length > 0 && arrivals[0]!.createdAt <= target) {
      const task = arrivals.shift()!;
      now = task.createdAt;
      await setClock(now);
      // 600 registrations in minutes of simulated time: past the real registration rate limit,
      // which has its own tests, so the bench runs with a limit too high to matter.
      const res = await app.fetch(
        new Request("http://relay.bench/v1/tasks", {
          method: "POST",
          headers: { authorization: "Bearer relay-test-key-one-0123456789", "content-type": "application/json" },
          body: JSON.stringify({ task_id: task.id, action: task.kind, action2: productOf(task), callback_url: hook }),
        }),
        registerEnv,
      );
      expect(res.status).toBe(201);
    }
    now = Math.max(now, target);
    await setClock(now);
  }
  const clock = { now: () => now, random: seededRandom(7), sleep: (ms: number) => advanceTo(now + ms) };

  const received = async () =>
    ((await (await fetch(`${env.FAKE_URL}/_sim/receivers/naive-${t0}`)).json()) as { deliveries: { body: string; receivedAt: number }[] })
      .deliveries;
  for (let minute = 0; minute < 45; minute++) {
    await advanceTo(t0 + minute * 60_000);
    const tick = await runTick({ ...env, SUBREQUEST_BUDGET: "1000" }, clock);
    ticks += 1;
    delivered += tick.delivered + tick.retried + tick.failed;
    for (const key of ["queries", "rowsRead", "rowsWritten"] as const) d1[key] += tick.d1[key];
    if (arrivals.length === 0 && (await received()).length >= TASKS) break;
  }
  await setClock(null as unknown as number);

  const deliveries = new Map((await received()).map((d) => [JSON.parse(d.body).task_id as string, d.receivedAt]));
  expect(deliveries.size).toBe(TASKS);
  const polls = await Promise.all(
    tasks.map(async (t) => ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${t.id}`)).json()) as { polls: number }).polls),
  );
  const upstreamCalls = polls.reduce((a, b) => a + b, 0);
  await reportLifecycle({
    kind: "lifecycle",
    scenario: "polling only",
    tasks: TASKS,
    requests: TASKS,
    work: { registration: TASKS, poll: upstreamCalls, delivery: delivered },
    d1RowsRead: d1.rowsRead,
    d1RowsWritten: d1.rowsWritten,
    upstreamCalls,
    naiveCalls: tasks.map(naiveCalls).reduce((a, b) => a + b, 0),
  });
  expect(ticks).toBeGreaterThan(0);

  const rows: (string | number)[][] = [];
  const measured = tasks.filter((t) => isMeasured(t, t0));
  for (const [label, subset] of [
    ["images (10-30 s)", measured.filter((t) => t.kind === "images")],
    ["video (1-5 min)", measured.filter((t) => t.kind === "videos")],
    ["all", measured],
  ] as const) {
    const relayCalls: number[] = [];
    const relayDelay: number[] = [];
    // The app's loop: poll at creation, then every 5 s, until a poll sees the task done.
    const loopCalls = subset.map(naiveCalls);
    const loopDelay = subset.map(naiveDelay);
    for (const t of subset) {
      const polls = ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${t.id}`)).json()) as { polls: number }).polls;
      relayCalls.push(polls);
      relayDelay.push((deliveries.get(t.id)! - (t.createdAt + t.durationMs)) / 1000);
    }
    rows.push([
      label,
      subset.length,
      fmt(mean(loopCalls), 1),
      fmt(mean(relayCalls), 1),
      fmt(mean(relayCalls) / mean(loopCalls)),
      `${fmt(percentile(loopDelay, 50), 1)} / ${fmt(percentile(loopDelay, 95), 1)} / ${fmt(Math.max(...loopDelay), 1)}`,
      `${fmt(percentile(relayDelay, 50), 1)} / ${fmt(percentile(relayDelay, 95), 1)} / ${fmt(Math.max(...relayDelay), 1)}`,
      fmt(percentile(relayDelay, 95) - percentile(loopDelay, 95), 1),
    ]);
  }
  await report({
    order: 3,
    title: `3. Upstream calls per task and notification delay (s): a 5 s polling loop vs the relay (${measured.length} of ${TASKS} tasks, ${Math.round(IMAGE_SHARE * 100)} % images, simulated time)`,
    columns: [
      "tasks",
      "n",
      "naive calls/task",
      "relay calls/task",
      "ratio",
      "naive delay p50 / p95 / max",
      "relay delay p50 / p95 / max",
      "p95 added",
    ],
    rows,
    notes: [
      "Relay: the real tick every simulated minute, lingering 58 s, default intervals (10-60 s), the adaptive schedule learning as tasks finish; delay = webhook received − task finished upstream.",
      `Tasks arrive evenly over ${ARRIVALS_OVER_MS / 60_000} minutes; counted are those arriving in minutes ${MEASURED_FROM_MS / 60_000}-${MEASURED_TO_MS / 60_000} (steady state: the first minutes are the relay learning, the last ones a burst ending).`,
      "Naive: poll at creation then every 5 s; delay = the poll that sees it done − task finished.",
      "Targets: relay calls ≤ 1/3 of naive; relay p95 delay within 10 s of naive's.",
    ],
  });
});

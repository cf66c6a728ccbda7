/**
 * 3. Upstream calls and notification delay, the relay vs the loop an app would write (poll every
 * 5 s). Simulated time: the real tick runs every simulated minute against the simulator, whose
 * clock follows the tick's; hours of task time pass in seconds. Durations drawn like the real
 * ones (images 10-30 s, video 1-5 min).
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { app } from "../../src/http/app";
import { runTick } from "../../src/tick/run-tick";
import { seededRandom } from "../../tools/seeded-random";
import { fmt, receiverWith, report, resetTables } from "./bench-support";

const TASKS = 600;
const IMAGE_SHARE = 0.3;
/** Tasks arrive evenly over 30 minutes; the figures count those arriving in minutes 10-25, when the relay has learned. */
const ARRIVALS_OVER_MS = 30 * 60_000;
const MEASURED_FROM_MS = 10 * 60_000;
const MEASURED_TO_MS = 25 * 60_000;
const NAIVE_INTERVAL_MS = 5_000;

interface SimTask {
  id: string;
  kind: "images" | "videos";
  createdAt: number;
  durationMs: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

it("calls upstream a fraction as often as a 5 s loop, for a similar notification delay", async () => {
  await resetTables();
  const draw = seededRandom(2026);
  const t0 = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
  const tasks: SimTask[] = Array.from({ length: TASKS }, (_, i) => {
    const kind = draw() < IMAGE_SHARE ? "images" : "videos";
    const durationMs = kind === "images" ? 10_000 + draw() * 20_000 : 60_000 + draw() * 240_000;
    return { id: `sim-${t0}-${i}`, kind, createdAt: t0 + Math.round(draw() * ARRIVALS_OVER_MS), durationMs: Math.round(durationMs) };
  });
  const action2 = (t: SimTask) => (t.kind === "images" ? "generations" : "text2video");
  await fetch(`${env.FAKE_URL}/_sim/timelines`, {
    method: "PUT",
    body: JSON.stringify({
      tasks: tasks.map((t) => ({
        id: t.id,
        action: t.kind,
        action2: action2(t),
        createdAt: t.createdAt,
        submittedMs: Math.min(5_000, t.durationMs / 10),
        processingMs: t.durationMs - Math.min(5_000, t.durationMs / 10),
      })),
    }),
  });
  const hook = await receiverWith(`naive-${t0}`, []);

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
          body: JSON.stringify({ task_id: task.id, action: task.kind, action2: action2(task), callback_url: hook }),
        }),
        { ...env, REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "1000000" },
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
    await runTick({ ...env, SUBREQUEST_BUDGET: "1000" }, clock);
    if (arrivals.length === 0 && (await received()).length >= TASKS) break;
  }
  await setClock(null as unknown as number);

  const deliveries = new Map((await received()).map((d) => [JSON.parse(d.body).task_id as string, d.receivedAt]));
  expect(deliveries.size).toBe(TASKS);
  const rows: (string | number)[][] = [];
  const measured = tasks.filter((t) => t.createdAt - t0 >= MEASURED_FROM_MS && t.createdAt - t0 < MEASURED_TO_MS);
  for (const [label, subset] of [
    ["images (10-30 s)", measured.filter((t) => t.kind === "images")],
    ["video (1-5 min)", measured.filter((t) => t.kind === "videos")],
    ["all", measured],
  ] as const) {
    const relayCalls: number[] = [];
    const relayDelay: number[] = [];
    const naiveCalls: number[] = [];
    const naiveDelay: number[] = [];
    for (const t of subset) {
      const polls = ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${t.id}`)).json()) as { polls: number }).polls;
      relayCalls.push(polls);
      relayDelay.push((deliveries.get(t.id)! - (t.createdAt + t.durationMs)) / 1000);
      // The app's loop: poll at creation, then every 5 s, until a poll sees the task done.
      const k = Math.ceil(t.durationMs / NAIVE_INTERVAL_MS);
      naiveCalls.push(k + 1);
      naiveDelay.push((k * NAIVE_INTERVAL_MS - t.durationMs) / 1000);
    }
    rows.push([
      label,
      subset.length,
      fmt(mean(naiveCalls), 1),
      fmt(mean(relayCalls), 1),
      fmt(mean(relayCalls) / mean(naiveCalls)),
      `${fmt(percentile(naiveDelay, 50), 1)} / ${fmt(percentile(naiveDelay, 95), 1)} / ${fmt(Math.max(...naiveDelay), 1)}`,
      `${fmt(percentile(relayDelay, 50), 1)} / ${fmt(percentile(relayDelay, 95), 1)} / ${fmt(Math.max(...relayDelay), 1)}`,
      fmt(percentile(relayDelay, 95) - percentile(naiveDelay, 95), 1),
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

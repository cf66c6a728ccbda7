/**
 * 10-12. The Worker's own CPU time per operation: the real `wrangler dev` (workerd, a local D1),
 * the Kling simulator and a webhook receiver on loopback, and the Worker's isolate profiled
 * through wrangler's inspector (isolate-profiler.ts) while N operations of one kind run, one after
 * the other. The local D1 runs in an isolate of its own: its SQLite work is not in this isolate's
 * samples (cpu-attribution.ts says why), the D1 binding's client, which runs in the Worker's
 * isolate in production too, is. Ticks are fired through `/__scheduled`; a tick's per-poll and
 * per-delivery figures are what it cost above idle ticks (the same number of them).
 */
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { fetchText } from "../../../tools/http-helpers.ts";
import { type RelayStack, startRelayStack } from "../../../tools/relay-stack.ts";
import { writeBenchResults, writeCpuPerOp } from "../../harness/bench-results.ts";
import type { BenchTable } from "../../support/bench-table.ts";
import { bundleModules, type CpuSummary, D1_CLIENT, GC, OURS, PROGRAM, summarize, WRANGLER_SHIMS } from "./cpu-attribution.ts";
import { connectIsolateProfiler, type IsolateProfiler } from "./isolate-profiler.ts";

const API_KEY = `bench-${randomBytes(16).toString("hex")}`;
const UPSTREAM_KEY = `sim-${randomBytes(16).toString("hex")}`;
const REGISTRATIONS = 200;
const BATCHES = 4;
/** Items per batch request: at most 100 (registerBatch splits more). */
const BATCH_ITEMS = 50;
const POLLED_TASKS = 45;
const POLL_TICKS = 4;
const DELIVERIES = 90;
/** Tasks polled once and found finished, each webhook sent by the tick that polled it. */
const FINISHING = 90;
const CALLBACKS = 100;
const IDLE_TICKS = 10;
const HEALTH_CHECKS = 200;

const SUCCEEDED = { status: "succeed", result: { videos: [{ id: "v", url: "https://cdn.example/v.mp4", duration: "5" }] } };

/**
 * V8's sampler does not always keep its pace on this machine: most runs achieve one sample per
 * 170-320 µs, some near 930 µs from start to end (the machine idle either way; we could not find
 * why). Counting each sample as one period, sparse samples make operations made of short bursts
 * between waits read two to three times high. So a run whose sampler was slower than this is
 * measured again on a fresh `wrangler dev`, at most MAX_RUNS in all, and the run with the densest
 * samples is the one reported (the others' periods are printed beside it).
 */
const SLOW_SAMPLER_US = 400;
const MAX_RUNS = 3;

let stack: RelayStack;
let profiler: IsolateProfiler;
let starts: { line: number; path: string }[];
/** Whether `stack` runs: each run stops its own, and `afterAll` stops one a failure left running. */
let running = false;

async function start(): Promise<void> {
  stack = await startRelayStack({
    apiKey: API_KEY,
    secret: `whsec_${randomBytes(32).toString("base64")}`,
    upstreamKey: UPSTREAM_KEY,
    seed: 5,
  });
  running = true;
  // The bundle wrangler dev built and runs (in the snapshot it runs from), whose module markers say who owns a line.
  const tmp = path.join(stack.relay.dir, "worker-snapshot/.wrangler/tmp");
  const dev = readdirSync(tmp).find((d) => d.startsWith("dev-"));
  if (!dev) throw new Error(`no wrangler dev bundle in ${tmp}`);
  starts = bundleModules(path.join(tmp, dev, "index.js"));
  profiler = await connectIsolateProfiler(stack.relay.inspectorUrl);
}

async function stop(): Promise<void> {
  if (!running) return;
  running = false;
  profiler?.close();
  await stack?.stop();
}

afterAll(stop);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const measure = async (run: () => Promise<unknown>, periodUs?: number) =>
  summarize((await profiler.profile(run)).profile, starts, "index.js", periodUs);
const put = (url: string, body: unknown) => fetchText(url, { method: "PUT", body: JSON.stringify(body), timeoutMs: 10_000 });
const register = (taskId: string, hook: string) =>
  stack.client.register({ task_id: taskId, action: "videos", action2: "text2video", callback_url: hook });
const bulk = (prefix: string, count: number, steps: unknown[]) =>
  put(`${stack.network.url}/_sim/bulk`, { prefix, count, steps, action: "videos", action2: "text2video" });
const hookUrl = (name: string) => `${stack.network.url}/hooks/${name}`;
const health = async () => {
  const { res } = await fetchText(`${stack.relay.url}/healthz`, { timeoutMs: 10_000 });
  expect(res.status).toBe(200);
};
const received = (name: string) => stack.network.receivers.deliveries(name).length;
const polls = () => stack.network.simulator.stats().polls;

/** Registers `${prefix}1..count` through POST /v1/tasks/batch (100 a request): the subscriptions' ids. */
async function registerBatch(prefix: string, count: number, hook: string, from = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let first = from; first < from + count; first += 100) {
    const tasks = [];
    for (let n = first; n < Math.min(first + 100, from + count); n++)
      tasks.push({ task_id: `${prefix}${n}`, action: "videos", action2: "text2video", callback_url: hook });
    const { res, text } = await fetchText(`${stack.relay.url}/v1/tasks/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
      timeoutMs: 10_000,
    });
    expect(res.status, text).toBe(200);
    const { results } = JSON.parse(text) as { results: { status: number; subscription?: { id: string } }[] };
    for (const r of results) {
      expect(r.status).toBe(201);
      ids.push(r.subscription!.id);
    }
  }
  return ids;
}

async function tickUntil(done: () => boolean, maxTicks = 20): Promise<number> {
  for (let ticks = 1; ticks <= maxTicks; ticks++) {
    await stack.relay.fireScheduled();
    if (done()) return ticks;
    await sleep(250);
  }
  throw new Error("not done within the tick limit");
}

interface Measured {
  kind: string;
  ops: number;
  target: string;
  summary: CpuSummary;
  /** Ticks in the window, whose idle cost is taken off (ticks' kinds only). */
  ticks: number;
}

/** One run on a fresh stack: every kind measured, idle ticks first. */
async function measureAll(): Promise<{ measured: Measured[]; idle: CpuSummary; intervalUs: number }> {
  const measured: Measured[] = [];

  // Idle ticks: nothing is due (the first ones warm the tick's code up).
  for (let i = 0; i < 3; i++) await stack.relay.fireScheduled();
  const idle = await measure(async () => {
    for (let i = 0; i < IDLE_TICKS; i++) await stack.relay.fireScheduled();
  });
  measured.push({ kind: "idle tick", ops: IDLE_TICKS, target: "—", summary: idle, ticks: 0 });

  // Deliveries: finished tasks delivered once (warming up), then each redelivered: ticks that only deliver.
  await bulk("dlv", DELIVERIES, [SUCCEEDED]);
  const subs = await registerBatch("dlv", DELIVERIES, hookUrl("cpu-deliveries"));
  await tickUntil(() => received("cpu-deliveries") === DELIVERIES);
  for (let i = 0; i < subs.length; i += 10) await Promise.all(subs.slice(i, i + 10).map((id) => stack.client.redeliver(id)));
  const pollsBefore = polls();
  let deliveryTicks = 0;
  const deliveries = await measure(async () => {
    deliveryTicks = await tickUntil(() => received("cpu-deliveries") === 2 * DELIVERIES);
  });
  expect(polls()).toBe(pollsBefore);
  measured.push({ kind: "delivery (in a tick)", ops: DELIVERIES, target: "≤ 0.3 ms", summary: deliveries, ticks: deliveryTicks });

  // Finishing tasks: each polled once, found succeeded, and its webhook sent by the tick that polled
  // it (created leased to that tick: no claim), the common path of a webhook.
  await bulk("fin", FINISHING, [SUCCEEDED]);
  await registerBatch("fin", FINISHING, hookUrl("cpu-finishing"));
  const finishingPolls = polls();
  let finishingTicks = 0;
  const finishing = await measure(async () => {
    finishingTicks = await tickUntil(() => received("cpu-finishing") === FINISHING);
  });
  expect(polls() - finishingPolls).toBe(FINISHING);
  measured.push({
    kind: "finished task (its poll + webhook)",
    ops: FINISHING,
    target: "≤ 0.6 ms",
    summary: finishing,
    ticks: finishingTicks,
  });

  // Polls: tasks still processing, polled once (the first status), then again each tick: "same status again".
  await bulk("pol", POLLED_TASKS, [{ status: "processing" }]);
  await registerBatch("pol", POLLED_TASKS, hookUrl("cpu-polls"));
  const firstPolls = polls();
  await tickUntil(() => polls() - firstPolls >= POLLED_TASKS);
  const pollsStart = polls();
  const polling = await measure(async () => {
    for (let i = 0; i < POLL_TICKS; i++) {
      // POLL_MAX_INTERVAL_SECONDS is 0.5 in the stack: every task is due again.
      await sleep(600);
      await stack.relay.fireScheduled();
    }
  });
  const polled = polls() - pollsStart;
  // Most are due each tick; a task's interval is drawn (jitter), so a few may wait for the next.
  expect(polled).toBeGreaterThan(POLL_TICKS * POLLED_TASKS * 0.5);
  measured.push({ kind: "poll (in a tick)", ops: polled, target: "≤ 0.3 ms", summary: polling, ticks: POLL_TICKS });

  // Upstream callbacks: each says a registered task succeeded: the callback's answer, then (in its
  // waitUntil) the task's claim, its poll, its record and its webhook's delivery.
  await bulk("cb", CALLBACKS + 5, [SUCCEEDED]);
  await registerBatch("cb", CALLBACKS + 5, hookUrl("cpu-callbacks"));
  const callback = async (n: number) => {
    const { res } = await fetchText(`${stack.relay.url}/inbound/cometapi/${stack.inboundToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ task_id: `cb${n}`, task_status: "succeed" }),
      timeoutMs: 10_000,
    });
    expect(res.status).toBe(200);
  };
  for (let n = CALLBACKS + 1; n <= CALLBACKS + 5; n++) await callback(n);
  await sleep(500);
  const callbackPolls = polls();
  const callbacks = await measure(async () => {
    for (let n = 1; n <= CALLBACKS; n++) await callback(n);
    // Their work runs after the answers, in waitUntil: the window ends once every webhook came (and its record was written).
    for (let i = 0; i < 200 && received("cpu-callbacks") < CALLBACKS + 5; i++) await sleep(50);
    await sleep(300);
  });
  expect(polls() - callbackPolls).toBe(CALLBACKS);
  expect(received("cpu-callbacks")).toBe(CALLBACKS + 5);
  measured.push({ kind: "upstream callback (+ poll, webhook)", ops: CALLBACKS, target: "≤ 1 ms", summary: callbacks, ticks: 0 });

  // Registrations, one request each (the first 10 warm up).
  for (let n = 1; n <= 10; n++) await register(`warm${n}`, hookUrl("cpu-registrations"));
  const registrations = await measure(async () => {
    for (let n = 1; n <= REGISTRATIONS; n++) await register(`reg${n}`, hookUrl("cpu-registrations"));
  });
  measured.push({ kind: "registration (POST /v1/tasks)", ops: REGISTRATIONS, target: "≤ 1 ms", summary: registrations, ticks: 0 });

  // The floor of any request: GET /healthz answers from the configuration, no key, no D1 (the
  // runtime's request and response, the middleware every route passes, hono's routing).
  for (let n = 1; n <= 10; n++) await health();
  // Each takes a sample or two, so most of the window's deltas are the waits between requests: the
  // registrations' period is this window's too (same run, same sampler).
  const healthChecks = await measure(async () => {
    for (let n = 1; n <= HEALTH_CHECKS; n++) await health();
  }, registrations.intervalUs);
  measured.push({ kind: "GET /healthz (no key, no D1)", ops: HEALTH_CHECKS, target: "—", summary: healthChecks, ticks: 0 });

  // Batch registrations: POST /v1/tasks/batch of 50 items, per item.
  const batches = await measure(async () => {
    for (let b = 0; b < BATCHES; b++) await registerBatch(`bat${b}-`, BATCH_ITEMS, hookUrl("cpu-batch"));
  });
  measured.push({
    kind: `batch item (${BATCH_ITEMS} a request)`,
    ops: BATCHES * BATCH_ITEMS,
    target: "≤ 1 ms",
    summary: batches,
    ticks: 0,
  });

  return { measured, idle, intervalUs: Math.max(...measured.map((m) => m.summary.intervalUs)) };
}

it("measures the Worker isolate's CPU per operation", async () => {
  const runs: Awaited<ReturnType<typeof measureAll>>[] = [];
  for (let run = 1; run <= MAX_RUNS; run++) {
    await start();
    runs.push(await measureAll());
    await stop();
    const last = runs[runs.length - 1]!;
    if (last.intervalUs <= SLOW_SAMPLER_US) break;
    process.stdout.write(
      `CPU run ${run}: the sampler took one sample per ${last.intervalUs} µs (over ${SLOW_SAMPLER_US}): measuring again\n`,
    );
  }
  const { measured, idle } = runs.reduce((best, r) => (r.intervalUs < best.intervalUs ? r : best));
  writeBenchResults(
    "cpu-bench",
    "CPU benchmark",
    tables(
      measured,
      idle,
      runs.map((r) => r.intervalUs),
    ),
  );
  // For the cost model (test/support/cost-model.ts), which `npm run bench` prints next: ms per unit of work.
  const of = (prefix: string) => perOp(measured.find((m) => m.kind.startsWith(prefix))!, idle);
  // A callback's figure includes the poll and the webhook it set going, which the lifecycles count apart.
  const callbackOnly = Math.max(0, of("upstream callback") - of("poll") - of("delivery"));
  writeCpuPerOp({
    registration: of("registration"),
    poll: of("poll"),
    delivery: of("delivery"),
    callback: callbackOnly,
    idleTick: of("idle tick"),
  });
});

/** ms per operation by owner, a tick's share of idle ticks taken off (never below 0). */
function perOp(m: Measured, idle: CpuSummary, owner?: string): number {
  const of = (s: CpuSummary) => (owner === undefined ? s.totalMs : (s.byOwner.get(owner) ?? 0));
  return Math.max(0, of(m.summary) - (m.ticks * of(idle)) / IDLE_TICKS) / m.ops;
}

const LIBRARIES = ["zod", "hono", "drizzle-orm", "lossless-json", "tldts", "other packages"];
const ms = (value: number) => value.toFixed(value < 0.1 ? 3 : 2);
const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : "—");

function tables(measured: Measured[], idle: CpuSummary, runIntervals: number[]): BenchTable[] {
  const interval = Math.max(...measured.map((m) => m.summary.intervalUs));
  const runsNote =
    runIntervals.length > 1
      ? ` Run ${runIntervals.indexOf(interval) + 1} of ${runIntervals.length} (a run whose sampler was slower than ${SLOW_SAMPLER_US} µs is measured again on a fresh wrangler dev; the densest is kept): ${runIntervals.map((us) => `${us} µs`).join(", ")}.`
      : "";
  const perOperation: BenchTable = {
    order: 11,
    title: "11. CPU time of the Worker's isolate per operation (ms; local D1's SQLite not included)",
    columns: ["operation", "N", "CPU / op", "target", "ours (src/)", "libraries", "D1 client", "runtime", "GC", "(program)"],
    rows: measured.map((m) => [
      m.kind,
      m.ops,
      `**${ms(perOp(m, idle))}**`,
      m.target,
      ms(perOp(m, idle, OURS)),
      ms(LIBRARIES.reduce((sum, lib) => sum + perOp(m, idle, lib), 0)),
      ms(perOp(m, idle, D1_CLIENT)),
      ms(perOp(m, idle, "runtime") + perOp(m, idle, WRANGLER_SHIMS)),
      ms(perOp(m, idle, GC)),
      ms(perOp(m, idle, PROGRAM)),
    ]),
    notes: [
      `Samples every ${interval} µs at most (the median achieved); GC and \`(program)\` (V8's own work outside JS) are included in CPU / op; \`(idle)\` is not. Ticks' figures: the window's CPU less as many idle ticks', divided by the polls or deliveries.${runsNote}`,
    ],
  };
  const shares: BenchTable = {
    order: 12,
    title: "12. Where the isolate's CPU went, by owner (share of each window's samples)",
    columns: ["operation", "ours (src/)", ...LIBRARIES, "D1 client", "runtime", "wrangler dev shims", "GC", "(program)"],
    rows: measured.map((m) => {
      const of = (owner: string) => pct(m.summary.byOwner.get(owner) ?? 0, m.summary.totalMs);
      return [m.kind, of(OURS), ...LIBRARIES.map(of), of(D1_CLIENT), of("runtime"), of(WRANGLER_SHIMS), of(GC), of(PROGRAM)];
    }),
  };
  const top = measured.map((m) => [...m.summary.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 10));
  const topFunctions: BenchTable = {
    order: 13,
    title: "13. Top 10 functions by self time, per operation kind (ms per operation, before idle ticks are taken off)",
    columns: ["#", ...measured.map((m) => m.kind)],
    rows: Array.from({ length: 10 }, (_, rank) => [
      rank + 1,
      ...top.map((list, k) => {
        const entry = list[rank];
        return entry ? `${entry[0].replaceAll("|", "\\|")} ${ms(entry[1] / measured[k]!.ops)}` : "";
      }),
    ]),
  };
  return [perOperation, shares, topFunctions];
}

/**
 * `npm start`: the whole product, offline. Starts the Kling simulator, webhook receivers that
 * verify every delivery with the `standardwebhooks` library, and the relay under `wrangler dev`;
 * creates three tasks through the relay and waits for their webhooks, pushed by the simulator's
 * callbacks before any cron tick; registers a mixed workload, one video of it with `archive: true`;
 * fires the cron tick every second; shows progress; once every expected webhook arrived verified,
 * prints the archived video's link from its webhook, fetches it and checks its SHA-256 against the
 * simulator's, and exits 0. Archiving is on: wrangler dev keeps the ARCHIVE bucket locally.
 *
 * It never hangs and leaves nothing behind: every request has a time limit, the whole run has a
 * deadline (DEMO_TIMEOUT_SECONDS, default 180), and on every way out (success, failure, deadline,
 * Ctrl-C, SIGTERM) it stops wrangler dev's process group and the loopback servers and deletes its
 * state folder (the relay's keys and local D1).
 */

import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ACTION_PAIR_LIST } from "../src/domain/kling";
import { fetchText } from "./http-helpers";
import { DEFAULT_KLING_CREDENTIALS } from "./kling-auth";
import { type LoopbackNetwork, startLoopbackNetwork } from "./loopback-network";
import { createRelayClient, type RelayClient } from "./relay-client";
import { createSimulatedTask } from "./relay-stack";
import { freePort, startWranglerDev, type WranglerDev } from "./wrangler-dev";

const seconds = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive number of seconds, not ${JSON.stringify(process.env[name])}\n`);
    process.exit(2);
  }
  return value;
};
const TIME_SCALE = Number(process.env.DEMO_TIME_SCALE ?? "0.05");
const TIMEOUT_S = seconds("DEMO_TIMEOUT_SECONDS", 180);
/** Every request but the tick: the relay's API, the simulator, a receiver. */
const REQUEST_TIMEOUT_MS = seconds("DEMO_REQUEST_TIMEOUT_SECONDS", 5) * 1000;
/** The relay's own timing, scaled down so that the demo runs in seconds. */
const TICK_WALL_BUDGET_SECONDS = 3;
const UPSTREAM_TIMEOUT_SECONDS = 2;
const DELIVERY_TIMEOUT_SECONDS = 2;
/**
 * The tick request returns when the tick ends: after its wall budget, plus an upstream and a
 * delivery request it may be waiting on when the budget runs out; 5 s more for a busy machine.
 */
const TICK_TIMEOUT_MS = Math.max(
  REQUEST_TIMEOUT_MS,
  (TICK_WALL_BUDGET_SECONDS + UPSTREAM_TIMEOUT_SECONDS + DELIVERY_TIMEOUT_SECONDS + 5) * 1000,
);
/** Stopping wrangler dev takes a few seconds (SIGKILL after 5); past this the exit is forced. */
const CLEANUP_LIMIT_MS = 10_000;
const PAIRS = ACTION_PAIR_LIST;
/** The archived video's size: more than one 8 MiB part, so the copy is a multipart upload. */
const ARCHIVED_VIDEO_BYTES = 12 * 1024 * 1024;

interface Expected {
  receiver: string;
  subscriptionId: string;
  taskId: string;
  type: "task.succeeded" | "task.failed";
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

/** The relay's state (D1, the env file with the demo's keys): ours, deleted on every way out. */
const stateDir = mkdtempSync(path.join(tmpdir(), "kling-relay-demo-"));
/** Aborted on the way out: ends the requests in flight and a wrangler dev still starting. */
const lifetime = new AbortController();
let network: LoopbackNetwork | undefined;
let relayStarting: Promise<WranglerDev> | undefined;
let relay: WranglerDev | undefined;
const expected: Expected[] = [];
/** What the demo is waiting for now: the deadline's message names it. */
let waitingFor = "the Kling simulator and receivers to start";
let exiting: Promise<never> | undefined;

// Last resort (an exit nothing here saw coming): wrangler-dev.ts kills its process groups on exit.
process.on("exit", () => rmSync(stateDir, { recursive: true, force: true }));

/** The one way out: stops everything this started, deletes the state folder, exits with `code`. */
function finish(code: number, messages: { now?: string; afterCleanup?: string } = {}): Promise<never> {
  exiting ??= (async () => {
    clearTimeout(deadline);
    if (messages.now) complain(messages.now);
    const forced = setTimeout(() => {
      complain(`cleanup did not finish within ${CLEANUP_LIMIT_MS / 1000} s; exiting anyway`);
      process.exit(code);
    }, CLEANUP_LIMIT_MS);
    lifetime.abort(new Error("the demo is exiting"));
    await relayStarting?.catch(() => undefined);
    await relay?.stop().catch(() => undefined);
    await network?.close().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    clearTimeout(forced);
    if (messages.afterCleanup) (code === 0 ? say : complain)(messages.afterCleanup);
    process.exit(code);
  })();
  return exiting;
}

const deadline = setTimeout(() => {
  if (network && expected.length > 0) printSummary(network, expected);
  void finish(1, { now: `demo timed out after ${TIMEOUT_S} s: ${waitingFor}` });
}, TIMEOUT_S * 1000);

process.on("SIGINT", () => void finish(130, { afterCleanup: "\ndemo interrupted; cleaned up" }));
process.on("SIGTERM", () => void finish(143, { afterCleanup: "demo terminated; cleaned up" }));
process.on("uncaughtException", (error) => void finish(1, { now: `demo failed: ${error.stack ?? error.message}` }));
process.on("unhandledRejection", (error) => void finish(1, { now: `demo failed: ${String(error)}` }));

async function main() {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const apiKey = `demo-${randomBytes(12).toString("hex")}`;
  const upstreamKey = `sim-${randomBytes(12).toString("hex")}`;
  const signal = lifetime.signal;
  const timed = { timeoutMs: REQUEST_TIMEOUT_MS, signal };

  network = await startLoopbackNetwork({ apiKey: upstreamKey, timeScale: TIME_SCALE, seed: 7 });
  for (const name of ["app-a", "app-b"]) network.receivers.configure(name, { secret });
  network.receivers.configure("flaky", { secret, steps: [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }] });
  say(`kling simulator and receivers on ${network.url} (durations x${TIME_SCALE})`);

  say(`starting the relay under wrangler dev (local D1, migrations applied; state in ${stateDir}, deleted on exit)...`);
  waitingFor = "the relay to start under wrangler dev (D1 migrations, then GET /healthz)";
  // Known before it starts: the relay gives upstream its own URL to call back.
  const port = await freePort();
  relayStarting = startWranglerDev({
    persistTo: stateDir,
    snapshot: true,
    signal,
    port,
    tickTimeoutMs: TICK_TIMEOUT_MS,
    // Archiving: the ARCHIVE bucket, which wrangler dev keeps in the state folder.
    r2Buckets: { ARCHIVE: "kling-webhook-relay-archive" },
    vars: {
      // Upstream callbacks: the simulator calls the relay back at /inbound/{provider}/{token}.
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      INBOUND_TOKEN: randomBytes(24).toString("hex"),
      RELAY_API_KEYS: apiKey,
      WEBHOOK_SECRETS: secret,
      COMETAPI_KEY: upstreamKey,
      UPSTREAM_BASE_URL: network.url,
      // Kling's own API, on the same simulator: its legacy query and its new batch query.
      KLING_BASE_URL: network.url,
      KLING_API_KEY: DEFAULT_KLING_CREDENTIALS.apiKey!,
      ALLOW_INSECURE_CALLBACKS: "true",
      // Signs the links to archived files (they point at PUBLIC_BASE_URL).
      ARCHIVE_LINK_SECRET: randomBytes(24).toString("hex"),
      POLL_MIN_INTERVAL_SECONDS: "1",
      POLL_MAX_INTERVAL_SECONDS: "3",
      DELIVERY_RETRY_SCHEDULE: "1,1,2,2,3",
      // Each fired tick lingers for up to 3 s, working as tasks fall due.
      TICK_WALL_BUDGET_SECONDS: String(TICK_WALL_BUDGET_SECONDS),
      UPSTREAM_TIMEOUT_SECONDS: String(UPSTREAM_TIMEOUT_SECONDS),
      DELIVERY_TIMEOUT_SECONDS: String(DELIVERY_TIMEOUT_SECONDS),
    },
  });
  relay = await relayStarting;
  say(`relay on ${relay.url}`);
  const client = createRelayClient(relay.url, apiKey, timed);
  const hook = (name: string) => `${network!.url}/hooks/${name}`;

  /** Every task registered, with its provider (a task id is unique per provider). */
  const taskIds: { id: string; provider: string }[] = [];

  // Pushed first: tasks created through the relay, whose webhooks arrive before any cron tick.
  network.receivers.configure("app-push", { secret });
  const pushed: Expected[] = [];
  for (const [what, body] of [
    [
      "CometAPI video",
      { action: "videos", action2: "text2video", create: { prompt: "a cat surfing", x_sim: { submittedMs: 300, processingMs: 1500 } } },
    ],
    [
      "CometAPI image",
      { action: "images", action2: "generations", create: { prompt: "a red fox", x_sim: { submittedMs: 200, processingMs: 800 } } },
    ],
    [
      "Kling new API video",
      {
        provider: "kling",
        path: "text-to-video/kling-3.0-turbo",
        create: { prompt: "a paper boat", x_sim: { submittedMs: 300, processingMs: 1200 } },
      },
    ],
  ] as const) {
    waitingFor = `the relay to create a ${what} task upstream (POST /v1/tasks with create)`;
    const sub = await client.register({ ...body, callback_url: hook("app-push"), metadata: { demo: true, created: what } });
    const taskId = (sub as unknown as { task_id: string }).task_id;
    taskIds.push({ id: taskId, provider: "provider" in body ? body.provider : "cometapi" });
    pushed.push({ receiver: "app-push", subscriptionId: sub.id, taskId, type: "task.succeeded" });
  }
  expected.push(...pushed);
  say(`created ${pushed.length} tasks through the relay (it gave upstream its callback URL); no cron tick fired yet...`);
  const pushStarted = Date.now();
  waitingFor = "the webhooks of the tasks created through the relay, pushed by upstream's callbacks (no tick fired)";
  while (Date.now() - pushStarted < 20_000 && !pushed.every((e) => verifiedArrival(network!, e)))
    await new Promise((r) => setTimeout(r, 100));
  const early = pushed.filter((e) => verifiedArrival(network!, e)).length;
  say(
    `${early} of ${pushed.length} webhooks arrived verified ${((Date.now() - pushStarted) / 1000).toFixed(1)} s later, before any cron tick: upstream called the relay back, the relay polled once to confirm and delivered at once`,
  );
  for (const [index, [action, action2]] of PAIRS.entries()) {
    const outcome = index % 4 === 3 ? "failed" : "succeed";
    waitingFor = `the simulator to create task ${index + 1} of ${PAIRS.length} (${action}/${action2})`;
    const created = await createSimulatedTask(network.url, upstreamKey, action, action2, { outcome }, timed);
    taskIds.push({ id: created, provider: "cometapi" });
    const type = outcome === "succeed" ? "task.succeeded" : "task.failed";
    const targets = ["app-a", ...(index % 3 === 0 ? ["app-b"] : []), ...(index === 2 || index === 5 ? ["flaky"] : [])];
    for (const receiver of targets) {
      const events = receiver === "app-b" ? ["task.processing", "task.succeeded", "task.failed", "task.expired"] : undefined;
      waitingFor = `the relay to register task ${index + 1} of ${PAIRS.length} for ${receiver} (POST /v1/tasks)`;
      const sub = await client.register({
        task_id: created,
        action,
        action2,
        callback_url: hook(receiver),
        metadata: { demo: true, receiver },
        events,
      });
      expected.push({ receiver, subscriptionId: sub.id, taskId: created, type });
    }
  }
  // Two tasks of Kling's own API (provider "kling"): a legacy product CometAPI does not serve, and a
  // task of the new API (no action pair), polled through GET /tasks?task_ids=.
  for (const [dialect, product] of [
    ["kling-legacy", "videos/avatar/image2video"],
    ["kling-new", null],
  ] as const) {
    const id = `demo-${dialect}-${randomBytes(4).toString("hex")}`;
    waitingFor = `the simulator to create a task of ${dialect}`;
    const spec = { dialect, ...(product ? { product } : {}), timeline: { submittedMs: 500, processingMs: 3_000, outcome: "succeed" } };
    await fetchText(`${network.url}/_sim/tasks/${id}`, {
      ...timed,
      method: "PUT",
      body: JSON.stringify(spec),
      what: `PUT /_sim/tasks/${id}`,
    });
    const [action, action2] = product ? [product.slice(0, product.indexOf("/")), product.slice(product.indexOf("/") + 1)] : [];
    waitingFor = `the relay to register the ${dialect} task (POST /v1/tasks, provider kling)`;
    const sub = await client.register({
      provider: "kling",
      task_id: id,
      action,
      action2,
      callback_url: hook("app-a"),
      metadata: { demo: true, dialect },
    });
    taskIds.push({ id, provider: "kling" });
    expected.push({ receiver: "app-a", subscriptionId: sub.id, taskId: id, type: "task.succeeded" });
  }
  // One video archived: its files are copied into R2 before its task.succeeded webhook goes out.
  waitingFor = "the simulator to create the video to archive";
  const archivedTaskId = await createSimulatedTask(network.url, upstreamKey, "videos", "text2video", { outcome: "succeed" }, timed);
  network.simulator.media.configure({ perFile: { [`${archivedTaskId}/video-0.mp4`]: { sizeBytes: ARCHIVED_VIDEO_BYTES } } });
  network.receivers.configure("app-archive", { secret });
  waitingFor = "the relay to register the video to archive (POST /v1/tasks with archive: true)";
  const archivedSub = await client.register({
    task_id: archivedTaskId,
    action: "videos",
    action2: "text2video",
    callback_url: hook("app-archive"),
    archive: true,
    metadata: { demo: true, archive: true },
  });
  taskIds.push({ id: archivedTaskId, provider: "cometapi" });
  const archivedExpected: Expected = {
    receiver: "app-archive",
    subscriptionId: archivedSub.id,
    taskId: archivedTaskId,
    type: "task.succeeded",
  };
  expected.push(archivedExpected);
  say(
    `registered ${taskIds.length - pushed.length} more tasks (all ${PAIRS.length} CometAPI action pairs, 2 through Kling's own API, and a video with archive: true, ${expected.filter((e) => e.type === "task.failed").length} failing) with ${expected.length} subscriptions`,
  );
  waitingFor = "receiver app-a to answer a forged webhook";
  const forged = await fetchText(hook("app-a"), {
    ...timed,
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": "msg_forged",
      "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      "webhook-signature": "v1,Zm9yZ2Vk",
    },
    body: "{}",
    what: "the forged webhook to app-a",
  });
  say(`a forged webhook sent to app-a was answered ${forged.res.status} (bad signature rejected)`);

  const started = Date.now();
  let ticks = 0;
  for (;;) {
    waitingFor = `tick ${ticks + 1} to finish (GET /__scheduled, limit ${TICK_TIMEOUT_MS / 1000} s)`;
    await relay.fireScheduled();
    ticks += 1;
    waitingFor = `the relay's task views after tick ${ticks} (GET /v1/tasks/{id})`;
    const progress = await summarize(client, taskIds);
    const arrived = expected.filter((e) => verifiedArrival(network!, e)).length;
    const line = `t+${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s  tick ${String(ticks).padStart(3)}  tasks: ${progress.polling} polling, ${progress.finished} finished  |  subscriptions: ${progress.active} active, ${progress.delivered} delivered, ${progress.failed} failed  |  messages retrying: ${progress.retrying}  |  webhooks verified: ${arrived}/${expected.length}`;
    say(line);
    if (arrived === expected.length && progress.active === 0) break;
    waitingFor = `${expected.length - arrived} of ${expected.length} expected webhooks (after tick ${ticks})`;
    await new Promise((r) => setTimeout(r, 1000));
  }
  printSummary(network, expected);
  const stats = network.simulator.stats();
  say(
    `\nupstream polls: ${stats.polls} for ${taskIds.length} tasks (${(stats.polls / taskIds.length).toFixed(1)} per task); ticks fired: ${ticks}`,
  );
  waitingFor = "the archived video's link (GET /files/...) and the simulator's SHA-256 of the video";
  if (!(await showArchive(network, archivedExpected, timed)))
    return finish(1, { now: "the archived video's bytes are not the ones upstream served" });
  return finish(0, { afterCleanup: "every expected webhook arrived and was verified, and the archived video is upstream's: OK" });
}

/**
 * Prints the archived link the video's verified `task.succeeded` webhook carries, fetches it from
 * the relay and compares the bytes' SHA-256 with the simulator's: true when they are equal.
 */
async function showArchive(network: LoopbackNetwork, e: Expected, timed: { timeoutMs: number; signal: AbortSignal }): Promise<boolean> {
  const delivery = network.receivers.deliveries(e.receiver).find((d) => d.verified === true && JSON.parse(d.body).type === e.type);
  const output = (JSON.parse(delivery!.body) as { outputs: Record<string, string>[] }).outputs[0];
  const link = output?.archived_url;
  if (!link) {
    complain(`the archived video's webhook has no archived_url${output?.archive_error ? `: ${output.archive_error}` : ""}`);
    return false;
  }
  say(`\narchived: the video's task.succeeded webhook (held until the copy ended) links its copy in R2:\n  ${link}`);
  const signal = AbortSignal.any([AbortSignal.timeout(timed.timeoutMs), timed.signal]);
  const res = await fetch(link, { signal });
  const bytes = Buffer.from(await res.arrayBuffer());
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const upstream = await fetchText(`${network.url}/_sim/media/${encodeURIComponent(e.taskId)}/video-0.mp4/sha256`, {
    ...timed,
    what: "the simulator's SHA-256 of the video",
  });
  const expectedSha256 = (JSON.parse(upstream.text) as { sha256: string }).sha256;
  const same = res.status === 200 && sha256 === expectedSha256;
  say(
    `GET that link: ${res.status}, ${(bytes.length / 1024 / 1024).toFixed(1)} MiB of ${res.headers.get("content-type")}; SHA-256 ${sha256}, ${same ? "the same as the simulator's" : `not the simulator's ${expectedSha256}`}`,
  );
  return same;
}

function verifiedArrival(network: LoopbackNetwork, e: Expected): boolean {
  return network.receivers.deliveries(e.receiver).some((d) => {
    if (d.verified !== true) return false;
    const body = JSON.parse(d.body) as { type: string; subscription_id: string };
    return body.subscription_id === e.subscriptionId && body.type === e.type;
  });
}

async function summarize(client: RelayClient, taskIds: { id: string; provider: string }[]) {
  const views = await Promise.all(taskIds.map((t) => client.task(t.id, t.provider)));
  const subs = views.flatMap((v) => v.subscriptions);
  const count = (status: string) => subs.filter((s) => s.status === status).length;
  return {
    polling: views.filter((v) => v.next_poll_at !== null).length,
    finished: views.filter((v) => v.finished_at !== null).length,
    active: count("active"),
    delivered: count("delivered"),
    failed: count("failed"),
    retrying: subs.flatMap((s) => s.deliveries).filter((d) => d.status === "pending" && d.attempt_count > 0).length,
  };
}

function printSummary(network: LoopbackNetwork, expected: Expected[]) {
  say("\nreceiver    received  verified  rejected  duplicates  event types");
  for (const name of ["app-push", "app-a", "app-b", "flaky", "app-archive"]) {
    const deliveries = network.receivers.deliveries(name).filter((d) => d.headers["webhook-id"] !== "msg_forged");
    const ids = deliveries.map((d) => d.headers["webhook-id"]);
    const types = new Map<string, number>();
    for (const d of deliveries.filter((d) => d.verified)) {
      const type = (JSON.parse(d.body) as { type: string }).type;
      types.set(type, (types.get(type) ?? 0) + 1);
    }
    const expectedHere = expected.filter((e) => e.receiver === name).length;
    say(
      `${name.padEnd(11)} ${String(deliveries.length).padStart(8)}  ${String(deliveries.filter((d) => d.verified).length).padStart(8)}  ${String(deliveries.filter((d) => d.verified === false).length).padStart(8)}  ${String(ids.length - new Set(ids).size).padStart(10)}  ${[...types].map(([t, n]) => `${t} x${n}`).join(", ")} (expected ${expectedHere} final)`,
    );
  }
}

main().catch((error: unknown) => {
  // Requests cut short by the way out are no failure of their own.
  if (exiting) return;
  void finish(1, { now: `demo failed: ${error instanceof Error ? error.message : String(error)}\n  (it was waiting for ${waitingFor})` });
});

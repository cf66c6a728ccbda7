/**
 * Crashes mid-work (issue 26): the real `wrangler dev` on a state folder of its own (`--persist-to`:
 * the local D1 and R2 on disk), the Kling simulator and webhook receivers on loopback, and the
 * whole wrangler process group killed with SIGKILL, twice, each time in the middle of work:
 *
 * 1. while a client registers tasks on four lanes and a tick's polls are in flight (upstream
 *    answers after 400 ms);
 * 2. while one tick copies two large output files into R2 (throttled, mid-part: one a multipart
 *    upload the relay resumed from D1's record, one a multipart upload it just started) and a
 *    second tick's webhooks are in flight (the receiver answers after 1.5 s).
 *
 * Each time wrangler dev starts again on the same folder and port; the client registers again
 * what it got no answer for (a registration of the same task and URL is the same subscription).
 * Ticks are then fired until everything is done, under a deadline the test enforces. What must
 * hold: every registration's final webhook arrives (twice only under the same webhook-id with the
 * same bytes), the archived files read back through the relay's signed links hash to what
 * upstream served, and no multipart upload is left in progress in R2: read from miniflare's own
 * tables in the state folder once no workerd runs on it, each one R2 ever started is completed or
 * aborted, the resumed one completed under the id D1 recorded before the crash.
 *
 * Work a tick claimed is out of reach until its lease ends (work/leases.ts: the tick's time left,
 * one request timeout and LEASE_MARGIN_MS, 30 s), so the second crash's work resumes about 40 s
 * after it: most of this file's time is that wait. Ticks and copy steps get 6 s, not the suite's
 * usual 3: after a SIGKILL, miniflare's first writes to an R2 key it was writing take seconds
 * (seen: over 3 s for a 256 KiB put), and a step cut by its time limit is a failed attempt that
 * waits 15 s, then a minute. KEEP_CRASH_STATE=1 keeps the state folder (and, on a miss, wrangler's
 * output in it) for a look afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayClient } from "../../tools/relay-client";
import { createSimulatedTask, type RelayStack, startRelayStack } from "../../tools/relay-stack";
import { expectUpstreamBytes } from "./archived-bytes";
import { archiveFileRows, multipartUploads, r2Objects } from "./persisted-state";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const API_KEY = `e2e-${randomBytes(12).toString("hex")}`;
const UPSTREAM_KEY = `sim-${randomBytes(12).toString("hex")}`;
const MiB = 1024 * 1024;
/** Registered on four lanes around the first crash. */
const LANE_TASKS = 32;
const LANES = 4;
/** Registered before the second crash; their webhooks are in flight when it comes. */
const SLOW_HOOK_TASKS = 6;
/** Two parts of 8 MiB a tick at most (and the small files): a large file takes several ticks. */
const BYTES_PER_TICK = 17 * MiB;
/** Four parts: two before the second crash, one cut by it, one after. */
const RESUMED_SIZE = 28 * MiB;
/** Two parts, the first cut by the second crash. */
const FRESH_SIZE = 12 * MiB;
/** What everything must be done within, from the second restart. */
const RECOVERY_DEADLINE_MS = 90_000;

let stateDir: string;
let stack: RelayStack;
let client: RelayClient;
const timings: Record<string, number> = {};
const started = Date.now();
const mark = (what: string) => (timings[what] = Date.now() - started);

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "kling-relay-crash-"));
  stack = await startRelayStack({
    apiKey: API_KEY,
    secret: SECRET,
    upstreamKey: UPSTREAM_KEY,
    seed: 26,
    archive: true,
    persistTo: stateDir,
    vars: { ARCHIVE_BYTES_PER_TICK: String(BYTES_PER_TICK), ARCHIVE_COPY_TIMEOUT_SECONDS: "6", TICK_WALL_BUDGET_SECONDS: "6" },
  });
  client = stack.client;
  mark("started");
});

afterAll(async () => {
  await stack?.stop();
  if (stateDir && !process.env.KEEP_CRASH_STATE) rmSync(stateDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `ready()` holds (checked every 10 ms), or fails saying what it waited for. */
async function until(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** A tick that may be cut by a crash: resolves either way, with whether it finished. */
const tick = () =>
  stack.relay.fireScheduled().then(
    () => true,
    () => false,
  );

interface Registration {
  body: Record<string, unknown>;
  /** The subscription's id, once an answer came. */
  id?: string;
}

/**
 * Registers `list` on `lanes` lanes, each sending its next registration as soon as its last one
 * answered; a lane stops at its first failure (the crash). Resolves when every lane stopped.
 */
function registerOnLanes(list: Registration[], lanes: number, progress: { inFlight: number; answered: number; cut: number }) {
  let next = 0;
  const lane = async () => {
    while (next < list.length) {
      const registration = list[next++]!;
      progress.inFlight += 1;
      try {
        registration.id = (await client.register(registration.body)).id;
        progress.answered += 1;
      } catch {
        progress.cut += 1;
        return;
      } finally {
        progress.inFlight -= 1;
      }
    }
  };
  return Promise.all(Array.from({ length: lanes }, lane));
}

/**
 * Upstream requests that arrived and were not answered yet, beyond `base` (the simulator counts a
 * request when it arrives, a poll once it is answered, and each create as a request).
 */
const unanswered = () => {
  const stats = stack.network.simulator.stats();
  return stats.requests.cometapi - stats.polls;
};

const mediaKey = (taskId: string, file: string) => `${taskId}/${file}`;
const mediaServed = (taskId: string, file: string) => stack.network.simulator.media.stats().byFile[mediaKey(taskId, file)];

describe("wrangler dev killed with SIGKILL mid-work, then restarted on the same state", () => {
  it("delivers every final webhook, archives every byte, and leaves no multipart upload behind", { timeout: 180_000 }, async () => {
    const { network } = stack;
    const receiver = (name: string, steps: { status: number; delayMs?: number }[] = []) => {
      network.receivers.configure(name, { secret: SECRET, steps });
      return `${network.url}/hooks/${name}`;
    };
    const plainHook = receiver("plain");
    const slowHook = receiver("slow", [{ status: 200, delayMs: 1_500 }]);
    const archiveHook = receiver("archive");
    const registrations: Registration[] = [];
    const video = (taskId: string, callbackUrl: string, more: Record<string, unknown> = {}) => ({
      task_id: taskId,
      action: "videos",
      action2: "text2video",
      callback_url: callbackUrl,
      ...more,
    });
    const newTask = (processingMs = 0) =>
      createSimulatedTask(network.url, UPSTREAM_KEY, "videos", "text2video", { submittedMs: 0, processingMs });

    // --- Crash 1: registrations on four lanes, and a tick's polls in flight.
    const laneList: Registration[] = [];
    for (let i = 0; i < LANE_TASKS; i++) laneList.push({ body: video(await newTask(i % 2 === 0 ? 0 : 600), plainHook) });
    registrations.push(...laneList);
    network.simulator.setFaults({ latencyMs: 400 });
    const lanes = { inFlight: 0, answered: 0, cut: 0 };
    const registering = registerOnLanes(laneList, LANES, lanes);
    await until("a first registration answered", () => lanes.answered >= LANES);
    const base = unanswered();
    const polling = tick();
    await until("a poll in flight", () => unanswered() > base);
    const atCrash1 = { registrationsInFlight: lanes.inFlight, answered: lanes.answered, pollsInFlight: unanswered() - base };
    await stack.relay.crash();
    mark("crash 1");
    expect(await polling).toBe(false);
    await registering;
    network.simulator.setFaults({});
    expect(atCrash1.pollsInFlight).toBeGreaterThan(0);
    // The crash cut registrations in flight (their answers never came), and came before the last.
    expect(atCrash1.registrationsInFlight).toBeGreaterThan(0);
    expect(lanes.cut).toBeGreaterThan(0);

    await stack.restart();
    mark("restart 1");
    // The client registers again whatever it got no answer for: the same subscription if the cut
    // one was stored, a new one if not.
    for (const r of laneList.filter((r) => r.id === undefined)) r.id = (await client.register(r.body)).id;

    // --- Crash 2 set-up: a large archived file copied in part (two of its four parts), in a tick
    // that ends normally, so D1 records its upload under way.
    const resumedTask = await newTask();
    network.simulator.media.configure({
      perFile: { [mediaKey(resumedTask, "video-0.mp4")]: { sizeBytes: RESUMED_SIZE, bytesPerSecond: 32 * MiB } },
    });
    const resumed: Registration = { body: video(resumedTask, archiveHook, { archive: true }) };
    resumed.id = (await client.register(resumed.body)).id;
    registrations.push(resumed);
    expect(await tick()).toBe(true);
    mark("tick with a partial copy");
    const servedBefore = mediaServed(resumedTask, "video-0.mp4");
    expect(servedBefore?.requests).toBeGreaterThan(0);

    // A second large file, whose copy starts in the tick the crash cuts.
    const freshTask = await newTask();
    const fresh: Registration = { body: video(freshTask, archiveHook, { archive: true }) };
    fresh.id = (await client.register(fresh.body)).id;
    registrations.push(fresh);
    // Both files stream at 2 MiB/s: a part takes 4 s, longer than the crash lets it.
    network.simulator.media.configure({
      perFile: {
        [mediaKey(resumedTask, "video-0.mp4")]: { sizeBytes: RESUMED_SIZE, bytesPerSecond: 2 * MiB },
        [mediaKey(freshTask, "video-0.mp4")]: { sizeBytes: FRESH_SIZE, bytesPerSecond: 2 * MiB },
      },
    });
    // --- Crash 2: one tick copying both files mid-part, another delivering to a receiver that
    // answers after 1.5 s the webhooks of tasks it polled (registered while the first one copies:
    // a tick sends the webhooks its own polls produced, so they are the second one's).
    const copying = tick();
    await until("both large files streaming", () => {
      const a = mediaServed(resumedTask, "video-0.mp4");
      const b = mediaServed(freshTask, "video-0.mp4");
      return (
        a !== undefined && a.requests > servedBefore!.requests && a.bytesServed > servedBefore!.bytesServed && (b?.bytesServed ?? 0) > 0
      );
    });
    const slow: Registration[] = [];
    for (let i = 0; i < SLOW_HOOK_TASKS; i++) slow.push({ body: video(await newTask(), slowHook) });
    for (const r of slow) r.id = (await client.register(r.body)).id;
    registrations.push(...slow);
    const delivering = tick();
    await until("a webhook in flight to the slow receiver", () => network.receivers.deliveries("slow").length > 0);
    await stack.relay.crash();
    mark("crash 2");
    expect([await copying, await delivering]).toEqual([false, false]);

    // What the crash left, read from the state folder while nothing runs on it: the resumed file
    // has parts recorded in D1 under an upload R2 holds in progress; the fresh file's upload was
    // started in R2 (nothing of it recorded as copied).
    const resumedKey = `default/cometapi/${resumedTask}/0-url`;
    const freshKey = `default/cometapi/${freshTask}/0-url`;
    const rowsAtCrash = archiveFileRows(stateDir);
    const uploadsAtCrash = multipartUploads(stateDir);
    const resumedRow = rowsAtCrash.find((r) => r.r2Key === resumedKey)!;
    expect(resumedRow).toMatchObject({ status: "pending", leased: true });
    expect(resumedRow.copiedBytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(resumedRow.copiedBytes).toBeLessThan(RESUMED_SIZE);
    expect(uploadsAtCrash.find((u) => u.uploadId === resumedRow.uploadId)).toMatchObject({ key: resumedKey, state: "in progress" });
    expect(rowsAtCrash.find((r) => r.r2Key === freshKey)).toMatchObject({ status: "pending", copiedBytes: 0 });
    expect(uploadsAtCrash.filter((u) => u.key === freshKey && u.state === "in progress")).toHaveLength(1);

    // --- Recovery: upstream and the receiver are well again; ticks until everything is done.
    network.simulator.media.configure({
      perFile: {
        [mediaKey(resumedTask, "video-0.mp4")]: { sizeBytes: RESUMED_SIZE },
        [mediaKey(freshTask, "video-0.mp4")]: { sizeBytes: FRESH_SIZE },
      },
    });
    network.receivers.configure("slow", { secret: SECRET, steps: [] });
    await stack.restart();
    mark("restart 2");
    const all = registrations.map((r) => r.id!);
    expect(new Set(all).size).toBe(registrations.length);
    const finals = () => {
      const bySubscription = new Map<string, string>();
      for (const name of ["plain", "slow", "archive"])
        for (const d of network.receivers.deliveries(name)) {
          const body = JSON.parse(d.body) as { type: string; subscription_id: string };
          if (d.verified && d.answered === 200 && body.type === "task.succeeded") bySubscription.set(body.subscription_id, d.body);
        }
      return bySubscription;
    };
    const deadline = Date.now() + RECOVERY_DEADLINE_MS;
    let ticks = 0;
    // A webhook the second crash cut was answered 200 but never recorded: the relay sends it again
    // when its lease ends. So the ticks go on until every webhook came and the relay's view agrees.
    const settled = async () =>
      all.every((id) => finals().has(id)) &&
      (await Promise.all(all.map((id) => client.subscription(id)))).every((s) => s.status === "delivered");
    while (!(await settled())) {
      if (Date.now() > deadline) {
        const missing = all.filter((id) => !finals().has(id));
        if (process.env.KEEP_CRASH_STATE) writeFileSync(path.join(stateDir, "relay-output.log"), stack.relay.output());
        throw new Error(
          missing.length > 0
            ? `${missing.length} final webhooks missing ${RECOVERY_DEADLINE_MS} ms after the restart: ${missing.join(", ")}`
            : `every final webhook came, but the relay's view still has subscriptions not delivered ${RECOVERY_DEADLINE_MS} ms after the restart`,
        );
      }
      expect(await tick()).toBe(true);
      ticks += 1;
      await sleep(200);
    }
    mark("all delivered");

    // Every final webhook; a webhook-id sent twice carries the same bytes, one webhook-id per
    // subscription and event.
    const deliveries = ["plain", "slow", "archive"].flatMap((name) => network.receivers.deliveries(name));
    expect(deliveries.every((d) => d.verified)).toBe(true);
    const bodies = new Map<string, Set<string>>();
    const idsPerEvent = new Map<string, Set<string>>();
    for (const d of deliveries) {
      const id = d.headers["webhook-id"]!;
      bodies.set(id, (bodies.get(id) ?? new Set()).add(d.body));
      const body = JSON.parse(d.body) as { type: string; subscription_id: string };
      const event = `${body.subscription_id} ${body.type}`;
      idsPerEvent.set(event, (idsPerEvent.get(event) ?? new Set()).add(id));
    }
    expect([...bodies.values()].filter((b) => b.size > 1)).toEqual([]);
    expect([...idsPerEvent].filter(([, ids]) => ids.size > 1)).toEqual([]);
    const duplicates = deliveries.length - bodies.size;
    // The webhooks the second crash cut were sent again (their answers never reached the relay).
    expect(duplicates).toBeGreaterThan(0);
    for (const id of all) expect((await client.subscription(id)).status).toBe("delivered");

    // The archived files, read back through the relay's signed links, hash to what upstream served.
    for (const [registration, taskId] of [
      [resumed, resumedTask],
      [fresh, freshTask],
    ] as const) {
      const webhook = JSON.parse(finals().get(registration.id!)!) as { outputs: Record<string, string>[] };
      for (const [field, file] of [
        ["archived_url", "video-0.mp4"],
        ["archived_watermark_url", "watermark-0.mp4"],
      ] as const) {
        const link = webhook.outputs[0]![field];
        expect(link, `${taskId} ${field}`).toEqual(expect.any(String));
        await expectUpstreamBytes(link!, network.url, taskId, file);
      }
    }

    // No multipart upload left behind: with wrangler dev stopped, every upload R2 ever started in
    // this state folder is completed or aborted; the resumed file completed under the upload D1
    // recorded before the crash, the fresh file's cut upload was aborted or completed, never left.
    await stack.relay.stop();
    const uploads = multipartUploads(stateDir);
    expect(uploads.filter((u) => u.state === "in progress")).toEqual([]);
    expect(uploads.find((u) => u.uploadId === resumedRow.uploadId)).toMatchObject({ state: "completed", parts: 4 });
    expect(uploads.filter((u) => u.key === freshKey && u.state === "completed")).toHaveLength(1);
    const objects = new Map(r2Objects(stateDir).map((o) => [o.key, o.size]));
    expect([objects.get(resumedKey), objects.get(freshKey)]).toEqual([RESUMED_SIZE, FRESH_SIZE]);
    const rows = archiveFileRows(stateDir);
    expect(rows.filter((r) => r.status !== "copied" || r.uploadId !== null || r.leased)).toEqual([]);

    console.log(
      JSON.stringify({
        event: "crash_restart",
        tasks: registrations.length,
        atCrash1,
        laneCuts: lanes.cut,
        recoveryTicks: ticks,
        deliveries: deliveries.length,
        duplicates,
        uploads: uploads.map((u) => ({ key: u.key.split("/").pop(), task: u.key.split("/")[2], state: u.state, parts: u.parts })),
        timingsMs: timings,
      }),
    );
  });
});

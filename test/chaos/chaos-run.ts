/**
 * The chaos run: the real tick inside workerd, in simulated time, against the Kling simulator and
 * misbehaving receivers, with upstream faults, overlapping ticks, ticks killed at random points
 * after claiming work, and duplicate registrations racing. Returns the figures and every way in
 * which a subscription did not end as promised (`problems`: empty means nothing was lost).
 */
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { isStorageUnavailable } from "../../src/storage/storage-errors";
import { runTick } from "../../src/tick/run-tick";
import type { Clock } from "../../src/work/work-context";
import { seededRandom } from "../../tools/seeded-random";
import { faultyD1 } from "../support/faulty-d1";
import { OUTAGES, type Outage, pickReceiver, type RECEIVERS, type ScriptedTask, scriptTask } from "./chaos-script";
import { type OutageFigures, watchOutages } from "./outages";

/** Scaled for a run of minutes: timeouts in real time, schedules in simulated time. */
const RELAY_ENV = {
  POLL_MIN_INTERVAL_SECONDS: "1",
  POLL_MAX_INTERVAL_SECONDS: "5",
  UPSTREAM_TIMEOUT_SECONDS: "0.3",
  DELIVERY_TIMEOUT_SECONDS: "0.3",
  // 9 attempts over 30 s: longer than an outage (chaos-script.ts).
  DELIVERY_RETRY_SCHEDULE: "1,1,2,2,4,4,8,8",
  // Circuits open (after the default 5 failures in a row), probe and close within the run: probes
  // after 1 s, doubling up to 8 s.
  ENDPOINT_PROBE_MIN_SECONDS: "1",
  ENDPOINT_PROBE_MAX_SECONDS: "8",
  // A receiver that never answers (connection refused) is disabled after 72 s of failures: its
  // webhooks wait behind its circuit until then, spending only probes. An outage (24 s, and a probe
  // at most 8 s after it ends) stays well under it.
  ENDPOINT_DISABLE_AFTER_HOURS: "0.02",
  SUBREQUEST_BUDGET: "400",
  // The rate limit has its own tests; here thousands of registrations must all go through.
  REGISTRATION_LIMITER: undefined,
  REGISTRATION_RATE_LIMIT: "1000000",
};
const STEP_MS = 2_000;
/** When a message's attempts come by the retry schedule alone (no jitter), in ms after its first. */
const SCHEDULE_OFFSETS_MS = [0];
for (const seconds of RELAY_ENV.DELIVERY_RETRY_SCHEDULE.split(","))
  SCHEDULE_OFFSETS_MS.push(SCHEDULE_OFFSETS_MS.at(-1)! + Number(seconds) * 1000);
const MAX_STEPS = 900;
const SECRETS = [
  "relay-test-key-one-0123456789",
  "relay-test-key-two-0123456789",
  "test-cometapi-key",
  "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
  "dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
];

interface Expected {
  task: ScriptedTask;
  receiver: Pick<(typeof RECEIVERS)[number], "name" | "refused" | "ends">;
  /** The receiver's name; an outage's is shared by many subscriptions. */
  receiverName: string;
  outage?: Outage;
  events: string[];
  metadata: Record<string, unknown>;
}

interface Received {
  headers: Record<string, string>;
  body: string;
  verified: boolean | null;
  answered: number;
}

export interface ChaosFigures {
  tasks: number;
  subscriptions: number;
  duplicateRegistrations: number;
  upstreamFaults: number;
  receiverFaults: number;
  ticks: number;
  ticksOverlapping: number;
  ticksAborted: number;
  /** D1 round trips of the ticks failed on purpose. */
  d1Faults: number;
  webhooksDelivered: number;
  duplicatesReceived: number;
  failedGone: number;
  failedEndpointDisabled: number;
  lost: number;
  simulatedMinutes: number;
  secretsInLogs: number;
  outages: OutageFigures[];
}

/** A clock for one tick that, if told to, dies after `lives` readings: the tick dies wherever it is. */
function tickClock(sim: { now: number }, random: () => number, lives: number | null): Clock {
  let readings = 0;
  return {
    now: () => {
      if (lives !== null && ++readings > lives) throw new Error("chaos: tick aborted");
      return sim.now;
    },
    random,
  };
}

/** JSON equality regardless of key order (the relay builds bodies in SQL, the expectation in TS). */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === "object"
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
const sameJson = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const post = (body: unknown) =>
  app.fetch(
    new Request("http://relay.chaos/v1/tasks", {
      method: "POST",
      headers: { authorization: "Bearer relay-test-key-one-0123456789", "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { ...env, ...RELAY_ENV },
  );

export async function runChaos(options: {
  tasks: number;
  seed: number;
  /** Share of the ticks' D1 round trips that fail (before running or after committing), seeded. */
  d1FaultRate?: number;
}): Promise<{ figures: ChaosFigures; problems: string[] }> {
  const random = seededRandom(options.seed);
  const run = `chaos${options.seed}-${Date.now().toString(36)}`;
  const sim = { now: Date.now() };
  const problems: string[] = [];
  const logs: string[] = [];
  const outages = watchOutages({
    run,
    secret: SECRETS[3]!,
    sim,
    scheduleOffsetsMs: SCHEDULE_OFFSETS_MS,
    probeMinMs: Number(RELAY_ENV.ENDPOINT_PROBE_MIN_SECONDS) * 1000,
    probeMaxMs: Number(RELAY_ENV.ENDPOINT_PROBE_MAX_SECONDS) * 1000,
  });
  const original = { log: console.log, error: console.error, warn: console.warn };
  for (const level of ["log", "error", "warn"] as const)
    console[level] = (...args: unknown[]) => void logs.push(args.map(String).join(" "));

  try {
    // Every subscription has a receiver of its own: more endpoints than the default cap allows a
    // tenant, so the run's tenant is given room, as an operator would give a busy one.
    await env.DB.prepare(`UPDATE tenants SET caps = '{"endpoints":100000}' WHERE id = 'default'`).run();
    // Upstream scripts, then subscriptions with their receivers (some registered three times at once).
    const tasks = Array.from({ length: options.tasks }, (_, i) => scriptTask(`${run}-t${i}`, random, sim.now));
    await fetch(`${env.FAKE_URL}/_sim/scripts`, { method: "PUT", body: JSON.stringify({ tasks: tasks.filter((t) => t.steps) }) });
    const expected = new Map<string, Expected>();
    let duplicateRegistrations = 0;
    for (const task of tasks) {
      for (let j = 0, n = 1 + Math.floor(random() * 3); j < n; j++) {
        const receiver = pickReceiver(random);
        const receiverName = `${task.id}-s${j}`;
        const url = receiver.refused ? `http://127.0.0.1:1/hooks/${receiverName}` : `${env.FAKE_URL}/hooks/${receiverName}`;
        if (!receiver.refused)
          await fetch(`${env.FAKE_URL}/_sim/receivers/${receiverName}`, {
            method: "PUT",
            body: JSON.stringify({ steps: receiver.steps, secret: SECRETS[3] }),
          });
        const events =
          random() < 0.3
            ? ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"]
            : ["task.succeeded", "task.failed", "task.expired"];
        const metadata = { run, task: task.id, j };
        const body = { task_id: task.id, action: task.action, action2: task.action2, callback_url: url, events, metadata };
        const racing = random() < 0.2 ? 3 : 1;
        const answers = await Promise.all(Array.from({ length: racing }, () => post(body)));
        const subs = await Promise.all(answers.map(async (a) => ({ status: a.status, id: ((await a.json()) as { id: string }).id })));
        const created = subs.filter((s) => s.status === 201);
        if (created.length !== 1 || subs.some((s) => s.id !== created[0]!.id || (s.status !== 201 && s.status !== 200))) {
          problems.push(`racing registrations of ${task.id}/${j} answered ${JSON.stringify(subs)}`);
        }
        if (racing > 1) duplicateRegistrations += racing - 1;
        expected.set(created[0]?.id ?? subs[0]!.id, { task, receiver, receiverName, events, metadata });
      }
      for (const outage of OUTAGES.filter((o) => tasks.indexOf(task) % o.every === o.offset)) {
        const receiverName = outages.receiverName(outage);
        const events = ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"];
        const metadata = { run, task: task.id, outage: outage.name };
        const body = {
          task_id: task.id,
          action: task.action,
          action2: task.action2,
          callback_url: outages.url(outage),
          events,
          metadata,
        };
        const answer = await post(body);
        const { id } = (await answer.json()) as { id: string };
        if (answer.status !== 201) problems.push(`registering ${task.id} to ${outage.name} answered ${answer.status}`);
        expected.set(id, { task, receiver: { name: outage.name, ends: "delivered" }, receiverName, outage, events, metadata });
      }
    }
    await outages.prepare();

    // The ticks: every 2 simulated seconds, sometimes two at once, sometimes one that dies.
    let ticks = 0;
    let overlapping = 0;
    let aborted = 0;
    let d1Faults = 0;
    let step = 0;
    for (; step < MAX_STEPS; step++) {
      sim.now += STEP_MS;
      await outages.beforeTick(step);
      const count = random() < 0.1 ? 2 : 1;
      if (count === 2) overlapping += 2;
      await Promise.all(
        Array.from({ length: count }, async () => {
          const lives = random() < 0.15 ? 2 + Math.floor(random() * 40) : null;
          ticks += 1;
          const faults = options.d1FaultRate
            ? faultyD1(env.DB, { rate: options.d1FaultRate, kinds: ["before", "after"], seed: options.seed * 1_000 + ticks })
            : null;
          try {
            await runTick({ ...env, ...RELAY_ENV, ...(faults ? { DB: faults.db } : {}) }, tickClock(sim, random, lives));
          } catch (error) {
            if (lives === null && !isStorageUnavailable(error)) throw error;
            aborted += 1;
            outages.tickDied();
          } finally {
            if (faults) d1Faults += faults.log.failed.before + faults.log.failed.after;
          }
        }),
      );
      if (step % 10 === 9) {
        const active = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE status = 'active'").first<{ n: number }>();
        if (active?.n === 0) break;
      }
    }

    // What every subscription became, and what its receiver got.
    const rows = await env.DB.prepare("SELECT id, status, status_reason FROM subscriptions").all<{
      id: string;
      status: string;
      status_reason: string | null;
    }>();
    const byId = new Map(rows.results.map((r) => [r.id, r]));
    let webhooksDelivered = 0;
    let duplicatesReceived = 0;
    let failedGone = 0;
    let failedEndpointDisabled = 0;
    let lost = 0;
    const outageSubscriptions = [...expected].filter(([, e]) => e.outage).map(([id]) => id);
    const outageMessages = (
      await env.DB.prepare(
        "SELECT id, subscription_id, state, created_at, delivered_at FROM messages WHERE subscription_id IN (SELECT value FROM json_each(?))",
      )
        .bind(JSON.stringify(outageSubscriptions))
        .all<{ id: string; subscription_id: string; state: string; created_at: number; delivered_at: number | null }>()
    ).results;
    for (const [subId, exp] of expected) {
      const row = byId.get(subId);
      const all = exp.receiver.refused
        ? []
        : ((await (await fetch(`${env.FAKE_URL}/_sim/receivers/${exp.receiverName}`)).json()) as { deliveries: Received[] }).deliveries;
      // An outage's receiver is shared: this subscription's deliveries are those that name it.
      const received = exp.outage ? all.filter((r) => (JSON.parse(r.body) as { subscription_id?: string }).subscription_id === subId) : all;
      const accepted = received.filter((r) => r.verified === true && r.answered >= 200 && r.answered < 300);
      const ids = accepted.map((r) => r.headers["webhook-id"]);
      webhooksDelivered += new Set(ids).size;
      duplicatesReceived += ids.length - new Set(ids).size;
      const fail = (why: string) => {
        lost += 1;
        if (problems.length < 20) problems.push(`${subId} (${exp.receiver.name}, task ${exp.task.id}): ${why}`);
      };
      if (received.some((r) => r.verified !== true)) fail("a delivery failed signature verification");
      // A webhook sent again (its send's record lost to a dying tick or a D1 fault) is the same
      // webhook: the same webhook-id with the same bytes.
      const bodyOf = new Map<string, string>();
      for (const r of accepted) {
        const id = r.headers["webhook-id"]!;
        if (bodyOf.has(id) && bodyOf.get(id) !== r.body) fail(`webhook ${id} arrived twice with different bodies`);
        bodyOf.set(id, r.body);
      }
      if (!row) {
        fail("subscription missing");
        continue;
      }
      if (exp.receiver.ends === "gone" || exp.receiver.ends === "endpoint_disabled") {
        if (row.status !== "failed" || row.status_reason !== exp.receiver.ends)
          fail(`ended ${row.status}/${row.status_reason}, expected failed/${exp.receiver.ends}`);
        else if (exp.receiver.ends === "gone") failedGone += 1;
        else failedEndpointDisabled += 1;
        continue;
      }
      if (row.status !== "delivered") fail(`ended ${row.status}/${row.status_reason}`);
      if (exp.outage) {
        // Every message to an endpoint that was down is delivered once it is back (a tick killed
        // after sending may make one arrive twice, with the same webhook-id, as anywhere).
        const mine = outageMessages.filter((m) => m.subscription_id === subId);
        const undelivered = mine.filter((m) => m.state !== "delivered");
        if (undelivered.length > 0) fail(`messages ended ${undelivered.map((m) => m.state).join(", ")}, not delivered`);
        if (new Set(ids).size !== mine.length) fail(`its receiver accepted ${new Set(ids).size} of its ${mine.length} messages`);
      }
      const bodies = accepted.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      const final = bodies.find((b) => b.type === exp.task.finalEvent);
      if (!final) fail(`no verified ${exp.task.finalEvent} received`);
      else {
        const want = {
          type: exp.task.finalEvent,
          subscription_id: subId,
          task_id: exp.task.id,
          metadata: exp.metadata,
          reason: exp.task.finalData ? null : "not_found",
          data: exp.task.finalData,
        };
        const got = {
          type: final.type,
          subscription_id: final.subscription_id,
          task_id: final.task_id,
          metadata: final.metadata,
          reason: final.reason,
          data: final.data,
        };
        if (!sameJson(got, want)) fail(`final webhook differs from what upstream reported: ${JSON.stringify(got).slice(0, 300)}`);
      }
      for (const b of bodies) {
        if (!exp.events.includes(String(b.type))) fail(`received ${String(b.type)}, not asked for`);
        const status = (b.data as { task_status?: string } | null)?.task_status;
        if (b.type === "task.submitted" && status !== "submitted") fail("task.submitted carries another status");
        if (b.type === "task.processing" && status !== "processing") fail("task.processing carries another status");
      }
    }

    const outageFigures = await outages.figures(outageMessages, (id) => expected.get(id)?.outage);
    problems.push(...outageFigures.problems);

    const served = (await (await fetch(`${env.FAKE_URL}/_sim/served?prefix=${run}`)).json()) as Record<string, number>;
    const receiverFaults = await env.DB.prepare(
      "SELECT count(*) AS n FROM delivery_attempts WHERE status_code IS NULL OR status_code NOT BETWEEN 200 AND 299",
    ).first<{ n: number }>();
    const hooks = await Promise.all(
      [...expected.values()]
        .filter((e) => !e.receiver.refused)
        .slice(0, 200)
        .map(async (e) => JSON.stringify(await (await fetch(`${env.FAKE_URL}/_sim/receivers/${e.receiverName}`)).json())),
    );
    const secretsInLogs = [...logs, ...hooks].filter((line) => SECRETS.some((s) => line.includes(s))).length;
    if (logs.length === 0) problems.push("no log line was captured: the secret check saw nothing");
    if (secretsInLogs > 0) problems.push(`${secretsInLogs} log lines or webhook bodies contain a secret`);
    // No lease held past its end: a tick that died, or whose record a D1 fault lost, leaves its
    // work leased until the lease ends; then the next tick claims it again. Time moves on, with
    // ticks and no faults, until nothing is leased (at most 10 simulated minutes, past every lease).
    const leased = () =>
      env.DB.prepare(
        "SELECT (SELECT count(*) FROM tasks WHERE lease_token IS NOT NULL) AS tasks, (SELECT count(*) FROM messages WHERE lease_token IS NOT NULL) AS messages",
      ).first<{ tasks: number; messages: number }>();
    let held = await leased();
    for (let drain = 0; drain < 30 && held!.tasks + held!.messages > 0; drain++) {
      sim.now += 20_000;
      await runTick({ ...env, ...RELAY_ENV }, tickClock(sim, random, null));
      held = await leased();
    }
    if (held!.tasks + held!.messages > 0) problems.push(`still leased 10 simulated minutes after the last tick: ${JSON.stringify(held)}`);
    if (step === MAX_STEPS) problems.push(`subscriptions still active after ${(MAX_STEPS * STEP_MS) / 60_000} simulated minutes`);
    return {
      figures: {
        tasks: tasks.length,
        subscriptions: expected.size,
        duplicateRegistrations,
        upstreamFaults:
          Object.entries(served)
            .filter(([k]) => k.startsWith("fault:"))
            .reduce((sum, [, n]) => sum + n, 0) +
          tasks.filter((t) => !t.steps).length * 3,
        receiverFaults: receiverFaults?.n ?? 0,
        ticks,
        ticksOverlapping: overlapping,
        ticksAborted: aborted,
        d1Faults,
        webhooksDelivered,
        duplicatesReceived,
        failedGone,
        failedEndpointDisabled,
        lost,
        simulatedMinutes: Math.round((step * STEP_MS) / 60_000),
        secretsInLogs,
        outages: outageFigures.figures,
      },
      problems,
    };
  } finally {
    Object.assign(console, original);
  }
}

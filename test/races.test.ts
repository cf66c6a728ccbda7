/**
 * Races between the tick, the API and retention, each driven through the real code against real
 * D1; only the network edge (the loopback upstream and receivers) is scripted.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { taskKey } from "../src/domain/ids";
import { DEFAULT_TENANT } from "../src/domain/tenancy";
import { openDb } from "../src/storage/db";
import { messageBody, type StoredBody } from "../src/storage/message-body";
import { registerSubscription } from "../src/storage/subscriptions";
import { runPipeline } from "../src/work/pipeline";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import {
  api,
  manualClock,
  pollOnly,
  type RegistrationInput,
  receiver,
  register,
  resetDb,
  subscriptionView,
  taskView,
  tick,
  upstreamTask,
} from "./support/relay";

type Hook = Awaited<ReturnType<typeof receiver>>;

/** Waits until the receiver has been sent `count` requests (it records each before answering). */
async function untilReceived(hook: Hook, count: number, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while ((await hook.deliveries()).length < count) {
    if (Date.now() > until) throw new Error(`receiver got fewer than ${count} requests in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The body the only message stored would be sent with now. */
const storedBody = async () =>
  messageBody(
    (await env.DB.prepare(
      "SELECT m.*, t.task_id, t.provider FROM messages m JOIN subscriptions s ON s.id = m.subscription_id JOIN tasks t ON t.id = s.task_key",
    ).first<StoredBody>())!,
  );

const deliveryAttemptsCounted = async () =>
  (await env.DB.prepare("SELECT coalesce(sum(delivery_attempts), 0) AS n FROM activity_hourly").first<{ n: number }>())!.n;

describe("a delivery result recorded after its message changed hands", () => {
  beforeEach(resetDb);

  it("does not fail the subscription when the message was redelivered while its 410 was on the way", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    // The first attempt answers 410, slowly: the redeliver lands while it is in flight.
    const hook = await receiver([{ status: 410, delayMs: 1_500 }, { status: 200 }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
    const counted = await deliveryAttemptsCounted();
    const clock = manualClock();
    const stale = tick(clock);
    await untilReceived(hook, 1);
    expect((await api(`/v1/subscriptions/${sub.id}/redeliver`, { method: "POST" })).status).toBe(202);
    await stale;

    // The redelivered message is a new cycle: the old attempt's 410 must not end it.
    const view = await subscriptionView(sub.id);
    expect(view).toMatchObject({ status: "active", status_reason: null, deliveries: [{ status: "pending" }] });
    // An attempt whose lease was gone when it was recorded is not logged as the message's, but
    // counts in its hour: it was sent (as its endpoint's health counts it).
    expect(view.deliveries[0].attempts).toEqual([]);
    expect(await deliveryAttemptsCounted()).toBe(counted + 1);

    clock.advance(1_000);
    await tick(clock);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered", deliveries: [{ status: "delivered" }] });
    const deliveries = await hook.deliveries();
    expect(deliveries.map((d) => d.headers["webhook-id"])).toEqual([
      deliveries[0]!.headers["webhook-id"],
      deliveries[0]!.headers["webhook-id"],
    ]);
    expect(await deliveryAttemptsCounted()).toBe(counted + 2);
  });

  it("does not cancel a message another tick claimed again and is delivering", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    // Tick A's attempt answers 410 after tick B (which claimed the message once A's lease ran
    // out) already sent its own attempt, and before B's 200 comes back.
    const hook = await receiver([
      { status: 410, delayMs: 1_500 },
      { status: 200, delayMs: 3_000 },
    ]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
    const clockA = manualClock();
    const tickA = tick(clockA);
    await untilReceived(hook, 1);
    const clockB = manualClock(clockA.now() + 3_600_000);
    const reportB = await Promise.all([tick(clockB), tickA]);
    expect(reportB[0]).toMatchObject({ delivered: 1 });

    const view = await subscriptionView(sub.id);
    expect(view).toMatchObject({ status: "delivered", status_reason: null, deliveries: [{ status: "delivered" }] });
    expect(view.deliveries[0].attempts.map((a: { status_code: number }) => a.status_code)).toEqual([200]);
  });
});

describe("re-registering a cancelled subscription with new metadata", () => {
  beforeEach(resetDb);

  const metadataSent = async (hook: Hook) => (await hook.deliveries()).map((d) => JSON.parse(d.body).metadata);

  it("sends the revived message with the new metadata when it was attempted before the cancel", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver([{ status: 500 }, { status: 200 }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } })).body;
    const clock = manualClock();
    await tick(clock);
    expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    const again = await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 2 } });
    expect(again).toMatchObject({ status: 200, body: { id: sub.id, status: "active", metadata: { v: 2 } } });

    clock.advance(60_000);
    await tick(clock);
    expect(await metadataSent(hook)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered", deliveries: [{ status: "delivered" }] });
  });

  it("sends the revived message with the new metadata when it was never attempted", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    const sub = (await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } })).body;
    const clock = manualClock();
    // Deliveries paused: the poll stores the message, nothing sends it.
    await pollOnly(clock);
    expect((await subscriptionView(sub.id)).deliveries).toMatchObject([{ status: "pending", attempts: [] }]);
    expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 2 } })).status).toBe(200);

    clock.advance(1_000);
    await tick(clock);
    expect(await metadataSent(hook)).toEqual([{ v: 2 }]);
  });
});

/**
 * A D1 binding that runs `hook` once, right after the first statement whose SQL matches `match`
 * was executed (alone, or in a batch) and before its result goes back to the caller: another
 * request landing between two round trips of ours. Every other statement is D1's own object, and
 * a batch gets the real statements (D1's `batch` takes no other).
 */
function d1WithHookAfter(db: D1Database, match: RegExp, hook: () => Promise<void>): D1Database {
  let fired = false;
  const once = async () => {
    if (fired) return;
    fired = true;
    await hook();
  };
  /** The real statement behind each matching one handed out, for `batch`. */
  const real = new WeakMap<object, D1PreparedStatement>();
  const afterRun = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === "bind") return (...values: unknown[]) => afterRun(target.bind(...values));
        if (typeof value !== "function") return value;
        if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") {
          return async (...args: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            await once();
            return result;
          };
        }
        return value.bind(target);
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "prepare") return (query: string) => (match.test(query) ? afterRun(target.prepare(query)) : target.prepare(query));
      // A matching statement run in a batch: the hook runs once the batch has.
      if (prop === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => real.get(s) ?? s));
          if (statements.some((s) => real.has(s))) await once();
          return results;
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("retention racing a registration", () => {
  beforeEach(resetDb);

  // Retention of half a second, so that the registration the hook makes is as "now" as the tick.
  const RETENTION_MS = 500;
  const retention = { RETENTION_DAYS: String(RETENTION_MS / 86_400_000) };
  const CANDIDATES = /SELECT id, created_at FROM tasks\s+WHERE [^;]*settled_at </;

  /** Runs a tick whose retention selects its candidates, then sees `registration` land, then deletes. */
  async function purgeRacing(registration: RegistrationInput) {
    await new Promise((resolve) => setTimeout(resolve, RETENTION_MS + 200));
    let answer: Awaited<ReturnType<typeof register>> | null = null;
    const DB = d1WithHookAfter(env.DB, CANDIDATES, async () => {
      answer = await register(registration);
    });
    const report = await tick(manualClock(), { ...retention, DB });
    expect(answer, "the registration ran between the select and the deletes").not.toBeNull();
    return { report, answer: answer! };
  }

  it("keeps a task that a registration made poll again after retention picked it", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const first = (await register({ task_id: task.id, callback_url: (await receiver()).url })).body;
    await tick(manualClock(), retention);
    // Its only subscriber leaves: the task stops polling, and ages towards retention.
    expect((await api(`/v1/subscriptions/${first.id}`, { method: "DELETE" })).status).toBe(204);

    const { report, answer } = await purgeRacing({ task_id: task.id, callback_url: (await receiver()).url });
    expect(answer.status).toBe(201);
    expect(report.purged).toBe(0);
    expect(await subscriptionView(answer.body.id)).toMatchObject({ status: "active" });
    expect((await taskView(task.id)).next_poll_at).not.toBeNull();
  });

  it("keeps a finished task whose final event a registration is about to send", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await tick(manualClock(), retention);

    const late = await receiver();
    const { report, answer } = await purgeRacing({ task_id: task.id, callback_url: late.url });
    expect(answer.status).toBe(201);
    expect(report.purged).toBe(0);
    expect(await subscriptionView(answer.body.id)).toMatchObject({
      status: "active",
      deliveries: [{ event_type: "task.succeeded", status: "pending" }],
    });
    await tick(manualClock(Date.now() + 1_000));
    expect(await late.deliveries()).toHaveLength(1);
  });

  it("keeps a finished task a subscription was registered on after retention picked it, even with nothing to send", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await tick(manualClock(), retention);

    const { report, answer } = await purgeRacing({ task_id: task.id, callback_url: (await receiver()).url, events: ["task.processing"] });
    expect(answer).toMatchObject({ status: 201, body: { status: "delivered" } });
    expect(report.purged).toBe(0);
    expect((await api(`/v1/subscriptions/${answer.body.id}`)).status).toBe(200);
  });

  it("still deletes what is old once nothing happened to it for the retention period", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await tick(manualClock(), retention);
    await new Promise((resolve) => setTimeout(resolve, RETENTION_MS + 200));
    expect((await tick(manualClock(), retention)).purged).toBe(1);
    expect((await api(`/v1/tasks/${task.id}`)).status).toBe(404);
  });
});

describe("one item's work throwing inside the pipeline", () => {
  it("records what finished, hands back the failed item and what never started, then rejects with the error", async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const boom = new Error("item 2 broke");
    const recorded: number[] = [];
    const released: number[] = [];
    let claims = 0;
    const run = runPipeline<number, number>({
      claimable: () => 50,
      async claim(limit) {
        claims += 1;
        return items.splice(0, limit);
      },
      async work(item) {
        if (item === 2) throw boom;
        await new Promise((resolve) => setTimeout(resolve, 30));
        return item;
      },
      async record(done) {
        recorded.push(...done);
      },
      async release(unstarted) {
        released.push(...unstarted);
      },
      shouldStop: () => false,
    });
    await expect(run).rejects.toBe(boom);
    expect(claims).toBe(1);
    // The five started beside it finished and were recorded; nothing new started after the error.
    expect(recorded.sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5]);
    expect(released.sort((a, b) => a - b)).toEqual([2, ...Array.from({ length: 14 }, (_, i) => i + 6)]);
  });
});

describe("re-registering an existing subscription with other events or metadata", () => {
  beforeEach(resetDb);

  const sent = async (hook: Hook) => (await hook.deliveries()).map((d) => ({ id: d.headers["webhook-id"], ...JSON.parse(d.body) }));

  it("answers 200 with the new values and stores them", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    const first = await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } });
    const again = await register({
      task_id: task.id,
      callback_url: hook.url,
      events: ["task.processing", "task.succeeded"],
      metadata: { v: 2 },
    });
    expect(again).toMatchObject({
      status: 200,
      body: { id: first.body.id, status: "active", events: ["task.processing", "task.succeeded"], metadata: { v: 2 } },
    });
    expect(await subscriptionView(first.body.id)).toMatchObject({ events: ["task.processing", "task.succeeded"], metadata: { v: 2 } });

    await tick(manualClock(Date.now() + 1_000));
    expect(await sent(hook)).toMatchObject([{ type: "task.processing", metadata: { v: 2 } }]);
  });

  it("puts the new metadata into a message not attempted yet", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    const sub = (await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } })).body;
    const clock = manualClock();
    // Deliveries paused: the poll stores the message, nothing sends it.
    await pollOnly(clock);
    expect((await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 2 } })).body).toMatchObject({
      id: sub.id,
      metadata: { v: 2 },
    });
    clock.advance(1_000);
    await tick(clock);
    expect(await sent(hook)).toMatchObject([{ type: "task.succeeded", metadata: { v: 2 } }]);
  });

  it("changes nothing but the metadata of that message: every number of it and of the data stays as sent", async () => {
    const data =
      '{"task_id":"T","task_status":"succeed","task_result":{"videos":[{"id":123456789012345678901234567890,"url":"https://cdn.example/v.mp4","duration":"5"}]},"final_unit_deduction":0.1000000000000000000001,"created_at":1777385361501}';
    const task = await upstreamTask([{ http: 200, body: `{"code":0,"message":"SUCCEED","data":${data}}` }]);
    const hook = await receiver();
    const post = (metadata: string) =>
      api("/v1/tasks", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"task_id":"${task.id}","action":"videos","action2":"text2video","callback_url":"${hook.url}","metadata":${metadata}}`,
      });
    expect((await post('{"user":1}')).status).toBe(201);
    const clock = manualClock();
    await pollOnly(clock);
    const before = await storedBody();
    expect((await post('{"user":12345678901234567890123,"f":1e400}')).status).toBe(200);
    clock.advance(1_000);
    await tick(clock);
    const [delivery] = await hook.deliveries();
    expect(delivery!.body).toBe(before.replace('"metadata":{"user":1}', '"metadata":{"user":12345678901234567890123,"f":1e400}'));
    expect(delivery!.body).toContain(`"data":${data}`);
  });

  it("keeps the bytes of a message already attempted, and sends the new metadata with later events", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    const hook = await receiver([{ status: 500 }, { status: 200 }]);
    const events = ["task.processing", "task.succeeded"];
    const sub = (await register({ task_id: task.id, callback_url: hook.url, events, metadata: { v: 1 } })).body;
    const clock = manualClock();
    await tick(clock);
    expect((await register({ task_id: task.id, callback_url: hook.url, events, metadata: { v: 2 } })).status).toBe(200);
    clock.advance(600_000);
    await tick(clock);

    const deliveries = await sent(hook);
    expect(deliveries.map((d) => [d.type, d.metadata])).toEqual([
      ["task.processing", { v: 1 }],
      ["task.processing", { v: 1 }],
      ["task.succeeded", { v: 2 }],
    ]);
    const raw = await hook.deliveries();
    expect(raw[1]!.body).toBe(raw[0]!.body);
    expect(raw[1]!.headers["webhook-id"]).toBe(raw[0]!.headers["webhook-id"]);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered" });
  });

  it("makes a delivered subscription active again when it now asks for an event still to come", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    const hook = await receiver();
    const sub = (await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing"] })).body;
    const clock = manualClock();
    await tick(clock);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered" });
    expect((await taskView(task.id)).next_poll_at).toBeNull();

    const again = await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] });
    expect(again).toMatchObject({ status: 200, body: { id: sub.id, status: "active", events: ["task.processing", "task.succeeded"] } });
    clock.advance(600_000);
    await tick(clock);
    expect((await sent(hook)).map((d) => d.type)).toEqual(["task.processing", "task.succeeded"]);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered" });
  });

  it("finds every row a registration touches through an index", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } });
    await pollOnly(manualClock());
    const log: Recorded[] = [];
    const registration = {
      id: "sub_plan",
      taskId: task.id,
      tenantId: DEFAULT_TENANT,
      provider: "cometapi" as const,
      taskKeyIfNew: taskKey("tsk_unused"),
      newEndpoint: { id: "ep_unused", secret: "whsec_dW51c2Vk" },
      action: "videos",
      action2: "text2video",
      callbackUrl: hook.url,
      events: ["task.succeeded" as const],
      metadata: '{"v":2}',
      archive: false,
      upstreamAccount: "operator" as const,
    };
    await registerSubscription(openDb(recordingD1(env.DB, log)), null, registration, Date.now());
    expect(await storedBody()).toContain('"metadata":{"v":2}');
    const scans: string[] = [];
    for (const { sql, params } of log) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      for (const { detail } of plan.results) {
        const scanned = /^SCAN (\S+)/.exec(detail)?.[1];
        if (scanned && (/^(tasks|subscriptions|messages|delivery_attempts)$/.test(scanned) || ["t", "s", "m"].includes(scanned)))
          scans.push(`${detail} <= ${sql.replace(/\s+/g, " ").slice(0, 160)}`);
      }
    }
    expect(log.length).toBeGreaterThan(4);
    expect(scans).toEqual([]);
  });

  it("keeps a failed subscription failed (redeliver revives it) while storing the new values", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver([{ status: 410 }, { status: 200 }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 1 } })).body;
    await tick(manualClock());
    const again = await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 2 } });
    expect(again).toMatchObject({ status: 200, body: { id: sub.id, status: "failed", status_reason: "gone", metadata: { v: 2 } } });
  });
});

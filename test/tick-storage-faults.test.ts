/**
 * The tick's statements when D1 fails (issue 26): each of a tick's D1 round trips in turn (its
 * claims, the record of its polls with their fan-out and settling, the claim of the webhooks,
 * the record of their attempts, the releases) fails once, before it runs or after it committed
 * (the tick sees an error for a write that stands: the ambiguous case). The tick that met it
 * ends there; later ticks, on a clock moved past its leases, finish the work. Whichever round
 * trip failed, every webhook arrives, once per event per subscription, as the same bytes under
 * one `webhook-id` if it arrives twice, and nothing stays leased.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../src/tick/run-tick";
import { type FaultKind, faultyD1 } from "./support/faulty-d1";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

/** Three tasks, one still running at its first poll; two subscribers on one of them. */
async function scenario() {
  const [a, b] = [await receiver(), await receiver()];
  const tasks = [
    await upstreamTask([{ status: "succeed" }]),
    await upstreamTask([{ status: "processing" }, { status: "succeed" }]),
    await upstreamTask([{ status: "failed" }]),
  ];
  for (const t of tasks) expect((await register({ task_id: t.id, callback_url: a.url })).status).toBe(201);
  expect((await register({ task_id: tasks[0]!.id, callback_url: b.url })).status).toBe(201);
  return { hooks: [a, b], subscriptions: 4 };
}

const leased = async () =>
  (await env.DB.prepare(
    "SELECT (SELECT count(*) FROM tasks WHERE lease_token IS NOT NULL) + (SELECT count(*) FROM messages WHERE lease_token IS NOT NULL) AS n",
  ).first<{ n: number }>())!.n;

/** Round trips of a tick that polls and delivers the scenario, no fault. */
async function roundTripsOfAFirstTick(): Promise<number> {
  await resetDb();
  await scenario();
  const faults = faultyD1(env.DB, { rate: 0, kinds: ["before"] });
  await runTick({ ...env, DB: faults.db }, manualClock());
  return faults.log.roundTrips;
}

describe("a tick whose D1 round trip fails", () => {
  beforeEach(resetDb);

  it.each<FaultKind>(["before", "after"])(
    "loses nothing and duplicates no webhook, whichever round trip fails %s running",
    async (kind) => {
      const roundTrips = await roundTripsOfAFirstTick();
      expect(roundTrips).toBeGreaterThan(5);
      for (let n = 0; n < roundTrips; n++) {
        await resetDb();
        const { hooks, subscriptions } = await scenario();
        const clock = manualClock();
        const faults = faultyD1(env.DB, { rate: 0, kinds: [kind], at: [n] });
        await runTick({ ...env, DB: faults.db }, clock).catch(() => undefined);
        expect(faults.log.failed[kind], `round trip ${n}`).toBe(1);
        // Later ticks, each a minute on: past every lease the failed tick left.
        for (let i = 0; i < 8; i++) {
          clock.advance(60_000);
          await tick(clock);
        }
        const subs = await env.DB.prepare("SELECT status, count(*) AS n FROM subscriptions GROUP BY status").all();
        expect(subs.results, `round trip ${n}`).toEqual([{ status: "delivered", n: subscriptions }]);
        expect(await leased(), `round trip ${n}: still leased`).toBe(0);
        const perEvent = await env.DB.prepare(
          "SELECT subscription_id, event_type, count(*) AS n FROM messages GROUP BY subscription_id, event_type HAVING n > 1",
        ).all();
        expect(perEvent.results, `round trip ${n}: two messages for one event`).toEqual([]);
        const received = (await Promise.all(hooks.map((h) => h.deliveries()))).flat();
        const bodies = new Map<string, string>();
        for (const d of received) {
          const id = d.headers["webhook-id"]!;
          if (bodies.has(id)) expect(d.body, `round trip ${n}: ${id} sent again with other bytes`).toBe(bodies.get(id));
          bodies.set(id, d.body);
        }
        const { n: messages } = (await env.DB.prepare("SELECT count(*) AS n FROM messages").first<{ n: number }>())!;
        expect(bodies.size, `round trip ${n}: webhooks received`).toBe(messages);
        // Once each: a record of sent webhooks that fails is written again at once (recordDeliveries).
        expect(received.length, `round trip ${n}: webhooks received twice`).toBe(messages);
      }
    },
    120_000,
  );

  it.each<FaultKind>(["before", "after"])(
    "counts a failed attempt once, in the log and in its endpoint's health, whichever round trip fails %s running",
    async (kind) => {
      const setUp = async () => {
        const hook = await receiver([{ status: 500 }]);
        const task = await upstreamTask([{ status: "succeed" }]);
        expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
        return hook;
      };
      await setUp();
      const clean = faultyD1(env.DB, { rate: 0, kinds: [kind] });
      await runTick({ ...env, DB: clean.db }, manualClock());
      for (let n = 0; n < clean.log.roundTrips; n++) {
        await resetDb();
        const hook = await setUp();
        const faults = faultyD1(env.DB, { rate: 0, kinds: [kind], at: [n] });
        await runTick({ ...env, DB: faults.db }, manualClock()).catch(() => undefined);
        const sent = (await hook.deliveries()).length;
        const counted = await env.DB.prepare(
          "SELECT (SELECT count(*) FROM message_attempts) AS logged, (SELECT max(consecutive_failures) FROM endpoints) AS failures",
        ).first<{ logged: number; failures: number }>();
        // What was sent is counted once, or (the record lost for good) not at all: never twice.
        expect(sent, `round trip ${n}`).toBeLessThanOrEqual(1);
        expect(counted!.logged, `round trip ${n}: attempts logged`).toBeLessThanOrEqual(sent);
        expect(counted!.failures, `round trip ${n}: the endpoint's failures`).toBeLessThanOrEqual(sent);
      }
    },
    120_000,
  );
});

/**
 * Races between the tick, the API and retention, each driven through the real code against real
 * D1; only the network edge (the loopback upstream and receivers) is scripted.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, manualClock, receiver, register, resetDb, subscriptionView, tick, upstreamTask } from "./support/relay";

type Hook = Awaited<ReturnType<typeof receiver>>;

/** Waits until the receiver has been sent `count` requests (it records each before answering). */
async function untilReceived(hook: Hook, count: number, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while ((await hook.deliveries()).length < count) {
    if (Date.now() > until) throw new Error(`receiver got fewer than ${count} requests in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
    // An attempt whose lease was gone when it was recorded is not counted either.
    expect(await deliveryAttemptsCounted()).toBe(counted);

    clock.advance(1_000);
    await tick(clock);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "delivered", deliveries: [{ status: "delivered" }] });
    const deliveries = await hook.deliveries();
    expect(deliveries.map((d) => d.headers["webhook-id"])).toEqual([deliveries[0]!.headers["webhook-id"], deliveries[0]!.headers["webhook-id"]]);
    expect(await deliveryAttemptsCounted()).toBe(counted + 1);
  });

  it("does not cancel a message another tick claimed again and is delivering", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    // Tick A's attempt answers 410 after tick B (which claimed the message once A's lease ran
    // out) already sent its own attempt, and before B's 200 comes back.
    const hook = await receiver([{ status: 410, delayMs: 1_500 }, { status: 200, delayMs: 3_000 }]);
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
    await tick(clock, { WEBHOOK_SECRETS: "" });
    expect((await subscriptionView(sub.id)).deliveries).toMatchObject([{ status: "pending", attempts: [] }]);
    expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await register({ task_id: task.id, callback_url: hook.url, metadata: { v: 2 } })).status).toBe(200);

    clock.advance(1_000);
    await tick(clock);
    expect(await metadataSent(hook)).toEqual([{ v: 2 }]);
  });
});

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../src/lib/clock";
import { api, manualClock, postJson, receiver, register, resetDb, tenantWithKey, tick, upstreamTask } from "./support/relay";

/** A short circuit, so a test sees it open, probe, close: 3 failures, probes after 60 s doubling to 240 s. */
const CIRCUIT = { ENDPOINT_CIRCUIT_FAILURES: "3", ENDPOINT_PROBE_MIN_SECONDS: "60", ENDPOINT_PROBE_MAX_SECONDS: "240" };

/** `count` finished tasks, each registered to the same receiver (one endpoint), answering `steps` (the last one repeats). */
async function finishedTasksFor(count: number, steps: { status: number }[]) {
  const hook = await receiver(steps);
  const subs: Record<string, any>[] = [];
  for (let i = 0; i < count; i++) {
    const task = await upstreamTask([{ status: "succeed" }]);
    subs.push((await register({ task_id: task.id, callback_url: hook.url })).body);
  }
  return { hook, subs, endpointId: subs[0]!.endpoint_id as string };
}

const endpointView = async (id: string, key?: string) => (await (await api(`/v1/endpoints/${id}`, {}, key)).json()) as Record<string, any>;
const messageStates = async (endpointId: string) =>
  (
    await env.DB.prepare("SELECT state, attempts, last_error FROM messages WHERE endpoint_id = ? ORDER BY id")
      .bind(endpointId)
      .all<{ state: string; attempts: number; last_error: string | null }>()
  ).results;
const eventTypes = async (tenantId = "default") =>
  (
    await env.DB.prepare("SELECT event_type FROM operation_events WHERE tenant_id = ? ORDER BY rowid")
      .bind(tenantId)
      .all<{ event_type: string }>()
  ).results.map((r) => r.event_type);

describe("an endpoint's circuit", () => {
  beforeEach(resetDb);

  it("opens after the failures in a row, parks what is due without attempts, probes at doubling waits, and releases it all on the first success", async () => {
    // 6 webhooks fail, then 2 probes fail; the third probe and everything after succeed.
    const { hook, subs, endpointId } = await finishedTasksFor(6, [...Array.from({ length: 8 }, () => ({ status: 503 })), { status: 200 }]);
    const clock = manualClock();
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(6);
    let view = await endpointView(endpointId);
    expect(view.health).toMatchObject({ state: "circuit_open", consecutive_failures: 6, last_failure_reason: "http_503" });
    expect(Date.parse(view.health.next_probe_at) - clock.now()).toBe(60_000);

    // Their retries fall due: parked, not sent, no attempt spent.
    clock.advance(10_000);
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(6);
    expect((await messageStates(endpointId)).every((m) => m.attempts === 1 && m.state === "scheduled")).toBe(true);

    // The first probe, after 60 s: one webhook, failing; the next waits twice as long.
    clock.advance(50_000);
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(7);
    view = await endpointView(endpointId);
    expect(Date.parse(view.health.next_probe_at) - clock.now()).toBe(120_000);
    clock.advance(119_000);
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(7);
    clock.advance(1_000);
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(8);
    expect(Date.parse((await endpointView(endpointId)).health.next_probe_at) - clock.now()).toBe(240_000);

    // The third probe succeeds: the circuit closes; the next tick releases the other five.
    clock.advance(240_000);
    await tick(clock, CIRCUIT);
    expect(await hook.deliveries()).toHaveLength(9);
    expect((await endpointView(endpointId)).health).toMatchObject({ state: "healthy", consecutive_failures: 0, next_probe_at: null });
    await tick(clock, CIRCUIT);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(14);
    // Every webhook arrived in the end, each once with a 2xx: 6 first attempts + 3 probes + 5 released.
    expect((await messageStates(endpointId)).map((m) => m.state)).toEqual(subs.map(() => "delivered"));
    expect(new Set(deliveries.slice(8).map((d) => d.headers["webhook-id"])).size).toBe(6);
    expect(await eventTypes()).toEqual(["endpoint.circuit_opened", "endpoint.recovered"]);
  });

  it("disables an endpoint failing for ENDPOINT_DISABLE_AFTER_HOURS: its webhooks end failed, registrations answer 409 until it is enabled", async () => {
    const { hook, subs, endpointId } = await finishedTasksFor(
      3,
      Array.from({ length: 100 }, () => ({ status: 500 })),
    );
    const settings = { ...CIRCUIT, ENDPOINT_DISABLE_AFTER_HOURS: "1" };
    const clock = manualClock();
    await tick(clock, settings);
    for (let i = 0; i < 8; i++) {
      clock.advance(600_000);
      await tick(clock, settings);
    }
    // Probes at most every 4 minutes over 80 minutes: a handful, not every webhook's schedule.
    const attempts = (await hook.deliveries()).length;
    expect(attempts).toBeLessThanOrEqual(3 + 8);
    const view = await endpointView(endpointId);
    expect(view.health.state).toBe("disabled");
    expect((await messageStates(endpointId)).map((m) => [m.state, m.last_error])).toEqual(subs.map(() => ["failed", "endpoint_disabled"]));
    for (const sub of subs) {
      expect(await (await api(`/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
        status: "failed",
        status_reason: "endpoint_disabled",
      });
    }
    expect(await eventTypes()).toEqual(["endpoint.circuit_opened", "endpoint.disabled"]);

    const task = await upstreamTask([{ status: "succeed" }]);
    const refused = await register({ task_id: task.id, callback_url: hook.url });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "endpoint_disabled" });
    expect(refused.body.error.message).toContain(`POST /v1/endpoints/${endpointId}/enable`);

    const enabled = await postJson(`/v1/endpoints/${endpointId}/enable`, {});
    expect(enabled.status).toBe(200);
    expect(((await enabled.json()) as any).health).toMatchObject({ state: "healthy", disabled_at: null });
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
  });

  it("counts toward ENDPOINT_DISABLE_AFTER_HOURS only while a webhook waits: after a quiet time, the next webhook is probed, not the endpoint disabled", async () => {
    const { hook, subs, endpointId } = await finishedTasksFor(3, [...Array.from({ length: 3 }, () => ({ status: 503 })), { status: 200 }]);
    const settings = { ...CIRCUIT, ENDPOINT_DISABLE_AFTER_HOURS: "1" };
    const clock = manualClock();
    await tick(clock, settings);
    expect((await endpointView(endpointId)).health).toMatchObject({ state: "circuit_open", consecutive_failures: 3 });
    // Nothing waits for it any more: its subscriptions are cancelled with their webhooks.
    for (const sub of subs) expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);

    // Its probe times pass with nothing to probe, then two hours (past ENDPOINT_DISABLE_AFTER_HOURS).
    for (let i = 0; i < 4; i++) {
      clock.advance(60_000);
      await tick(clock, settings);
    }
    clock.advance(2 * 3_600_000);
    await tick(clock, settings);
    expect((await endpointView(endpointId)).health.state).toBe("circuit_open");

    // A new webhook waits behind the circuit, is not failed with the endpoint, and is the next probe.
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    await tick(clock, settings);
    expect((await endpointView(endpointId)).health.state).toBe("circuit_open");
    clock.advance(240_000);
    await tick(clock, settings);
    expect(await hook.deliveries()).toHaveLength(4);
    expect((await endpointView(endpointId)).health).toMatchObject({ state: "healthy", consecutive_failures: 0 });
    expect(await eventTypes()).toEqual(["endpoint.circuit_opened", "endpoint.recovered"]);
  });

  it("is disabled and enabled by hand only by its own tenant: another tenant's id answers as a missing one and changes nothing, and its endpoint for the same URL goes on", async () => {
    const { hook, subs, endpointId } = await finishedTasksFor(1, []);
    const other = await tenantWithKey("ten_other", "other", { trusted: true });
    const before = await env.DB.prepare("SELECT * FROM endpoints WHERE id = ?").bind(endpointId).first();
    for (const action of ["disable", "enable"]) {
      const missing = await postJson(`/v1/endpoints/ep_missing/${action}`, {}, other.key);
      const foreign = await postJson(`/v1/endpoints/${endpointId}/${action}`, {}, other.key);
      expect(foreign.status).toBe(404);
      expect(((await foreign.json()) as any).error.code).toBe(((await missing.json()) as any).error.code);
    }
    expect(await env.DB.prepare("SELECT * FROM endpoints WHERE id = ?").bind(endpointId).first()).toEqual(before);

    const disabled = await postJson(`/v1/endpoints/${endpointId}/disable`, {});
    expect(((await disabled.json()) as any).health.state).toBe("disabled");
    // The other tenant's endpoint for the same URL is its own: not disabled, not held.
    const task = await upstreamTask([{ status: "succeed" }]);
    const theirs = await postJson(
      "/v1/tasks",
      { action: "videos", action2: "text2video", task_id: task.id, callback_url: hook.url },
      other.key,
    );
    expect(theirs.status).toBe(201);
    const theirEndpoint = ((await theirs.json()) as any).endpoint_id;
    expect(theirEndpoint).not.toBe(endpointId);

    // The next tick fails its subscription before its task's news makes a webhook: nothing is sent
    // for it; the other tenant's webhook to the same URL goes.
    await tick(manualClock());
    expect(await (await api(`/v1/subscriptions/${subs[0]!.id}`)).json()).toMatchObject({
      status: "failed",
      status_reason: "endpoint_disabled",
    });
    expect(await hook.deliveries()).toHaveLength(1);
    expect((await endpointView(theirEndpoint, other.key)).health.state).toBe("healthy");
  });

  it("under the real clock: probes wait their interval, and the endpoint's return closes the circuit and delivers everything", async () => {
    const deadline = Date.now() + 20_000;
    const { hook, endpointId } = await finishedTasksFor(4, [...Array.from({ length: 5 }, () => ({ status: 503 })), { status: 200 }]);
    const settings = { ENDPOINT_CIRCUIT_FAILURES: "2", ENDPOINT_PROBE_MIN_SECONDS: "1", ENDPOINT_PROBE_MAX_SECONDS: "2" };
    // Real time, one pass per tick (no sleep: the test paces the ticks, as cron would).
    const realTime: Clock = { now: () => Date.now(), random: () => 0.5 };
    const delivered = async () => (await messageStates(endpointId)).filter((m) => m.state === "delivered").length;
    while ((await delivered()) < 4) {
      if (Date.now() > deadline) throw new Error(`not delivered by the deadline: ${JSON.stringify(await messageStates(endpointId))}`);
      await tick(realTime, settings);
      await new Promise((r) => setTimeout(r, 200));
    }
    const times = (await hook.deliveries()).map((d) => d.receivedAt);
    // 4 first attempts fail (the circuit opens), then one probe fails, the next succeeds, 3 released.
    expect(times).toHaveLength(4 + 2 + 3);
    expect(times[4]! - times[3]!).toBeGreaterThanOrEqual(1_000);
    expect(times[5]! - times[4]!).toBeGreaterThanOrEqual(2_000);
  }, 30_000);
});

import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { verifyWebhook } from "../packages/client/src/verify-webhook";
import { openDb, runBatch } from "../src/storage/db";
import { endpointEventData, recordOperationEvents } from "../src/storage/operation-events";
import { runTick } from "../src/tick/run-tick";
import { logIn, page } from "./support/dashboard";
import { faultyD1 } from "./support/faulty-d1";
import {
  API_KEY,
  api,
  manualClock,
  receiver,
  register,
  relayRequest,
  resetDb,
  subscriptionView,
  tenantWithKey,
  tick,
  upstreamTask,
} from "./support/relay";

const putOps = (url: string, key = API_KEY) =>
  api("/v1/operations-endpoint", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ url }) }, key);
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });

const events = (tenant = "default") =>
  env.DB.prepare(
    "SELECT event_type, occurrence, data, state, endpoint_id, attempts, next_attempt_at FROM operation_events WHERE tenant_id = ?",
  )
    .bind(tenant)
    .all<Record<string, any>>()
    .then((r) => r.results);

/** A finished task of the default tenant whose one subscription's receiver answers 410: it fails at the first attempt. */
async function failingSubscription() {
  const task = await upstreamTask([{ status: "succeed", result: { videos: [{ id: "v", url: "https://cdn.example/v.mp4" }] } }]);
  const hook = await receiver([{ status: 410 }]);
  const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
  return { task, hook, sub };
}

describe("the operations endpoint", () => {
  beforeEach(resetDb);

  it("is set, read and removed for the caller's tenant only", async () => {
    const other = await tenantWithKey("ten_ops_other", "other");
    const hook = await receiver();
    const set = await json(await putOps(hook.url));
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ url: hook.url, signing: ["v1"], endpoint_id: expect.stringMatching(/^ep_/) });
    expect(set.body.secret).toMatch(/^whsec_/);
    // The secret is the endpoint's: the same one its secret route shows.
    const secret = await json(await api(`/v1/endpoints/${set.body.endpoint_id}/secret`));
    expect(secret.body.key).toBe(set.body.secret);

    const read = await json(await api("/v1/operations-endpoint"));
    expect(read).toMatchObject({ status: 200, body: { endpoint_id: set.body.endpoint_id, url: hook.url, secret: null } });
    // Setting it again to the same URL keeps the endpoint and shows no secret.
    expect(await json(await putOps(hook.url))).toMatchObject({ status: 200, body: { endpoint_id: set.body.endpoint_id, secret: null } });

    // The other tenant has none, and cannot see or remove this one.
    expect((await api("/v1/operations-endpoint", {}, other.key)).status).toBe(404);
    expect((await api("/v1/operations-endpoint", { method: "DELETE" }, other.key)).status).toBe(404);
    expect((await api(`/v1/endpoints/${set.body.endpoint_id}`, {}, other.key)).status).toBe(404);
    expect((await api("/v1/operations-endpoint")).status).toBe(200);

    expect((await api("/v1/operations-endpoint", { method: "DELETE" })).status).toBe(204);
    expect((await api("/v1/operations-endpoint")).status).toBe(404);
    expect((await api("/v1/operations-endpoint", { method: "DELETE" })).status).toBe(404);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE tenant_id = 'default' ORDER BY rowid").all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual([
      "operations_endpoint.set",
      "endpoint.secret_read",
      "operations_endpoint.set",
      "operations_endpoint.delete",
    ]);
  });

  it("is the tenant's endpoint of that URL when callbacks already go there", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "processing" }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
    const set = await json(await putOps(hook.url));
    expect(set).toMatchObject({ status: 200, body: { endpoint_id: sub.endpoint_id, secret: null } });
  });

  it("refuses what a callback URL may not be, as a callback URL is refused", async () => {
    for (const url of [
      "ftp://example.com/x",
      "not a url",
      "https://169.254.169.254/latest",
      "https://10.0.0.1/x",
      "https://metadata.google.internal/x",
    ]) {
      const res = await json(await putOps(url));
      expect(res.status, url).toBe(400);
      expect(res.body.error.details[0].field).toBe("url");
    }
    expect((await json(await api("/v1/operations-endpoint", { method: "PUT", body: "{}" }))).status).toBe(415);
    // ALLOW_INSECURE_CALLBACKS (set for these tests) lets a loopback URL through, as for a registration; without it, no.
    const put = (overrides: Partial<typeof env>) =>
      relayRequest(
        "/v1/operations-endpoint",
        {
          method: "PUT",
          headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ url: "https://localhost/hook" }),
        },
        overrides,
      );
    expect((await put({ ALLOW_INSECURE_CALLBACKS: "false" })).status).toBe(400);
    expect((await put({})).status).toBe(201);
  });
});

describe("operational events", () => {
  beforeEach(resetDb);

  it("sends subscription.failed, signed with the operations endpoint's secret, once, to its tenant only", async () => {
    const other = await tenantWithKey("ten_ops_other", "other");
    const otherOps = await receiver();
    expect((await putOps(otherOps.url, other.key)).status).toBe(201);
    const ops = await receiver();
    const { secret } = (await json(await putOps(ops.url))).body;
    const { task, sub } = await failingSubscription();
    const clock = manualClock();

    await tick(clock);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "failed", status_reason: "gone" });
    const [recorded] = await events();
    expect(recorded).toMatchObject({ event_type: "subscription.failed", state: "scheduled", attempts: 0 });
    // Sent by the next tick (the one that records it only sees it at its start).
    await tick(clock);
    const [delivery, ...more] = await ops.deliveries();
    expect(more).toEqual([]);
    const event = await verifyWebhook<Record<string, any>>(delivery!.body, delivery!.headers, secret);
    expect(event).toEqual({
      type: "subscription.failed",
      timestamp: new Date(clock.now()).toISOString(),
      data: {
        subscription_id: sub.id,
        task_id: task.id,
        provider: "cometapi",
        endpoint_id: sub.endpoint_id,
        callback_url: sub.callback_url,
        reason: "gone",
        last_error: "receiver answered 410 Gone",
        metadata: null,
      },
    });
    expect(delivery!.headers["webhook-id"]).toMatch(/^evt_/);
    expect(await events()).toMatchObject([{ state: "delivered", attempts: 1, next_attempt_at: null }]);

    await tick(clock);
    expect(await ops.deliveries()).toHaveLength(1);
    // Nothing of it reached, or was recorded for, the other tenant.
    expect(await otherOps.deliveries()).toEqual([]);
    expect(await events(other.id)).toEqual([]);
  });

  it("sends an event once when D1 fails the record of its attempt, whichever round trip of its tick fails", async () => {
    const setUp = async () => {
      const ops = await receiver();
      expect((await putOps(ops.url)).status).toBe(201);
      await failingSubscription();
      const clock = manualClock();
      await tick(clock);
      expect(await events()).toMatchObject([{ state: "scheduled" }]);
      return { ops, clock };
    };
    await setUp();
    const clean = faultyD1(env.DB, { rate: 0, kinds: ["before"] });
    await runTick({ ...env, DB: clean.db }, manualClock());
    for (let n = 0; n < clean.log.roundTrips; n++) {
      await resetDb();
      const { ops, clock } = await setUp();
      const faults = faultyD1(env.DB, { rate: 0, kinds: ["before"], at: [n] });
      await runTick({ ...env, DB: faults.db }, clock).catch(() => undefined);
      // Later ticks, each a minute on: past the lease the failed tick held.
      for (let i = 0; i < 3; i++) {
        clock.advance(60_000);
        await tick(clock);
      }
      expect(await ops.deliveries(), `round trip ${n}`).toHaveLength(1);
      expect(await events(), `round trip ${n}`).toMatchObject([{ state: "delivered", attempts: 1 }]);
    }
  });

  it("retries an event on the webhook schedule and records it unsent without an operations endpoint", async () => {
    const ops = await receiver([{ status: 500 }, { status: 200 }]);
    await putOps(ops.url);
    await failingSubscription();
    const clock = manualClock();
    await tick(clock);
    await tick(clock);
    expect(await events()).toMatchObject([{ state: "scheduled", attempts: 1 }]);
    expect((await events())[0]!.next_attempt_at - clock.now()).toBe(5_000);
    clock.advance(5_000);
    await tick(clock);
    expect(await events()).toMatchObject([{ state: "delivered", attempts: 2 }]);
    const deliveries = await ops.deliveries();
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]!.body).toBe(deliveries[0]!.body);
    expect(deliveries[1]!.headers["webhook-id"]).toBe(deliveries[0]!.headers["webhook-id"]);

    // Without an operations endpoint: recorded `unsent`, for the dashboard only.
    expect((await api("/v1/operations-endpoint", { method: "DELETE" })).status).toBe(204);
    await failingSubscription();
    await tick(clock);
    expect((await events()).map((e) => e.state).sort()).toEqual(["delivered", "unsent"]);
  });

  it("records task.expired for the task's tenant", async () => {
    const ops = await receiver();
    const { secret } = (await json(await putOps(ops.url))).body;
    const hook = await receiver();
    const taskId = `never-created-${Date.now()}`;
    await register({ task_id: taskId, callback_url: hook.url });
    const clock = manualClock();
    for (let i = 0; i < 4; i++) {
      await tick(clock);
      clock.advance(61_000);
    }
    const [delivery, ...more] = await ops.deliveries();
    expect(more).toEqual([]);
    const event = await verifyWebhook<Record<string, any>>(delivery!.body, delivery!.headers, secret);
    expect(event).toMatchObject({ type: "task.expired", data: { task_id: taskId, provider: "cometapi", reason: "not_found" } });
    expect(await events()).toMatchObject([{ event_type: "task.expired", state: "delivered" }]);
  });

  it("is dropped after AUDIT_RETENTION_DAYS", async () => {
    await failingSubscription();
    const clock = manualClock();
    await tick(clock);
    expect(await events()).toHaveLength(1);
    clock.advance(91 * 86_400_000);
    const report = await tick(clock, { AUDIT_RETENTION_DAYS: "90" });
    expect(report.operationEventsPurged).toBe(1);
    expect(await events()).toEqual([]);
  });
});

describe("operational notices on the dashboard", () => {
  beforeEach(resetDb);

  it("shows a tenant its own events only, newest first", async () => {
    const other = await tenantWithKey("ten_ops_other", "other");
    await failingSubscription();
    await tick(manualClock());
    const ours = await (await page("/", {}, await logIn())).text();
    expect(ours).toContain('id="overview-notices"');
    expect(ours).toMatch(/subscription\.failed[\s\S]*failed: gone\.[\s\S]*not sent \(no operations endpoint\)/);
    const theirs = await (await page("/", {}, await logIn(other.key))).text();
    expect(theirs).toContain('id="overview-notices"');
    expect(theirs).not.toContain("subscription.failed");
  });
});

describe("endpointEventData", () => {
  beforeEach(resetDb);

  it("records an endpoint event's data from its row, once per occurrence, for the endpoint's tenant", async () => {
    const hook = await receiver();
    await register({ task_id: (await upstreamTask([{ status: "processing" }])).id, callback_url: hook.url });
    await env.DB.prepare(
      "UPDATE endpoints SET consecutive_failures = 7, failing_since = 0, last_failure_reason = 'http_500', circuit_opened_at = 1000",
    ).run();
    const db = openDb(env.DB);
    const record = () =>
      runBatch(db, [
        recordOperationEvents(
          db,
          "endpoint.circuit_opened",
          sql`SELECT e.tenant_id, e.id || ':' || e.circuit_opened_at AS occurrence, ${endpointEventData("e")} AS data FROM endpoints e`,
          5,
        ),
      ]);
    await record();
    await record();
    const rows = await events();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.data)).toEqual({
      endpoint_id: expect.stringMatching(/^ep_/),
      url: hook.url,
      consecutive_failures: 7,
      failing_since: "1970-01-01T00:00:00.000Z",
      last_failure_reason: "http_500",
      circuit_opened_at: "1970-01-01T00:00:01.000Z",
      disabled_at: null,
    });
    expect(rows[0]).toMatchObject({ state: "unsent", occurrence: expect.stringMatching(/^endpoint\.circuit_opened:ep_\w+:1000$/) });
  });
});

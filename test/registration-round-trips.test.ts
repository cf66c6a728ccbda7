/**
 * How many D1 round trips a registration makes, counted through the metered D1 (not timed): each
 * costs the Worker about 0.3 ms of CPU in the D1 binding's client (docs/performance.md, table 11),
 * so a registration makes three: the key's check, admission (the tenant's limits with the
 * registration's facts), and the write batch that reads its answer back.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { API_KEY, receiver, relayRequest, resetDb, tenantWithKey, unique } from "./support/relay";

/** One request with the Worker's D1 metered: its answer and its round trips. */
async function metered(path: string, body: unknown, key = API_KEY) {
  const usage = emptyUsage();
  const res = await relayRequest(
    path,
    { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) },
    { DB: meteredD1(env.DB, usage) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, any>, roundTrips: usage.queries };
}

const registration = (taskId: string, callbackUrl: string) => ({
  task_id: taskId,
  action: "videos",
  action2: "text2video",
  callback_url: callbackUrl,
});

describe("a registration's D1 round trips", () => {
  beforeEach(resetDb);

  it("are three for a new subscription, and for the same one registered again", async () => {
    const { url } = await receiver();
    const first = await metered("/v1/tasks", registration(unique("t"), url));
    expect(first).toMatchObject({ status: 201, roundTrips: 3 });
    const again = await metered("/v1/tasks", { ...registration(first.body.task_id, url), metadata: { n: 1 } });
    expect(again).toMatchObject({ status: 200, roundTrips: 3, body: { id: first.body.id, metadata: { n: 1 } } });
  });

  it("are three with a tenant's own key, and for a batch", async () => {
    const tenant = await tenantWithKey(unique("rt"), "Round trips");
    const { url } = await receiver();
    expect(await metered("/v1/tasks", registration(unique("t"), url), tenant.key)).toMatchObject({ status: 201, roundTrips: 3 });
    const batch = await metered("/v1/tasks/batch", { tasks: [registration(unique("t"), url), registration(unique("t"), url)] }, tenant.key);
    expect(batch).toMatchObject({ status: 200, roundTrips: 3 });
    expect(batch.body.results.map((r: { status: number }) => r.status)).toEqual([201, 201]);
  });

  it("counts to the cap capsOf reads where SQL reads the stored caps otherwise, in one more round trip", async () => {
    // Refused at admission, nothing written: the key's check, admission, and here the count again.
    // 102.0: JSON.parse reads a whole number (the cap), SQL's json_type a real (the default, 100).
    const tenant = await tenantWithKey(unique("rt"), "Odd caps");
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(`UPDATE tenants SET caps = '{"endpoints": 102.0}' WHERE id = ?`).bind(tenant.id),
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 102)
        INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at)
        SELECT 'ep_odd_' || i, ?1, 'https://odd.example.com/' || i, 'whsec_x', ?2, ?2 FROM n`,
      ).bind(tenant.id, now),
    ]);
    const refused = await metered("/v1/tasks", registration(unique("t"), "https://odd.example.com/new"), tenant.key);
    expect(refused).toMatchObject({ status: 409, roundTrips: 3, body: { error: { code: "endpoint_limit_reached" } } });
  });
});

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { newLeaseToken } from "../src/domain/ids";
import { systemClock } from "../src/lib/clock";
import { openDb } from "../src/storage/db";
import { deliveryPhase } from "../src/tick/delivery-phase";
import { emptyTickReport, type TickReport } from "../src/tick/tick-context";
import { durablePacer } from "../src/work/pace-send";
import { WorkBudget } from "../src/work/work-budget";
import { api, manualClock, pollOnly, receiver, resetDb, tick, upstreamTask } from "./support/relay";
import { asJson, newTenant } from "./support/tenants";

const patch = (key: string, id: string, body: unknown) =>
  api(`/v1/endpoints/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, key).then(
    asJson,
  );

/** `count` finished tasks whose webhooks all go to one new receiver, messages created (not sent): its endpoint, limited to `rate`. */
async function backlog(count: number, rate: number | null) {
  const tenant = await newTenant();
  const hook = await receiver();
  const tasks = await Promise.all(Array.from({ length: count }, () => upstreamTask([{ status: "succeed" }])));
  const subs = await Promise.all(
    tasks.map((t) =>
      api(
        "/v1/tasks",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ action: "videos", action2: "text2video", task_id: t.id, callback_url: hook.url }),
        },
        tenant.key,
      ).then(asJson),
    ),
  );
  const endpointId = subs[0]!.body.endpoint_id as string;
  if (rate !== null) expect((await patch(tenant.key, endpointId, { rate_limit_per_second: rate })).status).toBe(200);
  while ((await pollOnly()) > 0);
  const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM messages").first<{ n: number }>())!;
  expect(n).toBe(count);
  return { tenant, hook, endpointId };
}

/**
 * One tick's delivery phase on the real clock, with the pacer wired as src/index.ts wires it. A
 * deadline far enough off for several waves of request timeouts: the phase claims only what could
 * finish by it (WorkBudget.claimable).
 */
function deliveryRun(subrequests: number): { run: Promise<number>; report: TickReport } {
  const report = emptyTickReport();
  const run = deliveryPhase({
    db: openDb(env.DB),
    config: loadConfig(env),
    clock: systemClock,
    budget: new WorkBudget(subrequests, Date.now() + 120_000),
    report,
    leaseToken: newLeaseToken(),
    claims: { made: 0 },
    pacer: durablePacer(env.ENDPOINT_PACER),
  });
  return { run, report };
}

/**
 * When the relay sent each webhook (its attempt's time: taken after the pacer's wait, just before
 * the POST). The pacing is measured there, where the relay decides it: the loopback receiver's
 * arrival times also carry the test process's own stalls (a cold clone's first transforms bunch
 * requests that were sent apart), which no sender can prevent.
 */
async function sendTimes(): Promise<number[]> {
  return (
    await env.DB.prepare("SELECT attempted_at FROM message_attempts ORDER BY attempted_at").all<{ attempted_at: number }>()
  ).results.map((r) => r.attempted_at);
}

/** The most sends in any closed 1-second window. */
const busiestSecond = (times: number[]) => Math.max(...times.map((start) => times.filter((t) => t >= start && t <= start + 1_000).length));

async function attemptsPerMessage() {
  return (await env.DB.prepare("SELECT attempts, status, (SELECT count(*) FROM message_attempts) AS logged FROM messages").all()).results;
}

describe("an endpoint's rate limit", () => {
  beforeEach(resetDb);

  it("is set, shown and lifted with PATCH /v1/endpoints/{id}, 1-1000 or null, for the tenant's own endpoints only", async () => {
    const { tenant, endpointId } = await backlog(1, null);
    const other = await newTenant();
    const get = async () => (await asJson(await api(`/v1/endpoints/${endpointId}`, {}, tenant.key))).body;
    expect((await get()).rate_limit_per_second).toBeNull();
    expect((await patch(tenant.key, endpointId, { rate_limit_per_second: 25 })).body).toMatchObject({
      rate_limit_per_second: 25,
      signing: ["v1"],
    });
    expect((await get()).rate_limit_per_second).toBe(25);
    for (const bad of [0, 1001, 2.5, "10", -1])
      expect((await patch(tenant.key, endpointId, { rate_limit_per_second: bad })).status, String(bad)).toBe(400);
    expect((await patch(tenant.key, endpointId, {})).status).toBe(400);
    // Another tenant's endpoint answers as a missing one would, and stays as it was.
    const theirs = await patch(other.key, endpointId, { rate_limit_per_second: 1 });
    const missing = await patch(other.key, "ep_000000000000000000000000", { rate_limit_per_second: 1 });
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body).replace(/ep_\w+/g, "ID")).toBe(JSON.stringify(missing.body).replace(/ep_\w+/g, "ID"));
    expect((await get()).rate_limit_per_second).toBe(25);
    // Both changes in one request; null lifts the limit.
    expect((await patch(tenant.key, endpointId, { signing: ["v1", "v1a"], rate_limit_per_second: null })).body).toMatchObject({
      signing: ["v1", "v1a"],
      rate_limit_per_second: null,
    });
    const audit = await env.DB.prepare("SELECT action, detail FROM audit_log WHERE target = ? ORDER BY id").bind(endpointId).all();
    expect(audit.results.map((r) => r.action)).toEqual([
      "endpoint.rate_limit_update",
      "endpoint.signing_update",
      "endpoint.rate_limit_update",
    ]);
  });

  it("spreads a burst over time on the real clock: 20 webhooks at 10/s over about 2 s, none dropped, no attempt spent waiting", async () => {
    const { hook } = await backlog(20, 10);
    const started = Date.now();
    const { run, report } = deliveryRun(100);
    await Promise.race([run, new Promise((_, reject) => setTimeout(() => reject(new Error("not delivered within 15 s")), 15_000))]);
    expect(report.delivered).toBe(20);
    expect(await hook.deliveries()).toHaveLength(20);
    const sent = await sendTimes();
    expect(sent).toHaveLength(20);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(11);
    // 19 intervals of 100 ms: the last goes no sooner than 1.9 s after the first (less a little jitter).
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(1_800);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const row of await attemptsPerMessage()) expect(row).toMatchObject({ attempts: 1, status: "delivered", logged: 20 });
  }, 30_000);

  it("holds across invocations: two delivery runs at once share the limit, and what waits too long is put off, not failed", async () => {
    const { hook } = await backlog(16, 5);
    const deadline = Date.now() + 20_000;
    let deferred = 0;
    let delivered = 0;
    // Each run claims 8 of the 16: 12 lanes ask one pacer; slots more than 1.5 s off are put
    // off (due later, no attempt), and later runs send them.
    while (delivered < 16) {
      expect(Date.now(), "all delivered within 20 s").toBeLessThan(deadline);
      const runs = [deliveryRun(8), deliveryRun(8)];
      await Promise.all(runs.map((r) => r.run));
      for (const { report } of runs) {
        deferred += report.deferred ?? 0;
        delivered += report.delivered;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await hook.deliveries()).toHaveLength(16);
    const sent = await sendTimes();
    expect(sent).toHaveLength(16);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(6);
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(2_800);
    expect(deferred).toBeGreaterThan(0);
    for (const row of await attemptsPerMessage()) expect(row).toMatchObject({ attempts: 1, status: "delivered", logged: 16 });
    // Its own deadline above is the bound: about 4 s, more on a loaded machine.
  }, 30_000);

  it("is not enforced without the ENDPOINT_PACER binding: the tick sends as before", async () => {
    const { hook } = await backlog(5, 1);
    const report = await tick(manualClock(), { ENDPOINT_PACER: undefined });
    expect(report.delivered).toBe(5);
    expect(await hook.deliveries()).toHaveLength(5);
  });
});

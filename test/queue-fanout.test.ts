/**
 * The fan-out path end to end, locally: the tick claims due work and sends it to real (miniflare)
 * queues, miniflare hands the batches to the Worker's own `queue` handler, which polls the Kling
 * simulator and delivers to the loopback receivers. Runs in the queues pool
 * (test/harness/vitest.queues.config.ts); the default pool has no queues and skips it.
 */

import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queuedLeaseMs } from "../src/work/leases";
import { drained, onePass } from "./support/queues";
import { api, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";

describe.skipIf(!env.POLL_QUEUE)("fan-out through Cloudflare Queues", () => {
  beforeEach(resetDb);
  afterEach(() => drained());

  it("has the tick only claim and enqueue, while queue consumers poll and deliver each webhook once", async () => {
    const [app, audit] = [await receiver(), await receiver()];
    const tasks = [];
    for (let i = 0; i < 25; i++) {
      const task = await upstreamTask([{ status: "succeed", result: { images: [{ index: 0, url: `https://cdn.example/${i}.png` }] } }], {
        action: "images",
        action2: "generations",
      });
      await register({ task_id: task.id, action: "images", action2: "generations", callback_url: app.url });
      if (i < 5) await register({ task_id: task.id, action: "images", action2: "generations", callback_url: audit.url });
      tasks.push(task);
    }

    const started = Date.now();
    const dispatched = await tick(onePass);
    // No upstream request and no webhook in the tick itself: 25 ids in 3 messages, one lease.
    expect(dispatched).toMatchObject({
      claimed: 0,
      polled: 0,
      delivered: 0,
      subrequestsLeft: 45,
      queued: { polls: 25, deliveries: 0, sendErrors: 0 },
    });
    const leased = await env.DB.prepare(
      "SELECT min(next_poll_at) AS soonest, count(DISTINCT lease_token) AS tokens FROM tasks WHERE lease_token IS NOT NULL",
    ).first<{ soonest: number | null; tokens: number }>();
    // Unless a consumer was quicker than this read, the lease covers the queue and the consumer.
    if (leased!.soonest !== null) {
      expect(leased!.tokens).toBe(1);
      expect(leased!.soonest).toBeGreaterThanOrEqual(started + queuedLeaseMs(15_000));
    }
    await drained();
    expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 1));

    const delivering = await tick(onePass);
    expect(delivering).toMatchObject({ polled: 0, delivered: 0, queued: { polls: 0, deliveries: 30, sendErrors: 0 } });
    await drained();
    const [toApp, toAudit] = [await app.deliveries(), await audit.deliveries()];
    expect(toApp).toHaveLength(25);
    expect(toAudit).toHaveLength(5);
    for (const d of [...toApp, ...toAudit]) expect(new Webhook(SECRET).verify(d.body, d.headers)).toMatchObject({ type: "task.succeeded" });
    expect(new Set([...toApp, ...toAudit].map((d) => d.headers["webhook-id"])).size).toBe(30);
    const open = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE status <> 'delivered'").first<{ n: number }>();
    expect(open!.n).toBe(0);
  });

  it("paces a burst through the consumers: put-off webhooks come back through the queue at their slot, with no tick", async () => {
    const hook = await receiver();
    // Miniflare runs one consumer batch at a time: its 6 lanes ask for slots together, and at 3/s
    // the sixth is 1.7 s off, past the 1.5 s a lane may wait, so some are put off every round.
    const BURST = 15;
    const RATE = 3;
    let endpointId = "";
    for (let i = 0; i < BURST; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      endpointId = (await register({ task_id: task.id, callback_url: hook.url })).body.endpoint_id;
    }
    const limited = await api(`/v1/endpoints/${endpointId}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rate_limit_per_second: RATE }),
    });
    expect(limited.status).toBe(200);
    await tick(onePass);
    await drained();
    expect(await tick(onePass)).toMatchObject({ delivered: 0, queued: { deliveries: BURST } });
    // From here on no tick runs: what the pacer puts off must come back through the queue by itself.
    const deadline = Date.now() + 30_000;
    while ((await hook.deliveries()).length < BURST) {
      expect(Date.now(), `all ${BURST} delivered within 30 s without a tick`).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await drained();
    const sent = (
      await env.DB.prepare("SELECT attempted_at FROM message_attempts ORDER BY attempted_at").all<{ attempted_at: number }>()
    ).results.map((r) => r.attempted_at);
    expect(sent).toHaveLength(BURST);
    // At most RATE + 1 sends in any closed second, and the burst spread over (BURST - 1) / RATE seconds.
    expect(Math.max(...sent.map((start) => sent.filter((t) => t >= start && t <= start + 1_000).length))).toBeLessThanOrEqual(RATE + 1);
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(((BURST - 1) * 1_000) / RATE - 100);
    const messages = await env.DB.prepare("SELECT status, attempts, count(*) AS n FROM messages GROUP BY status, attempts").all();
    expect(messages.results).toEqual([{ status: "delivered", attempts: 1, n: BURST }]);
    expect(new Set((await hook.deliveries()).map((d) => d.headers["webhook-id"])).size).toBe(BURST);
  });

  it("keeps working as before without queues: the same tick does the work itself", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    const report = await tick(onePass, { POLL_QUEUE: undefined, DELIVERY_QUEUE: undefined });
    expect(report).toMatchObject({ claimed: 1, polled: 1, delivered: 1 });
    expect(report).not.toHaveProperty("queued");
  });

  it("can queue one kind only: polls in the tick, webhooks through the delivery queue", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: hook.url });
    const report = await tick(onePass, { POLL_QUEUE: undefined });
    // The tick polled, then handed the webhook its poll produced straight to the delivery queue.
    expect(report).toMatchObject({ polled: 1, delivered: 0, queued: { polls: 0, deliveries: 1 } });
    await drained();
    expect(await hook.deliveries()).toHaveLength(1);
  });
});

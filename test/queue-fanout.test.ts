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
import { receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

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

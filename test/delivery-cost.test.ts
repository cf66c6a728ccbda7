/**
 * What recording a round of deliveries costs in D1's rows read, counted, not timed: the statements
 * that end a subscription for good (and cancel its other webhooks, and announce it) run only for a
 * round in which a webhook failed for good; a round that only delivered or scheduled retries skips
 * them.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { newLeaseToken } from "../src/domain/ids";
import { claimDueMessages } from "../src/storage/claim-messages";
import { openDb } from "../src/storage/db";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { recordDeliveries } from "../src/storage/record-deliveries";
import { resetDb } from "./support/relay";

const N = 20;
const NOW = 1_000_000;
const circuit = { failures: 5, probeMinMs: 60_000, probeMaxMs: 3_600_000 };

/**
 * N finished tasks, each with one subscription and its `task.succeeded` webhook due, on one
 * endpoint; the webhooks created at `createdAt`.
 */
async function seed(createdAt = 0): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES ('ep_dc', 'default', 'https://example.com/hook', 'whsec_x', 0, 0)",
    ),
    ...Array.from({ length: N }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, finished_at, settled_at, created_at, updated_at)
         VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', 'succeed', 1, NULL, 0, 0)`,
      ).bind(`tsk_dc_${i}`, `dc-${i}`),
    ),
    ...Array.from({ length: N }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
         VALUES (?, 'default', ?, 'ep_dc', 'https://example.com/hook', '["task.succeeded"]', 'active', 0, 0)`,
      ).bind(`sub_dc_${i}`, `tsk_dc_${i}`),
    ),
    ...Array.from({ length: N }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, status, state, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, 'default', 'ep_dc', 'task.succeeded', 'pending', 'scheduled', ?, ?, ?)`,
      ).bind(`msg_dc_${i}`, `sub_dc_${i}`, NOW - N + i, createdAt, createdAt),
    ),
  ]);
}

/** Claims the N seeded webhooks and records each delivered at NOW (a 200 in 3 ms), metered. */
async function deliverAll() {
  const db = openDb(env.DB);
  const leaseToken = newLeaseToken();
  const claimed = await claimDueMessages(db, { now: NOW, limit: N, leaseToken, leaseMs: 60_000 });
  expect(claimed).toHaveLength(N);
  const usage = emptyUsage();
  await recordDeliveries(
    openDb(meteredD1(env.DB, usage)),
    claimed.map((m) => ({
      messageId: m.id,
      subscriptionId: m.subscriptionId,
      taskKey: m.taskKey,
      taskFinished: m.taskFinished,
      firstAttemptKeptUntil: m.firstAttemptKeptUntil,
      endpointId: m.endpointId,
      attemptedAt: NOW,
      update: {
        status: "delivered",
        scheduleStep: 0,
        nextAttemptAt: null,
        statusCode: 200,
        error: null,
        durationMs: 3,
        responseBody: null,
        subscriptionFailure: null,
      },
      health: "ok",
    })),
    leaseToken,
    NOW,
    circuit,
  );
  const delivered = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE status = 'delivered'").first<{ n: number }>();
  expect(delivered?.n).toBe(N);
  return usage;
}

const count = async (query: string) => (await env.DB.prepare(query).first<{ n: number }>())?.n;

describe("recording a round of deliveries", () => {
  beforeEach(resetDb);

  it("that delivered every webhook skips the statements of failures it did not have", async () => {
    await seed();
    const usage = await deliverAll();
    expect(await count("SELECT count(*) AS n FROM delivery_attempts")).toBe(N);
    // Measured 225 for 20 (468 while the failure statements ran in every round, each reading every
    // record; 425 while a finished task's webhook settled its subscription by its task's key, and
    // looked at the task too; 325 while the hour's count checked each lease, and the triggers of
    // migrations 0013-0014 made the messages' update read each row twice).
    expect(usage.rowsRead).toBeLessThanOrEqual(12 * N);
    // Rows written a webhook: its message's (1) and its subscription's, delivered (1; 2 while
    // delivered subscriptions had an index entry), and its attempt logged (3: these were created
    // long before, so none is kept in its message's row); plus the round's hour and endpoint.
    expect(usage.rowsWritten).toBeLessThanOrEqual(5 * N + 3);
  });

  it("of fresh webhooks delivered at their first attempt keeps them in their messages, and reads no attempt log", async () => {
    await seed(NOW - 1_000);
    const usage = await deliverAll();
    expect(await count("SELECT count(*) AS n FROM delivery_attempts")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM messages WHERE first_attempt IS NOT NULL")).toBe(N);
    // No attempt to log: the round skips the log's statement, which read each message to find it
    // kept (2 rows a webhook). Measured 184 for 20 (326 with that statement, the hour's count
    // checking each lease and the triggers of 0013-0014).
    expect(usage.rowsRead).toBeLessThanOrEqual(10 * N);
    // Its message (1) and its subscription (1), plus the round's hour and endpoint.
    expect(usage.rowsWritten).toBeLessThanOrEqual(2 * N + 3);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newLeaseToken } from "../src/domain/ids";
import { claimDueMessageIds } from "../src/storage/claim-messages";
import { claimDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";

const N = 40;

/**
 * What a claim of due messages costs in D1's rows read (what D1 bills), counted, not timed. The
 * claim decides three columns by whether the message's tenant is halted; that lookup reads its
 * subscription's and its tenant's rows, and must be made once per message, not once per column
 * (once per column cost 4 more rows per message when the named state became a third column).
 */
describe("claiming due messages", () => {
  it("looks a message's tenant up once: at most 7 rows read per message", async () => {
    const now = 1_000_000;
    const subs = Array.from({ length: N }, (_, i) => `sub_cost_${i}`);
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES ('ep_cost', 'default', 'https://example.com/hook', 'whsec_x', 0, 0)",
      ),
      ...subs.map((id) =>
        env.DB.prepare(
          `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
           VALUES (?, 'default', 'tsk_cost', 'ep_cost', 'https://example.com/hook/' || ?, '["task.succeeded"]', 'active', 0, 0)`,
        ).bind(id, id),
      ),
      ...subs.map((sub, i) =>
        env.DB.prepare(
          `INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, status, state, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, 'default', 'ep_cost', 'task.succeeded', 'pending', 'scheduled', ?, 0, 0)`,
        ).bind(`msg_cost_${i}`, sub, now - N + i),
      ),
    ]);
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));

    const ids = await claimDueMessageIds(db, { now, limit: N, leaseToken: newLeaseToken(), leaseMs: 60_000 });

    expect(ids).toHaveLength(N);
    expect(usage.queries).toBe(1);
    // Per message: its due-index entry and row, its tenant (once) and its endpoint, looked up among
    // those holding theirs back (`endpoints_holding`, empty here), its index entries rewritten;
    // measured 7 per message (8 reading the endpoint's own row, or while the triggers of
    // migrations 0013-0014 were there).
    expect(usage.rowsRead).toBeLessThanOrEqual(7 * N + 5);
  });

  it("claiming due tasks looks a task's tenant up once: at most 7 rows read per task", async () => {
    const now = 1_000_000;
    await env.DB.batch(
      Array.from({ length: N }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, next_poll_at, created_at, updated_at)
           VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', ?, 0, 0)`,
        ).bind(`tsk_cost_${i}`, `cost-task-${i}`, now - N + i),
      ),
    );
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));

    const tasks = await claimDueTasks(db, {
      now,
      limit: N,
      leaseToken: newLeaseToken(),
      leaseMs: 60_000,
      pollable: { providers: ["cometapi"], newApi: false },
      only: "single",
    });

    expect(tasks).toHaveLength(N);
    expect(usage.queries).toBe(1);
    // Per task: its due-index entry and row, its tenant (once), its index entries rewritten:
    // measured 7 per task plus a constant 1 (281 for 40; 8 per task when the lookup was made twice).
    expect(usage.rowsRead).toBeLessThanOrEqual(7 * N + 5);
  });
});

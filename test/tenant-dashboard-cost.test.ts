/**
 * What a tenant's dashboard reads is its own, not the relay's: a small tenant's pages and counts,
 * refreshed every 5 s, read its own few rows, where they walked the relay's orders past every
 * other tenant's (a tenant of 3 tasks read all 6,000 of another's for its task table, and the
 * whole subscriptions table for its count of delivered ones). A big tenant's walk the relay's
 * orders as before, stopping at the page.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadDashboardCounts } from "../src/storage/dashboard-counts";
import { type Db, openDb } from "../src/storage/db";
import { LISTED_SUBSCRIPTION_STATUSES, listSubscriptions } from "../src/storage/list-subscriptions";
import { listTasks, TASK_STATES } from "../src/storage/list-tasks";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { SMALL_TENANT_TASKS } from "../src/storage/tenant-size";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { resetDb } from "./support/relay";

const SMALL = "ten_small";

/**
 * `count` tasks of `tenant`, `${prefix}0..`, each with one subscription: every `polling`-th still
 * polled (active), the others finished (delivered, or failed every 7th).
 */
async function seed(tenant: string, prefix: string, count: number, polling: number): Promise<void> {
  for (let from = 0; from < count; from += 200) {
    const statements = Array.from({ length: Math.min(200, count - from) }, (_, j) => {
      const i = from + j;
      const live = i % polling === 0;
      const status = live ? "active" : i % 7 === 0 ? "failed" : "delivered";
      return [
        env.DB.prepare(
          `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, settled_at, created_at, updated_at)
           VALUES (?, ?, 'cometapi', ?, 'videos', 'text2video', ?, ?, ?, ?, ?)`,
        ).bind(
          `tsk_${prefix}${i}`,
          tenant,
          `${prefix}${i}`,
          live ? "processing" : "succeed",
          live ? 1_000 + i : null,
          live ? null : 5 + i,
          i,
          i,
        ),
        env.DB.prepare(
          `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
           VALUES (?, ?, ?, 'ep_x', 'https://hooks.example/x', '["task.succeeded"]', ?, ?, ?)`,
        ).bind(`sub_${prefix}${i}`, tenant, `tsk_${prefix}${i}`, status, i, i),
      ];
    });
    await env.DB.batch(statements.flat());
  }
}

/** Rows read by `read`, and what it answered. */
async function measured<T>(read: (db: Db) => Promise<T>): Promise<{ rowsRead: number; answer: T }> {
  const usage = emptyUsage();
  const answer = await read(openDb(meteredD1(env.DB, usage)));
  return { rowsRead: usage.rowsRead, answer };
}

describe("a tenant's dashboard among a bigger tenant's rows", () => {
  beforeEach(async () => {
    await resetDb();
    await env.DB.prepare("INSERT INTO tenants (id, name, created_at, updated_at) VALUES (?, 'small', 0, 0)").bind(SMALL).run();
    await seed("default", "big-", 3_000, 10);
    await seed(SMALL, "small-", 6, 3);
  });

  it("reads its own rows for every task table, subscription table and count, and shows only them", async () => {
    for (const state of TASK_STATES) {
      const { rowsRead, answer } = await measured((db) => listTasks(db, { state, tenant: SMALL, limit: 50 }));
      expect(answer.rows.every((r) => r.tenantId === SMALL)).toBe(true);
      expect(answer.rows.map((r) => r.taskId)).toEqual(
        { all: [5, 4, 3, 2, 1, 0], stopped: [5, 4, 2, 1], polling: [0, 3] }[state].map((i) => `small-${i}`),
      );
      expect(rowsRead, `tasks ${state}`).toBeLessThanOrEqual(30);
    }
    for (const status of LISTED_SUBSCRIPTION_STATUSES) {
      const { rowsRead, answer } = await measured((db) => listSubscriptions(db, { status, tenant: SMALL, limit: 50 }));
      expect(answer.rows.every((r) => r.tenantId === SMALL)).toBe(true);
      expect(answer.rows.map((r) => r.id)).toEqual(
        { active: [3, 0], failed: [], delivered: [5, 4, 2, 1] }[status].map((i) => `sub_small-${i}`),
      );
      expect(rowsRead, `subscriptions ${status}`).toBeLessThanOrEqual(40);
    }
    const { rowsRead, answer } = await measured((db) => loadDashboardCounts(db, SMALL));
    expect(answer).toEqual({
      tasksPolling: 2,
      subscriptionsActive: 2,
      subscriptionsDelivered: 4,
      subscriptionsFailed: 0,
      messagesRetrying: 0,
    });
    expect(rowsRead, "counts").toBeLessThanOrEqual(80);
  });

  it("tells a small tenant from a big one once a request: the overview's counts and tables share the look", async () => {
    for (const tenant of [SMALL, "default"]) {
      const log: Recorded[] = [];
      const db = openDb(recordingD1(env.DB, log));
      await Promise.all([
        loadDashboardCounts(db, tenant),
        listSubscriptions(db, { status: "failed", tenant, limit: 5 }),
        listTasks(db, { state: "polling", tenant, limit: 10 }),
      ]);
      expect(log.filter((s) => s.sql.includes("INDEXED BY tasks_tenant_provider_task WHERE tenant_id = ? LIMIT ?"))).toHaveLength(1);
    }
  });

  it("pages a tenant of more than SMALL_TENANT_TASKS tasks down the relay's orders, a page's rows and the size check", async () => {
    for (const state of TASK_STATES) {
      const { rowsRead, answer } = await measured((db) => listTasks(db, { state, tenant: "default", limit: 50 }));
      expect(answer.rows).toHaveLength(50);
      expect(answer.rows.every((r) => r.tenantId === "default")).toBe(true);
      expect(rowsRead, `tasks ${state}`).toBeLessThanOrEqual(SMALL_TENANT_TASKS + 250);
    }
  });
});

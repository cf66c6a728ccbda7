/** Every statement the dashboard reads with walks an index: no table scan, no sort of a whole table. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../src/domain/tenancy";
import { loadActivitySeries } from "../src/storage/activity-series";
import { loadDashboardCounts } from "../src/storage/dashboard-counts";
import { openDb } from "../src/storage/db";
import { loadEndpointStats } from "../src/storage/endpoint-stats";
import { listDashboardEndpoints } from "../src/storage/list-dashboard-endpoints";
import { LISTED_SUBSCRIPTION_STATUSES, listSubscriptions } from "../src/storage/list-subscriptions";
import { listTasks, TASK_STATES } from "../src/storage/list-tasks";
import { loadTaskView } from "../src/storage/read-models";
import { SMALL_TENANT_TASKS } from "../src/storage/tenant-size";
import { findTenant, listTenants } from "../src/storage/tenants";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { lingeringClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

/**
 * What is wrong with a plan: a table read without an index, or, for a page (LIMIT), every matching
 * row sorted before the limit applies. Sorts inside correlated subqueries handle one task's or one
 * subscription's few rows; the detail view's reads are keyed by one task.
 */
function planProblems(sql: string, plan: PlanRow[]): string[] {
  const paged = /LIMIT \?\s*$/.test(sql);
  // What the statement builds itself (a CTE, a FROM subquery, a view) is scanned as it is made:
  // what it reads is planned in rows of its own, checked here too.
  const built = new Set(
    plan.map(({ detail }) => /^(?:MATERIALIZE|CO-ROUTINE) (\S+)$/.exec(detail)?.[1]).filter((name) => name !== undefined),
  );
  return plan.flatMap(({ parent, detail }) => {
    if (built.has(/^SCAN (\S+)$/.exec(detail)?.[1] ?? "")) return [];
    // The admin's tenant filter lists every tenant (but deleted ones): reading the whole (small) table is the point.
    if (/^SCAN tenants$/.test(detail) && /^select .* from "tenants" (where "tenants"\."deleted_at" is null )?order by/i.test(sql))
      return [];
    // Delivered subscriptions have no index of their own (schema.ts): a page of them walks the
    // table in its own order (rowid, newest first) and stops at the limit, and their count stops
    // at its cap. Only those two shapes, and only delivered ones.
    if (detail === "SCAN s" && (DELIVERED_PAGE.test(sql) || DELIVERED_COUNT.test(sql))) return [];
    if (/^SCAN (?!\(subquery|json_each)\S+$/.test(detail)) return [detail];
    if (/AUTOMATIC/.test(detail)) return [detail];
    // A small tenant's page sorts its own rows: fewer than SMALL_TENANT_TASKS tasks (storage/tenant-size.ts).
    if (paged && parent === 0 && /USE TEMP B-TREE FOR ORDER BY/.test(detail) && !OWN_ROWS.test(sql)) return [detail];
    return [];
  });
}

const OWN_ROWS = /FROM tasks t INDEXED BY tasks_tenant_provider_task\b/;
const DELIVERED_PAGE =
  /^SELECT s\.rowid AS rowid, s\.rowid AS sort_key, [\s\S]* WHERE s\.status = 'delivered' [\s\S]*ORDER BY s\.rowid DESC, s\.rowid DESC\s+LIMIT \?$/;
const DELIVERED_COUNT =
  /\(SELECT count\(\*\) FROM \(SELECT 1 FROM subscriptions s WHERE status = 'delivered'\s+(AND \+s\.tenant_id = \?\s+)?LIMIT \?\)\) AS subscriptions_delivered/;

describe("dashboard query plans", () => {
  beforeEach(resetDb);

  it("reads counts, the chart, every table shape and a task's detail through indexes", async () => {
    const hook = await receiver([{ status: 500 }]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
      ids.push(task.id);
      await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] });
    }
    await tick(lingeringClock(), { DELIVERY_RETRY_SCHEDULE: "1" });

    // A tenant big enough to walk the relay's orders (storage/tenant-size.ts): its tasks, finished.
    await env.DB.batch(
      Array.from({ length: SMALL_TENANT_TASKS }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, settled_at, created_at, updated_at)
           VALUES (?, 'ten_big', 'cometapi', ?, 'videos', 'text2video', 1, 0, 0)`,
        ).bind(`tsk_big${i}`, `big${i}`),
      ),
    );

    const log: Recorded[] = [];
    const db = openDb(recordingD1(env.DB, log));
    const now = Date.now();
    // Every tenant's (the admin's, unfiltered), a small tenant's (its own rows) and a big one's (a
    // tenant's session, or the admin's filter): the tenant term must not take the page off its index.
    const TENANTS = [undefined, "default", "ten_big"];
    for (const tenant of TENANTS) {
      const counts = await loadDashboardCounts(db, tenant);
      expect(counts.subscriptionsFailed + counts.subscriptionsActive + counts.subscriptionsDelivered).toBe(tenant === "ten_big" ? 0 : 3);
    }
    await loadActivitySeries(db, now);
    const cursor = { key: now, rowid: 1_000_000 };
    for (const tenant of TENANTS) {
      for (const state of TASK_STATES) {
        for (const kind of [undefined, { action: "videos", action2: "text2video" }]) {
          await listTasks(db, { state, kind, tenant, limit: 2 });
          await listTasks(db, { state, kind, tenant, limit: 2, after: cursor });
        }
      }
      for (const status of LISTED_SUBSCRIPTION_STATUSES) {
        await listSubscriptions(db, { status, tenant, limit: 2 });
        await listSubscriptions(db, { status, tenant, limit: 2, after: cursor });
      }
    }
    expect((await listTasks(db, { state: "all", tenant: "default", limit: 5 })).rows).toHaveLength(3);
    expect((await listTasks(db, { state: "all", tenant: "ten_nobody", limit: 5 })).rows).toHaveLength(0);
    await loadTaskView(db, DEFAULT_TENANT, "cometapi", ids[0]!);
    await loadTaskView(db, null, "cometapi", ids[0]!);
    // The header's tenant (a tenant's session) and the admin's filter list.
    expect((await findTenant(db, DEFAULT_TENANT))?.id).toBe("default");
    expect((await listTenants(db)).map((t) => t.id)).toEqual(["default"]);
    // The endpoints page: every tenant's or one tenant's, each page's last day of attempts.
    for (const tenant of [undefined, "default"]) {
      const { rows } = await listDashboardEndpoints(db, { tenant, limit: 2 });
      await listDashboardEndpoints(db, { tenant, limit: 2, after: rows[0]!.id });
      const stats = await loadEndpointStats(
        db,
        rows.map((r) => r.id),
        now,
      );
      expect(stats.get(rows[0]!.id)?.attempts).toBeGreaterThanOrEqual(3);
    }

    const statements = new Map(log.map((s) => [s.sql, s]));
    expect(statements.size).toBeGreaterThanOrEqual(48);
    const problems: string[] = [];
    for (const { sql, params } of statements.values()) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<PlanRow>();
      for (const problem of planProblems(sql, plan.results)) problems.push(`${problem}  <=  ${sql.replace(/\s+/g, " ").slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    // The endpoints' day of attempts: its reads of delivery_attempts and of messages (first attempts
    // kept in them) are ranges of one endpoint's entries.
    const [stats] = [...statements.values()].filter((s) => s.sql.includes("row_number() OVER"));
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${stats!.sql}`)
      .bind(...stats!.params)
      .all<PlanRow>();
    expect(
      plan.results
        .filter((r) => /^SEARCH/.test(r.detail))
        .map((r) => r.detail)
        .sort(),
    ).toEqual([
      expect.stringMatching(/^SEARCH a USING (COVERING )?INDEX delivery_attempts_endpoint \(endpoint_id=\? AND attempted_at>\?\)$/),
      expect.stringMatching(/^SEARCH b USING COVERING INDEX delivery_attempts_endpoint \(endpoint_id=\? AND attempted_at>\?\)$/),
      expect.stringMatching(/^SEARCH c USING COVERING INDEX messages_endpoint_created \(endpoint_id=\? AND created_at>\?\)$/),
      expect.stringMatching(/^SEARCH m USING INDEX messages_endpoint_created \(endpoint_id=\? AND created_at>\?\)$/),
    ]);
  });
});

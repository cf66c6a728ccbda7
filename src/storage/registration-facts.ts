import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import type { RegistrationFacts } from "../domain/registration-admission";
import type { TenantCaps } from "../domain/tenant-caps";
import { asJson, type Db, runBatch, statement } from "./db";
import { batchRows, column, int, rowSchema } from "./rows";
import { endpoints as endpointsTable, subscriptions, tasks, upstreamOwners } from "./schema";

/** A registration as admission sees it. */
export interface AdmissionItem {
  provider: Provider;
  taskId: string;
  callbackUrl: string;
}

const taskName = (provider: string, taskId: string) => `${provider}\n${taskId}`;

const OwnerRow = rowSchema({
  provider: column(upstreamOwners.provider),
  task_id: column(upstreamOwners.taskId),
  tenant_id: column(upstreamOwners.tenantId),
});
/** A task of the tenant, with one of its active subscriptions' URLs (null: none, LEFT JOINed). */
const SubscribedRow = rowSchema({
  provider: column(tasks.provider),
  task_id: column(tasks.taskId),
  callback_url: column(subscriptions.callbackUrl, "nullable"),
});

/**
 * What deciding a tenant's registrations needs, in one D1 batch of five reads, each through an
 * index: who created each id on the operator's account, which of the ids the tenant has and their
 * active subscriptions' URLs, which URLs already are its endpoints, and its endpoint and active
 * task counts, each counted no further than its cap (so a count costs at most the cap in rows).
 */
export async function loadRegistrationFacts(
  db: Db,
  tenantId: TenantId,
  caps: TenantCaps,
  items: readonly AdmissionItem[],
): Promise<RegistrationFacts> {
  const names = asJson(items.map((i) => ({ provider: i.provider, task_id: i.taskId })));
  const urls = asJson([...new Set(items.map((i) => i.callbackUrl))]);
  const [owners, subscribed, endpoints, counts] = await runBatch(db, [
    statement(
      db,
      sql`SELECT o.provider, o.task_id, o.tenant_id FROM json_each(${names}) r CROSS JOIN upstream_owners o
        WHERE o.provider = r.value ->> 'provider' AND o.task_id = r.value ->> 'task_id'`,
    ),
    statement(
      db,
      sql`SELECT t.provider, t.task_id, s.callback_url FROM json_each(${names}) r CROSS JOIN tasks t
        LEFT JOIN subscriptions s ON s.task_key = t.id AND s.status = 'active'
        WHERE t.tenant_id = ${tenantId} AND t.provider = r.value ->> 'provider' AND t.task_id = r.value ->> 'task_id'`,
    ),
    statement(
      db,
      sql`SELECT e.url, e.id, e.disabled_at FROM json_each(${urls}) r CROSS JOIN endpoints e WHERE e.tenant_id = ${tenantId} AND e.url = r.value`,
    ),
    statement(
      db,
      sql`SELECT (SELECT count(*) FROM (SELECT 1 FROM endpoints WHERE tenant_id = ${tenantId} LIMIT ${caps.endpoints + 1})) AS endpoints,
        (SELECT count(*) FROM (SELECT 1 FROM tasks WHERE tenant_id = ${tenantId} AND settled_at IS NULL LIMIT ${caps.active_tasks + 1}))
          AS active_tasks`,
    ),
  ]);
  const tasks = new Map<string, Set<string>>();
  for (const row of batchRows(SubscribedRow, "the tenant's tasks and their active URLs", subscribed)) {
    const name = taskName(row.provider, row.task_id);
    const active = tasks.get(name) ?? new Set<string>();
    if (row.callback_url !== null) active.add(row.callback_url);
    tasks.set(name, active);
  }
  const [count] = batchRows(rowSchema({ endpoints: int, active_tasks: int }), "the tenant's counts", counts);
  const known = batchRows(
    rowSchema({ url: column(endpointsTable.url), id: column(endpointsTable.id), disabled_at: column(endpointsTable.disabledAt) }),
    "the tenant's endpoints",
    endpoints,
  );
  return {
    owners: new Map(batchRows(OwnerRow, "who created the ids upstream", owners).map((o) => [taskName(o.provider, o.task_id), o.tenant_id])),
    activeUrlsOfTask: tasks,
    endpointUrls: new Set(known.map((e) => e.url)),
    disabledEndpoints: new Map(known.filter((e) => e.disabled_at !== null).map((e) => [e.url, e.id])),
    endpoints: count?.endpoints ?? 0,
    activeTasks: count?.active_tasks ?? 0,
  };
}

import { type SQL, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import type { RegistrationFacts } from "../domain/registration-admission";
import { DEFAULT_CAPS, MAX_CAP } from "../domain/tenant-caps";
import { asJson, type Db, prebuilt, runBatch, statement } from "./db";
import { batchRows, column, int, rowSchema } from "./rows";
import { endpoints as endpointsTable, subscriptions, tasks, upstreamOwners } from "./schema";
import { type TenantLimits, tenantLimitsOf, tenantLimitsStatements } from "./tenant-policy";

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

/** The tenant's endpoint and unsettled task counts, and the caps they were counted up to (+ 1). */
const CountsRow = rowSchema({ endpoints_cap: int, active_tasks_cap: int, endpoints: int, active_tasks: int });

/**
 * A cap as SQL reads it from the tenant's `caps` JSON, as `capsOf` does for the usual values (a
 * whole number in range, else the default). CASE, not AND: SQLite does not promise to skip
 * `json_type` of malformed JSON, which throws.
 */
const capSql = (tenantId: string, name: "endpoints" | "active_tasks") => {
  const path = `$.${name}`;
  return sql`coalesce((SELECT CASE WHEN json_valid(caps) THEN (CASE WHEN json_type(caps, ${path}) = 'integer'
    AND caps ->> ${path} BETWEEN 0 AND ${MAX_CAP} THEN caps ->> ${path} END) END FROM tenants WHERE id = ${tenantId}), ${DEFAULT_CAPS[name]})`;
};

/**
 * The tenant's endpoint and active task counts, each counted no further than its cap (so a count
 * costs at most the cap in rows): the caps given, or as SQL reads them from the tenant's row.
 */
const countsStatement = (db: Db, tenantId: string, caps: { endpoints: SQL | number; active_tasks: SQL | number }) =>
  statement(
    db,
    sql`WITH caps AS (SELECT ${caps.endpoints} AS endpoints, ${caps.active_tasks} AS active_tasks)
      SELECT caps.endpoints AS endpoints_cap, caps.active_tasks AS active_tasks_cap,
        (SELECT count(*) FROM (SELECT 1 FROM endpoints WHERE tenant_id = ${tenantId} LIMIT (SELECT endpoints FROM caps) + 1)) AS endpoints,
        (SELECT count(*) FROM (SELECT 1 FROM tasks WHERE tenant_id = ${tenantId} AND settled_at IS NULL LIMIT (SELECT active_tasks FROM caps) + 1))
          AS active_tasks
      FROM caps`,
  );

/** The counts with the caps given (`capsOf`'s), built once. */
const countsToCaps = prebuilt(
  [
    { tenantId: "a", endpoints: -1, activeTasks: -2 },
    { tenantId: "b", endpoints: -3, activeTasks: -4 },
  ],
  (db, { tenantId, endpoints, activeTasks }) => [countsStatement(db, tenantId, { endpoints, active_tasks: activeTasks })],
);

/** Admission's reads after the tenant's limits (see `loadAdmissionFacts`), built once. */
const admissionReads = prebuilt(
  [
    { tenantId: "a", names: "[1]", urls: "[2]" },
    { tenantId: "b", names: "[3]", urls: "[4]" },
  ],
  (db, { tenantId, names, urls }) => [
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
    countsStatement(db, tenantId, { endpoints: capSql(tenantId, "endpoints"), active_tasks: capSql(tenantId, "active_tasks") }),
  ],
);

/** What admission decides a tenant's registrations on: its limits, and the facts of the registrations. */
export interface AdmissionFacts {
  limits: TenantLimits;
  facts: RegistrationFacts;
}

/**
 * What deciding a tenant's registrations needs, in one D1 batch of six reads, each through an
 * index: the tenant's limits (`tenantLimitsStatements`), who created each id on the operator's
 * account, which of the ids the tenant has and their active subscriptions' URLs, which URLs
 * already are its endpoints, and its endpoint and active task counts, each counted no further than
 * its cap (so a count costs at most the cap in rows). The counts take the caps from the tenant's
 * row in SQL; caps stored in a form SQL reads otherwise than `capsOf` (never written by the admin
 * API) are counted again with `capsOf`'s, in one more round trip. Undefined when there is no such
 * tenant.
 */
export async function loadAdmissionFacts(db: Db, tenantId: TenantId, items: readonly AdmissionItem[]): Promise<AdmissionFacts | undefined> {
  const names = asJson(items.map((i) => ({ provider: i.provider, task_id: i.taskId })));
  const urls = asJson([...new Set(items.map((i) => i.callbackUrl))]);
  const [tenant, credentials, owners, subscribed, endpoints, counts] = await runBatch(db, [
    ...tenantLimitsStatements(db, tenantId),
    ...admissionReads(db, { tenantId, names, urls }),
  ]);
  const limits = tenantLimitsOf(tenant, credentials);
  if (!limits) return undefined;
  const { caps } = limits;
  let [count] = batchRows(CountsRow, "the tenant's counts", counts);
  if (count && (count.endpoints_cap !== caps.endpoints || count.active_tasks_cap !== caps.active_tasks))
    [count] = batchRows(
      CountsRow,
      "the tenant's counts",
      (await runBatch(db, countsToCaps(db, { tenantId, endpoints: caps.endpoints, activeTasks: caps.active_tasks })))[0],
    );
  const tasks = new Map<string, Set<string>>();
  for (const row of batchRows(SubscribedRow, "the tenant's tasks and their active URLs", subscribed)) {
    const name = taskName(row.provider, row.task_id);
    const active = tasks.get(name) ?? new Set<string>();
    if (row.callback_url !== null) active.add(row.callback_url);
    tasks.set(name, active);
  }
  const known = batchRows(
    rowSchema({ url: column(endpointsTable.url), id: column(endpointsTable.id), disabled_at: column(endpointsTable.disabledAt) }),
    "the tenant's endpoints",
    endpoints,
  );
  const facts: RegistrationFacts = {
    owners: new Map(batchRows(OwnerRow, "who created the ids upstream", owners).map((o) => [taskName(o.provider, o.task_id), o.tenant_id])),
    activeUrlsOfTask: tasks,
    endpointUrls: new Set(known.map((e) => e.url)),
    disabledEndpoints: new Map(known.filter((e) => e.disabled_at !== null).map((e) => [e.url, e.id])),
    endpoints: count?.endpoints ?? 0,
    activeTasks: count?.active_tasks ?? 0,
  };
  return { limits, facts };
}

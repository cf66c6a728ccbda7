import { sql } from "drizzle-orm";
import type { Db } from "./db";
import { int, readOne, rowSchema } from "./rows";

/**
 * Below this many tasks, a tenant's dashboard tables and counts read its own rows, found by
 * `tasks_tenant_provider_task` (tenant first) and sorted: at most this many tasks (and their
 * subscriptions), whatever the relay holds. From it on, they walk the relay's orders (`tasks_created`,
 * the due lanes, the subscriptions' partial indexes) and skip other tenants' rows, as the admin's
 * do, stopping at the page: a tenant this big is a fair share of the rows walked. The relay has no
 * index of a tenant's tasks in time order: it would cost every registration a row written
 * (migration 0019 dropped `tasks_tenant_created`), where telling a small tenant from a big one
 * costs a page at most this many index entries read.
 */
export const SMALL_TENANT_TASKS = 500;

const Count = rowSchema({ n: int });

/** What each database handle (one a request: storage/db.ts `openDb`) found, so that a page's tables and counts ask once. */
const answers = new WeakMap<Db, Map<string, Promise<boolean>>>();

/** Whether `tenant` has fewer than SMALL_TENANT_TASKS tasks: at most that many index entries read, once a handle. */
export function isSmallTenant(db: Db, tenant: string): Promise<boolean> {
  const known = answers.get(db) ?? new Map<string, Promise<boolean>>();
  answers.set(db, known);
  let answer = known.get(tenant);
  if (answer === undefined) {
    answer = readOne(
      db,
      Count,
      "whether a tenant is small",
      sql`SELECT count(*) AS n FROM (SELECT 1 FROM tasks INDEXED BY tasks_tenant_provider_task WHERE tenant_id = ${tenant} LIMIT ${SMALL_TENANT_TASKS})`,
    ).then((row) => (row?.n ?? 0) < SMALL_TENANT_TASKS);
    // A failed look is not remembered: the next read asks again.
    answer.catch(() => known.delete(tenant));
    known.set(tenant, answer);
  }
  return answer;
}

/** A small tenant's tasks, as a FROM term: `t`, down its own entries of `tasks_tenant_provider_task`. */
export const TENANT_TASKS = sql.raw("tasks t INDEXED BY tasks_tenant_provider_task");

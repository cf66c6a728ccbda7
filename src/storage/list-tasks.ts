import { type SQL, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Db } from "./db";
import { eachLane } from "./due-lanes";
import { afterCursor, type Cursor, type Page, toPage } from "./keyset";
import { int, column as of, readAll, rowSchema, text } from "./rows";
import { tasks } from "./schema";
import { isSmallTenant, TENANT_TASKS } from "./tenant-size";

export const TASK_STATES = ["all", "polling", "stopped"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface TaskListQuery {
  state: TaskState;
  /** Both or neither: one kind of task. */
  kind?: { action: string; action2: string };
  /** Only this tenant's tasks; every tenant's when absent (the admin). */
  tenant?: string;
  after?: Cursor;
  limit: number;
}

export interface TaskListRow {
  tenantId: TenantId;
  provider: string;
  taskId: string;
  action: string;
  action2: string;
  taskStatus: string | null;
  polls: number;
  lastError: string | null;
  finishReason: string | null;
  nextPollAt: number | null;
  settledAt: number | null;
  createdAt: number;
  /** The status of each of its subscriptions. */
  subscriptionStatuses: string[];
  sortKey: number;
  rowid: number;
}

/**
 * Each state walks an index in its natural order: every task, and the stopped ones, newest first
 * (`tasks_created`, or `tasks_kind_created` for one kind; whether a task stopped is checked per
 * row: most have, and an index of stopped tasks would cost each finishing task a row written),
 * polling tasks next due first (a page from each due lane's index, merged). A kind filter on
 * polling tasks is checked per row: left to itself SQLite would pick `tasks_kind_created` and sort
 * every task of that kind instead. A small tenant's pages read its own tasks instead, sorted
 * (storage/tenant-size.ts).
 */
const ORDERS = {
  all: { column: sql`t.created_at`, direction: "desc", only: sql`` },
  polling: { column: sql`t.next_poll_at`, direction: "asc", only: sql`` },
  stopped: { column: sql`t.created_at`, direction: "desc", only: sql`+t.settled_at IS NOT NULL AND` },
} as const;

/** A row of `listTasks`'s statement. */
const ListedRow = rowSchema({
  rowid: int,
  sort_key: int,
  tenant_id: of(tasks.tenantId),
  provider: of(tasks.provider),
  task_id: of(tasks.taskId),
  action: of(tasks.action),
  action2: of(tasks.action2),
  task_status: of(tasks.taskStatus),
  polls: of(tasks.polls),
  last_error: of(tasks.lastError),
  finish_reason: of(tasks.finishReason),
  next_poll_at: of(tasks.nextPollAt),
  settled_at: of(tasks.settledAt),
  created_at: of(tasks.createdAt),
  /** Its subscriptions' statuses, as a JSON array. */
  statuses: text,
});

/** One page of the dashboard's task table. */
export async function listTasks(db: Db, query: TaskListQuery): Promise<Page<TaskListRow>> {
  const { column, direction, only } = ORDERS[query.state];
  // Unary `+` keeps a term out of index selection (SQLite's documented way to steer the planner).
  const kind = !query.kind
    ? sql`1 = 1`
    : query.state !== "polling"
      ? sql`t.action = ${query.kind.action} AND t.action2 = ${query.kind.action2}`
      : sql`+t.action = ${query.kind.action} AND +t.action2 = ${query.kind.action2}`;
  const order = direction === "desc" ? sql`DESC` : sql`ASC`;
  // A small tenant's page reads its own tasks and sorts them; any other walks the order's index
  // and skips other tenants' (the term kept out of index selection), as the admin's does.
  const own = query.tenant !== undefined && (await isSmallTenant(db, query.tenant));
  const tenant = query.tenant === undefined ? sql`1 = 1` : own ? sql`t.tenant_id = ${query.tenant}` : sql`+t.tenant_id = ${query.tenant}`;
  const limit = query.limit + 1;
  const page = (from: SQL, lane: SQL) =>
    sql`SELECT t.rowid AS rowid, ${column} AS sort_key, t.tenant_id, t.provider, t.task_id, t.action, t.action2, t.task_status, t.polls, t.last_error,
      t.finish_reason, t.next_poll_at, t.settled_at, t.created_at,
      (SELECT json_group_array(s.status) FROM subscriptions s WHERE s.task_key = t.id) AS statuses
    FROM ${from}
    WHERE ${lane} ${only} ${column} IS NOT NULL AND ${kind} AND ${tenant} AND ${afterCursor(column, direction, query.after, sql`t.rowid`)}
    ORDER BY ${column} ${order}, t.rowid ${order}
    LIMIT ${limit}`;
  // Polling tasks are in two due indexes (storage/due-lanes.ts): a page of each, merged.
  const statement = own
    ? page(TENANT_TASKS, sql``)
    : query.state === "polling"
      ? sql`SELECT * FROM (${eachLane(
          sql`) UNION ALL SELECT * FROM (`,
          (due) => page(due.from, sql`${due.lane} AND`),
          "t",
        )}) ORDER BY sort_key ${order}, rowid ${order} LIMIT ${limit}`
      : page(sql`tasks t`, sql``);
  const rows = await readAll(db, ListedRow, "a page of tasks", statement);
  return toPage(
    rows.map((r) => ({
      tenantId: r.tenant_id,
      provider: r.provider,
      taskId: r.task_id,
      action: r.action,
      action2: r.action2,
      taskStatus: r.task_status,
      polls: r.polls,
      lastError: r.last_error,
      finishReason: r.finish_reason,
      nextPollAt: r.next_poll_at,
      settledAt: r.settled_at,
      createdAt: r.created_at,
      subscriptionStatuses: JSON.parse(r.statuses) as string[],
      sortKey: r.sort_key,
      rowid: r.rowid,
    })),
    query.limit,
  );
}

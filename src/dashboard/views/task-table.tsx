import type { FC } from "hono/jsx";
import type { TaskListRow } from "../../storage/list-tasks";
import { ago, iso, kindLabel, nextAt } from "./format";
import { taskHref } from "./viewer";

/** "2 delivered, 1 failed": a task's subscriptions by status. */
function subscriptionSummary(statuses: string[]): string {
  if (statuses.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** A row's tenant in the admin's lists: its name, with the id on hover. */
export const TenantCell: FC<{ id: string; tenants: ReadonlyMap<string, string> }> = ({ id, tenants }) => (
  <td class="tenant" title={id}>
    {tenants.get(id) ?? id}
  </td>
);

const relayState = (row: TaskListRow, now: number) =>
  row.nextPollAt !== null ? nextAt("polling, next", row.nextPollAt, now) : row.finishReason ? `expired: ${row.finishReason}` : "stopped";

/**
 * The task table: one row per task, each opening its detail view. With `tenants` (the admin's
 * lists: id -> name), a tenant column too.
 */
export const TaskTable: FC<{ rows: TaskListRow[]; now: number; tenants?: ReadonlyMap<string, string> }> = ({ rows, now, tenants }) => (
  <table class="list">
    <thead>
      <tr>
        {tenants ? <th>tenant</th> : null}
        <th>task</th>
        <th>kind</th>
        <th>upstream</th>
        <th>relay</th>
        <th>subscriptions</th>
        <th>age</th>
        <th>polls</th>
        <th>last error</th>
      </tr>
    </thead>
    <tbody>
      {rows.length === 0 ? (
        <tr>
          <td colspan={tenants ? 9 : 8} class="muted empty">
            none
          </td>
        </tr>
      ) : (
        rows.map((row) => (
          <tr data-task={row.taskId} data-tenant={row.tenantId}>
            {tenants ? <TenantCell id={row.tenantId} tenants={tenants} /> : null}
            <td>
              <a href={taskHref(row.taskId, row.tenantId, row.provider)}>
                <code>{row.taskId}</code>
              </a>
            </td>
            <td>{kindLabel(row.action, row.action2)}</td>
            <td>
              <span class={`status status-${row.taskStatus ?? "unknown"}`}>{row.taskStatus ?? "not seen yet"}</span>
            </td>
            <td>{relayState(row, now)}</td>
            <td>{subscriptionSummary(row.subscriptionStatuses)}</td>
            <td>
              <time datetime={iso(row.createdAt)}>{ago(row.createdAt, now)}</time>
            </td>
            <td class="num">{row.polls}</td>
            <td class="error-text">{row.lastError ?? ""}</td>
          </tr>
        ))
      )}
    </tbody>
  </table>
);

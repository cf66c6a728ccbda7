import type { FC } from "hono/jsx";
import type { TaskListRow } from "../../storage/list-tasks";
import { ago, iso, kindLabel, until } from "./format";

/** "2 delivered, 1 failed": a task's subscriptions by status. */
function subscriptionSummary(statuses: string[]): string {
  if (statuses.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

const relayState = (row: TaskListRow, now: number) =>
  row.nextPollAt !== null ? `polling, next ${until(row.nextPollAt, now)}` : row.finishReason ? `expired: ${row.finishReason}` : "stopped";

/** The task table: one row per task, each opening its detail view. */
export const TaskTable: FC<{ rows: TaskListRow[]; now: number }> = ({ rows, now }) => (
  <table class="list">
    <thead>
      <tr>
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
          <td colspan={8} class="muted empty">
            none
          </td>
        </tr>
      ) : (
        rows.map((row) => (
          <tr data-task={row.taskId}>
            <td>
              <a href={`/dashboard/tasks/${encodeURIComponent(row.taskId)}`}>
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

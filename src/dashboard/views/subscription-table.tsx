import type { FC } from "hono/jsx";
import type { SubscriptionListRow } from "../../storage/list-subscriptions";
import { ago, iso, kindLabel, shortUrl } from "./format";
import { TenantCell } from "./task-table";
import { taskHref } from "./viewer";

/** What went wrong last, in a few words: the receiver's status or the transport error. */
export function lastOutcome(row: SubscriptionListRow): string {
  const m = row.latest;
  if (!m) return "nothing sent yet";
  const outcome = m.statusCode !== null ? `HTTP ${m.statusCode}` : (m.error ?? "");
  return `${m.eventType} · ${m.status} · ${m.attempts} attempt${m.attempts === 1 ? "" : "s"}${outcome ? ` · ${outcome}` : ""}`;
}

/**
 * Subscriptions in one status. With `selectable`, each row has a checkbox named `ids` for the
 * enclosing bulk-redeliver form (the dead-letter list). With `tenants` (the admin's lists: id ->
 * name), a tenant column too.
 */
export const SubscriptionTable: FC<{
  rows: SubscriptionListRow[];
  now: number;
  selectable?: boolean;
  tenants?: ReadonlyMap<string, string>;
}> = ({ rows, now, selectable, tenants }) => (
  <table class="list">
    <thead>
      <tr>
        {selectable ? (
          <th>
            <input type="checkbox" data-select-all aria-label="select all" />
          </th>
        ) : null}
        {tenants ? <th>tenant</th> : null}
        <th>subscription</th>
        <th>task</th>
        <th>kind</th>
        <th>status</th>
        <th>callback</th>
        <th>last delivery</th>
        <th>since</th>
      </tr>
    </thead>
    <tbody>
      {rows.length === 0 ? (
        <tr>
          <td colspan={7 + (selectable ? 1 : 0) + (tenants ? 1 : 0)} class="muted empty">
            none
          </td>
        </tr>
      ) : (
        rows.map((row) => (
          <tr data-subscription={row.id} data-tenant={row.tenantId}>
            {selectable ? (
              <td>
                <input type="checkbox" name="ids" value={row.id} aria-label={`select ${row.id}`} />
              </td>
            ) : null}
            {tenants ? <TenantCell id={row.tenantId} tenants={tenants} /> : null}
            <td>
              <code>{row.id}</code>
            </td>
            <td>
              <a href={taskHref(row.taskId, row.tenantId, row.provider)}>
                <code>{row.taskId}</code>
              </a>
            </td>
            <td>{kindLabel(row.action, row.action2)}</td>
            <td>
              <span class={`status status-${row.status}`}>{row.status}</span>
              {row.statusReason ? <span class="muted"> {row.statusReason}</span> : null}
            </td>
            <td title={row.callbackUrl}>{shortUrl(row.callbackUrl)}</td>
            <td class="error-text">{lastOutcome(row)}</td>
            <td>
              <time datetime={iso(row.sortKey)}>{ago(row.sortKey, now)}</time>
            </td>
          </tr>
        ))
      )}
    </tbody>
  </table>
);

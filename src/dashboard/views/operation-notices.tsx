import type { FC } from "hono/jsx";
import type { OperationNotice } from "../../storage/operation-events";
import { ago, iso } from "./format";
import { TenantCell } from "./task-table";

const text = (value: unknown) => (typeof value === "string" ? value : "?");

/** One operational event in words (docs/operations.md): what happened, to what. */
export function noticeSentence(n: OperationNotice): string {
  const d = n.data;
  switch (n.type) {
    case "subscription.failed":
      return `Subscription ${text(d.subscription_id)} (task ${text(d.task_id)}) failed: ${text(d.reason)}.`;
    case "task.expired":
      return `Task ${text(d.task_id)} expired: ${text(d.reason)}.`;
    case "endpoint.circuit_opened":
      return `Endpoint ${text(d.endpoint_id)} keeps failing: its webhooks wait while probes are sent.`;
    case "endpoint.recovered":
      return `Endpoint ${text(d.endpoint_id)} answers again: its waiting webhooks are sent.`;
    case "endpoint.disabled":
      return `Endpoint ${text(d.endpoint_id)} is disabled: nothing more is sent to it.`;
    default:
      return n.type;
  }
}

/** Whether the event reached the operations endpoint, in a few words. */
const sent = (n: OperationNotice) =>
  n.state === "unsent"
    ? "not sent (no operations endpoint)"
    : n.state === "failed"
      ? `not delivered${n.lastError ? `: ${n.lastError}` : ""}`
      : n.state === "delivered"
        ? "delivered"
        : `sending${n.attempts > 0 ? `, ${n.attempts} failed attempt${n.attempts === 1 ? "" : "s"}` : ""}`;

/** The newest operational events (the tenant's, or every tenant's for the admin), newest first. */
export const OperationNotices: FC<{ notices: OperationNotice[]; now: number; tenants?: ReadonlyMap<string, string> }> = ({
  notices,
  now,
  tenants,
}) => (
  <table class="list">
    <thead>
      <tr>
        {tenants ? <th>tenant</th> : null}
        <th>event</th>
        <th>what happened</th>
        <th>operations endpoint</th>
        <th>when</th>
      </tr>
    </thead>
    <tbody>
      {notices.length === 0 ? (
        <tr>
          <td colspan={4 + (tenants ? 1 : 0)} class="muted empty">
            none
          </td>
        </tr>
      ) : (
        notices.map((n) => (
          <tr data-operation-event={n.id} data-tenant={n.tenantId}>
            {tenants ? <TenantCell id={n.tenantId} tenants={tenants} /> : null}
            <td>
              <code>{n.type}</code>
            </td>
            <td>{noticeSentence(n)}</td>
            <td class={n.state === "failed" ? "error-text" : "muted"}>{sent(n)}</td>
            <td>
              <time datetime={iso(n.createdAt)}>{ago(n.createdAt, now)}</time>
            </td>
          </tr>
        ))
      )}
    </tbody>
  </table>
);

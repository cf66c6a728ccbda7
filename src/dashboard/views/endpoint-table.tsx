import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import { type EndpointState, endpointState } from "../../domain/endpoint-health";
import type { EndpointStats } from "../../storage/endpoint-stats";
import type { EndpointRow } from "../../storage/schema";
import { ago, count, iso, shortUrl, until } from "./format";
import { TenantCell } from "./task-table";

const STATE_LABEL: Record<EndpointState, string> = {
  healthy: "healthy",
  failing: "failing",
  circuit_open: "circuit open",
  disabled: "disabled",
};

/** The work the tick still has to do after a state change, in words. */
const DRAIN_LABEL = { release: "sending what waited", fail: "failing what waited" } as const;

/** "99.2 %" of the last day's attempts answered 2xx; a dash without attempts. */
export const successRate = (stats: EndpointStats | undefined) =>
  stats && stats.attempts > 0 ? `${(Math.floor((stats.succeeded / stats.attempts) * 1000) / 10).toFixed(1)} %` : "—";

/** "120 / 480 ms": the p50 and p95 of the last day's attempts; a dash without attempts. */
const latency = (stats: EndpointStats | undefined) =>
  stats?.p50Ms == null || stats.p95Ms === null ? "—" : `${count(stats.p50Ms)} / ${count(stats.p95Ms)} ms`;

/**
 * Turns the endpoint on or off: a POST form with the session's form token. The admin's names the
 * endpoint's tenant (every write is scoped to one; a tenant session's own is used whatever it says)
 * and the list's filter, to come back to it.
 */
const TurnForm: FC<{ row: EndpointRow; on: boolean; session: Session; filter?: string }> = ({ row, on, session, filter }) => (
  <form method="post" action={`/dashboard/endpoints/${encodeURIComponent(row.id)}/${on ? "enable" : "disable"}`} class="inline">
    <input type="hidden" name="form_token" value={session.formToken} />
    {session.caller.kind === "admin" ? <input type="hidden" name="tenant" value={row.tenantId} /> : null}
    {filter !== undefined ? <input type="hidden" name="filter" value={filter} /> : null}
    <button
      type="submit"
      title={on ? "close its circuit and send what waited" : "send it nothing more; its active subscriptions end failed"}
    >
      {on ? "Enable" : "Disable"}
    </button>
  </form>
);

/** How far back the recover form reaches, in hours (never before RETENTION_DAYS: the action clamps it). */
export const RECOVER_HOURS = ["1", "6", "24", "72", "168"] as const;

/** The hidden fields every row's form carries: the token, and for the admin the tenant and the list's filter. */
const RowFields: FC<{ row: EndpointRow; session: Session; filter?: string }> = ({ row, session, filter }) => (
  <>
    <input type="hidden" name="form_token" value={session.formToken} />
    {session.caller.kind === "admin" ? <input type="hidden" name="tenant" value={row.tenantId} /> : null}
    {filter !== undefined ? <input type="hidden" name="filter" value={filter} /> : null}
  </>
);

/** Sends the endpoint's failed messages of the chosen hours again (`POST /v1/endpoints/{id}/recover`). */
const RecoverForm: FC<{ row: EndpointRow; session: Session; filter?: string }> = ({ row, session, filter }) => (
  <form method="post" action={`/dashboard/endpoints/${encodeURIComponent(row.id)}/recover`} class="inline">
    <RowFields row={row} session={session} filter={filter} />
    <select name="hours" aria-label="failed since">
      {RECOVER_HOURS.map((h) => (
        <option value={h} selected={h === "24"}>
          {Number(h) < 48 ? `last ${h} h` : `last ${Number(h) / 24} d`}
        </option>
      ))}
    </select>
    <button type="submit" title="send its failed messages of that time again">
      Recover
    </button>
  </form>
);

/**
 * A page of endpoints with their health (domain/endpoint-health.ts) and their last day's
 * attempts. With `tenants` (the admin's lists: id -> name), a tenant column too.
 */
export const EndpointTable: FC<{
  rows: EndpointRow[];
  stats: ReadonlyMap<string, EndpointStats>;
  session: Session;
  now: number;
  tenants?: ReadonlyMap<string, string>;
  filter?: string;
}> = ({ rows, stats, session, now, tenants, filter }) => (
  <table class="list">
    <thead>
      <tr>
        {tenants ? <th>tenant</th> : null}
        <th>endpoint</th>
        <th>state</th>
        <th>2xx, 24 h</th>
        <th>p50 / p95</th>
        <th>attempts, 24 h</th>
        <th>failures in a row</th>
        <th>last failure</th>
        <th>next probe</th>
        <th>rate limit</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      {rows.length === 0 ? (
        <tr>
          <td colspan={10 + (tenants ? 1 : 0)} class="muted empty">
            none
          </td>
        </tr>
      ) : (
        rows.map((row) => {
          const state = endpointState(row);
          const s = stats.get(row.id);
          return (
            <tr data-endpoint={row.id} data-tenant={row.tenantId} data-state={state}>
              {tenants ? <TenantCell id={row.tenantId} tenants={tenants} /> : null}
              <td title={row.url}>
                {shortUrl(row.url)}
                <br />
                <code class="muted">{row.id}</code>
              </td>
              <td>
                <span class={`status status-endpoint-${state}`}>{STATE_LABEL[state]}</span>
                {state === "disabled" ? (
                  <span class="muted">
                    {" "}
                    <time datetime={iso(row.disabledAt)}>{ago(row.disabledAt, now)}</time>
                  </span>
                ) : null}
                {row.pendingDrain ? <span class="muted"> {DRAIN_LABEL[row.pendingDrain]}</span> : null}
              </td>
              <td class="num" data-stat="success">
                {successRate(s)}
              </td>
              <td class="num" data-stat="latency">
                {latency(s)}
              </td>
              <td class="num" data-stat="attempts">
                {count(s?.attempts ?? 0)}
              </td>
              <td class="num">{count(row.consecutiveFailures)}</td>
              <td>
                {row.lastFailureAt === null ? (
                  "—"
                ) : (
                  <>
                    <span class="error-text">{row.lastFailureReason ?? "failed"}</span>{" "}
                    <time class="muted" datetime={iso(row.lastFailureAt)}>
                      {ago(row.lastFailureAt, now)}
                    </time>
                  </>
                )}
              </td>
              <td>{state === "circuit_open" ? until(row.nextProbeAt, now) : "—"}</td>
              <td class="num">{row.rateLimitPerSecond === null ? "none" : `${count(row.rateLimitPerSecond)}/s`}</td>
              <td>
                {state === "disabled" || state === "circuit_open" ? <TurnForm row={row} on session={session} filter={filter} /> : null}
                {state === "disabled" ? null : <TurnForm row={row} on={false} session={session} filter={filter} />}
                {state === "disabled" ? null : <RecoverForm row={row} session={session} filter={filter} />}
              </td>
            </tr>
          );
        })
      )}
    </tbody>
  </table>
);

import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { AuditListRow } from "../../storage/audit-log";
import type { Cursor } from "../../storage/keyset";
import { ago, iso } from "./format";
import { Layout } from "./layout";
import { Pager } from "./pager";
import { TenantCell } from "./task-table";
import { filterOf, TenantFilter, tenantColumn, type Viewer } from "./viewer";

export interface AuditPageProps {
  rows: AuditListRow[];
  after?: Cursor;
  next: Cursor | null;
  session: Session;
  viewer: Viewer;
  now: number;
}

/** Who acted: the admin, or a key by its id and visible prefix. */
const actorOf = (row: AuditListRow) =>
  row.actorKind === "admin" ? "admin" : `${row.actorKeyId ?? "?"}${row.actorKeyPrefix ? ` (${row.actorKeyPrefix}…)` : ""}`;

/** The detail's facts as `key=value` pairs (small, never a secret). */
function detailOf(detail: string | null): string {
  if (detail === null) return "";
  return Object.entries(JSON.parse(detail) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

/**
 * The audit log, newest first: every entry for the admin (with the tenant filter), a tenant
 * session's own entries only.
 */
export const AuditPage: FC<AuditPageProps> = ({ rows, after, next, session, viewer, now }) => {
  const tenants = tenantColumn(viewer);
  return (
    <Layout title="Audit log" section="audit" session={session} viewer={viewer} now={now}>
      <h1>Audit log</h1>
      <TenantFilter viewer={viewer} action="/dashboard/audit" />
      <section id="audit-table" data-live>
        <table>
          <thead>
            <tr>
              <th>time</th>
              {tenants ? <th>tenant</th> : null}
              <th>actor</th>
              <th>action</th>
              <th>target</th>
              <th>address</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colspan={6 + (tenants ? 1 : 0)} class="muted empty">
                  Nothing recorded.
                </td>
              </tr>
            ) : (
              rows.map((row) => (
                <tr data-entry={String(row.id)} data-action={row.action}>
                  <td>
                    <time datetime={iso(row.at)} title={iso(row.at)}>
                      {ago(row.at, now)}
                    </time>
                  </td>
                  {tenants ? (
                    row.tenantId === null ? (
                      <td class="muted">relay</td>
                    ) : (
                      <TenantCell id={row.tenantId} tenants={tenants} />
                    )
                  ) : null}
                  <td>{actorOf(row)}</td>
                  <td>
                    <code>{row.action}</code>
                  </td>
                  <td>
                    <code>{row.target}</code>
                  </td>
                  <td>{row.clientAddress ?? "—"}</td>
                  <td class="muted">{detailOf(row.detail)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
      <Pager path="/dashboard/audit" filters={{ tenant: filterOf(viewer) }} after={after} next={next} />
    </Layout>
  );
};

import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import { type EndpointStats, STATS_MAX_ATTEMPTS } from "../../storage/endpoint-stats";
import { RECOVER_BATCH } from "../../storage/recover-endpoint";
import type { EndpointRow } from "../../storage/schema";
import { EndpointTable } from "./endpoint-table";
import { count, query } from "./format";
import { Layout, Notice } from "./layout";
import { filterOf, TenantFilter, tenantColumn, type Viewer } from "./viewer";

export interface EndpointsPageProps {
  rows: EndpointRow[];
  stats: ReadonlyMap<string, EndpointStats>;
  after?: string;
  next: string | null;
  session: Session;
  viewer: Viewer;
  now: number;
  notice: string | null;
}

/**
 * The tenant's endpoints (the admin's: every tenant's, or the filtered one's) with their health,
 * their last day's success rate and latency, and buttons to turn them off and on again and to
 * send their failed messages again, as `POST /v1/endpoints/{id}/disable`, `/enable` and `/recover` do.
 */
export const EndpointsPage: FC<EndpointsPageProps> = ({ rows, stats, after, next, session, viewer, now, notice }) => {
  const filter = filterOf(viewer);
  return (
    <Layout title="Endpoints" section="endpoints" session={session} viewer={viewer} now={now}>
      <h1>Endpoints</h1>
      <TenantFilter viewer={viewer} action="/dashboard/endpoints" />
      <Notice text={notice} />
      <p class="muted">
        The last 24 hours' attempts of each (its newest {count(STATS_MAX_ATTEMPTS)} at most): the share answered 2xx and the median and
        95th-percentile time to an answer. An open circuit sends one probe at a time; a disabled endpoint is sent nothing. Recover sends an
        endpoint's failed messages of the chosen time again, at most {count(RECOVER_BATCH)} a click.
      </p>
      <section id="endpoints-table" data-live>
        <EndpointTable rows={rows} stats={stats} session={session} now={now} tenants={tenantColumn(viewer)} filter={filter} />
      </section>
      <nav class="pager">
        {after ? <a href={`/dashboard/endpoints${query({ tenant: filter })}`}>← first</a> : null}
        {next ? (
          <a href={`/dashboard/endpoints${query({ tenant: filter, after: next })}`} rel="next">
            next →
          </a>
        ) : null}
      </nav>
    </Layout>
  );
};

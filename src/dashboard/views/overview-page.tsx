import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { ActivityHour } from "../../storage/activity-series";
import type { DashboardCounts } from "../../storage/dashboard-counts";
import type { SubscriptionListRow } from "../../storage/list-subscriptions";
import type { TaskListRow } from "../../storage/list-tasks";
import type { OperationNotice } from "../../storage/operation-events";
import { ActivityChart } from "./activity-chart";
import { CountsPanel } from "./counts-panel";
import { Layout } from "./layout";
import { OperationNotices } from "./operation-notices";
import { SubscriptionTable } from "./subscription-table";
import { TaskTable } from "./task-table";
import { filterOf, keepFilter, TenantFilter, tenantColumn, type Viewer } from "./viewer";

export interface OverviewData {
  counts: DashboardCounts;
  /** Relay-wide (every tenant's), so the admin's only: null for a tenant session. */
  activity: ActivityHour[] | null;
  failed: SubscriptionListRow[];
  polling: TaskListRow[];
  /** The newest operational events (docs/operations.md): what the operations endpoint is sent. */
  notices: OperationNotice[];
}

/**
 * At a glance: counts, the last 24 hours, the newest operational events (notices), the newest dead letters and the tasks due next. The
 * chart counts every tenant's polls and webhooks (`activity_hourly` is relay-wide), so only the
 * admin sees it: a tenant must not learn how busy the others are.
 */
export const OverviewPage: FC<{ data: OverviewData; session: Session; viewer: Viewer; now: number }> = ({ data, session, viewer, now }) => (
  <Layout title="Overview" section="overview" session={session} viewer={viewer} now={now}>
    <TenantFilter viewer={viewer} action="/" />
    <CountsPanel counts={data.counts} tenant={filterOf(viewer)} />
    {data.activity ? (
      <>
        <ActivityChart hours={data.activity} />
        {filterOf(viewer) !== undefined ? <p class="muted chart-note">The charts count every tenant's activity.</p> : null}
      </>
    ) : null}
    <section id="overview-notices" data-live>
      <h2>Notices</h2>
      <OperationNotices notices={data.notices} now={now} tenants={tenantColumn(viewer)} />
    </section>
    <section id="overview-failed" data-live>
      <h2>
        Failed{" "}
        <a class="more" href={keepFilter("/dashboard/subscriptions?status=failed", viewer)}>
          all failed, with bulk redeliver →
        </a>
      </h2>
      <SubscriptionTable rows={data.failed} now={now} tenants={tenantColumn(viewer)} />
    </section>
    <section id="overview-polling" data-live>
      <h2>
        Polling, next due first{" "}
        <a class="more" href={keepFilter("/dashboard/tasks?state=polling", viewer)}>
          all →
        </a>
      </h2>
      <TaskTable rows={data.polling} now={now} tenants={tenantColumn(viewer)} />
    </section>
  </Layout>
);

import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { ActivityHour } from "../../storage/activity-series";
import type { DashboardCounts } from "../../storage/dashboard-counts";
import type { SubscriptionListRow } from "../../storage/list-subscriptions";
import type { TaskListRow } from "../../storage/list-tasks";
import { ActivityChart } from "./activity-chart";
import { CountsPanel } from "./counts-panel";
import { Layout } from "./layout";
import { SubscriptionTable } from "./subscription-table";
import { TaskTable } from "./task-table";

export interface OverviewData {
  counts: DashboardCounts;
  activity: ActivityHour[];
  failed: SubscriptionListRow[];
  polling: TaskListRow[];
}

/** At a glance: counts, the last 24 hours, the newest dead letters and the tasks due next. */
export const OverviewPage: FC<{ data: OverviewData; session: Session; now: number }> = ({ data, session, now }) => (
  <Layout title="Overview" section="overview" session={session} now={now}>
    <CountsPanel counts={data.counts} />
    <ActivityChart hours={data.activity} />
    <section id="overview-failed" data-live>
      <h2>
        Failed{" "}
        <a class="more" href="/dashboard/subscriptions?status=failed">
          all failed, with bulk redeliver →
        </a>
      </h2>
      <SubscriptionTable rows={data.failed} now={now} />
    </section>
    <section id="overview-polling" data-live>
      <h2>
        Polling, next due first{" "}
        <a class="more" href="/dashboard/tasks?state=polling">
          all →
        </a>
      </h2>
      <TaskTable rows={data.polling} now={now} />
    </section>
  </Layout>
);

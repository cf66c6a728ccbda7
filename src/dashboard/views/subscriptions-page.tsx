import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { Cursor } from "../../storage/keyset";
import { LISTED_SUBSCRIPTION_STATUSES, type ListedSubscriptionStatus, type SubscriptionListRow } from "../../storage/list-subscriptions";
import { Layout, Notice } from "./layout";
import { Pager } from "./pager";
import { SubscriptionTable } from "./subscription-table";
import { filterOf, keepFilter, TenantFilter, tenantColumn, type Viewer } from "./viewer";

export interface SubscriptionsPageProps {
  rows: SubscriptionListRow[];
  status: ListedSubscriptionStatus;
  after?: Cursor;
  next: Cursor | null;
  session: Session;
  viewer: Viewer;
  now: number;
  notice: string | null;
}

/**
 * Subscriptions by status. The failed ones are the dead letters: select some and redeliver them
 * in bulk (each through the same storage call as `POST /v1/subscriptions/{id}/redeliver`).
 */
export const SubscriptionsPage: FC<SubscriptionsPageProps> = ({ rows, status, after, next, session, viewer, now, notice }) => (
  <Layout
    title={status === "failed" ? "Failed" : "Subscriptions"}
    section={status === "failed" ? "failed" : "subscriptions"}
    session={session}
    viewer={viewer}
    now={now}
  >
    <h1>{status === "failed" ? "Failed subscriptions (dead letters)" : "Subscriptions"}</h1>
    <TenantFilter viewer={viewer} action="/dashboard/subscriptions" keep={{ status }} />
    <nav class="tabs">
      {LISTED_SUBSCRIPTION_STATUSES.map((s) => (
        <a href={keepFilter(`/dashboard/subscriptions?status=${s}`, viewer)} class={s === status ? "current" : undefined}>
          {s}
        </a>
      ))}
    </nav>
    <Notice text={notice} />
    {status === "failed" ? (
      <form method="post" action="/dashboard/redeliver" class="bulk">
        <input type="hidden" name="form_token" value={session.formToken} />
        {filterOf(viewer) !== undefined ? <input type="hidden" name="tenant" value={filterOf(viewer)} /> : null}
        <section id="subscriptions-table" data-live>
          <SubscriptionTable rows={rows} now={now} selectable tenants={tenantColumn(viewer)} />
        </section>
        <button type="submit" name="action" value="redeliver">
          Redeliver selected
        </button>
        <span class="muted"> each sends its latest event again, as a new attempt of the same message</span>
      </form>
    ) : (
      <section id="subscriptions-table" data-live>
        <SubscriptionTable rows={rows} now={now} tenants={tenantColumn(viewer)} />
      </section>
    )}
    <Pager path="/dashboard/subscriptions" filters={{ status, tenant: filterOf(viewer) }} after={after} next={next} />
  </Layout>
);

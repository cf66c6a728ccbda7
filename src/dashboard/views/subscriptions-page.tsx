import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { Cursor } from "../../storage/keyset";
import { LISTED_SUBSCRIPTION_STATUSES, type ListedSubscriptionStatus, type SubscriptionListRow } from "../../storage/list-subscriptions";
import { Layout, Notice } from "./layout";
import { Pager } from "./pager";
import { SubscriptionTable } from "./subscription-table";

export interface SubscriptionsPageProps {
  rows: SubscriptionListRow[];
  status: ListedSubscriptionStatus;
  after?: Cursor;
  next: Cursor | null;
  session: Session;
  now: number;
  notice: string | null;
}

/**
 * Subscriptions by status. The failed ones are the dead letters: select some and redeliver them
 * in bulk (each through the same storage call as `POST /v1/subscriptions/{id}/redeliver`).
 */
export const SubscriptionsPage: FC<SubscriptionsPageProps> = ({ rows, status, after, next, session, now, notice }) => (
  <Layout
    title={status === "failed" ? "Failed" : "Subscriptions"}
    section={status === "failed" ? "failed" : "subscriptions"}
    session={session}
    now={now}
  >
    <h1>{status === "failed" ? "Failed subscriptions (dead letters)" : "Subscriptions"}</h1>
    <nav class="tabs">
      {LISTED_SUBSCRIPTION_STATUSES.map((s) => (
        <a href={`/dashboard/subscriptions?status=${s}`} class={s === status ? "current" : undefined}>
          {s}
        </a>
      ))}
    </nav>
    <Notice text={notice} />
    {status === "failed" ? (
      <form method="post" action="/dashboard/redeliver" class="bulk">
        <input type="hidden" name="form_token" value={session.formToken} />
        <section id="subscriptions-table" data-live>
          <SubscriptionTable rows={rows} now={now} selectable />
        </section>
        <button type="submit" name="action" value="redeliver">
          Redeliver selected
        </button>
        <span class="muted"> each sends its latest event again, as a new attempt of the same message</span>
      </form>
    ) : (
      <section id="subscriptions-table" data-live>
        <SubscriptionTable rows={rows} now={now} />
      </section>
    )}
    <Pager path="/dashboard/subscriptions" filters={{ status }} after={after} next={next} />
  </Layout>
);

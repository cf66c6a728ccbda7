import type { FC } from "hono/jsx";
import { COUNT_CAP, type DashboardCounts } from "../../storage/dashboard-counts";
import { count, withParams } from "./format";

const CARDS: { key: keyof DashboardCounts; label: string; href: string; tone?: string }[] = [
  { key: "tasksPolling", label: "tasks polling", href: "/dashboard/tasks?state=polling" },
  { key: "subscriptionsActive", label: "subscriptions active", href: "/dashboard/subscriptions?status=active" },
  { key: "subscriptionsDelivered", label: "subscriptions delivered", href: "/dashboard/subscriptions?status=delivered", tone: "ok" },
  { key: "subscriptionsFailed", label: "subscriptions failed", href: "/dashboard/subscriptions?status=failed", tone: "bad" },
  { key: "messagesRetrying", label: "messages retrying", href: "/dashboard/subscriptions?status=active", tone: "warn" },
];

/** The counts by state; each card opens the matching list (of the admin's filtered `tenant`, if any). */
export const CountsPanel: FC<{ counts: DashboardCounts; tenant?: string }> = ({ counts, tenant }) => (
  <section class="counts" id="counts" data-live aria-label="counts by state">
    {CARDS.map(({ key, label, href, tone }) => (
      <a class={`count ${tone && counts[key] > 0 ? `count-${tone}` : ""}`} href={withParams(href, { tenant })} data-count={key}>
        <span class="count-value">{count(counts[key], COUNT_CAP)}</span>
        <span class="count-label">{label}</span>
      </a>
    ))}
  </section>
);

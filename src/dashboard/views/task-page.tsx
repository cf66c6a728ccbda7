import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { MessageWithAttempts, SubscriptionWithDeliveries } from "../../storage/read-models";
import type { TaskRow } from "../../storage/schema";
import { ago, iso, kindLabel, until, withParams } from "./format";
import { Layout, Notice } from "./layout";
import type { Viewer } from "./viewer";

/** Upstream `data` as stored (the relay's own JSON), indented for reading. */
function pretty(json: string | null): string {
  if (json === null) return "no answer received yet";
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

const Attempts: FC<{ delivery: MessageWithAttempts; now: number }> = ({ delivery: { message, attempts }, now }) => (
  <div class="delivery" data-message={message.id}>
    <p>
      <code>{message.id}</code> <strong>{message.eventType}</strong> <span class={`status status-${message.status}`}>{message.status}</span>
      {message.status === "pending" ? <span class="muted"> next attempt {until(message.nextAttemptAt, now)}</span> : null}
    </p>
    <table class="list attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>attempted</th>
          <th>result</th>
          <th>duration</th>
        </tr>
      </thead>
      <tbody>
        {attempts.length === 0 ? (
          <tr>
            <td colspan={4} class="muted empty">
              no attempt yet
            </td>
          </tr>
        ) : null}
        {attempts.map((a, i) => (
          <tr data-attempt={i + 1}>
            <td class="num">{i + 1}</td>
            <td>
              <time datetime={iso(a.attemptedAt)}>{ago(a.attemptedAt, now)}</time>
            </td>
            <td class={a.statusCode !== null && a.statusCode < 300 ? "ok-text" : "error-text"}>
              {a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? "")}
            </td>
            <td class="num">{a.durationMs} ms</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const SubscriptionBlock: FC<{ entry: SubscriptionWithDeliveries; session: Session; now: number }> = ({
  entry: { subscription: s, deliveries },
  session,
  now,
}) => (
  <article class="subscription" data-subscription={s.id}>
    <header>
      <h3>
        <code>{s.id}</code> <span class={`status status-${s.status}`}>{s.status}</span>
        {s.statusReason ? <span class="muted"> {s.statusReason}</span> : null}
      </h3>
      <form method="post" action={`/dashboard/subscriptions/${encodeURIComponent(s.id)}/redeliver`}>
        <input type="hidden" name="form_token" value={session.formToken} />
        <button type="submit" disabled={s.status === "cancelled" || deliveries.length === 0} title="send the latest event again">
          Redeliver
        </button>
      </form>
    </header>
    <dl class="facts">
      <dt>callback</dt>
      <dd>
        <code>{s.callbackUrl}</code>
      </dd>
      <dt>events</dt>
      <dd>{(JSON.parse(s.events) as string[]).join(", ")}</dd>
      <dt>metadata</dt>
      <dd>
        <code>{s.metadata ?? "null"}</code>
      </dd>
      <dt>registered</dt>
      <dd>
        <time datetime={iso(s.createdAt)}>{ago(s.createdAt, now)}</time>
      </dd>
    </dl>
    {deliveries.length === 0 ? <p class="muted">No webhook yet.</p> : deliveries.map((d) => <Attempts delivery={d} now={now} />)}
  </article>
);

/** One task: the relay's state, the upstream payload, every subscription and every attempt. */
export const TaskPage: FC<{
  task: TaskRow;
  subscriptions: SubscriptionWithDeliveries[];
  session: Session;
  viewer: Viewer;
  now: number;
  notice: string | null;
}> = ({ task: t, subscriptions, session, viewer, now, notice }) => (
  <Layout title={`Task ${t.taskId}`} section="tasks" session={session} viewer={viewer} now={now}>
    <h1>
      Task <code>{t.taskId}</code>
    </h1>
    <Notice text={notice} />
    <section id="task-facts" data-live>
      <dl class="facts">
        {viewer.kind === "admin" ? (
          <>
            <dt>tenant</dt>
            <dd>
              <a href={withParams("/dashboard/tasks", { tenant: t.tenantId })}>
                {viewer.tenants.find((x) => x.id === t.tenantId)?.name ?? t.tenantId}
              </a>{" "}
              <code>{t.tenantId}</code>
            </dd>
          </>
        ) : null}
        <dt>kind</dt>
        <dd>{kindLabel(t.action, t.action2)}</dd>
        <dt>upstream status</dt>
        <dd>
          <span class={`status status-${t.taskStatus ?? "unknown"}`}>{t.taskStatus ?? "not seen yet"}</span>
        </dd>
        <dt>polling</dt>
        <dd>
          {t.nextPollAt !== null
            ? `next poll ${until(t.nextPollAt, now)}`
            : t.finishReason
              ? `stopped: expired (${t.finishReason})`
              : "stopped"}
        </dd>
        <dt>polls</dt>
        <dd>
          {t.polls}
          {t.lastPolledAt !== null ? <span class="muted">, last {ago(t.lastPolledAt, now)}</span> : null}
        </dd>
        <dt>last error</dt>
        <dd class="error-text">{t.lastError ?? "—"}</dd>
        <dt>registered</dt>
        <dd>
          <time datetime={iso(t.createdAt)}>{ago(t.createdAt, now)}</time>
        </dd>
      </dl>
      <h2>Upstream payload</h2>
      <pre class="payload">{pretty(t.data)}</pre>
    </section>
    <section id="task-subscriptions" data-live>
      <h2>Subscriptions and delivery attempts</h2>
      {subscriptions.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        subscriptions.map((entry) => <SubscriptionBlock entry={entry} session={session} now={now} />)
      )}
    </section>
  </Layout>
);

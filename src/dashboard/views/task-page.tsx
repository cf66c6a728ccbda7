import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import type { TaskArchiveFile } from "../../storage/archive-files";
import type { MessageWithAttempts, SubscriptionWithDeliveries } from "../../storage/read-models";
import type { TaskRow } from "../../storage/schema";
import { ago, iso, kindLabel, nextAt, withParams } from "./format";
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
      {message.status === "pending" ? <span class="muted"> {nextAt("next attempt", message.nextAttemptAt, now)}</span> : null}
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

/** An archived file as the task page shows it: its state, and a link signed for the page when copied. */
export type ArchiveFileView = TaskArchiveFile & { link: string | null };

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What became of each output file of a task that asked to be archived. */
const ArchiveBlock: FC<{ state: string; files: ArchiveFileView[] }> = ({ state, files }) => (
  <section id="task-archive" data-live>
    <h2>
      Archive <span class={`status status-archive-${state}`}>{state}</span>
    </h2>
    {files.length === 0 ? (
      <p class="muted">{state === "requested" ? "Its files are listed when the task succeeds." : "No output file to copy."}</p>
    ) : (
      <table class="list archive-files">
        <thead>
          <tr>
            <th>output</th>
            <th>field</th>
            <th>status</th>
            <th>copied</th>
            <th>failed attempts</th>
            <th>copy</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr data-archive-file={`${f.index}-${f.field}`}>
              <td class="num">{f.index}</td>
              <td>
                <code>{f.field}</code>
              </td>
              <td>
                <span class={`status status-${f.status}`}>{f.status}</span>
              </td>
              <td class="num">
                {f.sizeBytes !== null && f.status !== "copied" ? `${mb(f.copiedBytes)} of ${mb(f.sizeBytes)}` : mb(f.copiedBytes)}
              </td>
              <td class="num">{f.attempts}</td>
              <td>
                {f.link !== null ? (
                  <a href={f.link} rel="noreferrer">
                    open
                  </a>
                ) : (
                  <span class="error-text">{f.status === "pending" ? "" : (f.lastError ?? f.status)}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

/** One task: the relay's state, the upstream payload, its archive, every subscription and every attempt. */
export const TaskPage: FC<{
  task: TaskRow;
  subscriptions: SubscriptionWithDeliveries[];
  archive: ArchiveFileView[];
  session: Session;
  viewer: Viewer;
  now: number;
  notice: string | null;
}> = ({ task: t, subscriptions, archive, session, viewer, now, notice }) => (
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
            ? nextAt("next poll", t.nextPollAt, now)
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
    {t.archive !== null ? <ArchiveBlock state={t.archive} files={archive} /> : null}
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

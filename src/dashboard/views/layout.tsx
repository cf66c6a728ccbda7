import type { Child, FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import { keepFilter, type Viewer, WhoIsLoggedIn } from "./viewer";

export type Section = "overview" | "tasks" | "subscriptions" | "failed" | "endpoints" | "audit";

const NAV: [Section, string, string][] = [
  ["overview", "Overview", "/"],
  ["tasks", "Tasks", "/dashboard/tasks"],
  ["subscriptions", "Subscriptions", "/dashboard/subscriptions?status=active"],
  ["failed", "Failed", "/dashboard/subscriptions?status=failed"],
  ["endpoints", "Endpoints", "/dashboard/endpoints"],
  ["audit", "Audit", "/dashboard/audit"],
];

/**
 * The frame of every page. `data-live` regions inside are swapped in place by dashboard.js. With a
 * `viewer`, the header says who is logged in, and the admin's tenant filter stays on the nav links.
 */
export const Layout: FC<{ title: string; section?: Section; session: Session | null; viewer?: Viewer; now: number; children?: Child }> = ({
  title,
  section,
  session,
  viewer,
  now,
  children,
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · kling-webhook-relay</title>
      <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href="/assets/relay.css" />
      {session ? <script src="/assets/dashboard.js" defer></script> : null}
    </head>
    <body data-page={section ?? "login"}>
      <header class="top">
        <strong>kling-webhook-relay</strong>
        {session ? (
          <>
            <nav>
              {NAV.map(([id, label, href]) => (
                <a href={keepFilter(href, viewer)} class={id === section ? "current" : undefined}>
                  {label}
                </a>
              ))}
              <a href="/docs">API reference</a>
            </nav>
            {viewer ? <WhoIsLoggedIn viewer={viewer} /> : null}
            <span class="muted refreshed" id="refreshed-at" data-live>
              updated <time datetime={new Date(now).toISOString()}>{new Date(now).toISOString().slice(11, 19)} UTC</time>
            </span>
            <form method="post" action="/dashboard/logout" class="logout">
              <input type="hidden" name="form_token" value={session.formToken} />
              <button type="submit">Log out</button>
            </form>
          </>
        ) : (
          <nav>
            <a href="/docs">API reference</a>
          </nav>
        )}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

/** A one-line message after an action (the codes come from our own redirects, never echoed text). */
export const Notice: FC<{ text: string | null; kind?: "ok" | "warn" }> = ({ text, kind = "ok" }) =>
  text ? (
    <p class={`notice notice-${kind}`} role="status">
      {text}
    </p>
  ) : null;

/** A page that only says something: not found, or a form that could not be accepted. */
export const MessagePage: FC<{ title: string; text: string; session: Session | null; viewer?: Viewer; now: number }> = ({
  title,
  text,
  session,
  viewer,
  now,
}) => (
  <Layout title={title} session={session} viewer={viewer} now={now}>
    <h1>{title}</h1>
    <p>{text}</p>
    <p>
      <a href={keepFilter("/", viewer)}>Back to the dashboard</a>
    </p>
  </Layout>
);

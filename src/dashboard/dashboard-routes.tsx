import { Hono } from "hono";
import { loadSession } from "../auth/session";
import { loadConfig } from "../config";
import { linkToFile } from "../domain/archive-plan";
import { isTenantId } from "../domain/ids";
import { isActionPair, TASK_ID_PATTERN } from "../domain/kling";
import { systemClock } from "../lib/clock";
import { asset, pageHeaders, renderPage } from "../lib/html-page";
import { loadActivitySeries } from "../storage/activity-series";
import { listAudit } from "../storage/audit-log";
import { loadDashboardCounts } from "../storage/dashboard-counts";
import { openDb } from "../storage/db";
import { loadEndpointStats } from "../storage/endpoint-stats";
import { listDashboardEndpoints } from "../storage/list-dashboard-endpoints";
import { LISTED_SUBSCRIPTION_STATUSES, type ListedSubscriptionStatus, listSubscriptions } from "../storage/list-subscriptions";
import { listTasks, TASK_STATES, type TaskState } from "../storage/list-tasks";
import { listOperationNotices } from "../storage/operation-events";
import { loadTaskView } from "../storage/read-models";
import { isOnlyTenant } from "../storage/tenants";
import { DASHBOARD_JS } from "./assets/dashboard-script";
import { RELAY_CSS } from "./assets/relay-css";
import { type DashboardEnv, logIn, logOut, redeliverMany, redeliverOne, sameOriginForms } from "./dashboard-actions";
import { recoverEndpointForm, turnEndpoint } from "./endpoint-actions";
import { noticeText } from "./notices";
import { browsersOnly, type C, oneOf, page, providerOf, scopeOf, session, sessionRequired, viewerOf } from "./page-guards";
import { AuditPage } from "./views/audit-page";
import { EndpointsPage } from "./views/endpoints-page";
import { MessagePage } from "./views/layout";
import { LoginPage } from "./views/login-page";
import { OverviewPage } from "./views/overview-page";
import { decodeCursor } from "./views/pager";
import { SubscriptionsPage } from "./views/subscriptions-page";
import { TaskPage } from "./views/task-page";
import { TasksPage } from "./views/tasks-page";
import { taskHref } from "./views/viewer";

const PAGE_SIZE = 25;

/** /assets/favicon.svg: so that browsers do not ask for /favicon.ico (an API 404). */
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d232b"/><path d="M3 9h3l2-5 2 8 2-3h1" fill="none" stroke="#8fb0f0" stroke-width="1.6"/></svg>`;

async function overview(c: C): Promise<Response> {
  if (!c.var.session) return renderPage(c, <LoginPage now={systemClock.now()} />);
  const db = openDb(c.env.DB);
  const now = systemClock.now();
  const tenant = scopeOf(c);
  // The chart is relay-wide (`activity_hourly` has no tenant): the admin's, and a tenant's only
  // while it is the relay's one tenant (a deployment with RELAY_API_KEYS alone keeps its chart).
  const chart = c.var.session.caller.kind === "admin" || (await isOnlyTenant(db));
  const [viewer, counts, activity, failed, polling, notices] = await Promise.all([
    viewerOf(c, db),
    loadDashboardCounts(db, tenant),
    chart ? loadActivitySeries(db, now) : null,
    listSubscriptions(db, { status: "failed", tenant, limit: 5 }),
    listTasks(db, { state: "polling", tenant, limit: 10 }),
    listOperationNotices(db, tenant, 5),
  ]);
  return renderPage(
    c,
    <OverviewPage
      data={{ counts, activity, failed: failed.rows, polling: polling.rows, notices }}
      session={c.var.session}
      viewer={viewer}
      now={now}
    />,
  );
}

async function tasksPage(c: C): Promise<Response> {
  const found = c.req.query("task_id")?.trim();
  const tenant = scopeOf(c);
  // The task of the tenant in view: a tenant session's own, or the admin's filtered one (or any).
  if (found && TASK_ID_PATTERN.test(found))
    return c.redirect(tenant === undefined ? `/dashboard/tasks/${encodeURIComponent(found)}` : taskHref(found, tenant), 303);
  const state: TaskState = oneOf(TASK_STATES, c.req.query("state"), "all");
  const [action, action2] = (c.req.query("kind") ?? "").split("/");
  const kind = action && action2 && isActionPair(action, action2) ? { action, action2 } : undefined;
  const after = decodeCursor(c.req.query("after"));
  const db = openDb(c.env.DB);
  const [viewer, { rows, next }] = await Promise.all([viewerOf(c, db), listTasks(db, { state, kind, tenant, after, limit: PAGE_SIZE })]);
  const props = {
    rows,
    next,
    state,
    after,
    kind: kind && `${kind.action}/${kind.action2}`,
    session: session(c),
    viewer,
    now: systemClock.now(),
  };
  return renderPage(c, <TasksPage {...props} notFound={found || undefined} />);
}

async function taskPage(c: C): Promise<Response> {
  const taskId = c.req.param("task_id") ?? "";
  const db = openDb(c.env.DB);
  // A tenant session sees only its own tenant's task, whatever `?tenant=` says (scopeOf). The
  // admin's `?tenant=` of no tenant id's shape names no tenant: not found, as for an unknown one.
  const scope = scopeOf(c);
  const [viewer, view] = await Promise.all([
    viewerOf(c, db),
    TASK_ID_PATTERN.test(taskId) && (scope === undefined || isTenantId(scope))
      ? loadTaskView(db, scope ?? null, providerOf(c), taskId)
      : undefined,
  ]);
  const now = systemClock.now();
  if (!view)
    return renderPage(
      c,
      <MessagePage title="Task not found" text={`No task ${taskId} is registered.`} session={c.var.session} viewer={viewer} now={now} />,
      404,
    );
  const notice = noticeText(new URL(c.req.url).searchParams);
  // Links to the copies, signed for this page (valid ARCHIVE_LINK_TTL_SECONDS, like the API's).
  const config = loadConfig(c.env);
  const archive = await Promise.all(
    view.archiveFiles.map(async (file) => ({
      ...file,
      link: await linkToFile(config, file, now),
    })),
  );
  return renderPage(
    c,
    <TaskPage
      task={view.task}
      subscriptions={view.subscriptions}
      archive={archive}
      session={session(c)}
      viewer={viewer}
      now={now}
      notice={notice}
    />,
  );
}

async function subscriptionsPage(c: C): Promise<Response> {
  const status: ListedSubscriptionStatus = oneOf(LISTED_SUBSCRIPTION_STATUSES, c.req.query("status"), "failed");
  const after = decodeCursor(c.req.query("after"));
  const db = openDb(c.env.DB);
  const [viewer, { rows, next }] = await Promise.all([
    viewerOf(c, db),
    listSubscriptions(db, { status, tenant: scopeOf(c), after, limit: PAGE_SIZE }),
  ]);
  const notice = noticeText(new URL(c.req.url).searchParams);
  return renderPage(
    c,
    <SubscriptionsPage
      rows={rows}
      status={status}
      after={after}
      next={next}
      session={session(c)}
      viewer={viewer}
      now={systemClock.now()}
      notice={notice}
    />,
  );
}

/**
 * The endpoints with their health and their last day's figures: one statement for the page's
 * rows, one for their attempts (storage/endpoint-stats.ts).
 */
async function endpointsPage(c: C): Promise<Response> {
  // An endpoint id (`ep_` and hex; older ones any short URL-safe text) to continue after.
  const after = /^[\w-]{1,128}$/.exec(c.req.query("after") ?? "")?.[0];
  const db = openDb(c.env.DB);
  const now = systemClock.now();
  const [viewer, { rows, next }] = await Promise.all([
    viewerOf(c, db),
    listDashboardEndpoints(db, { tenant: scopeOf(c), after, limit: PAGE_SIZE }),
  ]);
  const stats = await loadEndpointStats(
    db,
    rows.map((r) => r.id),
    now,
  );
  const notice = noticeText(new URL(c.req.url).searchParams);
  return renderPage(
    c,
    <EndpointsPage rows={rows} stats={stats} after={after} next={next} session={session(c)} viewer={viewer} now={now} notice={notice} />,
  );
}

/** The audit log: a tenant session's own entries, the admin's every entry or one tenant's. */
async function auditPage(c: C): Promise<Response> {
  const after = decodeCursor(c.req.query("after"));
  const db = openDb(c.env.DB);
  const [viewer, { rows, next }] = await Promise.all([viewerOf(c, db), listAudit(db, { tenant: scopeOf(c), after, limit: PAGE_SIZE })]);
  return renderPage(c, <AuditPage rows={rows} after={after} next={next} session={session(c)} viewer={viewer} now={systemClock.now()} />);
}

/**
 * The dashboard: server-rendered pages behind a session cookie, their two assets, and the forms'
 * actions. Mounted at `/` of the app, so no middleware here may use a wildcard path: it would
 * apply to the API too.
 */
export const dashboard = new Hono<DashboardEnv>()
  .get("/assets/relay.css", pageHeaders(), asset(RELAY_CSS, "text/css"))
  .get("/assets/dashboard.js", pageHeaders(), asset(DASHBOARD_JS, "text/javascript"))
  .get("/assets/favicon.svg", pageHeaders(), asset(FAVICON_SVG, "image/svg+xml"))
  .get("/", browsersOnly, ...page, overview)
  // The pages live under /dashboard/..., the overview at `/`: the path a browser guesses leads there
  // (the query too: the admin's ?tenant=). API clients get the JSON 404, as at `/`.
  .on("GET", ["/dashboard", "/dashboard/"], browsersOnly, pageHeaders(), (c) => c.redirect(`/${new URL(c.req.url).search}`, 302))
  .post("/dashboard/login", pageHeaders(), sameOriginForms, logIn)
  .post("/dashboard/logout", pageHeaders(), loadSession(), sameOriginForms, logOut)
  .get("/dashboard/tasks", ...page, sessionRequired, tasksPage)
  .get("/dashboard/tasks/:task_id", ...page, sessionRequired, taskPage)
  .get("/dashboard/subscriptions", ...page, sessionRequired, subscriptionsPage)
  .get("/dashboard/endpoints", ...page, sessionRequired, endpointsPage)
  .get("/dashboard/audit", ...page, sessionRequired, auditPage)
  .post("/dashboard/subscriptions/:id/redeliver", ...page, sameOriginForms, redeliverOne)
  .post("/dashboard/redeliver", ...page, sameOriginForms, redeliverMany)
  .post("/dashboard/endpoints/:id/enable", ...page, sameOriginForms, turnEndpoint(true))
  .post("/dashboard/endpoints/:id/disable", ...page, sameOriginForms, turnEndpoint(false))
  .post("/dashboard/endpoints/:id/recover", ...page, sameOriginForms, recoverEndpointForm);

import type { Context } from "hono";
import { isKnownKey } from "../auth/keys";
import { clearSessionCookie, issueSession, setSessionCookie } from "../auth/session";
import { loadConfig } from "../config";
import { renderPage } from "../lib/html-page";
import { openDb } from "../storage/db";
import { redeliverSubscription } from "../storage/redeliver-subscription";
import { isSameOrigin, isSessionForm, readForm, type DashboardEnv } from "./guard";
import { noticeCode } from "./notices";
import { LoginPage } from "./views/login-page";
import { MessagePage } from "./views/message-page";

type C = Context<DashboardEnv>;

/** At most one page of dead letters per bulk request: each is a few D1 round trips. */
export const MAX_BULK_REDELIVER = 25;

/** Where to go after logging in: a dashboard page of this site, never another site. */
const safeNext = (next: string | null) => (next && /^\/dashboard\/[A-Za-z0-9/_.?=&%-]*$/.test(next) ? next : "/");

const refused = (c: C) =>
  renderPage(c, <MessagePage title="Form refused" text="This form came from another page or an old session. Reload the page and try again." session={c.var.session} now={Date.now()} />, 403);

/** POST /dashboard/login: an API key for a session cookie (the key itself is never stored). */
export async function logIn(c: C): Promise<Response> {
  const now = Date.now();
  if (!isSameOrigin(c)) return refused(c);
  const form = await readForm(c);
  const key = form?.get("api_key")?.trim() ?? "";
  const keys = loadConfig(c.env).apiKeys;
  if (keys.length === 0) return renderPage(c, <LoginPage now={now} error="No API keys are configured (RELAY_API_KEYS): nobody can log in." />, 401);
  if (!key || !(await isKnownKey(key, keys))) return renderPage(c, <LoginPage now={now} error="Unknown API key." next={safeNext(form?.get("next") ?? null)} />, 401);
  setSessionCookie(c, await issueSession(key, now));
  return c.redirect(safeNext(form?.get("next") ?? null), 303);
}

/** POST /dashboard/logout: clears the cookie. */
export async function logOut(c: C): Promise<Response> {
  const form = await readForm(c);
  if (c.var.session && !isSessionForm(c, c.var.session, form)) return refused(c);
  clearSessionCookie(c);
  return c.redirect("/", 303);
}

/** POST /dashboard/subscriptions/:id/redeliver: the task page's button. */
export async function redeliverOne(c: C): Promise<Response> {
  const form = await readForm(c);
  if (!isSessionForm(c, c.var.session, form)) return refused(c);
  const result = await redeliverSubscription(openDb(c.env.DB), c.req.param("id") ?? "", Date.now());
  if (result.kind === "not_found") return c.redirect(`/dashboard/subscriptions?status=failed&notice=${noticeCode(result)}`, 303);
  return c.redirect(`/dashboard/tasks/${encodeURIComponent(result.subscription.taskId)}?notice=${noticeCode(result)}`, 303);
}

/** POST /dashboard/redeliver: the dead-letter list's bulk redeliver, one subscription at a time. */
export async function redeliverMany(c: C): Promise<Response> {
  const form = await readForm(c);
  if (!form || !isSessionForm(c, c.var.session, form)) return refused(c);
  const ids = [...new Set(form.getAll("ids"))];
  const db = openDb(c.env.DB);
  let redelivered = 0;
  for (const id of ids.slice(0, MAX_BULK_REDELIVER)) {
    if ((await redeliverSubscription(db, id, Date.now())).kind === "redelivered") redelivered += 1;
  }
  return c.redirect(`/dashboard/subscriptions?status=failed&redelivered=${redelivered}&skipped=${ids.length - redelivered}`, 303);
}

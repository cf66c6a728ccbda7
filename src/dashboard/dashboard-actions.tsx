import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { ownTenant } from "../auth/caller";
import { checkKey } from "../auth/guess-limit";
import { clearSessionCookie, isFormToken, issueSession, type Session, type SessionEnv, setSessionCookie } from "../auth/session";
import { loadConfig } from "../config";
import { systemClock } from "../lib/clock";
import { renderPage } from "../lib/html-page";
import { readBoundedText } from "../lib/read-bounded";
import { openDb } from "../storage/db";
import { findTaskByKey } from "../storage/read-models";
import { redeliverSubscription } from "../storage/redeliver-subscription";
import { noticeCode } from "./notices";
import { withParams } from "./views/format";
import { MessagePage } from "./views/layout";
import { LoginPage } from "./views/login-page";
import { taskHref } from "./views/viewer";

/** The dashboard's handlers: the Worker's env, and the session the cookie proves (or null). */
export type DashboardEnv = SessionEnv;

type C = Context<DashboardEnv>;

/** At most one page of dead letters per bulk request: each is a few D1 round trips. */
export const MAX_BULK_REDELIVER = 25;

/** Where to go after logging in: a dashboard page of this site, never another site. */
const safeNext = (next: string | null) => (next && /^\/dashboard\/[A-Za-z0-9/_.?=&%-]*$/.test(next) ? next : "/");

/** The "Form refused" page (403): a form of another origin, an old session, or no form token. */
export const refused = (c: C) =>
  renderPage(
    c,
    <MessagePage
      title="Form refused"
      text="This form came from another page or an old session. Reload the page and try again."
      session={c.var.session}
      now={systemClock.now()}
    />,
    403,
  );

const fromThisOrigin = csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin, secFetchSite: "same-origin" });

/**
 * Before every form POST, hono's `csrf()`: the browser must say the form came from this origin,
 * with `Sec-Fetch-Site: same-origin` or (a browser without Fetch Metadata) its `Origin`; a POST
 * that says neither is refused. With SameSite=Strict and the session's form token this is the
 * third lock; for the login form (no session yet) it is the one that stops login CSRF. Its refusal
 * is the dashboard's "Form refused" page (403). (hono judges only the bodies a cross-site form can
 * send: url-encoded, multipart, text/plain or none. The actions read url-encoded forms only, so
 * any other body is refused by them.)
 */
export const sameOriginForms: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  let passed = false;
  try {
    await fromThisOrigin(c, async () => {
      passed = true;
    });
  } catch (error) {
    if (!(error instanceof HTTPException && error.status === 403)) throw error;
  }
  return passed ? next() : refused(c);
};

const MAX_FORM_BYTES = 16 * 1024;

/** A form body (url-encoded, at most 16 KiB), or null for anything else. */
export async function readForm(c: Context): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return null;
  const { text, truncated } = await readBoundedText(c.req.raw.body, MAX_FORM_BYTES);
  return truncated ? null : new URLSearchParams(text);
}

/**
 * A form posted by a page of this session: it carries the session's form token. (That it came
 * from this origin at all is checked before, by `sameOriginForms`.)
 */
export function isSessionForm(session: Session | null, form: URLSearchParams | null): session is Session {
  return session !== null && form !== null && isFormToken(session, form.get("form_token") ?? undefined);
}

/**
 * POST /dashboard/login: an API key for a session cookie (the key itself is never stored). Behind
 * the same guessing limit as /v1 (`checkKey`): while this address or this key's prefix is blocked,
 * the login page answers 429 with `Retry-After`, whatever the key.
 */
export async function logIn(c: C): Promise<Response> {
  const now = systemClock.now();
  const form = await readForm(c);
  const key = form?.get("api_key")?.trim() ?? "";
  const next = safeNext(form?.get("next") ?? null);
  const check = await checkKey(c.env, c.req.header("cf-connecting-ip"), key || null);
  if (check.kind === "blocked") {
    c.header("retry-after", String(check.retryAfterSeconds));
    const error = `Too many failed logins from this address or with this key. Try again in ${check.retryAfterSeconds} seconds.`;
    return renderPage(c, <LoginPage now={now} error={error} next={next} />, 429);
  }
  if (check.kind === "refused") return renderPage(c, <LoginPage now={now} error="Unknown API key." next={next} />, 401);
  const { caller } = check;
  if (caller.kind === "tenant" && caller.suspended)
    return renderPage(c, <LoginPage now={now} error="This key's tenant is suspended." next={next} />, 403);
  setSessionCookie(c, await issueSession(loadConfig(c.env).secretsKeyring, key, caller, now));
  return c.redirect(next, 303);
}

/** POST /dashboard/logout: clears the cookie. */
export async function logOut(c: C): Promise<Response> {
  const form = await readForm(c);
  if (c.var.session && !isSessionForm(c.var.session, form)) return refused(c);
  clearSessionCookie(c);
  return c.redirect("/", 303);
}

/** POST /dashboard/subscriptions/:id/redeliver: the task page's button; back to that task's page. */
export async function redeliverOne(c: C): Promise<Response> {
  const form = await readForm(c);
  if (!isSessionForm(c.var.session, form)) return refused(c);
  const db = openDb(c.env.DB);
  // A session may redeliver its tenant's subscriptions; the admin's, any tenant's.
  const result = await redeliverSubscription(
    db,
    ownTenant(c.var.session.caller),
    c.req.param("id") ?? "",
    systemClock.now(),
    loadConfig(c.env),
  );
  if (result.kind === "not_found") return c.redirect(`/dashboard/subscriptions?status=failed&notice=${noticeCode(result)}`, 303);
  const task = await findTaskByKey(db, result.subscription.taskKey);
  const back = `${taskHref(task?.taskId ?? "", result.subscription.tenantId, task?.provider)}&notice=${noticeCode(result)}`;
  return c.redirect(back, 303);
}

/** POST /dashboard/redeliver: the dead-letter list's bulk redeliver, one subscription at a time. */
export async function redeliverMany(c: C): Promise<Response> {
  const form = await readForm(c);
  if (!form || !isSessionForm(c.var.session, form)) return refused(c);
  const ids = [...new Set(form.getAll("ids"))];
  const db = openDb(c.env.DB);
  let redelivered = 0;
  for (const id of ids.slice(0, MAX_BULK_REDELIVER)) {
    if ((await redeliverSubscription(db, ownTenant(c.var.session.caller), id, systemClock.now(), loadConfig(c.env))).kind === "redelivered")
      redelivered += 1;
  }
  // Back to the list the form was on: the admin's keeps its tenant filter.
  const tenant = c.var.session.caller.kind === "admin" ? form.get("tenant")?.trim() || undefined : undefined;
  const back = `/dashboard/subscriptions?status=failed&redelivered=${redelivered}&skipped=${ids.length - redelivered}`;
  return c.redirect(withParams(back, { tenant }), 303);
}

import type { Context } from "hono";
import { isFormToken, type Session, type SessionEnv } from "../auth/session";
import { readBoundedText } from "../lib/read-bounded";

/** The dashboard's handlers: the Worker's env, and the session the cookie proves (or null). */
export type DashboardEnv = SessionEnv;

/**
 * A POST from another site is refused before anything else: the browser says where it came from
 * (`Sec-Fetch-Site`, or at least `Origin`). With SameSite=Strict and the form token this is the
 * third lock; for the login form (no session yet) it is the one that stops login CSRF.
 */
export function isSameOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}

const MAX_FORM_BYTES = 16 * 1024;

/** A form body (url-encoded, at most 16 KiB), or null for anything else. */
export async function readForm(c: Context): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return null;
  const { text, truncated } = await readBoundedText(c.req.raw.body, MAX_FORM_BYTES);
  return truncated ? null : new URLSearchParams(text);
}

/** A form posted by a page of this session: same origin, and carrying the session's form token. */
export function isSessionForm(c: Context, session: Session | null, form: URLSearchParams | null): session is Session {
  return session !== null && form !== null && isSameOrigin(c) && isFormToken(session, form.get("form_token") ?? undefined);
}

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { readBoundedText } from "../lib/read-bounded";
import { SESSION_TTL_MS, isFormToken, verifySession, type Session } from "./session";

export type DashboardEnv = { Bindings: Env; Variables: { session: Session | null } };

/** `__Host-`: only this origin, path `/`, over HTTPS; the browser refuses anything else. */
const COOKIE = "relay_session";
const COOKIE_OPTIONS = { prefix: "host", httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;

export const setSessionCookie = (c: Context, token: string) => setCookie(c, COOKIE, token, { ...COOKIE_OPTIONS, maxAge: SESSION_TTL_MS / 1000 });
export const clearSessionCookie = (c: Context) => deleteCookie(c, COOKIE, COOKIE_OPTIONS);

/** Sets `session` from the cookie: null when absent, malformed, forged, expired or its key removed. */
export function loadSession(): MiddlewareHandler<DashboardEnv> {
  return async function readSessionCookie(c, next) {
    const token = getCookie(c, COOKIE, "host");
    c.set("session", token ? await verifySession(token, loadConfig(c.env).apiKeys, Date.now()) : null);
    await next();
  };
}

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

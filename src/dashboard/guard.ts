import type { Context } from "hono";
import { isFormToken, type Session, type SessionEnv } from "../auth/session";
import { readBoundedText } from "../lib/read-bounded";

/** The dashboard's handlers: the Worker's env, and the session the cookie proves (or null). */
export type DashboardEnv = SessionEnv;

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

import type { Context, MiddlewareHandler } from "hono";
import { ownTenant } from "../auth/caller";
import { loadSession, type Session } from "../auth/session";
import { PROVIDERS, type Provider } from "../domain/kling";
import { systemClock } from "../lib/clock";
import { pageHeaders, renderPage } from "../lib/html-page";
import type { Db } from "../storage/db";
import { findTenant, listTenants } from "../storage/tenants";
import type { DashboardEnv } from "./dashboard-actions";
import { MessagePage } from "./views/layout";
import { LoginPage } from "./views/login-page";
import type { Viewer } from "./views/viewer";

/**
 * What every dashboard page runs before its handler (who may see it, in which state) and reads
 * about its request (whose rows, who is looking): the guards and the scope, apart from the pages.
 */

export type C = Context<DashboardEnv>;

/** `/` is the dashboard for browsers only: an API client asking for `/` still gets the JSON 404. */
export const browsersOnly: MiddlewareHandler<DashboardEnv> = async (c, next) =>
  /\btext\/html\b/i.test(c.req.header("accept") ?? "") ? next() : c.notFound();

/** Pages need a session; without one they show the login form, which comes back here. */
export const sessionRequired: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  if (c.var.session) return next();
  const url = new URL(c.req.url);
  return renderPage(c, <LoginPage now={systemClock.now()} next={`${url.pathname}${url.search}`} />, 401);
};

/**
 * A session of a suspended tenant's key shows only that (403), on every page and action but the
 * logout: nothing of the tenant is shown or changed until the admin resumes it.
 */
const notSuspended: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const caller = c.var.session?.caller;
  if (caller?.kind !== "tenant" || !caller.suspended) return next();
  const text = "This key's tenant is suspended: nothing is polled, created or delivered for it until the relay's operator resumes it.";
  return renderPage(c, <MessagePage title="Tenant suspended" text={text} session={c.var.session} now={systemClock.now()} />, 403);
};

export const page = [pageHeaders(), loadSession(), notSuspended] as const;
export const session = (c: C) => c.var.session as Session;
/**
 * Whose rows this session sees: a tenant key's session only its tenant's; the admin's every
 * tenant's, or the one `?tenant=` names.
 */
export const scopeOf = (c: C): string | undefined => ownTenant(session(c).caller) ?? (c.req.query("tenant")?.trim() || undefined);
/**
 * Who the header says is logged in, and the admin's tenant filter: a tenant session's own tenant
 * (its name from D1), or the admin with every tenant (for the filter's list) and `?tenant=`.
 */
export async function viewerOf(c: C, db: Db): Promise<Viewer> {
  const caller = session(c).caller;
  if (caller.kind === "tenant") {
    const row = await findTenant(db, caller.tenantId);
    return { kind: "tenant", tenant: { id: caller.tenantId, name: row?.name ?? caller.tenantId } };
  }
  const tenants = (await listTenants(db)).map(({ id, name }) => ({ id, name }));
  return { kind: "admin", tenants, filter: scopeOf(c) };
}

export const oneOf = <T extends string>(values: readonly T[], value: string | undefined, fallback: T): T =>
  values.includes(value as T) ? (value as T) : fallback;
/** A task page's provider (`?provider=`, default `cometapi`): task ids are unique per provider. */
export const providerOf = (c: C): Provider => oneOf(PROVIDERS, c.req.query("provider"), "cometapi");

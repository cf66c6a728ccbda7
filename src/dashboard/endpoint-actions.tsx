import { type Caller, ownTenant } from "../auth/caller";
import type { Session } from "../auth/session";
import { loadConfig } from "../config";
import { isTenantId } from "../domain/ids";
import { systemClock } from "../lib/clock";
import { type AuditEntry, auditActorOf, recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { disableEndpoint, enableEndpoint, findEndpoint } from "../storage/endpoints";
import { recoverEndpoint } from "../storage/recover-endpoint";
import { isSessionForm, readForm, refused } from "./dashboard-actions";
import type { EndpointNotice } from "./notices";
import { type C, oneOf } from "./page-guards";
import { RECOVER_HOURS } from "./views/endpoint-table";
import { withParams } from "./views/format";

/** An audit entry of this request: as the API's (http/audit.ts), from the session's caller. */
const audit = (c: C, caller: Caller, entry: Pick<AuditEntry, "tenantId" | "action" | "target" | "detail">): AuditEntry => ({
  ...entry,
  actor: auditActorOf(caller),
  clientAddress: c.req.header("cf-connecting-ip") ?? null,
});

/** Whose endpoint a form acts on: a tenant session's own tenant, whatever the form says; the admin's form names it. */
const tenantOf = (session: Session, form: URLSearchParams) => ownTenant(session.caller) ?? form.get("tenant")?.trim() ?? "";

/** Back to the list: the admin's keeps the tenant filter it was on; a tenant session has none. */
const back = (session: Session, form: URLSearchParams, params: Record<string, string | undefined>) =>
  withParams("/dashboard/endpoints", {
    tenant: session.caller.kind === "admin" ? form.get("filter")?.trim() || undefined : undefined,
    ...params,
  });

/**
 * The posted form of an endpoint's button, with whose endpoint it names (`tenant`: null for a
 * malformed one, which finds nothing) and its id; null when the form is refused (no session form token).
 */
async function endpointForm(c: C) {
  const form = await readForm(c);
  if (!form || !isSessionForm(c.var.session, form)) return null;
  const session = c.var.session;
  const tenant = tenantOf(session, form);
  return { form, session, tenant: isTenantId(tenant) ? tenant : null, id: c.req.param("id") ?? "", db: openDb(c.env.DB) };
}

/**
 * POST /dashboard/endpoints/:id/enable and /disable: the endpoints page's buttons, through the
 * same storage calls as `POST /v1/endpoints/{id}/enable` and `/disable`, audited the same way
 * (`endpoint.enable`, `endpoint.disable`). A tenant session turns only its own endpoints: the
 * write is scoped to its tenant, so another tenant's id finds nothing and answers as a missing
 * one does. The admin's form names the endpoint's tenant. Back to the list, with a notice.
 */
export const turnEndpoint = (on: boolean) =>
  async function turnEndpointHandler(c: C): Promise<Response> {
    const posted = await endpointForm(c);
    if (!posted) return refused(c);
    const { form, session, tenant, id, db } = posted;
    const now = systemClock.now();
    const row = tenant ? await (on ? enableEndpoint : disableEndpoint)(db, tenant, id, now) : undefined;
    if (row)
      await recordAudit(
        db,
        audit(c, session.caller, { tenantId: row.tenantId, action: on ? "endpoint.enable" : "endpoint.disable", target: row.id }),
        now,
      );
    const notice: EndpointNotice = row ? (on ? "endpoint_enabled" : "endpoint_disabled") : "endpoint_not_found";
    return c.redirect(back(session, form, { notice }), 303);
  };

/**
 * POST /dashboard/endpoints/:id/recover: the endpoint's failed messages of the last `hours` (one
 * of RECOVER_HOURS, no earlier than RETENTION_DAYS) sent again, through the same storage call as
 * `POST /v1/endpoints/{id}/recover` and audited as it is (`endpoint.recover`). One click moves at
 * most one batch (RECOVER_BATCH); the notice says when more are left. A disabled endpoint is
 * refused with a notice (enable it first); another tenant's answers as a missing one.
 */
export async function recoverEndpointForm(c: C): Promise<Response> {
  const posted = await endpointForm(c);
  if (!posted) return refused(c);
  const { form, session, tenant, id, db } = posted;
  const row = tenant ? await findEndpoint(db, tenant, id) : undefined;
  if (!row) return c.redirect(back(session, form, { notice: "endpoint_not_found" satisfies EndpointNotice }), 303);
  if (row.disabledAt !== null)
    return c.redirect(back(session, form, { notice: "endpoint_recover_disabled" satisfies EndpointNotice }), 303);
  const config = loadConfig(c.env);
  const now = systemClock.now();
  const hours = Number(oneOf(RECOVER_HOURS, form.get("hours") ?? undefined, "24"));
  const since = Math.max(now - hours * 3_600_000, now - config.retentionMs);
  const result = await recoverEndpoint(db, row.tenantId, row.id, since, now, config);
  const detail = { since: new Date(since).toISOString(), ...result };
  await recordAudit(db, audit(c, session.caller, { tenantId: row.tenantId, action: "endpoint.recover", target: row.id, detail }), now);
  const notice: EndpointNotice = "endpoint_recovered";
  return c.redirect(back(session, form, { notice, recovered: String(result.recovered), more: result.more ? "1" : undefined }), 303);
}

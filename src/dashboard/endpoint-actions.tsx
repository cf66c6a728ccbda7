import { ownTenant } from "../auth/caller";
import { isTenantId } from "../domain/ids";
import { systemClock } from "../lib/clock";
import { auditActorOf, recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { disableEndpoint, enableEndpoint } from "../storage/endpoints";
import { isSessionForm, readForm, refused } from "./dashboard-actions";
import type { EndpointNotice } from "./notices";
import type { C } from "./page-guards";
import { withParams } from "./views/format";

/**
 * POST /dashboard/endpoints/:id/enable and /disable: the endpoints page's buttons, through the
 * same storage calls as `POST /v1/endpoints/{id}/enable` and `/disable`, audited the same way
 * (`endpoint.enable`, `endpoint.disable`). A tenant session turns only its own endpoints: the
 * write is scoped to its tenant, so another tenant's id finds nothing and answers as a missing
 * one does. The admin's form names the endpoint's tenant. Back to the list, with a notice.
 */
export const turnEndpoint = (on: boolean) =>
  async function turnEndpointHandler(c: C): Promise<Response> {
    const form = await readForm(c);
    if (!isSessionForm(c.var.session, form)) return refused(c);
    const caller = c.var.session.caller;
    const tenant = ownTenant(caller) ?? form?.get("tenant")?.trim() ?? "";
    const id = c.req.param("id") ?? "";
    const db = openDb(c.env.DB);
    const now = systemClock.now();
    const row = isTenantId(tenant) ? await (on ? enableEndpoint : disableEndpoint)(db, tenant, id, now) : undefined;
    if (row)
      await recordAudit(
        db,
        {
          tenantId: row.tenantId,
          actor: auditActorOf(caller),
          action: on ? "endpoint.enable" : "endpoint.disable",
          target: row.id,
          clientAddress: c.req.header("cf-connecting-ip") ?? null,
        },
        now,
      );
    const notice: EndpointNotice = row ? (on ? "endpoint_enabled" : "endpoint_disabled") : "endpoint_not_found";
    // The admin comes back to the list it was on (its tenant filter); a tenant session has none.
    const filter = caller.kind === "admin" ? form?.get("filter")?.trim() || undefined : undefined;
    return c.redirect(withParams("/dashboard/endpoints", { tenant: filter, notice }), 303);
  };

import type { Caller } from "../auth/caller";
import type { TenantId } from "../domain/ids";
import { type AuditEntry, auditActorOf } from "../storage/audit-log";

/** What of a request's context an audit entry reads (any of the API's route contexts). */
type AuditContext = { get(key: "caller"): Caller; req: { header(name: string): string | undefined } };

/** The address the request came from, as Cloudflare tells it; null outside Cloudflare. */
export const clientAddressOf = (c: Pick<AuditContext, "req">): string | null => c.req.header("cf-connecting-ip") ?? null;

/**
 * An audit entry for what this request did: its caller (the admin, or the key and its prefix) and
 * its address filled in.
 * @example await recordAudit(db, auditEntry(c, tenant.id, "tenant.suspend", tenant.id))
 */
export const auditEntry = (
  c: AuditContext,
  tenantId: TenantId | null,
  action: string,
  target: string,
  detail?: AuditEntry["detail"],
): AuditEntry => ({
  tenantId,
  actor: auditActorOf(c.get("caller")),
  action,
  target,
  clientAddress: clientAddressOf(c),
  ...(detail ? { detail } : {}),
});

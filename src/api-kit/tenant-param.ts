import { isTenantId, type TenantId } from "../domain/ids";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { findTenant } from "../storage/tenants";
import { ApiError } from "./api-error";

/**
 * A tenant id a request names (a path's `{id}`, `Relay-Tenant`): one that is not even of a tenant
 * id's shape names no tenant, so it answers what an unknown one does, 404 `no tenant ...` (never a
 * 500 from the constructor's throw).
 */
export function tenantIdOr404(id: string): TenantId {
  if (!isTenantId(id)) throw new ApiError("not_found", `no tenant ${id}`);
  return id;
}

/** The tenant a request names, or 404 `no tenant ...` for a malformed id, an unknown tenant and a deleted one alike. */
export async function tenantOr404(env: Env, id: string) {
  const tenant = await findTenant(openDb(env.DB), tenantIdOr404(id));
  if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
  return tenant;
}

import { isTenantId, type TenantId } from "../domain/ids";
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

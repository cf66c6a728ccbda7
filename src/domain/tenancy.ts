import { type TenantId, tenantId } from "./ids";

/**
 * The built-in tenant: it owns the keys of `RELAY_API_KEYS` and every row from before tenants
 * existed, and its endpoints are also signed with `WEBHOOK_SECRETS`.
 */
export const DEFAULT_TENANT: TenantId = tenantId("default");

import { z } from "@hono/zod-openapi";

import type { JsonBodyVariables } from "../api-kit/validation";
import type { CallerVariables } from "../auth/auth-variables";
import type { Env } from "../env";

/**
 * The admin API (`/v1/admin`): tenants and their keys, for the holder of `ADMIN_API_KEY` only
 * (`requireAdmin` answers anyone else the 404 of a route that does not exist). The admin also acts
 * for any one tenant on the tenant routes, naming it in the `Relay-Tenant` header. Every change is
 * recorded in the audit log (suspension and deletion: tenant-lifecycle-routes.ts).
 */

export type AdminEnv = { Bindings: Env; Variables: CallerVariables & JsonBodyVariables };

export const TenantIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
});
export const KeyIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "key_7c9e6679742540de944be07f" }),
});

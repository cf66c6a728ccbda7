import { z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { authenticated } from "../api-kit/openapi-document";
import type { JsonBodyVariables } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import type { TenantId } from "../domain/ids";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { findEndpoint } from "../storage/endpoints";

/**
 * A tenant's endpoints (`/v1/endpoints`): each callback URL it registered, with its own signing
 * secret. Another tenant's endpoint answers 404, exactly like a missing one. Reading a secret,
 * rotating it, changing how it signs and deleting the endpoint are recorded in the audit log.
 */

export type EndpointEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

export const EndpointIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ep_2b7e151628aed2a6abf71588" }),
});

export const endpoint = { tags: ["endpoints"], ...authenticated };

export async function endpointOr404(c: { env: Env; get(key: "tenantId"): TenantId }, id: string) {
  const row = await findEndpoint(openDb(c.env.DB), c.get("tenantId"), id);
  if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
  return row;
}

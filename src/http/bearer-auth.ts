import type { MiddlewareHandler } from "hono";
import type { Caller } from "../auth/caller";
import { checkKey } from "../auth/guess-limit";
import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { findTenant } from "../storage/tenants";
import { ApiError } from "./api-error";
import { tenantIdOr404 } from "./tenant-param";

/**
 * What the auth middleware leaves for later handlers: who is calling (never the key itself), and
 * on tenant routes the one tenant whose rows the request may see or change.
 */
export type AuthVariables = { caller: Caller; apiKeyId: string; tenantId: TenantId };

/** The header an admin names the tenant it acts for with, on the tenant routes. */
export const TENANT_HEADER = "relay-tenant";

const isAdminPath = (path: string) => path === "/v1/admin" || path.startsWith("/v1/admin/");

/**
 * Requires `Authorization: Bearer <key>` with a key some caller has (see `resolveCaller`), behind
 * the guessing limit (`checkKey`: 429 `rate_limited` with `Retry-After` once too many key checks
 * from this address or with this key prefix failed, the right key too), then:
 * under `/v1/admin` only the admin goes on (anyone else gets the 404 of a route that does not
 * exist); everywhere else the request is scoped to one tenant, the key's own, or for the admin
 * the one its `Relay-Tenant` header names. A suspended tenant's keys are refused with 403
 * `tenant_suspended`; the admin may still act for it (a deleted tenant's keys are unknown: 401, and
 * `Relay-Tenant` naming it answers 404).
 */
export function bearerAuth(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function requireApiKey(c, next) {
    const config = loadConfig(c.env);
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
    if (config.relayApiKeys.length === 0 && config.adminApiKey === null)
      console.error(
        JSON.stringify({ event: "configuration_error", error: "neither RELAY_API_KEYS nor ADMIN_API_KEY is set: only tenant keys work" }),
      );
    const check = await checkKey(c.env, c.req.header("cf-connecting-ip"), match?.[1] ?? null);
    if (check.kind === "blocked")
      throw new ApiError("rate_limited", "too many failed API key checks; retry later", undefined, check.retryAfterSeconds);
    if (check.kind === "refused") throw new ApiError("unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    const { caller } = check;
    c.set("caller", caller);
    c.set("apiKeyId", caller.keyId);
    if (isAdminPath(c.req.path)) {
      if (caller.kind !== "admin") throw new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    } else if (caller.kind === "tenant") {
      if (caller.suspended) throw new ApiError("tenant_suspended", "this key's tenant is suspended; ask the relay's operator");
      c.set("tenantId", caller.tenantId);
    } else {
      const named = c.req.header(TENANT_HEADER)?.trim();
      if (!named)
        throw new ApiError("invalid_request", `the admin key acts for one tenant: name it in the ${TENANT_HEADER} header`, [
          { field: TENANT_HEADER, message: "required with the admin key" },
        ]);
      const tenantId = tenantIdOr404(named);
      if (!(await findTenant(openDb(c.env.DB), tenantId))) throw new ApiError("not_found", `no tenant ${named}`);
      c.set("tenantId", tenantId);
    }
    await next();
  };
}

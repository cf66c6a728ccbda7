import { createMiddleware } from "hono/factory";
import { ApiError } from "../api-kit/api-error";
import { tenantOr404 } from "../api-kit/tenant-param";
import type { Env } from "../env";
import type { AuthVariables } from "./auth-variables";

/** The header an admin names the tenant it acts for with, on the tenant routes. */
export const TENANT_HEADER = "relay-tenant";

/**
 * Scopes the request to one tenant, after `authenticate`: the key's own, or for the admin the one
 * its `Relay-Tenant` header names (400 without it, 404 for a tenant that does not exist, a deleted
 * one included). A suspended tenant's keys are refused with 403 `tenant_suspended`; the admin may
 * still act for it (a deleted tenant's keys are unknown: `authenticate` answers 401).
 * @example root.use("/v1/*", scopeTenant({ except: (path) => path.startsWith("/v1/admin/") }))
 */
export const scopeTenant = (options: { except?: (path: string) => boolean } = {}) =>
  createMiddleware<{ Bindings: Env; Variables: AuthVariables }>(async function scopeToTenant(c, next) {
    // `except`: paths left alone (the admin's own), tested here rather than with hono's `except`,
    // which composes its middleware again on every request.
    if (options.except?.(c.req.path)) {
      await next();
      return;
    }
    const caller = c.get("caller");
    if (caller.kind === "tenant") {
      if (caller.suspended) throw new ApiError("tenant_suspended", "this key's tenant is suspended; ask the relay's operator");
      c.set("tenantId", caller.tenantId);
    } else {
      const named = c.req.header(TENANT_HEADER)?.trim();
      if (!named)
        throw new ApiError("invalid_request", `the admin key acts for one tenant: name it in the ${TENANT_HEADER} header`, [
          { field: TENANT_HEADER, message: "required with the admin key" },
        ]);
      c.set("tenantId", (await tenantOr404(c.env, named)).id);
    }
    await next();
  });

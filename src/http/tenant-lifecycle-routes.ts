import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { TenantSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { tenantIdOr404 } from "../api-kit/tenant-param";
import { validationHook } from "../api-kit/validation";
import type { CallerVariables } from "../auth/auth-variables";
import { DEFAULT_TENANT } from "../domain/tenancy";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { markTenantDeleted, setSuspended } from "../storage/tenants";
import { auditEntry } from "./audit";
import { presentTenant } from "./present";

/**
 * Suspending, resuming and deleting a tenant (`/v1/admin/tenants/{id}/...`), for the admin only
 * (`requireAdmin`). Each is recorded in the audit log.
 */

type AdminEnv = { Bindings: Env; Variables: CallerVariables };

const TenantIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
});

const admin = { tags: ["admin"], ...authenticated };

const suspension = (suspend: boolean) =>
  createRoute({
    ...admin,
    method: "post",
    path: suspend ? "/tenants/{id}/suspend" : "/tenants/{id}/resume",
    summary: suspend ? "Suspend a tenant" : "Resume a suspended tenant",
    description: suspend
      ? "At once, its keys and dashboard sessions answer 403 `tenant_suspended`; nothing is polled, created or delivered for it (callbacks about its tasks are noted, not acted on). Nothing is lost: its due work waits, no delivery attempt is spent, and all of it goes on after the resume. The admin may still act for it (`Relay-Tenant`). Suspending twice keeps the first time."
      : "Its keys work again, and its work that waited is due again from the next tick on (bounded per tick: a large backlog goes on over a few). Resuming a tenant that is not suspended changes nothing.",
    request: { params: TenantIdParams },
    responses: { 200: json(TenantSchema, "The tenant"), ...errors([401, 404, 429], {}, false) },
  });

export const tenantLifecycleRoutes = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook })
  .openapi(suspension(true), async (c) => {
    const id = tenantIdOr404(c.req.valid("param").id);
    const db = openDb(c.env.DB);
    const tenant = await setSuspended(db, id, true, systemClock.now());
    if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
    await recordAudit(db, auditEntry(c, id, "tenant.suspend", id));
    return c.json(presentTenant(tenant), 200);
  })
  .openapi(suspension(false), async (c) => {
    const id = tenantIdOr404(c.req.valid("param").id);
    const db = openDb(c.env.DB);
    const tenant = await setSuspended(db, id, false, systemClock.now());
    if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
    await recordAudit(db, auditEntry(c, id, "tenant.resume", id));
    return c.json(presentTenant(tenant), 200);
  })
  .openapi(
    createRoute({
      ...admin,
      method: "delete",
      path: "/tenants/{id}",
      summary: "Delete a tenant",
      description:
        "At once, the tenant answers 404 everywhere (the admin API, `Relay-Tenant`) and its keys and sessions stop working; nothing more is polled or delivered for it. Then the cron tick removes every row of it (tasks, subscriptions, messages, attempts, endpoints and their secrets, keys, idempotency keys) and its archived files' objects, a bounded slice per tick, and the tenant last. Its audit entries stay until AUDIT_RETENTION_DAYS. The built-in `default` tenant (the keys of RELAY_API_KEYS) cannot be deleted: 409 `conflict`.",
      request: { params: TenantIdParams },
      responses: {
        204: { description: "Deleted: its rows go in the following ticks" },
        ...errors([401, 404, 409, 429], { 409: "The built-in `default` tenant cannot be deleted" }, false),
      },
    }),
    async (c) => {
      const id = tenantIdOr404(c.req.valid("param").id);
      const db = openDb(c.env.DB);
      if (id === DEFAULT_TENANT)
        throw new ApiError(
          "conflict",
          "the default tenant cannot be deleted: it holds the keys of RELAY_API_KEYS and the rows from before tenants",
        );
      const tenant = await markTenantDeleted(db, id, systemClock.now());
      if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
      await recordAudit(db, auditEntry(c, id, "tenant.delete", id, { name: tenant.name }));
      return c.body(null, 204);
    },
  );

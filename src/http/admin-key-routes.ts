import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { ApiKeyListSchema, NewApiKeySchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { tenantOr404 } from "../api-kit/tenant-param";
import { validationHook } from "../api-kit/validation";
import { newTenantKey } from "../auth/keys";
import { newId } from "../domain/ids";
import { systemClock } from "../lib/clock";
import { insertApiKey, listApiKeys, revokeApiKey } from "../storage/api-keys";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { type AdminEnv, KeyIdParams, TenantIdParams } from "./admin-params";
import { auditEntry } from "./audit";
import { presentApiKey } from "./present";

const admin = { tags: ["admin"], ...authenticated };

/** A tenant's API keys: made (shown once), listed, revoked. */
export const adminKeyRoutes = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      ...admin,
      method: "post",
      path: "/tenants/{id}/keys",
      summary: "Create an API key for a tenant",
      description: "The answer's `key` is the only time the key is shown: the relay keeps its SHA-256 and its visible prefix.",
      request: { params: TenantIdParams },
      responses: { 201: json(NewApiKeySchema, "The new key, shown this once"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const tenant = await tenantOr404(c.env, c.req.valid("param").id);
      const { key, prefix, hash } = await newTenantKey();
      const row = { id: newId("key"), tenantId: tenant.id, prefix, hash, createdAt: systemClock.now() };
      const db = openDb(c.env.DB);
      await insertApiKey(db, row);
      await recordAudit(db, auditEntry(c, tenant.id, "key.create", row.id, { prefix }));
      return c.json({ ...presentApiKey({ ...row, revokedAt: null }), key }, 201);
    },
  )
  .openapi(
    createRoute({
      ...admin,
      method: "get",
      path: "/tenants/{id}/keys",
      summary: "A tenant's keys",
      description: "Revoked ones included, oldest first; never the keys themselves.",
      request: { params: TenantIdParams },
      responses: { 200: json(ApiKeyListSchema, "The keys"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const tenant = await tenantOr404(c.env, c.req.valid("param").id);
      return c.json({ data: (await listApiKeys(openDb(c.env.DB), tenant.id)).map(presentApiKey) }, 200);
    },
  )
  .openapi(
    createRoute({
      ...admin,
      method: "delete",
      path: "/keys/{id}",
      summary: "Revoke an API key",
      description: "At once: the key and every dashboard session made from it stop working. Revoking twice is fine.",
      request: { params: KeyIdParams },
      responses: { 204: { description: "Revoked" }, ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = openDb(c.env.DB);
      const key = await revokeApiKey(db, id, systemClock.now());
      if (!key) throw new ApiError("not_found", `no key ${id}`);
      await recordAudit(db, auditEntry(c, key.tenantId, "key.revoke", id, { prefix: key.prefix }));
      return c.body(null, 204);
    },
  );

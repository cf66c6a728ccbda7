import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { newTenantKey } from "../auth/keys";
import { newId, newTenantId } from "../domain/ids";
import { DEFAULT_TENANT } from "../domain/tenancy";
import { CAP_NAMES, type CapName, MAX_CAP } from "../domain/tenant-caps";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { insertApiKey, listApiKeys, revokeApiKey } from "../storage/api-keys";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { createTenant, findTenant, listTenants, updateTenant } from "../storage/tenants";
import { ApiError } from "./api-error";
import { ApiKeyListSchema, NewApiKeySchema, TenantListSchema, TenantSchema } from "./api-schemas";
import { auditEntry } from "./audit";
import type { AuthVariables } from "./bearer-auth";
import { authenticated, errors, json } from "./openapi-document";
import { presentApiKey, presentTenant } from "./present";
import { tenantIdOr404 } from "./tenant-param";
import { bodyReadByRelay, type JsonBodyVariables, validationHook } from "./validation";

/**
 * The admin API (`/v1/admin`): tenants and their keys, for the holder of `ADMIN_API_KEY` only
 * (`bearerAuth` answers anyone else the 404 of a route that does not exist). The admin also acts
 * for any one tenant on the tenant routes, naming it in the `Relay-Tenant` header. Every change is
 * recorded in the audit log (suspension and deletion: tenant-lifecycle-routes.ts).
 */

type AdminEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;
const TenantBodySchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(100, "must be at most 100 characters")
      .refine((v) => !CONTROL.test(v), "must not contain control characters")
      .openapi({ example: "acme-video" }),
  })
  .openapi("TenantBody");

/** `PATCH /v1/admin/tenants/{id}`: any of the name, the flags and the caps; at least one. */
const TenantChangesSchema = z
  .strictObject({
    name: TenantBodySchema.shape.name.optional(),
    shared_upstream: z.boolean().optional().openapi({
      description: "Lend the operator's upstream credentials (COMETAPI_KEY, KLING_*) to this tenant: what it creates there is its alone",
    }),
    trusted: z.boolean().optional().openapi({
      description:
        "Let it register and query, on the operator's account, task ids the relay did not create for it (the operator's own apps)",
    }),
    caps: z
      .strictObject(
        Object.fromEntries(
          CAP_NAMES.map((name) => [
            name,
            z
              .number()
              .int("must be a whole number")
              .min(0, "must be at least 0")
              .max(MAX_CAP, `must be at most ${MAX_CAP}`)
              .nullable()
              .optional(),
          ]),
        ) as Record<CapName, z.ZodOptional<z.ZodNullable<z.ZodNumber>>>,
      )
      .optional()
      .openapi({ description: "Caps to change; null puts one back to its default", example: { endpoints: 500 } }),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one of name, shared_upstream, trusted, caps")
  .openapi("TenantChanges");

const TenantIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
});
const KeyIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "key_7c9e6679742540de944be07f" }),
});

const admin = { tags: ["admin"], ...authenticated };

const createTenantRoute = createRoute({
  ...admin,
  method: "post",
  path: "/tenants",
  summary: "Create a tenant",
  request: { body: { required: true, content: { "application/json": { schema: TenantBodySchema } } } },
  responses: { 201: json(TenantSchema, "The new tenant"), ...errors([400, 401, 404, 413, 415, 429], {}, false) },
});

const changeTenantRoute = createRoute({
  ...admin,
  method: "patch",
  path: "/tenants/{id}",
  summary: "Change a tenant: its name, whether it may use the operator's upstream account, its caps",
  description:
    "`shared_upstream`: the operator's credentials serve its tasks where it has none of its own, and what it creates there is its alone. `trusted`: it may also register and query there task ids the relay did not create for it. New tenants have neither; the built-in `default` tenant always has both. `caps` are merged: a cap set to null goes back to its default.",
  request: { params: TenantIdParams, body: { required: true, content: { "application/json": { schema: TenantChangesSchema } } } },
  responses: { 200: json(TenantSchema, "The tenant"), ...errors([400, 401, 404, 413, 415, 429], {}, false) },
});

const base = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook });
base.openAPIRegistry.registerPath(createTenantRoute);
base.openAPIRegistry.registerPath(changeTenantRoute);

async function tenantOr404(env: Env, id: string) {
  const tenant = await findTenant(openDb(env.DB), tenantIdOr404(id));
  if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
  return tenant;
}

export const adminRoutes = base
  .openapi(
    bodyReadByRelay(createTenantRoute, () => TenantBodySchema),
    async (c) => {
      const db = openDb(c.env.DB);
      const tenant = await createTenant(db, { id: newTenantId(), name: c.req.valid("json").name }, systemClock.now());
      await recordAudit(db, auditEntry(c, tenant.id, "tenant.create", tenant.id, { name: tenant.name }));
      return c.json(presentTenant(tenant), 201);
    },
  )
  .openapi(
    createRoute({
      ...admin,
      method: "get",
      path: "/tenants",
      summary: "Every tenant",
      description: "Oldest first, the built-in `default` tenant (the keys of RELAY_API_KEYS) among them.",
      responses: { 200: json(TenantListSchema, "The tenants"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => c.json({ data: (await listTenants(openDb(c.env.DB))).map(presentTenant) }, 200),
  )
  .openapi(
    createRoute({
      ...admin,
      method: "get",
      path: "/tenants/{id}",
      summary: "One tenant, with its flags and caps",
      request: { params: TenantIdParams },
      responses: { 200: json(TenantSchema, "The tenant"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => c.json(presentTenant(await tenantOr404(c.env, c.req.valid("param").id)), 200),
  )
  .openapi(
    bodyReadByRelay(changeTenantRoute, () => TenantChangesSchema),
    async (c) => {
      const id = tenantIdOr404(c.req.valid("param").id);
      const body = c.req.valid("json");
      if (id === DEFAULT_TENANT && (body.shared_upstream === false || body.trusted === false))
        throw new ApiError(
          "invalid_request",
          "invalid request: the default tenant is the operator's own: it always uses and may reach the operator's account",
          [{ field: body.shared_upstream === false ? "shared_upstream" : "trusted", message: "cannot be false for the default tenant" }],
        );
      const db = openDb(c.env.DB);
      const tenant = await updateTenant(
        db,
        id,
        { name: body.name, sharedUpstream: body.shared_upstream, trusted: body.trusted, caps: body.caps },
        systemClock.now(),
      );
      if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
      // Each change the admin made, never more: the flags and caps that were given.
      await recordAudit(
        db,
        auditEntry(c, id, "tenant.change", id, {
          ...(body.name !== undefined ? { name: tenant.name } : {}),
          ...(body.shared_upstream !== undefined ? { shared_upstream: body.shared_upstream } : {}),
          ...(body.trusted !== undefined ? { trusted: body.trusted } : {}),
          ...(body.caps !== undefined ? { caps: JSON.stringify(body.caps) } : {}),
        }),
      );
      return c.json(presentTenant(tenant), 200);
    },
  )
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

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { TenantListSchema, TenantSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { tenantIdOr404, tenantOr404 } from "../api-kit/tenant-param";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { newTenantId } from "../domain/ids";
import { DEFAULT_TENANT } from "../domain/tenancy";
import { CAP_NAMES, type CapName, MAX_CAP } from "../domain/tenant-caps";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { createTenant, listTenants, updateTenant } from "../storage/tenants";
import { type AdminEnv, TenantIdParams } from "./admin-params";
import { auditEntry } from "./audit";
import { presentTenant } from "./present";

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

/** `/v1/admin/tenants`: create, list, read and change tenants. */
export const adminTenantRoutes = base
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
  );

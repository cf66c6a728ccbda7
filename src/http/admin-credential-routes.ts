import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { UpstreamCredentialsSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { tenantOr404 } from "../api-kit/tenant-param";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { type CredentialsEnv, deleteFor, getFor, putFor } from "./credential-actions";
import { AdminParams, bodySchemaFor, CredentialsBodySchema, deleteDescription, providerOr404, putDescription } from "./credential-schemas";

/** `/v1/admin/tenants/{id}/credentials/{provider}`: any tenant's own upstream account, for the admin (see credential-actions.ts). */

const adminTags = { tags: ["admin"], ...authenticated };
const body = { required: true, content: { "application/json": { schema: CredentialsBodySchema } } };

const adminPut = createRoute({
  ...adminTags,
  method: "put",
  path: "/tenants/{id}/credentials/{provider}",
  summary: "Store a tenant's own upstream credentials for a provider",
  description: putDescription,
  request: { params: AdminParams, body },
  responses: {
    200: json(UpstreamCredentialsSchema, "Stored: what GET shows of them"),
    ...errors([400, 401, 404, 413, 415, 429], {}, false),
  },
});

const adminBase = new OpenAPIHono<CredentialsEnv>({ defaultHook: validationHook });
adminBase.openAPIRegistry.registerPath(adminPut);

export const adminCredentialRoutes = adminBase
  .openapi(bodyReadByRelay(adminPut, bodySchemaFor), async (c) => {
    const { id, provider } = c.req.valid("param");
    return putFor(c, (await tenantOr404(c.env, id)).id, providerOr404(provider), c.req.valid("json"));
  })
  .openapi(
    createRoute({
      ...adminTags,
      method: "get",
      path: "/tenants/{id}/credentials/{provider}",
      summary: "Whether a tenant has its own upstream credentials for a provider",
      description: "Never a value: only whether they exist, the last 4 characters of the key, and when they changed.",
      request: { params: AdminParams },
      responses: { 200: json(UpstreamCredentialsSchema, "What the relay shows of them"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const { id, provider } = c.req.valid("param");
      const p = providerOr404(provider);
      return getFor(c, (await tenantOr404(c.env, id)).id, p);
    },
  )
  .openapi(
    createRoute({
      ...adminTags,
      method: "delete",
      path: "/tenants/{id}/credentials/{provider}",
      summary: "Delete a tenant's own upstream credentials for a provider",
      description: deleteDescription,
      request: { params: AdminParams },
      responses: { 204: { description: "Deleted" }, ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const { id, provider } = c.req.valid("param");
      const p = providerOr404(provider);
      return deleteFor(c, (await tenantOr404(c.env, id)).id, p);
    },
  );

import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { UpstreamCredentialsSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { type CredentialsEnv, deleteFor, getFor, putFor } from "./credential-actions";
import { bodySchemaFor, CredentialsBodySchema, deleteDescription, providerOr404, putDescription, TenantParams } from "./credential-schemas";

/** `/v1/credentials/{provider}`: the caller's tenant's own upstream account (see credential-actions.ts). */

const tenantTags = { tags: ["credentials"], ...authenticated };
const body = { required: true, content: { "application/json": { schema: CredentialsBodySchema } } };

const tenantPut = createRoute({
  ...tenantTags,
  method: "put",
  path: "/credentials/{provider}",
  summary: "Store this tenant's own upstream credentials for a provider",
  description: putDescription,
  request: { params: TenantParams, body },
  responses: { 200: json(UpstreamCredentialsSchema, "Stored: what GET shows of them"), ...errors([400, 401, 404, 413, 415, 429]) },
});
const tenantBase = new OpenAPIHono<CredentialsEnv>({ defaultHook: validationHook });
tenantBase.openAPIRegistry.registerPath(tenantPut);

export const tenantCredentialRoutes = tenantBase
  .openapi(bodyReadByRelay(tenantPut, bodySchemaFor), async (c) =>
    putFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider), c.req.valid("json")),
  )
  .openapi(
    createRoute({
      ...tenantTags,
      method: "get",
      path: "/credentials/{provider}",
      summary: "Whether this tenant has its own upstream credentials for a provider",
      description: "Never a value: only whether they exist, the last 4 characters of the key, and when they changed.",
      request: { params: TenantParams },
      responses: { 200: json(UpstreamCredentialsSchema, "What the relay shows of them"), ...errors([401, 404, 429]) },
    }),
    async (c) => getFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider)),
  )
  .openapi(
    createRoute({
      ...tenantTags,
      method: "delete",
      path: "/credentials/{provider}",
      summary: "Delete this tenant's own upstream credentials for a provider",
      description: deleteDescription,
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errors([401, 404, 429]) },
    }),
    async (c) => deleteFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider)),
  );

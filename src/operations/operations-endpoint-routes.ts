import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { callbackUrlField } from "../api-kit/registration-schema";
import { bodyReadByRelay, type JsonBodyVariables, validationHook } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import { loadConfig } from "../config";
import { newId } from "../domain/ids";
import { newWebhookSecret } from "../domain/webhook-secret";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { type AuditEntry, auditActorOf, recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { clearOperationsEndpoint, findOperationsEndpoint, setOperationsEndpoint } from "../storage/operations-endpoint";
import type { EndpointRow } from "../storage/schema";

/**
 * `/v1/operations-endpoint`: where the caller's tenant receives its operational events
 * (docs/operations.md), signed like its webhooks. The endpoint is one of the tenant's endpoints:
 * its secret is rotated, its `v1a` signing turned on and its secret read again under
 * `/v1/endpoints/{id}`. Every route acts on the caller's tenant only.
 */

type OperationsEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

// The same address wall as a callback URL: checked again at each send (the rules may change).
const urlField = (allowInsecure: boolean) =>
  callbackUrlField(allowInsecure).openapi({
    type: "string",
    format: "uri",
    maxLength: 2048,
    description: "Where operational events go: the same rules as a registration's `callback_url`",
    example: "https://app.example.com/hooks/relay-operations",
  });

const bodySchema = (allowInsecure: boolean) => z.strictObject({ url: urlField(allowInsecure) }).openapi("OperationsEndpointUpdate");
const BODY_SCHEMAS = new Map([false, true].map((insecure) => [insecure, bodySchema(insecure)]));

const OperationsEndpointSchema = z
  .object({
    endpoint_id: z.string().openapi({
      description: "The endpoint that receives the events: rotate its secret or turn on `v1a` under `/v1/endpoints/{id}`",
      example: "ep_2b7e151628aed2a6abf71588",
    }),
    url: z.string(),
    signing: z.array(z.enum(["v1", "v1a"])),
    public_key: z.string().nullable().openapi({ description: "With `v1a`: the `whpk_` public key receivers verify with", example: null }),
    secret: z.string().nullable().openapi({
      description:
        "Only in the answer to the `PUT` that created the endpoint: its `whsec_` signing secret. Otherwise null: read it with `GET /v1/endpoints/{endpoint_id}/secret`",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("OperationsEndpoint", { description: "Where the tenant's operational events are sent" });

type OperationsEndpointBody = z.infer<typeof OperationsEndpointSchema>;

const present = (e: EndpointRow, secret: string | null): OperationsEndpointBody => ({
  endpoint_id: e.id,
  url: e.url,
  signing: e.signingKey ? ["v1", "v1a"] : ["v1"],
  public_key: e.publicKey,
  secret,
  created_at: new Date(e.createdAt).toISOString(),
});

const base = { tags: ["operations"], ...authenticated };

const putRoute = createRoute({
  ...base,
  method: "put",
  path: "/operations-endpoint",
  summary: "Receive operational events at a URL",
  description:
    "Signed Standard Webhooks about the tenant's own delivery: `endpoint.circuit_opened`, `endpoint.recovered`, `endpoint.disabled`, `subscription.failed`, `task.expired` (docs/operations.md). The URL becomes one of the tenant's endpoints (the same one, with the same secret, when callbacks are already registered to it); 201 when this call created it, with its secret, shown this once. Events still waiting are sent to the new URL.",
  request: { body: { required: true, content: { "application/json": { schema: bodySchema(false) } } } },
  responses: {
    200: json(OperationsEndpointSchema, "Set, to an endpoint the tenant already had"),
    201: json(OperationsEndpointSchema, "Set, to an endpoint made now: `secret` holds its signing secret"),
    ...errors([400, 401, 413, 415, 429]),
  },
});

/** The audit entry of this request (as http/audit.ts makes them: the caller, the address Cloudflare saw). */
type AuditContext = {
  get(key: "caller"): AuthVariables["caller"];
  get(key: "tenantId"): AuthVariables["tenantId"];
  req: { header(name: string): string | undefined };
};
const audit = (c: AuditContext, action: string, target: string, detail?: AuditEntry["detail"]): AuditEntry => ({
  tenantId: c.get("tenantId"),
  actor: auditActorOf(c.get("caller")),
  action,
  target,
  clientAddress: c.req.header("cf-connecting-ip") ?? null,
  ...(detail ? { detail } : {}),
});

const app = new OpenAPIHono<OperationsEnv>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
app.openAPIRegistry.registerPath(putRoute);

export const operationsEndpointRoutes = app
  .openapi(
    bodyReadByRelay(putRoute, (c) => BODY_SCHEMAS.get(loadConfig(c.env).allowInsecureCallbacks)!),
    async (c) => {
      const { url } = c.req.valid("json");
      const tenantId = c.get("tenantId");
      const db = openDb(c.env.DB);
      const fresh = { id: newId("ep"), secret: newWebhookSecret() };
      const { endpoint, created } = await setOperationsEndpoint(
        db,
        loadConfig(c.env).secretsKeyring,
        tenantId,
        url,
        fresh,
        systemClock.now(),
      );
      await recordAudit(db, audit(c, "operations_endpoint.set", endpoint.id, { created }));
      if (!created) return c.json(present(endpoint, null), 200);
      // Never cached: a secret must not linger in a proxy or a browser.
      c.header("cache-control", "no-store");
      return c.json(present(endpoint, fresh.secret), 201);
    },
  )
  .openapi(
    createRoute({
      ...base,
      method: "get",
      path: "/operations-endpoint",
      summary: "Where operational events go",
      responses: { 200: json(OperationsEndpointSchema, "The operations endpoint"), ...errors([401, 404, 429], { 404: "None is set" }) },
    }),
    async (c) => {
      const endpoint = await findOperationsEndpoint(openDb(c.env.DB), c.get("tenantId"));
      if (!endpoint) throw new ApiError("not_found", "no operations endpoint is set");
      return c.json(present(endpoint, null), 200);
    },
  )
  .openapi(
    createRoute({
      ...base,
      method: "delete",
      path: "/operations-endpoint",
      summary: "Stop sending operational events",
      description:
        "Events still waiting are not sent (the dashboard shows every event). The endpoint itself stays, with any subscriptions to it: delete it under `/v1/endpoints/{id}`.",
      responses: { 204: { description: "No longer sent" }, ...errors([401, 404, 429], { 404: "None is set" }) },
    }),
    async (c) => {
      const tenantId = c.get("tenantId");
      const db = openDb(c.env.DB);
      if (!(await clearOperationsEndpoint(db, tenantId, systemClock.now())))
        throw new ApiError("not_found", "no operations endpoint is set");
      await recordAudit(db, audit(c, "operations_endpoint.delete", tenantId));
      return c.body(null, 204);
    },
  );

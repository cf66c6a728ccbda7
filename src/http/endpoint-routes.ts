import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { EndpointListSchema, EndpointSchema } from "../api-kit/api-schemas";
import { errors, json } from "../api-kit/openapi-document";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import { newSigningKeyPair } from "../domain/webhook-secret";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { deleteEndpoint } from "../storage/delete-endpoint";
import { listEndpoints, setAsymmetricSigning } from "../storage/endpoints";
import { auditEntry } from "./audit";
import { type EndpointEnv, EndpointIdParams, endpoint, endpointOr404 } from "./endpoint-params";
import { presentEndpoint } from "./present";

const ListQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" }, description: "1-200, default 50" }),
  after: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "after", in: "query" }, description: "`next_cursor` of the previous page" }),
});

const SigningBodySchema = z
  .strictObject({
    signing: z
      .union([z.tuple([z.literal("v1")]), z.tuple([z.literal("v1"), z.literal("v1a")])])
      .openapi({ description: '`["v1"]`, or `["v1", "v1a"]` to add Ed25519 signatures', example: ["v1", "v1a"] }),
  })
  .openapi("EndpointUpdate");

const updateEndpointRoute = createRoute({
  ...endpoint,
  method: "patch",
  path: "/endpoints/{id}",
  summary: "Turn Ed25519 (v1a) signatures on or off",
  description:
    "With `v1a` on, every webhook also carries a `v1a,<base64>` Ed25519 signature (Standard Webhooks' asymmetric scheme), verified with the endpoint's `public_key` (`whpk_`): a receiver that holds only the public key holds nothing that can sign. Turning it on again keeps the key pair; turning it off drops it.",
  request: { params: EndpointIdParams, body: { required: true, content: { "application/json": { schema: SigningBodySchema } } } },
  responses: { 200: json(EndpointSchema, "The endpoint"), ...errors([400, 401, 404, 413, 415, 429]) },
});

const base = new OpenAPIHono<EndpointEnv>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
base.openAPIRegistry.registerPath(updateEndpointRoute);

/** `/v1/endpoints`: list, read, change how it signs, delete (its secret: endpoint-secret-routes.ts). */
export const endpointRoutes = base
  .openapi(
    createRoute({
      ...endpoint,
      method: "get",
      path: "/endpoints",
      summary: "Your endpoints",
      description: "Oldest first, a page at a time. An endpoint is created by the first registration of its URL.",
      request: { query: ListQuery },
      responses: { 200: json(EndpointListSchema, "A page of endpoints"), ...errors([400, 401, 429]) },
    }),
    async (c) => {
      const { limit, after } = c.req.valid("query");
      const { rows, more } = await listEndpoints(openDb(c.env.DB), c.get("tenantId"), { limit, after });
      const now = systemClock.now();
      return c.json({ data: rows.map((e) => presentEndpoint(e, now)), next_cursor: more ? (rows.at(-1)?.id ?? null) : null }, 200);
    },
  )
  .openapi(
    createRoute({
      ...endpoint,
      method: "get",
      path: "/endpoints/{id}",
      summary: "One endpoint",
      request: { params: EndpointIdParams },
      responses: { 200: json(EndpointSchema, "The endpoint"), ...errors([401, 404, 429]) },
    }),
    async (c) => c.json(presentEndpoint(await endpointOr404(c, c.req.valid("param").id), systemClock.now()), 200),
  )
  .openapi(
    bodyReadByRelay(updateEndpointRoute, () => SigningBodySchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const now = systemClock.now();
      // ["v1", "v1a"]: the schema admits only that pair or ["v1"].
      const on = c.req.valid("json").signing.length === 2;
      const pair = on ? await newSigningKeyPair() : null;
      const db = openDb(c.env.DB);
      const row = await setAsymmetricSigning(
        db,
        loadConfig(c.env).secretsKeyring,
        c.get("tenantId"),
        id,
        pair && { signingKey: pair.secretKey, publicKey: pair.publicKey },
        now,
      );
      if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
      await recordAudit(db, auditEntry(c, row.tenantId, "endpoint.signing_update", id, { v1a: on }));
      return c.json(presentEndpoint(row, now), 200);
    },
  )
  .openapi(
    createRoute({
      ...endpoint,
      method: "delete",
      path: "/endpoints/{id}",
      summary: "Delete an endpoint",
      description:
        "Its active subscriptions are cancelled, with every webhook still pending for its subscriptions; their tasks stop polling if nobody else waits for them; its signing secrets are gone. Its delivered and failed subscriptions stay listed, and cannot be redelivered. A later registration of the same URL makes a new endpoint, with a new secret.",
      request: { params: EndpointIdParams },
      responses: { 204: { description: "Deleted" }, ...errors([401, 404, 429]) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = openDb(c.env.DB);
      const tenantId = c.get("tenantId");
      const done = await deleteEndpoint(db, tenantId, id, systemClock.now());
      if (!done.deleted) throw new ApiError("not_found", `no endpoint ${id}`);
      await recordAudit(db, auditEntry(c, tenantId, "endpoint.delete", id, { cancelled_subscriptions: done.cancelled }));
      return c.body(null, 204);
    },
  );

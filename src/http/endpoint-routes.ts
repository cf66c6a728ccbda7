import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { EndpointListSchema, EndpointSchema } from "../api-kit/api-schemas";
import { errors, json } from "../api-kit/openapi-document";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import { MAX_RATE_PER_SECOND } from "../domain/send-pacing";
import { newSigningKeyPair } from "../domain/webhook-secret";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { deleteEndpoint } from "../storage/delete-endpoint";
import { listEndpoints, setAsymmetricSigning, setRateLimit } from "../storage/endpoints";
import type { EndpointRow } from "../storage/schema";
import { auditEntry } from "./audit";
import { type EndpointEnv, EndpointIdParams, endpoint, endpointOr404 } from "./endpoint-params";
import { presentEndpoint } from "./present";
import { pageLimit } from "./v1-params";

const ListQuery = z.object({
  limit: pageLimit,
  after: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "after", in: "query" }, description: "`next_cursor` of the previous page" }),
});

const EndpointUpdateSchema = z
  .strictObject({
    signing: z
      .union([z.tuple([z.literal("v1")]), z.tuple([z.literal("v1"), z.literal("v1a")])])
      .optional()
      .openapi({ description: '`["v1"]`, or `["v1", "v1a"]` to add Ed25519 signatures', example: ["v1", "v1a"] }),
    rate_limit_per_second: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(MAX_RATE_PER_SECOND, `must be at most ${MAX_RATE_PER_SECOND}`)
      .nullable()
      .optional()
      .openapi({ description: `1-${MAX_RATE_PER_SECOND} webhooks a second at most, or null for no limit`, example: 10 }),
  })
  .refine((b) => b.signing !== undefined || b.rate_limit_per_second !== undefined, "give at least one of signing, rate_limit_per_second")
  .openapi("EndpointUpdate");

const updateEndpointRoute = createRoute({
  ...endpoint,
  method: "patch",
  path: "/endpoints/{id}",
  summary: "Change how an endpoint signs, or its rate limit",
  description:
    "`signing`: with `v1a` on, every webhook also carries a `v1a,<base64>` Ed25519 signature (Standard Webhooks' asymmetric scheme), verified with the endpoint's `public_key` (`whpk_`): a receiver that holds only the public key holds nothing that can sign. Turning it on again keeps the key pair; turning it off drops it.\n\n`rate_limit_per_second`: at most that many webhooks a second reach the endpoint, evenly spaced, whichever tick or queue consumer sends them; webhooks beyond it wait their turn (none is dropped, and waiting spends no attempt). null lifts the limit.",
  request: { params: EndpointIdParams, body: { required: true, content: { "application/json": { schema: EndpointUpdateSchema } } } },
  responses: { 200: json(EndpointSchema, "The endpoint"), ...errors([400, 401, 404, 413, 415, 429]) },
});

const base = new OpenAPIHono<EndpointEnv>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
base.openAPIRegistry.registerPath(updateEndpointRoute);

/** `/v1/endpoints`: list, read, change how it signs or its rate limit, delete (its secret: endpoint-secret-routes.ts). */
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
    bodyReadByRelay(updateEndpointRoute, () => EndpointUpdateSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const now = systemClock.now();
      const db = openDb(c.env.DB);
      const tenantId = c.get("tenantId");
      let row: EndpointRow | undefined;
      if (body.signing !== undefined) {
        // ["v1", "v1a"]: the schema admits only that pair or ["v1"].
        const on = body.signing.length === 2;
        const pair = on ? await newSigningKeyPair() : null;
        row = await setAsymmetricSigning(
          db,
          loadConfig(c.env).secretsKeyring,
          tenantId,
          id,
          pair && { signingKey: pair.secretKey, publicKey: pair.publicKey },
          now,
        );
        if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
        await recordAudit(db, auditEntry(c, row.tenantId, "endpoint.signing_update", id, { v1a: on }));
      }
      if (body.rate_limit_per_second !== undefined) {
        row = await setRateLimit(db, tenantId, id, body.rate_limit_per_second, now);
        if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
        await recordAudit(
          db,
          auditEntry(c, row.tenantId, "endpoint.rate_limit_update", id, { rate_limit_per_second: body.rate_limit_per_second }),
        );
      }
      // The schema admits no body without one of the two.
      if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
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

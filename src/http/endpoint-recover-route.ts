import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { errors, json } from "../api-kit/openapi-document";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { RECOVER_BATCH, recoverEndpoint } from "../storage/recover-endpoint";
import { auditEntry } from "./audit";
import { type EndpointEnv, EndpointIdParams, endpoint, endpointOr404 } from "./endpoint-params";

const RecoverBodySchema = z
  .strictObject({
    since: z.iso.datetime({ offset: true }).openapi({
      description: "Recover the failed messages created at this time or later: not in the future, nor before `RETENTION_DAYS` ago",
      example: "2026-11-24T05:00:00Z",
    }),
  })
  .openapi("EndpointRecover");

const RecoveredSchema = z
  .object({
    recovered: z.number().int().openapi({ description: "Failed messages sent again by this request" }),
    more: z
      .boolean()
      .openapi({ description: `True when more than ${RECOVER_BATCH} were failed: ask again (with the same since) for the next ones` }),
  })
  .openapi("EndpointRecovered");

const recoverRoute = createRoute({
  ...endpoint,
  method: "post",
  path: "/endpoints/{id}/recover",
  summary: "Send every failed message since a time again",
  description: `After an outage of your receiver: each failed message of this endpoint created since \`since\`, oldest first, at most ${RECOVER_BATCH} a request, is sent again as a redelivery sends one (same webhook-id, a fresh retry schedule, its subscription active again). Messages of cancelled subscriptions stay failed. A disabled endpoint answers 409 \`endpoint_disabled\`: enable it first (\`POST /v1/endpoints/{id}/enable\`).`,
  request: { params: EndpointIdParams, body: { required: true, content: { "application/json": { schema: RecoverBodySchema } } } },
  responses: {
    202: json(RecoveredSchema, "How many were queued for delivery"),
    ...errors([400, 401, 404, 409, 413, 415, 429], { 409: "The endpoint is disabled (`endpoint_disabled`)" }),
  },
});

const base = new OpenAPIHono<EndpointEnv>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
base.openAPIRegistry.registerPath(recoverRoute);

/** `POST /v1/endpoints/{id}/recover`: the failed messages of an endpoint since a time, sent again. */
export const endpointRecoverRoutes = base.openapi(
  bodyReadByRelay(recoverRoute, () => RecoverBodySchema),
  async (c) => {
    const { id } = c.req.valid("param");
    const now = systemClock.now();
    const config = loadConfig(c.env);
    const since = Date.parse(c.req.valid("json").since);
    if (since > now)
      throw new ApiError("invalid_request", "since is in the future", [{ field: "since", message: "must not be in the future" }]);
    if (since < now - config.retentionMs)
      throw new ApiError("invalid_request", "since is before RETENTION_DAYS ago: those messages are deleted", [
        { field: "since", message: "must not be before the retention period" },
      ]);
    const row = await endpointOr404(c, id);
    if (row.disabledAt !== null)
      throw new ApiError("endpoint_disabled", `endpoint ${id} is disabled: enable it first (POST /v1/endpoints/${id}/enable)`);
    const db = openDb(c.env.DB);
    const result = await recoverEndpoint(db, row.tenantId, id, since, now, config);
    await recordAudit(db, auditEntry(c, row.tenantId, "endpoint.recover", id, { since: new Date(since).toISOString(), ...result }));
    return c.json(result, 202);
  },
);

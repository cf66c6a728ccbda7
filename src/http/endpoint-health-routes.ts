import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../api-kit/api-error";
import { EndpointSchema } from "../api-kit/api-schemas";
import { errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { disableEndpoint, enableEndpoint } from "../storage/endpoints";
import { auditEntry } from "./audit";
import { type EndpointEnv, EndpointIdParams, endpoint } from "./endpoint-params";
import { presentEndpoint } from "./present";

const turn = (on: boolean) =>
  createRoute({
    ...endpoint,
    method: "post",
    path: on ? "/endpoints/{id}/enable" : "/endpoints/{id}/disable",
    summary: on ? "Turn an endpoint on again" : "Turn an endpoint off",
    description: on
      ? "After fixing a receiver that was disabled (or whose circuit is open): it is healthy again, its circuit closed, and the webhooks still waiting for it are sent again at the next tick. Webhooks that already ended `failed` (`endpoint_disabled`) stay so. Registrations to it are accepted again."
      : "Nothing more is sent to it: at the next ticks its active subscriptions end `failed` (`endpoint_disabled`) with their pending webhooks, and registrations to it answer 409 `endpoint_disabled` until it is enabled. What the relay does by itself after `ENDPOINT_DISABLE_AFTER_HOURS` of failures.",
    request: { params: EndpointIdParams },
    responses: { 200: json(EndpointSchema, "The endpoint, with its `health`"), ...errors([401, 404, 429]) },
  });

/**
 * Turns the tenant's own endpoint on or off, records it in the audit log and answers it as it now
 * is; another tenant's id answers as a missing one.
 */
async function turnEndpoint(c: Context<EndpointEnv>, id: string, on: boolean) {
  const db = openDb(c.env.DB);
  const now = systemClock.now();
  const row = await (on ? enableEndpoint : disableEndpoint)(db, c.get("tenantId"), id, now);
  if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
  await recordAudit(db, auditEntry(c, row.tenantId, on ? "endpoint.enable" : "endpoint.disable", id));
  return c.json(presentEndpoint(row, now), 200);
}

/** `/v1/endpoints/{id}/enable` and `/disable`: an endpoint's circuit by hand (domain/endpoint-health.ts). */
export const endpointHealthRoutes = new OpenAPIHono<EndpointEnv>({ defaultHook: validationHook })
  .openapi(turn(true), (c) => turnEndpoint(c, c.req.valid("param").id, true))
  .openapi(turn(false), (c) => turnEndpoint(c, c.req.valid("param").id, false));

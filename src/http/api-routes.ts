import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z as zod } from "zod";
import { TASK_ID_PATTERN } from "../domain/kling";
import { ErrorEnvelopeSchema, HealthSchema, SubscriptionSchema, SubscriptionWithDeliveriesSchema, TaskSchema } from "./api-schemas";
import { RegistrationSchema } from "./registration-schema";
import { validJsonBody } from "./validation";

/** The API's routes as data: each handler in `routes.ts` is typed by, and documented from, these. */

const ERROR_MEANINGS = {
  400: "Invalid request: `details` lists the fields",
  401: "Missing or unknown API key",
  404: "No such task, subscription or route",
  409: "Conflict",
  413: "Body over 16 KiB",
  415: "Body not sent as application/json",
  429: "Too many registrations for this API key; `Retry-After` says when to retry",
  503: "The relay's own vars are invalid (see the logs)",
} as const;

type ErrorStatus = keyof typeof ERROR_MEANINGS;

/** Error responses, each with the envelope; `overrides` words a status for one route. */
function errors<const S extends ErrorStatus>(statuses: readonly S[], overrides: Partial<Record<ErrorStatus, string>> = {}) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: overrides[status] ?? ERROR_MEANINGS[status], content: { "application/json": { schema: ErrorEnvelopeSchema } } }]),
  ) as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorEnvelopeSchema } } }>;
}

const json = <S extends zod.ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });
const authenticated = { security: [{ bearerAuth: [] }] };

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["health"],
  summary: "Health check",
  description: "No authentication.",
  responses: { 200: json(HealthSchema, "The Worker is up") },
});

export const registerTaskRoute = createRoute({
  method: "post",
  path: "/tasks",
  tags: ["tasks"],
  summary: "Register a callback for a Kling task",
  description:
    "Answers 201 with a new subscription, or 200 with the existing one when the same (task_id, callback_url) is registered again: it takes this registration's events and metadata (a cancelled or delivered one becomes active again, a failed one stays failed). Messages not attempted yet carry the new metadata; a message already attempted keeps its bytes. Registering a task that already finished sends the final event at once.",
  ...authenticated,
  request: { body: { required: true, content: { "application/json": { schema: RegistrationSchema } } } },
  responses: {
    201: json(SubscriptionSchema, "A new subscription"),
    200: json(SubscriptionSchema, "The existing subscription for this task and URL"),
    ...errors([400, 401, 409, 413, 415, 429, 503], { 409: "The task id is registered with another action pair" }),
  },
});

const TaskIdParams = z.object({
  task_id: z
    .string()
    .regex(TASK_ID_PATTERN, "invalid format")
    .openapi({ param: { name: "task_id", in: "path" }, description: "1-128 characters of A-Z a-z 0-9 _ -", example: "878106242831892487" }),
});

const SubscriptionIdParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sub_6f1c0d2e9a8b4c7d5e3f1a2b" }),
});

export const getTaskRoute = createRoute({
  method: "get",
  path: "/tasks/{task_id}",
  tags: ["tasks"],
  summary: "The relay's view of a task",
  description: "Its last upstream status and data, its polling state, and every subscription with every delivery attempt.",
  ...authenticated,
  request: { params: TaskIdParams },
  responses: { 200: json(TaskSchema, "The task"), ...errors([400, 401, 404, 503]) },
});

export const getSubscriptionRoute = createRoute({
  method: "get",
  path: "/subscriptions/{id}",
  tags: ["subscriptions"],
  summary: "One subscription with its deliveries",
  ...authenticated,
  request: { params: SubscriptionIdParams },
  responses: { 200: json(SubscriptionWithDeliveriesSchema, "The subscription"), ...errors([401, 404, 503]) },
});

export const cancelSubscriptionRoute = createRoute({
  method: "delete",
  path: "/subscriptions/{id}",
  tags: ["subscriptions"],
  summary: "Cancel a subscription",
  description: "Its pending messages stop; a task with no active subscription stops being polled. Cancelling twice is fine.",
  ...authenticated,
  request: { params: SubscriptionIdParams },
  responses: { 204: { description: "Cancelled" }, ...errors([401, 404, 503]) },
});

export const redeliverRoute = createRoute({
  method: "post",
  path: "/subscriptions/{id}/redeliver",
  tags: ["subscriptions"],
  summary: "Send the latest event again",
  description:
    "A new attempt of the same message (same webhook-id) with a fresh retry schedule, also after it failed. The subscription becomes active again.",
  ...authenticated,
  request: { params: SubscriptionIdParams },
  responses: {
    202: json(SubscriptionWithDeliveriesSchema, "Queued for delivery"),
    ...errors([401, 404, 409, 503], { 409: "Nothing was sent yet, or the subscription is cancelled" }),
  },
});

export const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["reference"],
  summary: "This document",
  description: "OpenAPI 3.1, generated from the zod schemas that validate requests. An interactive reference is served at /docs.",
  responses: { 200: json(z.looseObject({ openapi: z.string() }), "The OpenAPI document") },
});

/**
 * The route as served: its body stays in the document and in the handler's types, but is read by
 * `validJsonBody` rather than by zod-openapi, whose validator would accept bodies of any size and
 * answer its own 415 and 400 messages (the API's contract: 16 KiB, the error envelope).
 * Register `route` itself in the document with `openAPIRegistry.registerPath`.
 */
export function bodyReadByRelay<R extends RouteConfig>(route: R, schemaFor: (c: Context) => zod.ZodType): R {
  const { body: _documented, ...request } = route.request ?? {};
  return { ...route, hide: true, request, middleware: validJsonBody(schemaFor) };
}

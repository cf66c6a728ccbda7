import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { VERSION } from "../version";
import { ErrorEnvelopeSchema, WebhookEventSchema } from "./api-schemas";

// biome-ignore lint/suspicious/noExplicitAny: the document reads routes of apps with any bindings and variables.
type AnyOpenAPIHono = OpenAPIHono<any, any, any>;

const DESCRIPTION = [
  "Register a Kling task id (CometAPI) and a callback URL; the relay polls the task on a cron and POSTs the final task payload to your callback, signed with the Standard Webhooks scheme, retrying until it is received.",
  "Every `/v1` route needs `Authorization: Bearer <key>` and sees only the key's tenant: another tenant's task, subscription or endpoint answers 404, exactly like a missing one. Every error has the `Error` shape.",
].join("\n\n");

const ERROR_MEANINGS = {
  400: "Invalid request: `details` lists the fields",
  401: "Missing or unknown API key",
  403: "Forbidden: the key's tenant is suspended (`tenant_suspended`: nothing is done for it until the admin resumes it), or, on the operator's account, a task id this tenant may not reach (`own_credentials_required`)",
  404: "No such task, subscription or route",
  409: "Conflict",
  413: "Body over 16 KiB",
  415: "Body not sent as application/json",
  422: "Upstream refused the create: `upstream` holds its code and message; nothing was registered",
  429: "Too many failed API key checks from this address or with this key prefix (any route), or too many registrations for this API key; `Retry-After` says when to retry",
  502: "Upstream did not create the task, or did not say whether it did: nothing was registered; a retry with the same `Idempotency-Key` is safe",
  503: "The relay is misconfigured (`misconfigured`): `details` names each invalid setting (`field`) and what it must be, never a value; or its database did not answer for now (`storage_unavailable`): retry the same request after `Retry-After` seconds, which is safe",
} as const;

type ErrorStatus = keyof typeof ERROR_MEANINGS;

/**
 * A route's error responses, each with the envelope; `overrides` words a status for that route. A
 * route with a 401 (a tenant's key) also answers 403 `tenant_suspended`, unless `suspendable` is
 * false (the admin API: the admin's key belongs to no tenant).
 */
export function errors<const S extends ErrorStatus>(
  statuses: readonly S[],
  overrides: Partial<Record<ErrorStatus, string>> = {},
  suspendable = true,
) {
  const all: ErrorStatus[] =
    suspendable && statuses.includes(401 as S) && !statuses.includes(403 as S) ? [...statuses, 403] : [...statuses];
  return Object.fromEntries(
    all
      .sort((a, b) => a - b)
      .map((status) => [
        status,
        { description: overrides[status] ?? ERROR_MEANINGS[status], content: { "application/json": { schema: ErrorEnvelopeSchema } } },
      ]),
  ) as Record<S | 403, { description: string; content: { "application/json": { schema: typeof ErrorEnvelopeSchema } } }>;
}

/** A JSON response of a route. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });
/** A route that needs `Authorization: Bearer <key>`. */
export const authenticated = { security: [{ bearerAuth: [] }] };

/**
 * Adds what is not a route to the app's registry, once: the bearer scheme, the error envelope as a
 * component (also used by routes that are not otherwise described with it), and the webhook the
 * relay sends, under OpenAPI 3.1's `webhooks`.
 */
export function describeExtras(app: AnyOpenAPIHono): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A tenant's key (made by the admin API, or one of RELAY_API_KEYS for the built-in `default` tenant), or ADMIN_API_KEY: on the tenant routes the admin names the tenant it acts for in the `Relay-Tenant` header.",
  });
  app.openAPIRegistry.register("Error", ErrorEnvelopeSchema);
  describeCometApiPaths(app);
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: "taskEvent",
    summary: "A task event, POSTed to your callback_url",
    description:
      "Signed with the Standard Webhooks scheme: headers `webhook-id` (the same on every attempt: deduplicate on it), `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64>`, one per secret). Verify the raw body, e.g. with `verifyWebhook` from the typed client or any Standard Webhooks library.",
    request: { body: { required: true, content: { "application/json": { schema: WebhookEventSchema } } } },
    responses: {
      200: { description: "Any 2xx: delivered" },
      410: { description: "Gone: the subscription fails at once, no more attempts" },
    },
  });
}

const documents = new WeakMap<AnyOpenAPIHono, object>();

/** The OpenAPI 3.1 document of `app`, generated from its routes' zod schemas once per isolate. */
export function openApiDocument(app: AnyOpenAPIHono): object {
  let document = documents.get(app);
  if (!document) {
    document = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: "kling-webhook-relay", version: VERSION, description: DESCRIPTION },
      tags: [
        { name: "tasks", description: "Register callbacks and read a task's state" },
        { name: "subscriptions", description: "One callback URL for one task" },
        { name: "endpoints", description: "Your callback URLs, each with its own signing secret" },
        { name: "messages", description: "The attempts log: each webhook sent to your endpoints, and every attempt to deliver it" },
        { name: "audit", description: "Who did what to your tenant: keys, secrets, endpoints" },
        { name: "admin", description: "Tenants, their keys and the audit log: ADMIN_API_KEY only (anyone else gets 404)" },
        { name: "health" },
        { name: "reference", description: "This document and its interactive reference" },
      ],
    });
    documents.set(app, document);
  }
  return document;
}

/** CometAPI's answer envelope, as its own docs show it (`data` is the task object). */
const CometApiAnswerSchema = z
  .looseObject({
    code: z.number().int().openapi({ description: "0: the request was accepted" }),
    message: z.string(),
    request_id: z.string(),
    data: z
      .looseObject({})
      .openapi({ description: "The task: `task_id`, `task_status`, `task_info`, `task_result`, `created_at`, `updated_at`" }),
  })
  .openapi("CometApiAnswer", { description: "CometAPI's own answer shape (see CometAPI's Kling documentation)" });

const productParams = z.object({
  action: z.string().openapi({ param: { name: "action", in: "path" }, example: "videos" }),
  action2: z.string().openapi({ param: { name: "action2", in: "path" }, example: "text2video" }),
});

/**
 * The CometAPI drop-in paths (served by src/gateway/dropin-routes.ts, a plain Hono app whose
 * request and answer shapes are CometAPI's): documented here, with the API's authentication.
 */
function describeCometApiPaths(app: AnyOpenAPIHono): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/kling/v1/{action}/{action2}",
    tags: ["cometapi"],
    summary: "Create a task, CometAPI's way",
    description:
      "CometAPI's create, for an app that speaks CometAPI: change only the base URL (to the relay's) and the key (to a relay key). The body goes upstream as it is, except that a `callback_url` becomes a subscription of this tenant (signed, retried) and upstream gets the relay's inbound URL. Answers CometAPI's envelope; errors answer the relay's. `Idempotency-Key` as on POST /v1/tasks.",
    security: [{ bearerAuth: [] }],
    request: {
      params: productParams,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.looseObject({}).openapi({ example: { prompt: "a cat", callback_url: "https://app.example.com/hooks/kling" } }),
          },
        },
      },
    },
    responses: { 200: json(CometApiAnswerSchema, "Created: `data.task_id`"), ...errors([400, 401, 404, 409, 413, 415, 422, 429, 502]) },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/kling/v1/{action}/{action2}/{task_id}",
    tags: ["cometapi"],
    summary: "Query a task, CometAPI's way",
    description:
      "CometAPI's query: answered from the relay's last view of the task when it is at most POLL_MIN_INTERVAL_SECONDS old or final (`x-relay-cache: hit`), otherwise after one upstream poll (`miss`); a task this tenant does not have is passed through to upstream as it is (`pass`), whatever upstream answers, when the tenant may reach it there (its own account, or a `trusted` tenant and an id no other tenant created: else 403 `own_credentials_required` or 404 `task_not_found`), at most `caps.passthrough_per_minute` a minute (429 `passthrough_limit_reached`).",
    security: [{ bearerAuth: [] }],
    request: {
      params: productParams.extend({ task_id: z.string().openapi({ param: { name: "task_id", in: "path" } }) }),
    },
    responses: { 200: json(CometApiAnswerSchema, "The task, in CometAPI's envelope"), ...errors([400, 401, 403, 404, 429, 502]) },
  });
}

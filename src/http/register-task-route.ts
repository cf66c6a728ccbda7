import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { admit, admittedOrThrow } from "../api-kit/admission";
import { errorResponse } from "../api-kit/api-error";
import { SubscriptionSchema } from "../api-kit/api-schemas";
import { pollCalledBackTasks } from "../api-kit/called-back";
import { createFailure, createTaskForTenant } from "../api-kit/create-task-for-tenant";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { actionPairConflict, archiveOf, exactMetadata, registrationOf } from "../api-kit/registration";
import { MAX_CREATE_BODY_BYTES, RegistrationSchema, registrationSchemaFor } from "../api-kit/registration-schema";
import { bodyReadByRelay, isPlainObject, MAX_BODY_BYTES, validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import { NO_ACTION } from "../domain/kling";
import { systemClock } from "../lib/clock";
import { exactMemberText } from "../lib/exact-json";
import { openDb } from "../storage/db";
import { registerSubscription } from "../storage/subscriptions";
import { presentSubscription } from "./present";
import type { V1Env } from "./v1-params";

const registerTaskRoute = createRoute({
  method: "post",
  path: "/tasks",
  tags: ["tasks"],
  summary: "Register a callback for a Kling task, or create the task through the relay",
  description: [
    "Answers 201 with a new subscription, or 200 with the existing one when the same (provider, task_id, callback_url) is registered again: it takes this registration's events and metadata (a cancelled or delivered one becomes active again, a failed one stays failed). Messages not attempted yet carry the new metadata; a message already attempted keeps its bytes. Registering a task that already finished sends the final event at once.",
    "**Creating through the relay**: `create` instead of `task_id` holds the upstream create body (with `action`/`action2`, or `path` for Kling's new API). The relay sends it with its own callback URL (when `PUBLIC_BASE_URL` and `INBOUND_TOKEN` are set) and an external task id, registers the task it got and answers 201 with the subscription (its `task_id` is upstream's). Upstream's refusal answers 422 `upstream_rejected` with upstream's code and message; when upstream did not create it, or did not say and a lookup by the external id cannot tell, 502 `upstream_unavailable` with nothing registered. Up to 10 MiB for a create (images as base64), 16 KiB otherwise.",
    "`Idempotency-Key` (1-255 printable ASCII characters, creates only): the same key from the same tenant on the same method and path within 24 hours answers the first result again (`Idempotent-Replayed: true`) with no second upstream create; while the first request runs, 409; with another body, 409. After a 502 a retry with the same key is safe: it uses the same external task id, and when the first attempt lost upstream's answer it looks that id up before creating, so a task the first attempt did create is found, never duplicated. A refusal is never looked up.",
  ].join("\n\n"),
  ...authenticated,
  request: {
    headers: z.object({
      "idempotency-key": z
        .string()
        .optional()
        .openapi({ param: { name: "idempotency-key", in: "header" }, description: "Creates only: makes a retry safe (24 hours)" }),
    }),
    body: { required: true, content: { "application/json": { schema: RegistrationSchema } } },
  },
  responses: {
    201: json(SubscriptionSchema, "A new subscription (for a create: of the task just created)"),
    200: json(SubscriptionSchema, "The existing subscription for this task and URL"),
    ...errors([400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503], {
      400: "The body is invalid (`invalid_request`), or the tenant has no upstream account for the provider (`upstream_not_configured`)",
      403: "`own_credentials_required`: on the operator's account this tenant reaches only the tasks the relay created for it",
      404: "`task_not_found`: another tenant created this task through the relay",
      409: "The task id is registered with another action pair; an `Idempotency-Key` still running, or used with another body; or a cap is reached (`endpoint_limit_reached`, `subscription_limit_reached`)",
      413: "Body over 16 KiB (10 MiB with `create`)",
      429: "Rate limited (`rate_limited`), or the tenant's cap of unsettled tasks is reached (`active_task_limit_reached`); `Retry-After` says when to retry",
    }),
  },
});

const base = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
base.openAPIRegistry.registerPath(registerTaskRoute);

/** `POST /v1/tasks`: a registration of an existing task, or a create through the relay (`createTaskForTenant`). */
export const registerTaskRoutes = base.openapi(
  bodyReadByRelay(
    // The header is read by the handler: documented, but not a parameter the typed client must pass.
    { ...registerTaskRoute, request: { body: registerTaskRoute.request.body } },
    (c) => registrationSchemaFor(loadConfig(c.env)),
    MAX_CREATE_BODY_BYTES,
    // Only a create may carry a large body (its images); a registration stays within 16 KiB.
    (value) => (isPlainObject(value) && "create" in value ? MAX_CREATE_BODY_BYTES : MAX_BODY_BYTES),
  ),
  async (c) => {
    const body = c.req.valid("json");
    const metadata = exactMetadata(() => exactMemberText(c.get("jsonBodyText"), "metadata"), body.metadata);
    const archive = archiveOf(c.env, body.archive);
    // A create answers 201 with the subscription, or its failure (422, 502, 409); a stored one is replayed as it was.
    if (body.create !== undefined) {
      const path = body.action === NO_ACTION ? (body.path ?? null) : null;
      const upstream = { provider: body.provider, action: body.action, action2: body.action2, path, body: body.create };
      const answer = await createTaskForTenant(c, { upstream, subscribe: { body, metadata, archive } }, (outcome) =>
        outcome.kind === "created"
          ? c.json(presentSubscription(outcome.subscription, outcome.task), 201)
          : errorResponse(c, createFailure(outcome)),
      );
      return answer as never;
    }
    const taskId = body.task_id!;
    const db = openDb(c.env.DB);
    const tenantId = c.get("tenantId");
    const item = { provider: body.provider, taskId, callbackUrl: body.callback_url };
    const [admission] = await admit(db, tenantId, [item]);
    const account = admittedOrThrow(admission!, item);
    const result = await registerSubscription(
      db,
      loadConfig(c.env).secretsKeyring,
      registrationOf(tenantId, taskId, body, metadata, archive, account),
      systemClock.now(),
    );
    if (result.kind === "action_pair_conflict") throw actionPairConflict(taskId, result.task);
    pollCalledBackTasks(c, [result.task]);
    const subscription = presentSubscription(result.subscription, result.task);
    return result.kind === "created" ? c.json(subscription, 201) : c.json(subscription, 200);
  },
);

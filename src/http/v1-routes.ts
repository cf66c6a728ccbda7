import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { loadConfig } from "../config";
import { filesListed } from "../domain/archive-states";
import type { TenantId } from "../domain/ids";
import { NO_ACTION, PROVIDERS, TASK_ID_PATTERN } from "../domain/kling";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { exactArrayItemTexts, exactMemberText } from "../lib/exact-json";
import { archiveFilesOfTask } from "../storage/archive-files";
import { openDb } from "../storage/db";
import { findSubscription, findTask, loadSubscriptionView, loadTaskView } from "../storage/read-models";
import { redeliverSubscription } from "../storage/redeliver-subscription";
import { cancelSubscription, type Registration, registerSubscription, registerSubscriptions } from "../storage/subscriptions";
import { admissionError, admit, admittedOrThrow } from "./admission";
import { ApiError, errorResponse } from "./api-error";
import {
  type BatchRegistrationResultSchema,
  BatchRegistrationResultsSchema,
  SubscriptionSchema,
  SubscriptionWithDeliveriesSchema,
  TaskOutputsSchema,
  TaskSchema,
} from "./api-schemas";
import type { AuthVariables } from "./bearer-auth";
import { type CalledBackVariables, pollCalledBackTasks } from "./called-back";
import { createFailure, createTaskForTenant } from "./create-task-for-tenant";
import { authenticated, errors, json } from "./openapi-document";
import { presentDelivery, presentSubscription, presentTask, presentTaskOutputs } from "./present";
import { takeRegistrations } from "./rate-limit";
import { actionPairConflict, archiveOf, exactMetadata, type RegistrationBody, registrationOf } from "./registration";
import {
  BatchEnvelopeSchema,
  BatchRegistrationSchema,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_REGISTRATIONS,
  MAX_CREATE_BODY_BYTES,
  MAX_METADATA_BYTES,
  RegistrationSchema,
  registrationSchemaFor,
} from "./registration-schema";
import type { CreateTask, TaskCreatorVariables } from "./task-creator";
import {
  bodyReadByRelay,
  invalidRequest,
  isPlainObject,
  type JsonBodyVariables,
  MAX_BODY_BYTES,
  parseOrThrow,
  validationHook,
} from "./validation";

/**
 * The `/v1` API: each route's definition (`createRoute`: its request and response schemas, which
 * type the handler and make the OpenAPI document) next to its handler. Handlers only read and
 * write D1: polling and delivery belong to the tick.
 */

type V1Env = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables & CalledBackVariables & TaskCreatorVariables };

type BatchResult = z.infer<typeof BatchRegistrationResultSchema>;

const failed = (error: ApiError): BatchResult => ({
  status: error.status as 400 | 403 | 404 | 409 | 429,
  error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
});

async function subscriptionView(c: { env: Env }, tenantId: TenantId, id: string) {
  const view = await loadSubscriptionView(openDb(c.env.DB), tenantId, id);
  if (!view) throw new ApiError("not_found", `no subscription ${id}`);
  return { ...presentSubscription(view.subscription, view.task), deliveries: view.deliveries.map(presentDelivery) };
}

const admissionItemOf = (body: RegistrationBody) => ({ provider: body.provider, taskId: body.task_id!, callbackUrl: body.callback_url });

const TaskIdParams = z.object({
  task_id: z
    .string()
    .regex(TASK_ID_PATTERN, "invalid format")
    .openapi({ param: { name: "task_id", in: "path" }, description: "1-128 characters of A-Z a-z 0-9 _ -", example: "878106242831892487" }),
});

const ProviderQuery = z.object({
  provider: z
    .enum(PROVIDERS)
    .default("cometapi")
    .openapi({ param: { name: "provider", in: "query" }, description: "The task's provider (default `cometapi`)" }),
});

const noTask = (taskId: string, provider: string) => new ApiError("not_found", `no task ${taskId} is registered with provider ${provider}`);

/** A task route's request part that fails: for a malformed id the message the task view has always answered. */
const taskRequestError = (target: string, error: z.ZodError) =>
  target === "param"
    ? new ApiError("invalid_request", "task_id must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'", [
        { field: "task_id", message: "invalid format" },
      ])
    : invalidRequest(error);

const SubscriptionIdParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sub_6f1c0d2e9a8b4c7d5e3f1a2b" }),
});

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

const registerTasksRoute = createRoute({
  method: "post",
  path: "/tasks/batch",
  tags: ["tasks"],
  summary: `Register callbacks for up to ${MAX_BATCH_REGISTRATIONS} tasks at once`,
  description: `Each item is a registration exactly as POST /v1/tasks takes it, and gets the answer POST /v1/tasks would give it, in \`results\` in the same order: 201 or 200 with the subscription, or 400 or 409 with the error. A bad item fails only itself. The valid items are written together, in one transaction. An item naming the same (provider, task_id, callback_url) as an earlier valid item answers 409 and is not written. Every item counts against the registration rate limit, valid or not. The body: 1-${MAX_BATCH_REGISTRATIONS} items, at most ${MAX_BATCH_BODY_BYTES / 1024} KiB (metadata still at most ${MAX_METADATA_BYTES} bytes per item).`,
  ...authenticated,
  request: { body: { required: true, content: { "application/json": { schema: BatchRegistrationSchema } } } },
  responses: {
    200: json(BatchRegistrationResultsSchema, "One result per item, in order"),
    ...errors([400, 401, 413, 415, 429, 503], {
      400: `The body is not an object with \`tasks\`, an array of 1-${MAX_BATCH_REGISTRATIONS} items (a bad item answers in \`results\`)`,
      413: `Body over ${MAX_BATCH_BODY_BYTES / 1024} KiB`,
      429: "Too many failed API key checks from this address or with this key prefix, or the items do not fit in this API key's registration rate limit (nothing is written); `Retry-After` says when to retry",
    }),
  },
});

const v1Base = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
v1Base.openAPIRegistry.registerPath(registerTaskRoute);
v1Base.openAPIRegistry.registerPath(registerTasksRoute);

const v1Routes = v1Base
  .openapi(
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
        const answer = await createTaskForTenant(c, c.var.createTask, { upstream, subscribe: { body, metadata, archive } }, (outcome) =>
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
      pollCalledBackTasks(c.get("pollCalledBack"), [result.task]);
      const subscription = presentSubscription(result.subscription, result.task);
      return result.kind === "created" ? c.json(subscription, 201) : c.json(subscription, 200);
    },
  )
  .openapi(
    bodyReadByRelay(registerTasksRoute, () => BatchEnvelopeSchema, MAX_BATCH_BODY_BYTES),
    async (c) => {
      // Only the envelope was validated (`BatchEnvelopeSchema`): each item is validated below.
      const { tasks: items } = c.req.valid("json") as unknown as z.output<typeof BatchEnvelopeSchema>;
      await takeRegistrations(c.env, c.get("apiKeyId"), items.length);
      const schema = registrationSchemaFor(loadConfig(c.env));
      const tenantId = c.get("tenantId");
      // Each item's exact text, for its metadata; null when the body repeats a key anywhere.
      const texts = exactArrayItemTexts(c.get("jsonBodyText"), "tasks");
      const results: BatchResult[] = [];
      const checked: { index: number; body: RegistrationBody; metadata: string | null; archive: boolean }[] = [];
      const firstNaming = new Map<string, number>();
      items.forEach((item, index) => {
        try {
          const body = parseOrThrow(schema, item);
          if (body.task_id === undefined)
            throw new ApiError("invalid_request", "invalid request: a batch registers existing tasks; create them one at a time", [
              { field: "create", message: "is not accepted in a batch" },
            ]);
          const taskId = body.task_id;
          const itemText = texts?.[index];
          const metadata = exactMetadata(
            () => (texts === null ? null : itemText === undefined ? undefined : exactMemberText(itemText, "metadata")),
            body.metadata,
          );
          const name = JSON.stringify([body.provider, taskId, body.callback_url]);
          const first = firstNaming.get(name);
          if (first !== undefined)
            throw new ApiError("conflict", `item ${first} of this batch already registers task ${taskId} for this callback_url`);
          firstNaming.set(name, index);
          checked.push({ index, body, metadata, archive: archiveOf(c.env, body.archive) });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          results[index] = failed(error);
        }
      });
      const db = openDb(c.env.DB);
      // Whether the tenant may reach each task upstream, and within its caps: a refused item fails alone.
      const admissions =
        checked.length === 0
          ? []
          : await admit(
              db,
              tenantId,
              checked.map(({ body }) => admissionItemOf(body)),
            );
      const valid: { index: number; body: RegistrationBody; registration: Registration }[] = [];
      checked.forEach(({ index, body, metadata, archive }, i) => {
        const admission = admissions[i]!;
        if (admission.kind === "refused") results[index] = failed(admissionError(admission, admissionItemOf(body)));
        else valid.push({ index, body, registration: registrationOf(tenantId, body.task_id!, body, metadata, archive, admission.account) });
      });
      const outcomes = await registerSubscriptions(
        db,
        loadConfig(c.env).secretsKeyring,
        valid.map((v) => v.registration),
        systemClock.now(),
      );
      pollCalledBackTasks(
        c.get("pollCalledBack"),
        outcomes.map((o) => o.task),
      );
      valid.forEach(({ index, body }, i) => {
        const outcome = outcomes[i]!;
        results[index] =
          outcome.kind === "action_pair_conflict"
            ? failed(actionPairConflict(body.task_id!, outcome.task))
            : { status: outcome.kind === "created" ? 201 : 200, subscription: presentSubscription(outcome.subscription, outcome.task) };
      });
      return c.json({ results }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{task_id}",
      tags: ["tasks"],
      summary: "The relay's view of a task",
      description: "Its last upstream status and data, its polling state, and every subscription with every delivery attempt.",
      ...authenticated,
      request: { params: TaskIdParams, query: ProviderQuery },
      responses: { 200: json(TaskSchema, "The task"), ...errors([400, 401, 404, 429, 503]) },
    }),
    async (c) => {
      const { task_id: taskId } = c.req.valid("param");
      const { provider } = c.req.valid("query");
      const view = await loadTaskView(openDb(c.env.DB), c.get("tenantId"), provider, taskId);
      if (!view) throw noTask(taskId, provider);
      return c.json(
        {
          ...presentTask(view.task),
          subscriptions: view.subscriptions.map((s) => ({
            ...presentSubscription(s.subscription, view.task),
            deliveries: s.deliveries.map(presentDelivery),
          })),
        },
        200,
      );
    },
    (result) => {
      if (!result.success) throw taskRequestError(result.target, result.error);
      return undefined;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{task_id}/outputs",
      tags: ["tasks"],
      summary: "A task's outputs with fresh links to their archived copies",
      description: [
        'The outputs as the webhook gives them (empty until the task succeeds), each with what became of its archived files (registered with `archive: true`): `archived_url` (`archived_watermark_url`, `archived_mp3_url`, `archived_wav_url`) for every copied file, a link signed now and valid `ARCHIVE_LINK_TTL_SECONDS` (until `links_expire_at`), so a link is never more than a request away; `archive_error` as the webhook words it for a file given up or deleted by retention (the first such file of the output); `archive_status: "pending"` while a file is still being copied.',
        "Reads only what the relay stored: never upstream. Answered with `Cache-Control: no-store`: its links are credentials.",
      ].join("\n\n"),
      ...authenticated,
      request: { params: TaskIdParams, query: ProviderQuery },
      responses: {
        200: {
          ...json(TaskOutputsSchema, "The outputs, with their archived copies"),
          headers: { "Cache-Control": { description: "`no-store`", schema: { type: "string" } } },
        },
        ...errors([400, 401, 404, 429, 503]),
      },
    }),
    async (c) => {
      const { task_id: taskId } = c.req.valid("param");
      const { provider } = c.req.valid("query");
      const db = openDb(c.env.DB);
      const task = await findTask(db, c.get("tenantId"), provider, taskId);
      if (!task) throw noTask(taskId, provider);
      const files = filesListed(task.archive) ? await archiveFilesOfTask(db, task.id) : [];
      const body = await presentTaskOutputs(task, files, loadConfig(c.env), systemClock.now());
      // The body is built as text (its outputs keep every number exactly): typed by the route's schema.
      return c.body(body, 200, { "content-type": "application/json", "cache-control": "no-store" }) as never;
    },
    (result) => {
      if (!result.success) throw taskRequestError(result.target, result.error);
      return undefined;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{id}",
      tags: ["subscriptions"],
      summary: "One subscription with its deliveries",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: { 200: json(SubscriptionWithDeliveriesSchema, "The subscription"), ...errors([401, 404, 429, 503]) },
    }),
    async (c) => c.json(await subscriptionView(c, c.get("tenantId"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/subscriptions/{id}",
      tags: ["subscriptions"],
      summary: "Cancel a subscription",
      description: "Its pending messages stop; a task with no active subscription stops being polled. Cancelling twice is fine.",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: { 204: { description: "Cancelled" }, ...errors([401, 404, 429, 503]) },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { id } = c.req.valid("param");
      const subscription = await findSubscription(db, c.get("tenantId"), id);
      if (!subscription) throw new ApiError("not_found", `no subscription ${id}`);
      if (subscription.status !== "cancelled") await cancelSubscription(db, subscription, systemClock.now());
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{id}/redeliver",
      tags: ["subscriptions"],
      summary: "Send the latest event again",
      description:
        "A new attempt of the same message (same webhook-id) with a fresh retry schedule, also after it failed. The subscription becomes active again. A task.succeeded of an archived task gets its archived_url links signed anew.",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: {
        202: json(SubscriptionWithDeliveriesSchema, "Queued for delivery"),
        ...errors([401, 404, 409, 429, 503], { 409: "Nothing was sent yet, or the subscription is cancelled" }),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await redeliverSubscription(openDb(c.env.DB), c.get("tenantId"), id, systemClock.now(), loadConfig(c.env));
      switch (result.kind) {
        case "not_found":
          throw new ApiError("not_found", `no subscription ${id}`);
        case "cancelled":
          throw new ApiError("conflict", "the subscription is cancelled; register it again instead");
        case "nothing_sent":
          throw new ApiError("conflict", "no webhook has been created for this subscription yet");
        case "redelivered":
          return c.json(await subscriptionView(c, c.get("tenantId"), id), 202);
      }
    },
  );

/**
 * The `/v1` API, given the gateway's create (handlers never call upstream themselves): http/app.ts
 * passes it in. Its routes are not exported without it, so a mount that forgets it fails type
 * checking, not a request.
 */
export function v1(createTask: CreateTask) {
  const withCreate = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
  withCreate.use(async (c, next) => {
    c.set("createTask", createTask);
    await next();
  });
  return withCreate.route("/", v1Routes);
}

import { z } from "@hono/zod-openapi";
import { TASK_ARCHIVE_STATES } from "../domain/archive-states";
import { EVENT_TYPES, FINISH_REASONS, PROVIDERS, TASK_STATUSES } from "../domain/kling";
import { DEFAULT_CAPS } from "../domain/tenant-caps";
import { ERROR_CODES } from "./api-error";

/**
 * The API's response shapes as zod schemas: the OpenAPI document's components, the typed client's
 * types, and what the presenters must return. Requests are validated by `registration-schema.ts`.
 */

const timestamp = z.string().openapi({ format: "date-time", example: "2026-11-24T05:06:09.935Z" });
const nullableTimestamp = timestamp.nullable();
/** One of Kling's four, or a status the relay does not know, shown as upstream sent it. */
const TaskStatusSchema = z
  .string()
  .nullable()
  .openapi({
    description: `Last status seen upstream: ${TASK_STATUSES.join(", ")} (\`succeeded\` is shown as \`succeed\`), or any other value upstream sent, as it came (not terminal; see \`data\`). Null before the first answer.`,
    example: "processing",
  });

/** The task's results in one shape, whatever API produced them (domain/task-outputs.ts). */
const OutputsSchema = z.array(z.looseObject({ type: z.string() })).openapi({
  description:
    'The results in the shape of Kling\'s new API, whatever produced them: `{"type":"video","id","url","watermark_url"?,"duration"}`, `{"type":"image","url","watermark_url"?,"index"?}`, `{"type":"audio","id","mp3_url","wav_url","mp3_duration","wav_duration"}`, and the new API\'s other entries (`voice`, `element`) as they come. Empty until the task succeeds.',
  example: [{ type: "video", id: "v1", url: "https://cdn.example/v1.mp4", duration: "5.1" }],
});
const FailureMessageSchema = z.string().nullable().openapi({ description: "Upstream's reason when the task failed, else null" });

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z
        .array(
          z.object({
            field: z
              .string()
              .openapi({ description: "JSON path of the field, '' for the whole body; `misconfigured`: the setting's name" }),
            message: z.string(),
          }),
        )
        .optional()
        .openapi({ description: "One entry per invalid field (validation errors), or per invalid setting (`misconfigured`)" }),
      upstream: z
        .object({
          code: z
            .union([z.string(), z.number()])
            .nullable()
            .openapi({ description: "Upstream's own error code (Kling's `code`, CometAPI's `error.code`)" }),
          message: z.string().openapi({ description: "Upstream's own message" }),
        })
        .optional()
        .openapi({ description: "`upstream_rejected` only: how upstream refused the create" }),
    }),
  })
  .openapi("Error", { description: "Every failure has this shape." });

export const AttemptSchema = z
  .object({
    attempted_at: timestamp,
    status_code: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when no answer came" }),
    error: z.string().nullable().openapi({ description: "Timeout or network error, or why the attempt was not made" }),
    duration_ms: z.number().int(),
  })
  .openapi("DeliveryAttempt");

export const DeliverySchema = z
  .object({
    webhook_id: z
      .string()
      .openapi({ description: "The `webhook-id` header: the same on every attempt", example: "msg_4f0c1b2a3d4e5f6a7b8c9d0e" }),
    event_type: z.enum(EVENT_TYPES),
    status: z.enum(["pending", "delivered", "failed", "cancelled"]),
    attempt_count: z.number().int(),
    next_attempt_at: nullableTimestamp.openapi({ description: "Null unless pending, and null while the tenant is suspended" }),
    created_at: timestamp,
    delivered_at: nullableTimestamp,
    attempts: z.array(AttemptSchema),
  })
  .openapi("Delivery", { description: "One webhook message and every attempt to deliver it" });

export const SubscriptionSchema = z
  .object({
    id: z.string().openapi({ example: "sub_6f1c0d2e9a8b4c7d5e3f1a2b" }),
    provider: z.enum(PROVIDERS),
    task_id: z.string(),
    endpoint_id: z.string().openapi({
      description: "The tenant's endpoint for `callback_url`, with its own signing secret",
      example: "ep_2b7e151628aed2a6abf71588",
    }),
    action: z.string().nullable(),
    action2: z.string().nullable(),
    callback_url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    status: z.enum(["active", "delivered", "failed", "cancelled"]),
    status_reason: z.enum(["gone", "retries_exhausted", "callback_url_rejected"]).nullable(),
    task_status: TaskStatusSchema,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Subscription");

export const SubscriptionWithDeliveriesSchema = SubscriptionSchema.extend({ deliveries: z.array(DeliverySchema) }).openapi(
  "SubscriptionWithDeliveries",
);

export const TaskSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    task_id: z.string(),
    action: z.string().nullable().openapi({ description: "Null for a task of Kling's new API" }),
    action2: z.string().nullable(),
    task_status: TaskStatusSchema,
    polls: z.number().int(),
    next_poll_at: nullableTimestamp.openapi({ description: "Null once polling stopped, and null while the tenant is suspended" }),
    last_polled_at: nullableTimestamp,
    last_callback_at: nullableTimestamp.openapi({
      description: "When upstream last called back about it (null: never): its polls are then only a safety net",
    }),
    last_error: z.string().nullable(),
    finish_reason: z.enum(FINISH_REASONS).nullable(),
    finished_at: nullableTimestamp,
    outputs: OutputsSchema,
    failure_message: FailureMessageSchema,
    data: z.record(z.string(), z.unknown()).nullable().openapi({ description: "The last upstream `data` object, verbatim" }),
    created_at: timestamp,
    updated_at: timestamp,
    subscriptions: z.array(SubscriptionWithDeliveriesSchema),
  })
  .openapi("Task");

/** One output with what became of its archived files (`GET /v1/tasks/{task_id}/outputs`). */
const ArchivedOutputSchema = z
  .looseObject({
    type: z.string(),
    archived_url: z.string().optional().openapi({ description: "`url`'s archived copy: a signed link, fresh on every answer" }),
    archived_watermark_url: z.string().optional().openapi({ description: "`watermark_url`'s archived copy" }),
    archived_mp3_url: z.string().optional().openapi({ description: "`mp3_url`'s archived copy" }),
    archived_wav_url: z.string().optional().openapi({ description: "`wav_url`'s archived copy" }),
    archive_error: z.string().optional().openapi({
      description:
        "Why a file of this output has no archived copy (the first such file's reason, prefixed with its field unless it is `url`): the copy was given up, `deleted by retention`, or the relay cannot make links",
      example: "watermark_url: upstream answered 404 (after 8 attempts)",
    }),
    archive_status: z
      .literal("pending")
      .optional()
      .openapi({ description: "A file of this output is still being copied (it has no `archived_` link yet)" }),
  })
  .openapi("ArchivedOutput");

export const TaskOutputsSchema = z
  .object({
    task_id: z.string(),
    provider: z.enum(PROVIDERS),
    task_status: TaskStatusSchema,
    archive: z.enum(TASK_ARCHIVE_STATES).nullable().openapi({
      description:
        "Null: not archived. `requested`: to be copied once the task succeeds; `copying`: some files are still pending; `done`: every file copied or given up",
    }),
    links_expire_at: nullableTimestamp.openapi({
      description: "When this answer's links stop working (`ARCHIVE_LINK_TTL_SECONDS` from now); null when it has none",
    }),
    outputs: z.array(ArchivedOutputSchema).openapi({
      description:
        "The task's outputs as the task view and the webhook give them (empty until it succeeds), each with `archived_url` (`archived_watermark_url`, ...) for every copied file, `archive_error`, or `archive_status`",
    }),
  })
  .openapi("TaskOutputs");

export const HealthSchema = z
  .object({
    ok: z.literal(true),
    secrets_sealed: z.boolean().openapi({
      description:
        "Whether secrets are stored sealed (SECRETS_KEY is set). False: endpoint secrets are stored in clear (local development) and tenants' upstream credentials are refused",
    }),
  })
  .openapi("Health");

export const EndpointHealthSchema = z
  .object({
    state: z.enum(["healthy", "failing", "circuit_open", "disabled"]).openapi({
      description:
        "`healthy`: its last attempt succeeded. `failing`: failures in a row, fewer than ENDPOINT_CIRCUIT_FAILURES. `circuit_open`: its due webhooks wait, spending no attempts, while one probe at a time is tried. `disabled`: nothing is sent; registrations to it answer 409 until enabled.",
    }),
    consecutive_failures: z.number().int().openapi({ description: "Failed attempts since the last success" }),
    last_success_at: nullableTimestamp,
    last_failure_at: nullableTimestamp,
    last_failure_reason: z.string().nullable().openapi({
      description: "Why the last failed attempt failed: `http_<status>`, `timeout`, `network_error: ...`",
      example: "http_503",
    }),
    circuit_opened_at: nullableTimestamp.openapi({ description: "While the circuit is open: when it opened" }),
    next_probe_at: nullableTimestamp.openapi({
      description: "While the circuit is open: when the next probe goes (at the next tick after it)",
    }),
    disabled_at: nullableTimestamp,
  })
  .openapi("EndpointHealth");

export const EndpointSchema = z
  .object({
    id: z.string().openapi({ example: "ep_2b7e151628aed2a6abf71588" }),
    url: z.string().openapi({ description: "The callback URL: an endpoint is created on its first registration" }),
    signing: z.array(z.enum(["v1", "v1a"])).openapi({
      description: "The signature schemes each webhook carries: `v1` (HMAC-SHA256) always, `v1a` (Ed25519) when turned on",
    }),
    public_key: z
      .string()
      .nullable()
      .openapi({ description: "With `v1a`: the `whpk_` public key receivers verify with (it cannot sign)", example: null }),
    previous_secret_expires_at: nullableTimestamp.openapi({
      description: "Until then the secret (and key pair) before the last rotation still signs beside the new one",
    }),
    rate_limit_per_second: z.number().int().nullable().openapi({
      description: "At most this many webhooks a second to this endpoint, whichever tick or consumer sends them; null: no limit",
      example: null,
    }),
    health: EndpointHealthSchema,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Endpoint");

export const EndpointListSchema = z
  .object({
    data: z.array(EndpointSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `after` for the next page; null on the last page" }),
  })
  .openapi("EndpointList");

export const EndpointSecretSchema = z
  .object({
    key: z
      .string()
      .openapi({ description: "`whsec_` and the base64 of 32 random bytes", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
  })
  .openapi("EndpointSecret");

export const TenantCapsSchema = z
  .object({
    endpoints: z.number().int().openapi({ description: "Callback URLs the tenant may have", example: DEFAULT_CAPS.endpoints }),
    subscriptions_per_task: z
      .number()
      .int()
      .openapi({ description: "Active subscriptions on one task", example: DEFAULT_CAPS.subscriptions_per_task }),
    active_tasks: z.number().int().openapi({ description: "Tasks not settled yet", example: DEFAULT_CAPS.active_tasks }),
    passthrough_per_minute: z.number().int().openapi({
      description: "Drop-in queries of tasks the relay does not have, passed through to upstream, a minute",
      example: DEFAULT_CAPS.passthrough_per_minute,
    }),
  })
  .openapi("TenantCaps", { description: "What the tenant may hold at once: its own values, or the defaults" });

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
    name: z.string(),
    shared_upstream: z.boolean().openapi({
      description:
        "The operator's upstream credentials serve its tasks where it has none of its own (lent: what it creates there is its alone)",
    }),
    trusted: z
      .boolean()
      .openapi({ description: "May register or query, on the operator's account, task ids the relay did not create for it" }),
    caps: TenantCapsSchema,
    created_at: timestamp,
    updated_at: timestamp,
    suspended_at: nullableTimestamp.openapi({ description: "Set while suspended: its keys answer 403 and its work waits" }),
  })
  .openapi("Tenant");

export const TenantListSchema = z.object({ data: z.array(TenantSchema) }).openapi("TenantList");

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_7c9e6679742540de944be07f" }),
    tenant_id: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to recognise it", example: "rk_Xq3bT0aZ" }),
    created_at: timestamp,
    revoked_at: nullableTimestamp,
  })
  .openapi("ApiKey");

export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself: shown this once, stored only as a hash" }),
}).openapi("NewApiKey");

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ description: "Entries are numbered in the order they were written", example: "1042" }),
    at: timestamp,
    tenant_id: z.string().nullable().openapi({ description: "The tenant acted on or for; null for relay-wide admin actions" }),
    actor: z
      .object({
        kind: z.enum(["admin", "key"]),
        key_id: z.string().nullable().openapi({ description: "The key that acted (`key`), null for the admin" }),
        key_prefix: z.string().nullable().openapi({ description: "Its visible prefix; null for the admin and keys of RELAY_API_KEYS" }),
      })
      .openapi({
        description: "Who acted: the admin (ADMIN_API_KEY), or a tenant's key (an API key or a dashboard session made from one)",
      }),
    action: z.string().openapi({
      description:
        "`tenant.create`, `tenant.rename`, `tenant.suspend`, `tenant.resume`, `tenant.delete`, `key.create`, `key.revoke`, `endpoint.secret_read`, `endpoint.secret_rotate`, `endpoint.signing_update`, `endpoint.rate_limit_update`, `endpoint.delete`, ...",
      example: "endpoint.secret_rotate",
    }),
    target: z.string().openapi({ description: "The id of what was acted on", example: "ep_2b7e151628aed2a6abf71588" }),
    client_address: z.string().nullable().openapi({ description: "The client's address (`CF-Connecting-IP`)" }),
    detail: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .nullable()
      .openapi({
        description: "Small facts about the action (a name, a count); never a secret",
      }),
  })
  .openapi("AuditEntry");

export const AuditListSchema = z
  .object({
    data: z.array(AuditEntrySchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next (older) page; null on the last page" }),
  })
  .openapi("AuditList");

/** The JSON body of every webhook the relay sends (documented under `webhooks`). */
export const WebhookEventSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    timestamp: timestamp.openapi({ description: "When the relay saw the change" }),
    subscription_id: z.string(),
    provider: z.enum(PROVIDERS),
    task_id: z.string(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    reason: z.enum(FINISH_REASONS).nullable(),
    outputs: OutputsSchema.openapi({
      description:
        "As in the task view; for a task registered with `archive: true`, each output also carries `archived_url` (`archived_watermark_url`, `archived_mp3_url`, `archived_wav_url`): signed links to the relay's copies, valid ARCHIVE_LINK_TTL_SECONDS from when the copies ended, or `archive_error` for a file given up",
    }),
    failure_message: FailureMessageSchema,
    data: z.record(z.string(), z.unknown()).nullable().openapi({ description: "The upstream `data` object as last received" }),
  })
  .openapi("WebhookEvent");

export type SubscriptionBody = z.infer<typeof SubscriptionSchema>;
export type EndpointBody = z.infer<typeof EndpointSchema>;
export type TenantBody = z.infer<typeof TenantSchema>;
export type AuditEntryBody = z.infer<typeof AuditEntrySchema>;
export type ApiKeyBody = z.infer<typeof ApiKeySchema>;
export type DeliveryBody = z.infer<typeof DeliverySchema>;
export type TaskBody = Omit<z.infer<typeof TaskSchema>, "subscriptions">;
export type TaskView = z.infer<typeof TaskSchema>;
export type TaskOutputsBody = z.infer<typeof TaskOutputsSchema>;
export type SubscriptionView = z.infer<typeof SubscriptionWithDeliveriesSchema>;
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** One item's outcome in `POST /v1/tasks/batch`: what `POST /v1/tasks` would have answered for it. */
export const BatchRegistrationResultSchema = z
  .union([
    z.object({
      status: z.union([z.literal(201), z.literal(200)]).openapi({ description: "201: a new subscription; 200: the existing one, updated" }),
      subscription: SubscriptionSchema,
    }),
    z.object({
      status: z.union([z.literal(400), z.literal(403), z.literal(404), z.literal(409), z.literal(429)]).openapi({
        description:
          "400: the item is invalid, or its provider has no upstream account for this tenant; 403/404: the tenant may not reach the task upstream; 409: its task is registered with another action pair, an earlier item names the same subscription, or a cap is reached; 429: the active task cap is reached",
      }),
      error: ErrorEnvelopeSchema.shape.error,
    }),
  ])
  .openapi("BatchRegistrationResult", {
    description: "One item's outcome: the status and subscription, or the status and error, that POST /v1/tasks would answer for it",
  });

export const BatchRegistrationResultsSchema = z
  .object({ results: z.array(BatchRegistrationResultSchema).openapi({ description: "One per item of `tasks`, in the same order" }) })
  .openapi("BatchRegistrationResults");

export const UpstreamCredentialsSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    configured: z.boolean().openapi({ description: "Whether the tenant has its own credentials for this provider" }),
    hint: z
      .string()
      .nullable()
      .openapi({ description: "The last 4 characters of the API key (or access key); never more", example: "x9Qa" }),
    updated_at: nullableTimestamp,
  })
  .openapi("UpstreamCredentials");

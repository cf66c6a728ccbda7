import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, sqliteView, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ARCHIVE_FILE_STATUSES, TASK_ARCHIVE_STATES } from "../domain/archive-states";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import { MESSAGE_STATES, MESSAGE_STATUSES } from "../domain/message-states";
import { BATCH_TASK, SINGLE_TASK } from "./due-lanes";

/**
 * One app sharing the relay. Every API key, task, subscription and endpoint belongs to one; the
 * built-in `default` tenant (made by migration 0005) owns the keys of `RELAY_API_KEYS` and every
 * row from before tenants existed.
 */
export const tenants = sqliteTable("tenants", {
  id: text("id").$type<TenantId>().primaryKey(),
  name: text("name").notNull(),
  /**
   * 1: the operator's upstream credentials (COMETAPI_KEY, KLING_*) serve this tenant's tasks where it
   * has none of its own. Lent, not shared: tasks it creates on them are its alone (`upstream_owners`).
   */
  sharedUpstream: integer("shared_upstream", { mode: "boolean" }).notNull().default(false),
  /** 1: may register or query on the operator's account task ids the relay did not create (the operator's own apps). */
  trusted: integer("trusted", { mode: "boolean" }).notNull().default(false),
  /** The admin's overrides of the default caps (domain/tenant-caps.ts), as JSON; null: the defaults. */
  caps: text("caps"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /**
   * Set while suspended: its keys answer 403, its due work is parked (storage/parking.ts) and
   * waits for the resume. The admin may still act for it.
   */
  suspendedAt: integer("suspended_at"),
  /**
   * Set when the admin deleted it: it answers 404 everywhere from then on, and the tick removes
   * its rows in bounded batches, the tenant row last (storage/tenant-purge.ts).
   */
  deletedAt: integer("deleted_at"),
  /** The endpoint (`endpoints.id`) that receives its operational events (`operation_events`); null: none sent. */
  operationsEndpointId: text("operations_endpoint_id"),
});

/**
 * Which tenant created a task through the relay on the operator's account: only that tenant may
 * register or query it there. Kept beyond the task's own retention, while upstream still has it.
 */
export const upstreamOwners = sqliteTable(
  "upstream_owners",
  {
    provider: text("provider").notNull(),
    taskId: text("task_id").notNull(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.taskId] }), index("upstream_owners_created").on(t.createdAt)],
);

/**
 * A tenant's own upstream account for one provider: its credentials as sealed JSON (never in
 * clear: storing them needs SECRETS_KEY), and the last 4 characters of its key to recognise it.
 */
export const tenantCredentials = sqliteTable(
  "tenant_credentials",
  {
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    provider: text("provider").notNull(),
    sealed: text("sealed").notNull(),
    hint: text("hint").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider] })],
);

/**
 * A tenant's API key, stored as the SHA-256 of the key (keys are 32 random bytes: a slow hash adds
 * nothing against guessing them). The key itself is shown once, when it is created.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    /** The key's first characters, kept to recognise it in lists. */
    prefix: text("prefix").notNull(),
    /** Hex SHA-256 of the whole key. */
    hash: text("hash").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set when revoked: the key and its dashboard sessions stop working at once. */
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash), index("api_keys_tenant").on(t.tenantId, t.createdAt)],
);

/**
 * The id of the SECRETS_KEY key that sealed every secret of an endpoint row (src/lib/sealed-secrets.ts:
 * `sealed.v1.<8 hex of key id>.`), NULL when one is in clear or they were sealed by different keys.
 * Indexed with the id (`endpoints_sealed_with`), so the tick finds the rows to seal again after an
 * upgrade or a rotation, a page at a time in id order, without scanning the table
 * (src/storage/reseal-endpoints.ts); a query must spell it exactly so to use the index.
 */
export const ENDPOINT_SEALED_WITH = sql.raw(
  "CASE WHEN substr(secret, 1, 10) = 'sealed.v1.'" +
    " AND (previous_secret IS NULL OR substr(previous_secret, 1, 19) = substr(secret, 1, 19))" +
    " AND (signing_key IS NULL OR substr(signing_key, 1, 19) = substr(secret, 1, 19))" +
    " AND (previous_signing_key IS NULL OR substr(previous_signing_key, 1, 19) = substr(secret, 1, 19))" +
    " THEN substr(secret, 11, 8) END",
);

/**
 * A tenant's callback URL, created on its first registration, with its own signing secrets: a
 * receiver can verify its own webhooks and forge nobody else's. The secrets (`secret`,
 * `previous_secret`, `signing_key`, `previous_signing_key`) are stored sealed under SECRETS_KEY
 * when it is set (src/domain/sealed-endpoint-keys.ts); `public_key` is not secret.
 */
export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    url: text("url").notNull(),
    /** `whsec_` + base64 of 32 random bytes: signs `v1` (HMAC-SHA256). */
    secret: text("secret").notNull(),
    /** The secret before the last rotation, still signing until `previous_until`. */
    previousSecret: text("previous_secret"),
    /** Optional `v1a` (Ed25519): `whsk_` secret key, and its `whpk_` public key for receivers. */
    signingKey: text("signing_key"),
    publicKey: text("public_key"),
    previousSigningKey: text("previous_signing_key"),
    /** When the previous secret (and signing key) stop signing (epoch ms). */
    previousUntil: integer("previous_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    // Health (src/domain/endpoint-health.ts): written with the attempts, in the same batch.
    /** Failed attempts since the last success. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** The first failure since the last success; null while it succeeds. Disabling counts from here. */
    failingSince: integer("failing_since"),
    lastSuccessAt: integer("last_success_at"),
    lastFailureAt: integer("last_failure_at"),
    /** Why the last attempt failed (`http_500`, `timeout`, `network_error: ...`). */
    lastFailureReason: text("last_failure_reason"),
    /** Set while the circuit is open: due messages wait (parked) and only a probe is sent. */
    circuitOpenedAt: integer("circuit_opened_at"),
    /** Probes failed since the circuit opened: the wait before the next one doubles with each. */
    probeStep: integer("probe_step").notNull().default(0),
    /** When the next probe is due (circuit open and not disabled), else null. */
    nextProbeAt: integer("next_probe_at"),
    /** The message made due as the current probe: the one message of the endpoint a claim does not park. */
    probeMessageId: text("probe_message_id"),
    /** Set when disabled (failing for ENDPOINT_DISABLE_AFTER_HOURS, or by hand): nothing more is sent to it. */
    disabledAt: integer("disabled_at"),
    /**
     * Work left after a state change, done by the tick in bounded batches: `release` (the circuit
     * closed: its parked messages are due again) or `fail` (disabled: its open messages and active
     * subscriptions end `failed`, `endpoint_disabled`). Null when none.
     */
    pendingDrain: text("pending_drain", { enum: ["release", "fail"] }),
    /** At most this many attempts per second, across the tick and every queue consumer; null: no limit. */
    rateLimitPerSecond: integer("rate_limit_per_second"),
  },
  (t) => [
    uniqueIndex("endpoints_tenant_url").on(t.tenantId, t.url),
    index("endpoints_tenant_created").on(t.tenantId, t.createdAt),
    index("endpoints_sealed_with").on(ENDPOINT_SEALED_WITH, t.id),
    // The tick's to-do lists, empty while every endpoint is healthy.
    index("endpoints_probe").on(t.nextProbeAt).where(sql`next_probe_at IS NOT NULL`),
    index("endpoints_drain").on(t.pendingDrain).where(sql`pending_drain IS NOT NULL`),
    // The endpoints that hold their messages back (circuit open, or disabled): what a claim and a
    // fan-out look a message's endpoint up in (`INDEXED BY`: SQLite would take the primary key).
    // Empty while every endpoint is healthy, so the look-up reads one row less than the endpoint's
    // own (its key's entry and its row); written only when a circuit opens or closes.
    uniqueIndex("endpoints_holding").on(t.id).where(sql`circuit_opened_at IS NOT NULL OR disabled_at IS NOT NULL`),
  ],
);

/**
 * One upstream Kling task of one tenant, polled once for all its subscriptions. Two tenants
 * watching the same upstream id have a task each, each polled for its tenant.
 * All times are epoch milliseconds.
 */
export const tasks = sqliteTable(
  "tasks",
  {
    /** The relay's own key (`tsk_...`): what subscriptions, leases and queue messages name. */
    id: text("id").$type<TaskKey>().primaryKey(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    /** `cometapi` or `kling` (domain/kling.ts `PROVIDERS`): where the task is polled. */
    provider: text("provider").notNull().default("cometapi"),
    /** Kling's task id, as the app registered it. */
    taskId: text("task_id").notNull(),
    /** Whose upstream account it lives on: null the operator's (lent), `own` its tenant's (`tenant_credentials`). */
    upstreamAccount: text("upstream_account", { enum: ["own"] }),
    /** The product path; both empty (`NO_ACTION`) for a task of Kling's new API. */
    action: text("action").notNull(),
    action2: text("action2").notNull(),
    /** Last `data.task_status` seen upstream, null before the first successful poll. */
    taskStatus: text("task_status"),
    /** Last upstream `data` object as JSON text. */
    data: text("data"),
    polls: integer("polls").notNull().default(0),
    /** Consecutive transient upstream errors: drives the backoff. */
    errorStreak: integer("error_streak").notNull().default(0),
    /** Consecutive "not found" answers: the task expires at 3. */
    notFoundStreak: integer("not_found_streak").notNull().default(0),
    lastError: text("last_error"),
    /** Upstream's own `data.created_at` (ms): the task's age for the adaptive schedule. */
    upstreamCreatedAt: integer("upstream_created_at"),
    lastPolledAt: integer("last_polled_at"),
    /** When the task is next due; null = not polled (finished, or no active subscription). */
    nextPollAt: integer("next_poll_at"),
    /** Owner of the current claim; every write after a claim checks it. */
    leaseToken: text("lease_token").$type<LeaseToken>(),
    /** The event of the last status change, fanned out to subscriptions that asked for it. */
    lastEvent: text("last_event"),
    lastEventAt: integer("last_event_at"),
    /** Why the task expired (`max_age`, `not_found`, ...), null otherwise. */
    finishReason: text("finish_reason"),
    /** Set once the task reached a terminal state or expired. */
    finishedAt: integer("finished_at"),
    /** Set when polling stopped for any reason: retention counts from here. */
    settledAt: integer("settled_at"),
    /** When upstream last called back about it: from then on it is polled only as a safety net. */
    pushedAt: integer("pushed_at"),
    /**
     * When upstream first called back with a final status (`succeed`, `failed`): a finish a poll saw
     * without it is a lost final callback, counted in `push_stats`.
     */
    finalPushedAt: integer("final_pushed_at"),
    /**
     * A callback that came while the task was claimed (its poll may have started before the
     * change): when the claim is recorded the task is due again by this time, to confirm it.
     */
    repollAt: integer("repoll_at"),
    /**
     * Copying its output files to R2 (`archive: true` on a registration): null = not asked;
     * `requested` = asked, the task has not succeeded yet (or its files are not listed yet);
     * `copying` = its files are in `archive_files`, some still pending; `done` = every file copied
     * or given up. Its `task.succeeded` messages are `held` until `done`.
     */
    archive: text("archive", { enum: TASK_ARCHIVE_STATES }),
    /**
     * Once `done`: what each output's files became, as the webhook's JSON array of
     * `{index, field, archived_url | archive_error}` (the links signed then); copied into the
     * messages released then and created later.
     */
    archiveOutputs: text("archive_outputs"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    // A task is (tenant, provider, task id): the same id under two providers is two tasks.
    uniqueIndex("tasks_tenant_provider_task").on(t.tenantId, t.provider, t.taskId),
    // A claim walks one of these in order, one a lane (storage/due-lanes.ts): Kling's new API,
    // polled many a request, and every other task. Finished/idle tasks are in neither.
    index("tasks_due_batch")
      .on(t.nextPollAt)
      .where(sql.raw(`next_poll_at IS NOT NULL AND ${BATCH_TASK}`)),
    index("tasks_due_single")
      .on(t.nextPollAt)
      .where(sql.raw(`next_poll_at IS NOT NULL AND ${SINGLE_TASK}`)),
    // The dashboard's task table, newest first, all kinds or one kind, and retention, oldest first
    // (a task goes a retention period after it settled, so never before one after it was created).
    // Both are written only on insert (action, action2 and created_at never change), so neither a
    // poll nor a finish costs a row written more. A tenant's tasks are found by
    // `tasks_tenant_provider_task`, whose first column is the tenant (migration 0019 dropped
    // `tasks_settled` and `tasks_tenant_created`: a row written a finish and one a registration).
    index("tasks_created").on(t.createdAt),
    index("tasks_kind_created").on(t.action, t.action2, t.createdAt),
    // A tenant's tasks still being polled or waiting, counted (up to its cap) for `active_tasks`.
    index("tasks_tenant_unsettled").on(t.tenantId).where(sql`settled_at IS NULL`),
    // The archive's to-do lists, each empty most of the time: tasks whose files are to be listed,
    // and tasks whose copies may all have ended (src/storage/archive-files.ts). The states stay
    // literals here (not domain/archive-states.ts): an index's WHERE must match its migration byte
    // for byte, and the statements that use it render the same text (storage/archive-sql.ts).
    index("tasks_archive_to_list").on(t.updatedAt).where(sql`archive = 'requested' AND last_event = 'task.succeeded'`),
    index("tasks_archive_copying").on(t.updatedAt).where(sql`archive = 'copying'`),
  ],
);

/**
 * What the relay has learned of how long tasks of one action pair take (upstream created_at to
 * the update that said `succeed`), as an exponentially weighted mean and variance of log(ms).
 */
export const kindStats = sqliteTable(
  "kind_stats",
  {
    action: text("action").notNull(),
    action2: text("action2").notNull(),
    samples: integer("samples").notNull(),
    meanLog: real("mean_log").notNull(),
    varLog: real("var_log").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.action, t.action2] })],
);

/**
 * What the relay saw of one provider's callbacks for one kind (domain/lost-callback-watch.ts): of
 * the tasks upstream called back about that reached a final status (`finished`), those a poll saw
 * finished before any final callback came (`lost`). Both are halved once `finished` passes a bound
 * (storage/push-stats.ts), so they weigh recent finishes. An aggregate over every tenant: it only
 * times the safety polls of pushed tasks.
 */
export const pushStats = sqliteTable(
  "push_stats",
  {
    provider: text("provider").notNull(),
    action: text("action").notNull(),
    action2: text("action2").notNull(),
    finished: real("finished").notNull(),
    lost: real("lost").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.action, t.action2] })],
);

/**
 * The ticks polling by themselves right now (tick/poll-phase.ts): a tick alone selects its due
 * tasks without leasing them; one that sees another here leases what it polls, so that two ticks
 * that overlap never poll a task twice. `until`: the tick's lease horizon, past which its row
 * (a tick that died) counts for nothing and is deleted by the next tick's end.
 */
export const pollingTicks = sqliteTable("polling_ticks", {
  token: text("token").primaryKey(),
  until: integer("until").notNull(),
});

/** One endpoint for one task. */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    /** The task's `tasks.id`. */
    taskKey: text("task_key").$type<TaskKey>().notNull(),
    endpointId: text("endpoint_id").notNull(),
    /** The endpoint's URL (an endpoint's URL never changes), kept here for delivery. */
    callbackUrl: text("callback_url").notNull(),
    /** JSON array of event types. */
    events: text("events").notNull(),
    /** JSON object or null, echoed in every webhook. */
    metadata: text("metadata"),
    status: text("status", { enum: ["active", "delivered", "failed", "cancelled"] }).notNull(),
    /** Why the subscription failed: `gone` (410), `retries_exhausted`, `callback_url_rejected`. */
    statusReason: text("status_reason"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("subscriptions_task_callback").on(t.taskKey, t.callbackUrl),
    index("subscriptions_endpoint").on(t.endpointId),
    // The dashboard's counts and lists of active and failed subscriptions. Partial on purpose: an
    // entry is written only when a subscription enters that status, and no tick statement (all
    // keyed by task or id) can be planned through them. Delivered subscriptions, most of them in
    // time, are listed in the table's own order (rowid: registration order), with no index: an
    // entry would cost every finished task a row written (migration 0019 dropped it). Cancelled
    // subscriptions are listed nowhere.
    index("subscriptions_active").on(t.createdAt).where(sql`status = 'active'`),
    index("subscriptions_failed").on(t.updatedAt).where(sql`status = 'failed'`),
  ],
);

/** One webhook message (one event for one subscription); `id` is the `webhook-id`. */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull(),
    /**
     * The subscription's tenant and endpoint, copied at fan-out (migration 0014): the claim reads
     * the endpoint's circuit and the tenant's state by key, and the API lists a tenant's or an
     * endpoint's messages newest first through an index, without reading subscriptions.
     */
    tenantId: text("tenant_id").$type<TenantId>(),
    endpointId: text("endpoint_id"),
    eventType: text("event_type").notNull(),
    // The body's facts, copied from the task and the subscription when the message is created (or
    // revived), in the same statement: the body is built from them by domain/webhook-body.ts when
    // the message is sent. They never change once an attempt was made, so every attempt sends the
    // same bytes.
    /**
     * When the relay saw the change (the task's `last_event_at`). The default serves only a Worker
     * still on the code before migration 0004 (it writes `body` and no facts) while the new one
     * deploys: its rows are sent with their `body`, so 0 is never read.
     */
    eventAt: integer("event_at").notNull().default(0),
    /** The subscription's metadata as JSON text, or null. */
    metadata: text("metadata"),
    /** The task's `finish_reason`. */
    reason: text("reason"),
    /** The task's `data` JSON text at that moment, or null. */
    data: text("data"),
    /**
     * Only for messages created before the facts above existed (migration 0004) and attempted by
     * then: the bytes they were sent with, sent again as they are. Null for every other message.
     */
    body: text("body"),
    /** The task's `archive_outputs` when the message was created or released: links to its archived files. */
    archive: text("archive"),
    /** What the API shows: `pending` for every open state. Written with `state`, by every statement. */
    status: text("status", { enum: MESSAGE_STATUSES }).notNull(),
    /**
     * Where the message is (domain/message-states.ts): `held`, `scheduled` (due at `next_attempt_at`),
     * `leased` (under `lease_token` until `next_attempt_at`), `delivered`, `failed` or `cancelled`.
     * Statements select and move messages by it. The default is a placeholder for rows a Worker from
     * before migration 0013 inserts: that migration's triggers give them their state at once.
     */
    state: text("state", { enum: MESSAGE_STATES }).notNull().default("scheduled"),
    attempts: integer("attempts").notNull().default(0),
    /** Failed attempts in the current retry cycle; redeliver starts a new cycle. */
    scheduleStep: integer("schedule_step").notNull().default(0),
    /** `scheduled`: when it is due; `leased`: when the lease ends (due again then); null otherwise. */
    nextAttemptAt: integer("next_attempt_at"),
    /** `leased`: who holds it; every write after a claim checks it. Null otherwise. */
    leaseToken: text("lease_token").$type<LeaseToken>(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
    /**
     * The message's first attempt, when it delivered it within FIRST_ATTEMPT_INLINE_MS of the
     * message's creation (storage/first-attempt.ts): a JSON object `{attempted_at, status_code,
     * duration_ms, response_body}`, written by the update that records it, in place of a
     * `delivery_attempts` row (3 rows written: most webhooks are delivered so). Null otherwise;
     * never changed once written. `message_attempts` lists it with the logged ones.
     */
    firstAttempt: text("first_attempt"),
  },
  (t) => [
    // One message per event type per subscription: a status seen twice never sends twice.
    uniqueIndex("messages_subscription_event").on(t.subscriptionId, t.eventType),
    // Every `scheduled` and `leased` message, by due time: what a claim walks. Its WHERE names the
    // due time, not the states: a claim's `next_attempt_at <= ?` implies it (the planner uses it),
    // and a Worker from before migration 0013 walks the same index.
    index("messages_due").on(t.nextAttemptAt).where(sql`next_attempt_at IS NOT NULL`),
    index("messages_tenant_created").on(t.tenantId, t.createdAt, t.id),
    index("messages_endpoint_created").on(t.endpointId, t.createdAt, t.id),
  ],
);

/** Every delivery attempt, kept for the API and the operator. */
export const deliveryAttempts = sqliteTable(
  "delivery_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    messageId: text("message_id").notNull(),
    /** The message's endpoint (null for attempts from before migration 0014): its health over a day is read by it. */
    endpointId: text("endpoint_id"),
    attemptedAt: integer("attempted_at").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** The first 1 KiB of the receiver's answer, as text; null when it sent none (or none was read). */
    responseBody: text("response_body"),
  },
  (t) => [index("delivery_attempts_message").on(t.messageId), index("delivery_attempts_endpoint").on(t.endpointId, t.attemptedAt)],
);

/**
 * Every attempt of every message (migration 0018): a message's first attempt kept in its row
 * (`messages.first_attempt`, `seq` 0) and the attempts logged in `delivery_attempts` (`seq` their
 * id), in the order they were made when sorted by `seq` (the first attempt is kept inline only when
 * no attempt came before it). Created by hand in the migration: drizzle-kit leaves it alone.
 */
export const messageAttempts = sqliteView("message_attempts", {
  messageId: text("message_id").notNull(),
  endpointId: text("endpoint_id"),
  seq: integer("seq").notNull(),
  attemptedAt: integer("attempted_at").notNull(),
  statusCode: integer("status_code"),
  error: text("error"),
  durationMs: integer("duration_ms").notNull(),
  responseBody: text("response_body"),
}).existing();

/**
 * What the relay did per hour (`hour` = epoch ms / 3,600,000), for the dashboard's chart. The tick
 * adds to the current hour in the same D1 batch that records its polls or deliveries: one upsert
 * per batch of up to 50, instead of a log row per poll. About 24 rows a day.
 */
export const activityHourly = sqliteTable("activity_hourly", {
  hour: integer("hour").primaryKey(),
  polls: integer("polls").notNull().default(0),
  /** Polls that got no task status: timeouts, 429/5xx, malformed answers, not found, rejections. */
  upstreamErrors: integer("upstream_errors").notNull().default(0),
  deliveryAttempts: integer("delivery_attempts").notNull().default(0),
  /** Attempts the receiver acknowledged with a 2xx. */
  delivered: integer("delivered").notNull().default(0),
});

/**
 * One output file of a task that asked to be archived, copied from upstream into R2 (`ARCHIVE`)
 * under `r2_key`, part by part when it is large (an R2 multipart upload, resumed across
 * invocations). Claimed and leased like tasks and messages.
 */
export const archiveFiles = sqliteTable(
  "archive_files",
  {
    /** `arc_...`: what queue messages and leases name. */
    id: text("id").primaryKey(),
    taskKey: text("task_key").$type<TaskKey>().notNull(),
    /** The output's position in the webhook's `outputs[]`. */
    outputIndex: integer("output_index").notNull(),
    /** Which of the output's URLs: `url`, `watermark_url`, `mp3_url` or `wav_url`. */
    field: text("field").notNull(),
    sourceUrl: text("source_url").notNull(),
    /** The object's key in R2 (domain/archive-link.ts `archiveKey`). */
    r2Key: text("r2_key").notNull(),
    /** `deleted`: copied once, removed by retention since. */
    status: text("status", { enum: ARCHIVE_FILE_STATUSES }).notNull(),
    /** Failed attempts so far (a step that copied a part is not a failure). */
    attempts: integer("attempts").notNull().default(0),
    /** When pending: when it may be worked on next (a claim moves it to the lease's end). */
    nextAttemptAt: integer("next_attempt_at"),
    leaseToken: text("lease_token").$type<LeaseToken>(),
    /** Bytes in R2 so far (the parts uploaded), and the whole size once known. */
    copiedBytes: integer("copied_bytes").notNull().default(0),
    sizeBytes: integer("size_bytes"),
    contentType: text("content_type"),
    /** A copy under way, as JSON: the multipart upload's id, its parts, upstream's validator. */
    resume: text("resume"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    copiedAt: integer("copied_at"),
  },
  (t) => [
    uniqueIndex("archive_files_task_output").on(t.taskKey, t.outputIndex, t.field),
    index("archive_files_due").on(t.nextAttemptAt).where(sql`next_attempt_at IS NOT NULL`),
    // A literal, like the tasks' archive indexes above: it must match its migration byte for byte.
    index("archive_files_copied").on(t.copiedAt).where(sql`status = 'copied'`),
  ],
);

/**
 * Who did what to whom: admin actions, keys made and revoked, secrets read and rotated, endpoints
 * deleted. Never a secret: `detail` holds small facts (a name, a count). Kept AUDIT_RETENTION_DAYS.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    /** AUTOINCREMENT: ids only grow, so the id orders entries and pages them. */
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    /** The tenant acted on or for; null for relay-wide admin actions (listing, for example). */
    tenantId: text("tenant_id").$type<TenantId>(),
    /** `admin`, or `key`: a tenant's key (an API key, or a dashboard session made from one). */
    actorKind: text("actor_kind", { enum: ["admin", "key"] }).notNull(),
    actorKeyId: text("actor_key_id"),
    /** The key's visible prefix (`rk_...`), null for keys configured in RELAY_API_KEYS. */
    actorKeyPrefix: text("actor_key_prefix"),
    /** `tenant.suspend`, `endpoint.secret_read`, ... (storage/audit-log.ts `AuditAction`). */
    action: text("action").notNull(),
    /** The id of what was acted on (a tenant, key or endpoint id). */
    target: text("target").notNull(),
    /** `cf-connecting-ip` of the request. */
    clientAddress: text("client_address"),
    /** A small JSON object of facts, or null. */
    detail: text("detail"),
  },
  (t) => [index("audit_log_tenant").on(t.tenantId, t.id), index("audit_log_at").on(t.at)],
);

export type AuditLogRow = typeof auditLog.$inferSelect;
export type ArchiveFileRow = typeof archiveFiles.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;
export type TenantCredentialsRow = typeof tenantCredentials.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type EndpointRow = typeof endpoints.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type KindStatsRow = typeof kindStats.$inferSelect;
export type MessageAttemptRow = typeof messageAttempts.$inferSelect;
export type ActivityHourRow = typeof activityHourly.$inferSelect;

/**
 * A callback about a task nobody has registered (yet): upstream can call back before the app's
 * registration arrives. A registration within 10 minutes of it is polled at once. One row per
 * (provider, task id), whatever the tenant; the tick deletes rows older than that.
 */
export const inboundHints = sqliteTable(
  "inbound_hints",
  {
    provider: text("provider").notNull(),
    taskId: text("task_id").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.taskId] }), index("inbound_hints_received").on(t.receivedAt)],
);

/**
 * `Idempotency-Key` of a create through the relay (`POST /v1/tasks` with `create`, or a drop-in
 * create): the first request's answer, replayed to a retry with the same key within 24 hours, so
 * that a retry never creates a second upstream task. `pending` while the first request runs;
 * `lost` when upstream's answer was lost (the next retry looks the create up first).
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    /** `{METHOD} {path}` and the app's key, on two lines: the same key on another route is another key. */
    key: text("key").notNull(),
    /** Hex SHA-256 of the request body: the same key with another body is refused. */
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["pending", "done", "lost"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), index("idempotency_keys_created").on(t.createdAt)],
);

/**
 * Something an operator should know about a tenant's delivery (an endpoint's circuit opened, it
 * recovered or was disabled, a subscription failed, a task expired), recorded in the same D1 batch
 * as what caused it, once per occurrence (`occurrence` is unique per tenant). Sent, signed, to the
 * tenant's operations endpoint when it has one, retried like a webhook; shown on the dashboard.
 */
export const operationEvents = sqliteTable(
  "operation_events",
  {
    /** `evt_...`: its `webhook-id`. */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").$type<TenantId>().notNull(),
    /** `endpoint.circuit_opened`, `endpoint.recovered`, `endpoint.disabled`, `subscription.failed`, `task.expired`. */
    eventType: text("event_type").notNull(),
    /** What makes it once: e.g. `endpoint.circuit_opened:ep_...:<opened at>`. */
    occurrence: text("occurrence").notNull(),
    /** The event's `data` object as JSON text. */
    data: text("data").notNull(),
    /** `unsent` (no operations endpoint when it happened), `scheduled`, `leased`, `delivered`, `failed`. */
    state: text("state", { enum: ["unsent", "scheduled", "leased", "delivered", "failed"] }).notNull(),
    /** The endpoint it goes to (the tenant's operations endpoint when it happened). */
    endpointId: text("endpoint_id"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    leaseToken: text("lease_token").$type<LeaseToken>(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    uniqueIndex("operation_events_occurrence").on(t.tenantId, t.occurrence),
    index("operation_events_due").on(t.nextAttemptAt).where(sql`next_attempt_at IS NOT NULL`),
    index("operation_events_tenant_created").on(t.tenantId, t.createdAt),
  ],
);

import type {
  ApiKeyBody,
  AuditEntryBody,
  DeliveryBody,
  EndpointBody,
  SubscriptionBody,
  TaskBody,
  TaskOutputsBody,
  TenantBody,
} from "../api-kit/api-schemas";
import { type ArchiveLinkConfig, archiveLinkExpiresAt } from "../domain/archive-link";
import { type ArchiveResult, archiveFilesOf, archiveResultOf, archiveResultsOf, withArchiveResults } from "../domain/archive-plan";
import { endpointState } from "../domain/endpoint-health";
import { NO_ACTION, type Provider } from "../domain/kling";
import { isParked } from "../domain/parked-time";
import { failureMessage, outputsJson } from "../domain/task-outputs";
import { capsOf } from "../domain/tenant-caps";
import { policyOf } from "../domain/upstream-access";
import type { TaskArchiveFile } from "../storage/archive-files";
import type { MessageWithAttempts } from "../storage/read-models";
import type { ApiKeyRow, AuditLogRow, EndpointRow, SubscriptionRow, TaskRow, TenantRow } from "../storage/schema";

/** A task of Kling's new API is stored without an action pair (`NO_ACTION`): null in the API. */
const actionOf = (value: string | undefined) => (value === undefined || value === NO_ACTION ? null : value);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** A due time: null while it is parked (the tenant suspended), not a date ~142,000 years away. */
const due = (ms: number | null) => (isParked(ms) ? null : iso(ms));
/** Columns holding JSON written by the relay itself: their shape is the column's documented one. */
const parsed = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

/** A subscription as the API shows it. */
export function presentSubscription(s: SubscriptionRow, task: TaskRow | undefined): SubscriptionBody {
  return {
    id: s.id,
    // A subscription always has its task (retention deletes both together).
    provider: (task?.provider ?? "cometapi") as Provider,
    task_id: task?.taskId ?? "",
    endpoint_id: s.endpointId,
    action: actionOf(task?.action),
    action2: actionOf(task?.action2),
    callback_url: s.callbackUrl,
    events: parsed<SubscriptionBody["events"]>(s.events) ?? [],
    metadata: parsed<Record<string, unknown>>(s.metadata),
    status: s.status,
    status_reason: s.statusReason as SubscriptionBody["status_reason"],
    task_status: task?.taskStatus ?? null,
    created_at: iso(s.createdAt)!,
    updated_at: iso(s.updatedAt)!,
  };
}

/** One webhook message with every attempt made to deliver it. */
export function presentDelivery({ message: m, attempts }: MessageWithAttempts): DeliveryBody {
  return {
    webhook_id: m.id,
    event_type: m.eventType as DeliveryBody["event_type"],
    status: m.status,
    attempt_count: m.attempts,
    next_attempt_at: m.status === "pending" ? due(m.nextAttemptAt) : null,
    created_at: iso(m.createdAt)!,
    delivered_at: iso(m.deliveredAt),
    attempts: attempts.map((a) => ({
      attempted_at: iso(a.attemptedAt)!,
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}

/** A task's relay state. */
export function presentTask(t: TaskRow): TaskBody {
  return {
    provider: t.provider as Provider,
    task_id: t.taskId,
    action: actionOf(t.action),
    action2: actionOf(t.action2),
    task_status: t.taskStatus,
    polls: t.polls,
    next_poll_at: due(t.nextPollAt),
    last_polled_at: iso(t.lastPolledAt),
    last_callback_at: iso(t.pushedAt),
    last_error: t.lastError,
    finish_reason: t.finishReason as TaskBody["finish_reason"],
    finished_at: iso(t.finishedAt),
    // The same derivation as the webhook's (domain/webhook-body.ts).
    outputs: JSON.parse(outputsJson(t.data, t.taskStatus === "succeed")) as TaskBody["outputs"],
    failure_message: t.taskStatus === "failed" ? failureMessage(t.data) : null,
    data: parsed<Record<string, unknown>>(t.data),
    created_at: iso(t.createdAt)!,
    updated_at: iso(t.updatedAt)!,
  };
}

/**
 * `GET /v1/tasks/{task_id}/outputs`' body, as JSON text: the task's outputs (as the webhook derives
 * them, every number exactly as upstream wrote it) with what became of each archived file, its
 * copies linked afresh, signed at `nowMs` (epoch ms). `files`: the task's `archive_files` rows.
 * A task to be archived whose files are not listed yet (`requested`) has each of them pending.
 */
export async function presentTaskOutputs(
  t: TaskRow,
  files: readonly TaskArchiveFile[],
  config: ArchiveLinkConfig,
  nowMs: number,
): Promise<string> {
  const succeeded = t.taskStatus === "succeed";
  const outputs = outputsJson(t.data, succeeded);
  let results: ArchiveResult[] = [];
  if (succeeded && t.archive === "requested")
    results = archiveFilesOf(outputs).map((file) => archiveResultOf({ ...file, status: "pending", lastError: null }, null));
  else if (succeeded && t.archive !== null) results = await archiveResultsOf(config, files, nowMs);
  const linked = results.some((r) => r.url !== undefined);
  const head: Omit<TaskOutputsBody, "outputs"> = {
    task_id: t.taskId,
    provider: t.provider as Provider,
    task_status: t.taskStatus,
    archive: t.archive,
    links_expire_at: linked ? iso(archiveLinkExpiresAt(config, nowMs) * 1000) : null,
  };
  // The outputs spliced in as text: `JSON.stringify` of parsed values would round their numbers.
  return `${JSON.stringify(head).slice(0, -1)},"outputs":${withArchiveResults(outputs, results)}}`;
}

/** An endpoint as the API shows it: never its secrets (`GET /v1/endpoints/{id}/secret` shows the current one). */
export function presentEndpoint(e: EndpointRow, now: number): EndpointBody {
  const overlapping = e.previousUntil !== null && e.previousUntil > now;
  return {
    id: e.id,
    url: e.url,
    signing: e.signingKey ? ["v1", "v1a"] : ["v1"],
    public_key: e.publicKey,
    previous_secret_expires_at: overlapping ? iso(e.previousUntil) : null,
    rate_limit_per_second: e.rateLimitPerSecond,
    health: {
      state: endpointState(e),
      consecutive_failures: e.consecutiveFailures,
      last_success_at: iso(e.lastSuccessAt),
      last_failure_at: iso(e.lastFailureAt),
      last_failure_reason: e.lastFailureReason,
      circuit_opened_at: iso(e.circuitOpenedAt),
      next_probe_at: iso(e.nextProbeAt),
      disabled_at: iso(e.disabledAt),
    },
    created_at: iso(e.createdAt)!,
    updated_at: iso(e.updatedAt)!,
  };
}

export const presentTenant = (t: TenantRow): TenantBody => {
  const policy = policyOf(t, new Set());
  return {
    id: t.id,
    name: t.name,
    shared_upstream: policy.sharedUpstream,
    trusted: policy.trusted,
    caps: capsOf(t.caps),
    suspended_at: iso(t.suspendedAt),
    created_at: iso(t.createdAt)!,
    updated_at: iso(t.updatedAt)!,
  };
};

/** An audit log entry (its `detail` is stored as JSON text of small facts). */
export const presentAuditEntry = (e: AuditLogRow): AuditEntryBody => ({
  id: String(e.id),
  at: iso(e.at)!,
  tenant_id: e.tenantId,
  actor: { kind: e.actorKind, key_id: e.actorKeyId, key_prefix: e.actorKeyPrefix },
  action: e.action,
  target: e.target,
  client_address: e.clientAddress,
  detail: e.detail === null ? null : (JSON.parse(e.detail) as AuditEntryBody["detail"]),
});

/** A stored key: its id and visible prefix, never its hash. */
export const presentApiKey = (k: ApiKeyRow): ApiKeyBody => ({
  id: k.id,
  tenant_id: k.tenantId,
  prefix: k.prefix,
  created_at: iso(k.createdAt)!,
  revoked_at: iso(k.revokedAt),
});

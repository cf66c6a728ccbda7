import type { MessageWithAttempts } from "../storage/read-models";
import type { SubscriptionRow, TaskRow } from "../storage/schema";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const parsed = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

/** A subscription as the API shows it. */
export function presentSubscription(s: SubscriptionRow, task: TaskRow | undefined) {
  return {
    id: s.id,
    task_id: s.taskId,
    action: task?.action ?? null,
    action2: task?.action2 ?? null,
    callback_url: s.callbackUrl,
    events: parsed(s.events),
    metadata: parsed(s.metadata),
    status: s.status,
    status_reason: s.statusReason,
    task_status: task?.taskStatus ?? null,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

/** One webhook message with every attempt made to deliver it. */
export function presentDelivery({ message: m, attempts }: MessageWithAttempts) {
  return {
    webhook_id: m.id,
    event_type: m.eventType,
    status: m.status,
    attempt_count: m.attempts,
    next_attempt_at: m.status === "pending" ? iso(m.nextAttemptAt) : null,
    created_at: iso(m.createdAt),
    delivered_at: iso(m.deliveredAt),
    attempts: attempts.map((a) => ({
      attempted_at: iso(a.attemptedAt),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}

/** A task's relay state. */
export function presentTask(t: TaskRow) {
  return {
    task_id: t.taskId,
    action: t.action,
    action2: t.action2,
    task_status: t.taskStatus,
    polls: t.polls,
    next_poll_at: iso(t.nextPollAt),
    last_polled_at: iso(t.lastPolledAt),
    last_error: t.lastError,
    finish_reason: t.finishReason,
    finished_at: iso(t.finishedAt),
    data: parsed(t.data),
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
  };
}

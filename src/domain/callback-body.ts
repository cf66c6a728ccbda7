import { classifyBatch } from "./batch-outcome";
import { EVENT_FOR_STATUS, eventRank, isTaskStatus, type ObservedStatus, readTaskStatus, TASK_STATUSES, type TaskStatus } from "./kling";
import { classifyPoll, type PollOutcome, type UpstreamExchange } from "./poll-outcome";

/**
 * What an upstream callback says: the task it names and the status it announces, and the same
 * body read exactly as a poll's answer would be (a callback's body is a query's task object: the
 * legacy `data`, or an entry of the new API's batch query).
 */
export interface InboundCallback {
  /** The upstream task id (`task_id` of the legacy shape, `id` of the new one). */
  taskId: string;
  /** The status announced, normalised (`succeeded` reads as `succeed`). */
  status: ObservedStatus;
  /** The body as a poll's outcome: taken as the task's state only when the callback is signed and verified. */
  outcome: PollOutcome;
}

/** A callback body, as a query's 200 answer carrying it would have been. */
const answerWith = (data: string): UpstreamExchange => ({
  kind: "response",
  status: 200,
  retryAfter: null,
  body: `{"code":0,"message":"SUCCEED","data":${data}}`,
  truncated: false,
});

/** An id as upstream writes it: a non-empty string of the relay's task id alphabet, or an integer. */
function idOf(value: unknown): string | null {
  if (typeof value === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(value)) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

/**
 * Reads a callback body: the legacy shape (`task_id`, `task_status`: Kling's legacy API and
 * CometAPI) or the new API's (`id`, `status`). A string explains what is wrong with it.
 * @example readCallback('{"task_id":"t1","task_status":"succeed"}', clock.now()) // { taskId: "t1", status: "succeed", ... }
 */
export function readCallback(body: string, now: number): InboundCallback | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "the body is not a JSON object";
  const fields = value as Record<string, unknown>;
  const legacy = "task_id" in fields;
  const taskId = idOf(legacy ? fields.task_id : fields.id);
  if (taskId === null) return legacy ? "task_id is not a task id" : "neither task_id nor id names a task";
  const status = readTaskStatus(legacy ? fields.task_status : fields.status);
  if (status === null) return legacy ? "task_status is missing" : "status is missing";
  const exchange = answerWith(legacy ? body : `[${body}]`);
  const outcome = legacy ? classifyPoll(exchange, now) : classifyBatch(exchange, [taskId], now).get(taskId)!;
  return { taskId, status, outcome };
}

/**
 * How far along each status is (the rank of the event it announces, `EVENT_STAGES`). A callback that announces no more than what is known is old news
 * (callbacks can arrive late and out of order); a status the relay does not know has no rank and
 * is always worth a look, as is a task whose stored status has none.
 */
export const STATUS_RANKS: ReadonlyMap<TaskStatus, number> = new Map(
  TASK_STATUSES.map((status) => [status, eventRank(EVENT_FOR_STATUS[status])] as const),
);

/** A status's rank: 0 before any status, null for one the relay does not know. */
export const statusRank = (status: ObservedStatus | null): number | null =>
  status === null ? 0 : isTaskStatus(status) ? STATUS_RANKS.get(status)! : null;

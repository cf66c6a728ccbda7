/** Facts of Kling's query protocols, through CometAPI and direct (docs/upstream.md). */
import { isActionPair, isKlingPath } from "./product-paths.ts";

// The product paths live in ./product-paths.ts (one list); these names stay for their many readers.
export { ACTION_PAIR_LIST, ACTION_PAIRS, ACTION2S, ACTIONS, type Action, isActionPair, KLING_ONLY_PAIRS } from "./product-paths.ts";

/**
 * Where a task is polled: `cometapi` (CometAPI's proxy of Kling's legacy query), or `kling`
 * (Kling's own API: its legacy query for a task with an action pair, its new batch query for one
 * without).
 */
export const PROVIDERS = ["cometapi", "kling"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** How the relay signs in to Kling's own API: an API key, or the legacy access/secret key pair (a JWT). */
export type KlingCredentials = { readonly apiKey: string } | { readonly accessKey: string; readonly secretKey: string };

/** Whether a provider serves a product path (Kling's own API: CometAPI's pairs and its own). */
export function isProductPath(provider: Provider, action: string, action2: string): boolean {
  return provider === "kling" ? isKlingPath(action, action2) : isActionPair(action, action2);
}

/**
 * A task of Kling's new API has no action pair: it is stored with these, and shown as null.
 * (Empty rather than NULL, so that the columns, their indexes and the kind statistics stay as they
 * are; the new API's tasks learn one duration between them.)
 */
export const NO_ACTION = "";

/** A task of Kling's new API: polled in batches (`GET /tasks?task_ids=`), not one by one. */
export const isNewApiTask = (task: { provider: string; action: string }) => task.provider === "kling" && task.action === NO_ACTION;

/**
 * A task id the relay accepts (in the API, in a dashboard URL or search box): 1-128 characters of
 * A-Z, a-z, 0-9, '_' and '-', enough for Kling's numeric ids and safe in a URL path as it is.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** `data.task_status` values. Note Kling's spelling `succeed`. */
export const TASK_STATUSES = ["submitted", "processing", "succeed", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/**
 * A status as the relay stores it: one it knows (in Kling's legacy spelling), or any other
 * non-empty value upstream sent, kept as it came so that nobody loses sight of it.
 */
export type ObservedStatus = TaskStatus | (string & {});

export const isTaskStatus = (value: unknown): value is TaskStatus =>
  typeof value === "string" && (TASK_STATUSES as readonly string[]).includes(value);

/** Longer than any status word: a "status" past this is a broken answer, not one to keep. */
const MAX_STATUS_LENGTH = 64;
/** Other spellings of known statuses: Kling's newer API says `succeeded`. */
const SPELLINGS: ReadonlyMap<string, TaskStatus> = new Map([["succeeded", "succeed"]]);

/**
 * Reads `data.task_status`: a known status in its stored spelling, any other non-empty string as
 * it came (an answer the relay keeps but does not act on), or null when there is none at all.
 * @example readTaskStatus("succeeded") // "succeed"
 */
export function readTaskStatus(value: unknown): ObservedStatus | null {
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_STATUS_LENGTH) return null;
  // A Map, not an object literal: "toString" or "__proto__" must come back as the strings they are.
  return SPELLINGS.get(value) ?? value;
}

export const isTerminal = (status: ObservedStatus | null): boolean => status === "succeed" || status === "failed";

export const EVENT_TYPES = ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const DEFAULT_EVENTS: EventType[] = ["task.succeeded", "task.failed", "task.expired"];

/**
 * The order of a task's events, the one place it is written: a task moves forward through these
 * stages and never back, and the terminal events share the last one. The statuses' ranks
 * (callback-body.ts) and the SQL that asks which events a task can still send
 * (storage/event-order.ts) are derived from it.
 */
export const EVENT_STAGES: readonly (readonly EventType[])[] = [
  ["task.submitted"],
  ["task.processing"],
  ["task.succeeded", "task.failed", "task.expired"],
];
/** An event's place in `EVENT_STAGES`, from 1 (0 stands for "before any event"). */
export const eventRank = (event: EventType): number => EVENT_STAGES.findIndex((stage) => stage.includes(event)) + 1;

/** Whether `event` is one of the last stage's: its task finished, and nothing more can happen to it. */
export const isFinalEvent = (event: EventType): boolean => eventRank(event) === EVENT_STAGES.length;

/** Why a task expired (its `task.expired` webhook's `reason`). */
export const FINISH_REASONS = ["max_age", "not_found", "upstream_rejected", "invalid_request", "content_policy"] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

export const EVENT_FOR_STATUS: Record<TaskStatus, EventType> = {
  submitted: "task.submitted",
  processing: "task.processing",
  succeed: "task.succeeded",
  failed: "task.failed",
};

/** The event a status announces; none for a status the relay does not know. */
export const eventForStatus = (status: ObservedStatus): EventType | null => (isTaskStatus(status) ? EVENT_FOR_STATUS[status] : null);

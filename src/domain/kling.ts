/** Facts of CometAPI's Kling query protocol (see shared KLING.md). */

/** The only valid `{action}/{action2}` pairs of `GET /kling/v1/{action}/{action2}/{task_id}`. */
export const ACTION_PAIRS = {
  images: ["generations", "kolors-virtual-try-on"],
  videos: ["text2video", "image2video", "lip-sync", "effects", "multi-image2video", "multi-elements"],
  audio: ["text-to-audio", "video-to-audio"],
} as const satisfies Record<string, readonly string[]>;

export type Action = keyof typeof ACTION_PAIRS;
export const ACTIONS = Object.keys(ACTION_PAIRS) as Action[];
export const ACTION2S = [...new Set(Object.values(ACTION_PAIRS).flat())];

export function isActionPair(action: string, action2: string): boolean {
  const allowed: readonly string[] | undefined = ACTION_PAIRS[action as Action];
  return allowed !== undefined && allowed.includes(action2);
}

/** `data.task_status` values. Note Kling's spelling `succeed`. */
export const TASK_STATUSES = ["submitted", "processing", "succeed", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const isTaskStatus = (value: unknown): value is TaskStatus =>
  typeof value === "string" && (TASK_STATUSES as readonly string[]).includes(value);

export const isTerminal = (status: TaskStatus | null): boolean => status === "succeed" || status === "failed";

export const EVENT_TYPES = ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const DEFAULT_EVENTS: EventType[] = ["task.succeeded", "task.failed", "task.expired"];

export const EVENT_FOR_STATUS: Record<TaskStatus, EventType> = {
  submitted: "task.submitted",
  processing: "task.processing",
  succeed: "task.succeeded",
  failed: "task.failed",
};

import type { TaskUpdate } from "../../src/domain/poll-plan";

/**
 * A poll's record as `recordPolls` takes it: by default a second poll at `now` that found the task
 * still processing, due again 30 s later; `over` says what differs.
 */
export const taskUpdate = (now: number, over: Partial<TaskUpdate> = {}): TaskUpdate => ({
  taskStatus: "processing",
  data: '{"task_status":"processing"}',
  polls: 2,
  errorStreak: 0,
  notFoundStreak: 0,
  lastError: null,
  lastPolledAt: now,
  upstreamCreatedAt: null,
  nextPollAt: now + 30_000,
  event: null,
  finishReason: null,
  learnedDurationMs: null,
  ...over,
});

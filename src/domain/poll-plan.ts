import { type EventType, eventForStatus, type FinishReason, isTerminal, type ObservedStatus } from "./kling";
import { nextCheck } from "./lost-callback-watch";
import type { PollOutcome } from "./poll-outcome";
import { type DurationWindow, nextPollDelay } from "./poll-schedule";
import { withJitter } from "./retry-after";

export interface PollPolicy {
  pollMinIntervalMs: number;
  pollMaxIntervalMs: number;
  maxTaskAgeMs: number;
  /** The safety net's interval for a task whose upstream calls back (PUSH_SAFETY_POLL_SECONDS). */
  pushSafetyPollMs: number;
}

/** The part of a task row the plan depends on. */
export interface TaskSnapshot {
  taskStatus: ObservedStatus | null;
  polls: number;
  errorStreak: number;
  notFoundStreak: number;
  /** When the relay registered it: MAX_TASK_AGE counts from here. */
  createdAt: number;
  /** Upstream's own created_at, once seen: the age the schedule uses. */
  upstreamCreatedAt: number | null;
  /** When upstream last called back about it (null: never): its polls are then only a safety net. */
  pushedAt: number | null;
}

/** The task's new state after one poll, written back under the lease. */
export interface TaskUpdate {
  taskStatus: ObservedStatus | null;
  /** New upstream `data` JSON, or null to keep the stored one. */
  data: string | null;
  polls: number;
  errorStreak: number;
  notFoundStreak: number;
  lastError: string | null;
  lastPolledAt: number;
  upstreamCreatedAt: number | null;
  /** Null when the task is finished. */
  nextPollAt: number | null;
  /** The event this poll produced, if any (fanned out to the subscriptions that asked). */
  event: EventType | null;
  finishReason: FinishReason | null;
  /** How long the task took upstream, when this poll saw it succeed: what the schedule learns from. */
  learnedDurationMs: number | null;
}

/** "Not found" must be seen this many times in a row: a task id can lag right after creation. */
export const NOT_FOUND_CONFIRMATIONS = 3;
/** Longest duration worth learning from; anything longer is an outlier (or a clock problem). */
const MAX_LEARNED_DURATION_MS = 86_400_000;

const clamp = (ms: number, policy: PollPolicy) => Math.min(policy.pollMaxIntervalMs, Math.max(policy.pollMinIntervalMs, ms));

/** Exponential backoff within the bounds; a longer upstream `Retry-After` wins over the maximum. */
export function errorBackoff(errorStreak: number, retryAfterMs: number | null, policy: PollPolicy, random: () => number): number {
  const backoff = clamp(withJitter(policy.pollMinIntervalMs * 2 ** Math.max(0, errorStreak - 1), random), policy);
  return retryAfterMs === null ? backoff : Math.max(backoff, retryAfterMs);
}

/**
 * A task whose upstream calls back needs polling only in case a callback is lost: once per
 * `pushSafetyPollMs`, or when nearly every task of its kind has finished (the window's close) if
 * that is later; sooner at the window's next lost-callback check (`nextCheck`), when its provider
 * and kind lose enough final callbacks to be watched. A working callback makes it due at once anyway.
 */
export function safetyPollDelay(ageMs: number, window: DurationWindow, policy: PollPolicy): number {
  const net = Math.max(policy.pushSafetyPollMs, window.closesAtMs - ageMs);
  const check = nextCheck(window.lostCallbackChecksMs ?? [], ageMs, policy.pollMinIntervalMs);
  return check === undefined ? net : Math.min(net, check - ageMs);
}

/**
 * Decides what one poll means for the task: its new status, its next poll, the event it produced.
 * `window` is where tasks of its kind usually finish (see poll-schedule).
 * @example planNextPoll(task, classifyPoll(exchange, now), now, policy, window, Math.random)
 */
export function planNextPoll(
  task: TaskSnapshot,
  outcome: PollOutcome,
  now: number,
  policy: PollPolicy,
  window: DurationWindow,
  random: () => number,
): TaskUpdate {
  const base: TaskUpdate = {
    taskStatus: task.taskStatus,
    data: null,
    polls: task.polls + 1,
    errorStreak: task.errorStreak,
    notFoundStreak: task.notFoundStreak,
    lastError: null,
    lastPolledAt: now,
    upstreamCreatedAt: task.upstreamCreatedAt,
    nextPollAt: null,
    event: null,
    finishReason: null,
    learnedDurationMs: null,
  };
  const expire = (update: TaskUpdate, reason: FinishReason): TaskUpdate => ({
    ...update,
    nextPollAt: null,
    event: "task.expired",
    finishReason: reason,
  });
  const tooOld = now - task.createdAt >= policy.maxTaskAgeMs;

  switch (outcome.kind) {
    case "status": {
      const changed = outcome.status !== task.taskStatus;
      const upstreamCreatedAt = outcome.createdAt ?? task.upstreamCreatedAt;
      const update: TaskUpdate = {
        ...base,
        taskStatus: outcome.status,
        data: outcome.data,
        errorStreak: 0,
        notFoundStreak: 0,
        upstreamCreatedAt,
        event: changed ? eventForStatus(outcome.status) : null,
      };
      if (isTerminal(outcome.status)) {
        const took =
          outcome.status === "succeed" && outcome.createdAt !== null && outcome.updatedAt !== null
            ? outcome.updatedAt - outcome.createdAt
            : null;
        return { ...update, learnedDurationMs: took !== null && took > 0 && took <= MAX_LEARNED_DURATION_MS ? took : null };
      }
      // A change seen on the last allowed poll is not announced: the expiry replaces it.
      if (tooOld) return expire(update, "max_age");
      const age = now - (upstreamCreatedAt ?? task.createdAt);
      if (task.pushedAt !== null) return { ...update, nextPollAt: now + safetyPollDelay(age, window, policy) };
      return { ...update, nextPollAt: now + nextPollDelay(age, window, policy, random) };
    }
    case "transient": {
      const errorStreak = task.errorStreak + 1;
      const update = { ...base, errorStreak, lastError: outcome.error };
      if (tooOld) return expire(update, "max_age");
      return { ...update, nextPollAt: now + errorBackoff(errorStreak, outcome.retryAfterMs, policy, random) };
    }
    case "configuration":
      // Not the task's fault: no streak, no expiry; wait the longest interval for the operator.
      return { ...base, lastError: outcome.error, nextPollAt: now + Math.max(policy.pollMaxIntervalMs, outcome.retryAfterMs ?? 0) };
    case "missing": {
      const notFoundStreak = task.notFoundStreak + 1;
      const update = { ...base, notFoundStreak, lastError: outcome.error };
      if (notFoundStreak >= NOT_FOUND_CONFIRMATIONS) return expire(update, outcome.reason);
      if (tooOld) return expire(update, "max_age");
      return { ...update, nextPollAt: now + clamp(withJitter(policy.pollMinIntervalMs, random), policy) };
    }
    case "rejected":
      return expire({ ...base, lastError: outcome.error }, outcome.reason);
  }
}

import { describe, expect, it } from "vitest";
import type { ObservedStatus, TaskStatus } from "../../src/domain/kling";
import type { PollOutcome } from "../../src/domain/poll-outcome";
import {
  errorBackoff,
  NOT_FOUND_CONFIRMATIONS,
  type PollPolicy,
  planNextPoll,
  type TaskSnapshot,
  type TaskUpdate,
} from "../../src/domain/poll-plan";
import type { DurationWindow } from "../../src/domain/poll-schedule";

const MIN = 10_000;
const MAX = 60_000;
const DAY = 24 * 3_600_000;
const policy: PollPolicy = { pollMinIntervalMs: MIN, pollMaxIntervalMs: MAX, maxTaskAgeMs: DAY, pushSafetyPollMs: 300_000 };
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const half = () => 0.5;
const RANDOMS: ReadonlyArray<readonly [string, () => number]> = [
  ["0", () => 0],
  ["0.5", half],
  ["0.999", () => 0.999],
];

/** A window of 160 s opening at 0, polled every 10 s (the minimum) inside. */
const WINDOW: DurationWindow = { opensAtMs: 0, closesAtMs: 160_000, stepMs: 10_000 };
const fresh = (over: Partial<TaskSnapshot> = {}): TaskSnapshot => ({
  taskStatus: null,
  polls: 0,
  errorStreak: 0,
  notFoundStreak: 0,
  createdAt: NOW - 60_000,
  upstreamCreatedAt: null,
  pushedAt: null,
  ...over,
});
const after = (task: TaskSnapshot, u: TaskUpdate): TaskSnapshot => ({
  taskStatus: u.taskStatus,
  polls: u.polls,
  errorStreak: u.errorStreak,
  notFoundStreak: u.notFoundStreak,
  createdAt: task.createdAt,
  upstreamCreatedAt: u.upstreamCreatedAt,
  pushedAt: task.pushedAt,
});
const status = (s: ObservedStatus, createdAt: number | null = null, updatedAt: number | null = null): PollOutcome => ({
  kind: "status",
  status: s,
  data: JSON.stringify({ task_id: "t1", task_status: s }),
  createdAt,
  updatedAt,
});
const transient = (retryAfterMs: number | null = null): PollOutcome => ({ kind: "transient", error: "http_503", retryAfterMs });
const configuration = (retryAfterMs: number | null = null): PollOutcome => ({ kind: "configuration", error: "kling_1002", retryAfterMs });
const missing = (reason: "not_found" | "upstream_rejected" = "not_found"): PollOutcome => ({ kind: "missing", reason, error: "http_404" });

/** Feeds outcomes one after another (one poll each, 1 s apart), returning every update. */
function walk(task: TaskSnapshot, outcomes: PollOutcome[], random = half): TaskUpdate[] {
  const updates: TaskUpdate[] = [];
  let current = task;
  outcomes.forEach((outcome, i) => {
    const u = planNextPoll(current, outcome, NOW + i * 1000, policy, WINDOW, random);
    updates.push(u);
    current = after(current, u);
  });
  return updates;
}

const EVENT: Record<TaskStatus, string> = {
  submitted: "task.submitted",
  processing: "task.processing",
  succeed: "task.succeeded",
  failed: "task.failed",
};

describe("planNextPoll: statuses and events", () => {
  it.each(["submitted", "processing"] as const)("a new task's first %s produces its event and a poll at the minimum", (s) => {
    const outcome = status(s);
    const u = planNextPoll(fresh(), outcome, NOW, policy, WINDOW, half);
    expect(u).toMatchObject({ taskStatus: s, event: EVENT[s], data: (outcome as { data: string }).data, finishReason: null });
    expect(u.nextPollAt).toBe(NOW + MIN);
  });

  it.each(["succeed", "failed"] as const)("terminal %s gives its event and stops polling", (s) => {
    for (const from of [null, "submitted", "processing"] as const) {
      const u = planNextPoll(fresh({ taskStatus: from, polls: 4 }), status(s), NOW, policy, WINDOW, half);
      expect(u).toMatchObject({ taskStatus: s, event: EVENT[s], nextPollAt: null, finishReason: null });
    }
  });

  it("keeps an unknown status as the task's answer: no event, not terminal, polled on, expired with its data", () => {
    const seen = walk(fresh(), [status("processing"), status("queued"), status("queued")]);
    expect(seen.map((u) => u.event)).toEqual(["task.processing", null, null]);
    expect(seen[1]).toMatchObject({ taskStatus: "queued", data: expect.stringContaining('"queued"'), finishReason: null });
    expect(seen.every((u) => u.nextPollAt !== null)).toBe(true);
    const old = fresh({ taskStatus: "queued", createdAt: NOW - policy.maxTaskAgeMs });
    const expired = planNextPoll(old, status("queued"), NOW, policy, WINDOW, half);
    expect(expired).toMatchObject({ event: "task.expired", finishReason: "max_age", data: expect.stringContaining('"queued"') });
  });

  it("never produces an event twice for the same status", () => {
    const seq: TaskStatus[] = ["submitted", "submitted", "processing", "processing", "processing", "succeed"];
    const events = walk(
      fresh(),
      seq.map((s) => status(s)),
    ).map((u) => u.event);
    expect(events).toEqual(["task.submitted", null, "task.processing", null, null, "task.succeeded"]);
  });

  it("the same status again keeps polling, on the schedule of the task's age", () => {
    const updates = walk(fresh(), [status("processing"), status("processing"), status("processing")]);
    expect(updates.map((u, i) => (u.nextPollAt ?? 0) - (NOW + i * 1000))).toEqual([10_000, 10_000, 10_000]);
    expect(updates.map((u) => u.event)).toEqual(["task.processing", null, null]);
  });

  it("keeps upstream's created_at and learns the duration of a task that succeeded", () => {
    const created = NOW - 95_000;
    const running = planNextPoll(fresh(), status("processing", created, created + 5_000), NOW, policy, WINDOW, half);
    expect(running).toMatchObject({ upstreamCreatedAt: created, learnedDurationMs: null });
    const done = planNextPoll(after(fresh(), running), status("succeed", created, created + 90_000), NOW, policy, WINDOW, half);
    expect(done).toMatchObject({ upstreamCreatedAt: created, learnedDurationMs: 90_000 });
    expect(planNextPoll(fresh(), status("failed", created, created + 90_000), NOW, policy, WINDOW, half).learnedDurationMs).toBeNull();
    expect(planNextPoll(fresh(), status("succeed", created, created - 1), NOW, policy, WINDOW, half).learnedDurationMs).toBeNull();
  });

  it("schedules by upstream's age of the task, not by when the relay heard of it", () => {
    const late = { opensAtMs: 100_000, closesAtMs: 260_000, stepMs: 10_000 };
    const fromUpstream = planNextPoll(fresh({ createdAt: NOW }), status("processing", NOW - 95_000), NOW, policy, late, half);
    expect((fromUpstream.nextPollAt ?? 0) - NOW).toBe(MIN);
    const fromRelay = planNextPoll(fresh({ createdAt: NOW }), status("processing"), NOW, policy, late, half);
    expect((fromRelay.nextPollAt ?? 0) - NOW).toBe(MAX);
  });

  it("a status resets the error and not-found streaks", () => {
    const u = planNextPoll(
      fresh({ taskStatus: "processing", errorStreak: 4, notFoundStreak: 2 }),
      status("processing"),
      NOW,
      policy,
      WINDOW,
      half,
    );
    expect(u).toMatchObject({ errorStreak: 0, notFoundStreak: 0, lastError: null });
  });
});

describe("errorBackoff", () => {
  it("error backoff doubles from the minimum up to the maximum", () => {
    expect([1, 2, 3, 4, 5, 20].map((s) => errorBackoff(s, null, policy, half))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it.each(RANDOMS)("error backoff stays within [min, max] for random %s", (_name, random) => {
    for (let s = 0; s <= 50; s++) {
      const ms = errorBackoff(s, null, policy, random);
      expect(ms).toBeGreaterThanOrEqual(MIN);
      expect(ms).toBeLessThanOrEqual(MAX);
    }
  });

  it("a Retry-After longer than the maximum is honoured, a shorter one does not shorten the backoff", () => {
    expect(errorBackoff(1, 300_000, policy, half)).toBe(300_000);
    expect(errorBackoff(3, 1_000, policy, half)).toBe(40_000);
  });
});

describe("planNextPoll: errors", () => {
  it("transient errors increment the streak and back off exponentially", () => {
    const updates = walk(fresh({ taskStatus: "processing" }), [transient(), transient(), transient(), transient(), transient()]);
    expect(updates.map((u) => u.errorStreak)).toEqual([1, 2, 3, 4, 5]);
    expect(updates.map((u, i) => (u.nextPollAt ?? 0) - (NOW + i * 1000))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(updates.every((u) => u.event === null && u.lastError === "http_503" && u.taskStatus === "processing")).toBe(true);
  });

  it("a transient error honours a Retry-After beyond the maximum", () => {
    const u = planNextPoll(fresh(), transient(600_000), NOW, policy, WINDOW, half);
    expect(u.nextPollAt).toBe(NOW + 600_000);
  });

  it("configuration errors keep the streak, wait at least the maximum and never expire", () => {
    const old = fresh({ taskStatus: "processing", errorStreak: 2, createdAt: NOW - 10 * DAY });
    const updates = walk(
      old,
      Array.from({ length: 20 }, () => configuration()),
    );
    updates.forEach((u, i) => {
      expect(u).toMatchObject({ errorStreak: 2, event: null, finishReason: null, lastError: "kling_1002", polls: i + 1 });
      expect(u.nextPollAt).toBeGreaterThanOrEqual(NOW + i * 1000 + MAX);
    });
  });

  it("a configuration error honours a Retry-After beyond the maximum", () => {
    expect(planNextPoll(fresh(), configuration(900_000), NOW, policy, WINDOW, half).nextPollAt).toBe(NOW + 900_000);
    expect(planNextPoll(fresh(), configuration(5_000), NOW, policy, WINDOW, half).nextPollAt).toBe(NOW + MAX);
  });
});

describe("planNextPoll: missing and rejected", () => {
  it(`expires with not_found only on confirmation ${NOT_FOUND_CONFIRMATIONS}`, () => {
    expect(NOT_FOUND_CONFIRMATIONS).toBe(3);
    const updates = walk(fresh(), [missing(), missing(), missing()]);
    expect(updates.map((u) => u.notFoundStreak)).toEqual([1, 2, 3]);
    for (const [i, u] of updates.slice(0, 2).entries()) {
      expect(u).toMatchObject({ event: null, finishReason: null });
      expect(u.nextPollAt).toBeGreaterThanOrEqual(NOW + i * 1000 + MIN);
      expect(u.nextPollAt).toBeLessThanOrEqual(NOW + i * 1000 + MAX);
    }
    expect(updates[2]).toMatchObject({ nextPollAt: null, event: "task.expired", finishReason: "not_found" });
  });

  it("expires an upstream-rejected task with that reason on the third confirmation", () => {
    const updates = walk(fresh(), [missing("upstream_rejected"), missing("upstream_rejected"), missing("upstream_rejected")]);
    expect(updates.map((u) => u.finishReason)).toEqual([null, null, "upstream_rejected"]);
  });

  it("a status in between resets the not-found streak", () => {
    const updates = walk(fresh(), [missing(), missing(), status("processing"), missing(), missing(), missing()]);
    expect(updates.map((u) => u.notFoundStreak)).toEqual([1, 2, 0, 1, 2, 3]);
    expect(updates.map((u) => u.finishReason)).toEqual([null, null, null, null, null, "not_found"]);
    expect(updates.map((u) => u.nextPollAt === null)).toEqual([false, false, false, false, false, true]);
  });

  it.each(["invalid_request", "content_policy"] as const)("rejected (%s) expires at once", (reason) => {
    const u = planNextPoll(
      fresh({ taskStatus: "submitted" }),
      { kind: "rejected", reason, error: "kling_1301" },
      NOW,
      policy,
      WINDOW,
      half,
    );
    expect(u).toMatchObject({ nextPollAt: null, event: "task.expired", finishReason: reason, lastError: "kling_1301", polls: 1 });
  });
});

describe("planNextPoll: maximum task age", () => {
  const old = fresh({ taskStatus: "processing", createdAt: NOW - DAY });
  const expiring: ReadonlyArray<readonly [string, PollOutcome]> = [
    ["the same non-terminal status", status("processing")],
    ["a new non-terminal status", status("submitted")],
    ["a transient error", transient()],
    ["a first not-found", missing()],
  ];
  it.each(expiring)("%s past the maximum age expires with max_age", (_name, outcome) => {
    expect(planNextPoll(old, outcome, NOW, policy, WINDOW, half)).toMatchObject({
      nextPollAt: null,
      event: "task.expired",
      finishReason: "max_age",
    });
  });

  it("one millisecond before the maximum age the task keeps polling", () => {
    const young = { ...old, createdAt: NOW - DAY + 1 };
    for (const outcome of [status("processing"), transient(), missing()]) {
      const u = planNextPoll(young, outcome, NOW, policy, WINDOW, half);
      expect(u.nextPollAt).not.toBeNull();
      expect(u.finishReason).toBeNull();
    }
  });

  it.each(["succeed", "failed"] as const)("a terminal %s past the maximum age is still reported", (s) => {
    expect(planNextPoll(old, status(s), NOW, policy, WINDOW, half)).toMatchObject({
      event: EVENT[s],
      nextPollAt: null,
      finishReason: null,
    });
  });
});

describe("planNextPoll: bookkeeping", () => {
  const outcomes: ReadonlyArray<readonly [string, PollOutcome]> = [
    ["status", status("processing")],
    ["terminal status", status("succeed")],
    ["transient", transient()],
    ["configuration", configuration()],
    ["missing", missing()],
    ["rejected", { kind: "rejected", reason: "invalid_request", error: "kling_1200" }],
  ];
  it.each(outcomes)("%s increments polls and records lastPolledAt", (_name, outcome) => {
    const u = planNextPoll(fresh({ taskStatus: "processing", polls: 41 }), outcome, NOW, policy, WINDOW, half);
    expect(u.polls).toBe(42);
    expect(u.lastPolledAt).toBe(NOW);
  });
});

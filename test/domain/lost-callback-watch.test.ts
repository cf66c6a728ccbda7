import { describe, expect, it } from "vitest";
import {
  checkZs,
  lostCallbackChecks,
  lostShare,
  MIN_FINISHED,
  nextCheck,
  POLLS_PER_LOST_CALLBACK,
  runningRatio,
  upperQuantile,
  WATCH_LOST_SHARE,
} from "../../src/domain/lost-callback-watch";
import type { PollOutcome } from "../../src/domain/poll-outcome";
import { type PollPolicy, planNextPoll, type TaskSnapshot } from "../../src/domain/poll-plan";
import { durationWindow, type KindStats, learnDuration } from "../../src/domain/poll-schedule";

const policy: PollPolicy = { pollMinIntervalMs: 10_000, pollMaxIntervalMs: 60_000, maxTaskAgeMs: 86_400_000, pushSafetyPollMs: 300_000 };
const CREATED = Date.UTC(2026, 5, 1, 12, 0, 0);
const half = () => 0.5;
/** Videos learned at a median of 160 s (log sd 0.4): the window closes at 160 s x e^0.8 ≈ 356 s. */
const VIDEOS: KindStats = { samples: 50, meanLog: Math.log(160_000), varLog: 0.16 };
const processing: PollOutcome = { kind: "status", status: "processing", data: "{}", createdAt: CREATED, updatedAt: null };
const succeeded: PollOutcome = { kind: "status", status: "succeed", data: "{}", createdAt: CREATED, updatedAt: null };

/** The standard normal's CDF, by Simpson's rule on its density (the test's own, independent of the code's quantile). */
function normalCdf(z: number): number {
  const steps = 2_000;
  const h = z / steps;
  const density = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let sum = density(0) + density(z);
  for (let i = 1; i < steps; i++) sum += density(i * h) * (i % 2 === 1 ? 4 : 2);
  return 0.5 + (sum * h) / 3;
}

/** A task upstream called back about (its submitted callback came), on a manual clock. */
const pushed = (polls: number): TaskSnapshot => ({
  taskStatus: "processing",
  polls,
  errorStreak: 0,
  notFoundStreak: 0,
  createdAt: CREATED,
  upstreamCreatedAt: CREATED,
  pushedAt: CREATED + 2_000,
});

/**
 * The polls a pushed task gets from its first poll at `firstAgeMs` on, while upstream says
 * `processing` until `finishedAtAgeMs` and `succeed` from then, its final callback lost: the ages
 * (ms) of its polls, the last the one that saw it finish.
 */
function pollsOfLostCallback(checks: readonly number[], firstAgeMs: number, finishedAtAgeMs: number): number[] {
  const window = { ...durationWindow("videos", VIDEOS), lostCallbackChecksMs: checks };
  const ages: number[] = [];
  for (let now = CREATED + firstAgeMs; ages.length < 100; ) {
    const age = now - CREATED;
    ages.push(age);
    const update = planNextPoll(pushed(ages.length), age >= finishedAtAgeMs ? succeeded : processing, now, policy, window, half);
    if (update.nextPollAt === null) return ages;
    expect(update.nextPollAt - now).toBeGreaterThanOrEqual(policy.pollMinIntervalMs);
    now = update.nextPollAt;
  }
  throw new Error("never finished");
}

describe("lostCallbackChecks", () => {
  it("watches nothing until enough pushed tasks of the provider and kind finished (cold start: the safety net alone)", () => {
    expect(lostCallbackChecks("videos", VIDEOS, undefined)).toEqual([]);
    expect(lostShare({ finished: MIN_FINISHED - 1, lost: 10 })).toBeNull();
    expect(lostCallbackChecks("videos", VIDEOS, { finished: MIN_FINISHED - 1, lost: 10 })).toEqual([]);
  });

  it("watches nothing while the provider loses fewer final callbacks than the threshold", () => {
    expect(lostCallbackChecks("videos", VIDEOS, { finished: 200, lost: 0 })).toEqual([]);
    expect(lostCallbackChecks("videos", VIDEOS, { finished: 200, lost: 200 * WATCH_LOST_SHARE - 1 })).toEqual([]);
    expect(lostCallbackChecks("videos", VIDEOS, { finished: 200, lost: 200 * WATCH_LOST_SHARE })).not.toEqual([]);
  });

  it("at a fifth or more lost, checks where half, a quarter, an eighth, a sixteenth of the kind's tasks still run, then at the window's close", () => {
    const close = durationWindow("videos", VIDEOS).closesAtMs;
    for (const lost of [20, 50, 100]) {
      const checks = lostCallbackChecks("videos", VIDEOS, { finished: 100, lost });
      expect(checks.map((c) => Math.round(c / 1000))).toEqual([160, 210, 253, 296, Math.round(close / 1000)]);
      expect(checks.at(-1)).toBe(Math.round(close));
    }
  });

  it("at a tenth lost, checks fewer and later: where a third, then a ninth of the tasks still run, then at the close", () => {
    const checks = lostCallbackChecks("videos", VIDEOS, { finished: 100, lost: 10 });
    const close = durationWindow("videos", VIDEOS).closesAtMs;
    // 160 s × e^(0.4 z) at z = 0.431 and 1.221 (a third and a ninth above them).
    expect(checks.map((c) => Math.round(c / 1000))).toEqual([190, 261, Math.round(close / 1000)]);
  });

  it("spends about POLLS_PER_LOST_CALLBACK polls of running tasks for each lost callback, never more checks than at a fifth lost", () => {
    const running = (z: number) => 1 - normalCdf(z);
    let count = 0;
    let first = Number.POSITIVE_INFINITY;
    for (let lost = WATCH_LOST_SHARE * 100; lost <= 40; lost += 1) {
      const share = lost / 100;
      const zs = checkZs(runningRatio(share));
      // The checks before the close: the running tasks they poll, per pushed task, for the lost found.
      const polls = zs.slice(0, -1).reduce((sum, z) => sum + running(z), 0);
      expect(polls / share).toBeLessThanOrEqual(POLLS_PER_LOST_CALLBACK);
      // And not much less, below a fifth lost: the series is cut only near the close (its last term within 2 x the close's share).
      if (share < 0.2) expect(polls / share).toBeGreaterThan(POLLS_PER_LOST_CALLBACK * 0.75);
      // More lost: as many checks or more, the first one no later; at most those at a fifth lost.
      expect(zs.length).toBeGreaterThanOrEqual(count);
      expect(zs.length).toBeLessThanOrEqual(5);
      expect(zs[0]!).toBeLessThanOrEqual(first);
      count = zs.length;
      first = zs[0]!;
    }
    expect(checkZs(runningRatio(0.02))).toHaveLength(2);
    expect(checkZs(runningRatio(0.02))[0]).toBeGreaterThan(checkZs(runningRatio(0.1))[0]!);
  });

  it("places the checks by the normal's upper quantiles, within a thousandth", () => {
    for (const [upper, z] of [
      [0.5, 0],
      [0.25, 0.6745],
      [1 / 3, 0.4307],
      [0.1, 1.2816],
      [0.05, 1.6449],
    ] as const)
      expect(Math.abs(upperQuantile(upper) - z)).toBeLessThan(0.001);
  });

  it("follows the learned durations, and the action's prior before ten finished", () => {
    let quick: KindStats | undefined;
    for (let i = 0; i < 20; i++) quick = learnDuration(quick, 20_000 + (i % 5) * 2_000);
    // A fifth lost: the first check at the median.
    const tally = { finished: 50, lost: 10 };
    expect(lostCallbackChecks("images", quick, tally)[0]).toBeLessThan(30_000);
    const prior = lostCallbackChecks("images", undefined, tally);
    // The images prior: 8-40 s taken as ±2σ, so its median is √(8 × 40) ≈ 17.9 s.
    expect(prior[0]).toBeCloseTo(Math.sqrt(8_000 * 40_000), 0);
  });
});

describe("a pushed task's safety polls (planNextPoll, manual clock)", () => {
  const watched = lostCallbackChecks("videos", VIDEOS, { finished: 100, lost: 10 });

  it("with nothing lost, polls as before: every 300 s, or at the window's close if later", () => {
    const ages = pollsOfLostCallback([], 60_000, 130_000);
    const close = durationWindow("videos", VIDEOS).closesAtMs;
    expect(ages).toEqual([60_000, 60_000 + Math.max(300_000, close - 60_000)]);
  });

  it("with callbacks lost, finds a lost final callback at the next check instead of the safety net's minutes", () => {
    const before = pollsOfLostCallback([], 60_000, 130_000);
    const ages = pollsOfLostCallback(watched, 60_000, 130_000);
    expect(ages).toEqual([60_000, Math.round(watched[0]!)]);
    // The first check, where a third of the kind's tasks still run (190 s).
    expect(ages.at(-1)! - 130_000).toBeLessThan(61_000);
    expect(before.at(-1)! - 130_000).toBe(230_000);
  });

  it("polls a task still running once per check, then falls back to the safety net after the window's close", () => {
    const ages = pollsOfLostCallback(watched, 60_000, 1_200_000);
    const checks = watched.map(Math.round);
    expect(ages.slice(0, checks.length + 1)).toEqual([60_000, ...checks]);
    expect(ages[checks.length + 1]! - ages[checks.length]!).toBe(300_000);
  });

  it("counts a poll a little before a check (the checks moved as durations were learned) as that check: never polls twice for one", () => {
    const checks = watched.map(Math.round);
    const ages = pollsOfLostCallback(watched, checks[0]! - 3_000, 1_200_000);
    expect(ages.slice(0, 3)).toEqual([checks[0]! - 3_000, checks[1], checks[2]]);
    // Nor sooner than the minimum interval, whatever the gaps.
    expect(nextCheck([20_000, 22_000, 30_000], 15_000, 10_000)).toBe(30_000);
    expect(nextCheck([20_000, 22_000, 30_000], 5_000, 10_000)).toBe(20_000);
    expect(nextCheck([20_000, 22_000, 30_000], 25_000, 10_000)).toBeUndefined();
  });
});

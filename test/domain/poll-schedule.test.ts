import { describe, expect, it } from "vitest";
import { durationWindow, learnDuration, nextPollDelay, type KindStats } from "../../src/domain/poll-schedule";

const bounds = { pollMinIntervalMs: 10_000, pollMaxIntervalMs: 60_000 };
const half = () => 0.5;

describe("nextPollDelay", () => {
  const window = { opensAtMs: 90_000, closesAtMs: 250_000 };

  it("waits for the window to open while the task is young, within the maximum", () => {
    expect(nextPollDelay(0, window, bounds, half)).toBe(60_000);
    expect(nextPollDelay(70_000, window, bounds, half)).toBe(20_000);
    expect(nextPollDelay(85_000, window, bounds, half)).toBe(10_000);
  });

  it("polls evenly through the window: 16 polls across it", () => {
    expect(nextPollDelay(90_000, window, bounds, half)).toBe(10_000);
    expect(nextPollDelay(200_000, { opensAtMs: 60_000, closesAtMs: 300_000 }, bounds, half)).toBe(15_000);
  });

  it("backs off in proportion to how late the task is past the window", () => {
    expect(nextPollDelay(280_000, window, bounds, half)).toBe(15_000);
    expect(nextPollDelay(400_000, window, bounds, half)).toBe(60_000);
  });

  it.each([0, 0.5, 0.999])("stays within the bounds for any age (random %s)", (r) => {
    for (let age = 0; age < 2_000_000; age += 7_919) {
      const delay = nextPollDelay(age, window, bounds, () => r);
      expect(delay).toBeGreaterThanOrEqual(10_000);
      expect(delay).toBeLessThanOrEqual(60_000);
    }
  });
});

describe("learnDuration and durationWindow", () => {
  it("uses the prior of the action until five tasks of the kind finished", () => {
    let stats: KindStats | undefined;
    for (let i = 0; i < 4; i++) stats = learnDuration(stats, 20_000);
    expect(durationWindow("videos", stats)).toEqual({ opensAtMs: 45_000, closesAtMs: 240_000 });
    expect(durationWindow("images", undefined)).toEqual({ opensAtMs: 10_000, closesAtMs: 35_000 });
  });

  it("learns where a kind's durations lie: the window brackets the middle 80 %", () => {
    let stats: KindStats | undefined;
    const durations = Array.from({ length: 400 }, (_, i) => 60_000 + ((i * 7_919) % 240_000));
    for (const d of durations) stats = learnDuration(stats, d);
    const window = durationWindow("videos", stats);
    const sorted = [...durations].sort((a, b) => a - b);
    const inside = durations.filter((d) => d >= window.opensAtMs && d <= window.closesAtMs).length / durations.length;
    expect(inside).toBeGreaterThan(0.6);
    expect(inside).toBeLessThan(0.95);
    expect(window.opensAtMs).toBeGreaterThan(sorted[0]!);
    expect(window.closesAtMs).toBeLessThan(sorted[sorted.length - 1]! * 1.2);
  });

  it("follows a kind that got slower", () => {
    let stats: KindStats | undefined;
    for (let i = 0; i < 200; i++) stats = learnDuration(stats, 20_000);
    const before = durationWindow("images", stats);
    for (let i = 0; i < 60; i++) stats = learnDuration(stats, 80_000);
    const afterwards = durationWindow("images", stats);
    expect(afterwards.opensAtMs).toBeGreaterThan(before.opensAtMs * 2);
  });
});

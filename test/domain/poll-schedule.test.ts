import { describe, expect, it } from "vitest";
import { durationWindow, type KindStats, learnDuration, nextPollDelay } from "../../src/domain/poll-schedule";

const bounds = { pollMinIntervalMs: 10_000, pollMaxIntervalMs: 60_000 };
const half = () => 0.5;

describe("nextPollDelay", () => {
  const window = { opensAtMs: 90_000, closesAtMs: 250_000, stepMs: 15_000 };

  it("waits for the window to open while the task is young, within the maximum", () => {
    expect(nextPollDelay(0, window, bounds, half)).toBe(60_000);
    expect(nextPollDelay(70_000, window, bounds, half)).toBe(20_000);
    expect(nextPollDelay(85_000, window, bounds, half)).toBe(10_000);
  });

  it("polls every step inside the window", () => {
    expect(nextPollDelay(90_000, window, bounds, half)).toBe(15_000);
    expect(nextPollDelay(249_000, window, bounds, half)).toBe(15_000);
    expect(nextPollDelay(120_000, { ...window, stepMs: 2_000 }, bounds, half)).toBe(10_000);
  });

  it("backs off in proportion to how late the task is past the window, never faster than inside it", () => {
    expect(nextPollDelay(260_000, window, bounds, half)).toBe(15_000);
    expect(nextPollDelay(300_000, window, bounds, half)).toBe(25_000);
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
  it("uses the prior of the action until ten tasks of the kind finished", () => {
    let stats: KindStats | undefined;
    for (let i = 0; i < 9; i++) stats = learnDuration(stats, 20_000);
    const video = durationWindow("videos", stats);
    expect(video.opensAtMs).toBeGreaterThan(30_000);
    expect(video.opensAtMs).toBeLessThan(45_000);
    expect(video.closesAtMs).toBeCloseTo(330_000, -3);
    const image = durationWindow("images", undefined);
    expect(image.closesAtMs).toBeCloseTo(40_000, -3);
  });

  it("learns where a kind's durations lie: the window brackets nearly all of them", () => {
    let stats: KindStats | undefined;
    const durations = Array.from({ length: 400 }, (_, i) => 60_000 + ((i * 7_919) % 240_000));
    for (const d of durations) stats = learnDuration(stats, d);
    const window = durationWindow("videos", stats);
    const inside = durations.filter((d) => d >= window.opensAtMs && d <= window.closesAtMs).length / durations.length;
    expect(inside).toBeGreaterThan(0.9);
    // About 12 polls per median duration (≈ 160 s here).
    expect(window.stepMs).toBeGreaterThan(11_000);
    expect(window.stepMs).toBeLessThan(16_000);
  });

  it("follows a kind that got slower", () => {
    let stats: KindStats | undefined;
    for (let i = 0; i < 200; i++) stats = learnDuration(stats, 20_000);
    const before = durationWindow("images", stats);
    for (let i = 0; i < 150; i++) stats = learnDuration(stats, 80_000);
    const afterwards = durationWindow("images", stats);
    expect(afterwards.opensAtMs).toBeGreaterThan(before.opensAtMs * 2);
    expect(afterwards.stepMs).toBeGreaterThan(before.stepMs * 2);
  });
});

import { describe, expect, it } from "vitest";
import { SendPacing } from "../../src/domain/send-pacing";

describe("an endpoint's send pacing", () => {
  it("spaces slots 1000 / rate ms apart from the first, with no burst", () => {
    const pacing = new SendPacing();
    const waits = Array.from({ length: 5 }, () => pacing.reserve(10_000, 10, 1_500));
    expect(waits).toEqual([0, 100, 200, 300, 400].map((waitMs) => ({ kind: "go", waitMs })));
  });

  it("frees slots as time passes: an idle endpoint sends at once", () => {
    const pacing = new SendPacing();
    expect(pacing.reserve(0, 2, 1_000)).toEqual({ kind: "go", waitMs: 0 });
    expect(pacing.reserve(100, 2, 1_000)).toEqual({ kind: "go", waitMs: 400 });
    // The next slot (1000) is past: now is the slot.
    expect(pacing.reserve(5_000, 2, 1_000)).toEqual({ kind: "go", waitMs: 0 });
    expect(pacing.reserve(5_000, 2, 1_000)).toEqual({ kind: "go", waitMs: 500 });
  });

  it("puts a sender off without taking its slot when the wait would pass maxWait, the next ones an interval further each", () => {
    const pacing = new SendPacing();
    // 1/s, waits of at most 1.5 s: slots at 0, 1000; the slot at 2000 is too far.
    expect(pacing.reserve(0, 1, 1_500)).toEqual({ kind: "go", waitMs: 0 });
    expect(pacing.reserve(0, 1, 1_500)).toEqual({ kind: "go", waitMs: 1_000 });
    const later = [pacing.reserve(0, 1, 1_500), pacing.reserve(0, 1, 1_500), pacing.reserve(0, 1, 1_500)];
    // Back when the slot at 2000 is within half the wait, then one interval apart.
    expect(later).toEqual([1_250, 2_250, 3_250].map((retryAt) => ({ kind: "later", retryAt })));
    // Nothing was reserved for them: the slot at 2000 is still free for whoever comes first.
    expect(pacing.reserve(1_250, 1, 1_500)).toEqual({ kind: "go", waitMs: 750 });
  });

  it("never gives more than rate + 1 slots in any second, whatever the mix of senders", () => {
    const pacing = new SendPacing();
    const sent: number[] = [];
    for (let now = 0; now < 10_000; now += 37) {
      for (let i = 0; i < 3; i++) {
        const slot = pacing.reserve(now, 7, 800);
        if (slot.kind === "go") sent.push(now + slot.waitMs);
        else expect(slot.retryAt).toBeGreaterThan(now);
      }
    }
    for (const start of sent) expect(sent.filter((t) => t >= start && t <= start + 1_000).length).toBeLessThanOrEqual(8);
    expect(sent.length).toBeGreaterThanOrEqual(69);
  });

  it("clamps the rate to 1-1000", () => {
    const pacing = new SendPacing();
    pacing.reserve(0, 5_000, 0);
    expect(pacing.reserve(0, 5_000, 10)).toEqual({ kind: "go", waitMs: 1 });
    const slow = new SendPacing();
    slow.reserve(0, 0, 0);
    expect(slow.reserve(0, 0, 5_000)).toEqual({ kind: "go", waitMs: 1_000 });
  });
});

import { describe, expect, it } from "vitest";
import { SendPacing } from "../src/domain/send-pacing";
import { takeSlot } from "../src/work/pace-send";

/**
 * A simulated clock whose timers cannot fire during stalls (an invocation busy elsewhere): a wait
 * due inside a stall ends when the stall does. Timers fire one at a time, in time order, each
 * after everything the previous one set going has settled.
 */
function stallingClock(stalls: [from: number, to: number][]) {
  let t = 0;
  const timers: { wake: number; resolve: () => void }[] = [];
  const clock = {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        let wake = t + ms;
        for (const [from, to] of stalls) if (wake >= from && wake < to) wake = to;
        timers.push({ wake, resolve });
      }),
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  async function run(work: Promise<unknown>) {
    let done = false;
    void work.then(() => (done = true));
    for (let fired = 0; fired < 10_000; fired++) {
      await settle();
      if (done) return;
      timers.sort((a, b) => a.wake - b.wake);
      const next = timers.shift();
      if (!next) break;
      t = Math.max(t, next.wake);
      next.resolve();
    }
    await work;
  }
  return { clock, run };
}

const busiestSecond = (times: number[]) => Math.max(...times.map((start) => times.filter((x) => x >= start && x <= start + 1_000).length));

describe("taking a send slot (work/pace-send.ts takeSlot)", () => {
  it("keeps a stalled invocation's late lanes from bunching: a wait that ends late asks for a fresh slot", async () => {
    const { clock, run } = stallingClock([
      [450, 900],
      [2_050, 2_700],
    ]);
    const pacing = new SendPacing();
    const pacer = { reserve: async (_endpoint: string, rate: number, maxWait: number) => pacing.reserve(clock.now(), rate, maxWait) };
    const sends: number[] = [];
    // Six lanes, as an invocation has, each sending 8 webhooks to one endpoint limited to 10/s.
    const lanes = Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 8; i++) {
        const slot = await takeSlot(pacer, "ep_1", 10, clock);
        if (slot.kind === "go") sends.push(clock.now());
      }
    });
    await run(Promise.all(lanes));
    expect(sends.length).toBe(48);
    // Without the fresh slot, the lanes due during a stall all send as it ends: 14 in one second.
    expect(busiestSecond(sends)).toBeLessThanOrEqual(11);
    expect(sends.at(-1)! - sends[0]!).toBeGreaterThanOrEqual(4_700);
  });

  it("sends as soon as its slot comes when nothing stalls, and without waiting when the endpoint is idle", async () => {
    const { clock, run } = stallingClock([]);
    const pacing = new SendPacing();
    const pacer = { reserve: async (_endpoint: string, rate: number, maxWait: number) => pacing.reserve(clock.now(), rate, maxWait) };
    const sends: number[] = [];
    await run(
      Promise.all(
        Array.from({ length: 3 }, async () => {
          for (let i = 0; i < 4; i++) if ((await takeSlot(pacer, "ep_1", 5, clock)).kind === "go") sends.push(clock.now());
        }),
      ),
    );
    expect(sends.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i * 200));
  });
});

import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos/chaos-run";
import { resetDb } from "./support/relay";

describe("chaos", () => {
  it("loses nothing: 60 tasks through upstream faults, failing receivers, aborted and overlapping ticks", async () => {
    await resetDb();
    const { figures, problems } = await runChaos({ tasks: 60, seed: 11 });
    expect(problems).toEqual([]);
    expect(figures.lost).toBe(0);
    expect(figures.upstreamFaults).toBeGreaterThan(10);
    expect(figures.receiverFaults).toBeGreaterThan(10);
    expect(figures.ticksAborted).toBeGreaterThan(0);
    expect(figures.ticksOverlapping).toBeGreaterThan(0);
    expect(figures.failedGone + figures.failedRetriesExhausted).toBeGreaterThan(0);
    expect(figures.webhooksDelivered).toBeGreaterThan(figures.subscriptions / 2);
    expect(figures.secretsInLogs).toBe(0);
  }, 180_000);
});

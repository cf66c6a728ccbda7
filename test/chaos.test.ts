import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos/chaos-run";
import { resetDb } from "./support/relay";

describe("chaos", () => {
  it("loses nothing: 60 tasks through upstream faults, failing receivers, endpoints down for a stretch, aborted and overlapping ticks", async () => {
    await resetDb();
    const { figures, problems } = await runChaos({ tasks: 60, seed: 11 });
    expect(problems).toEqual([]);
    expect(figures.lost).toBe(0);
    expect(figures.upstreamFaults).toBeGreaterThan(10);
    expect(figures.receiverFaults).toBeGreaterThan(10);
    expect(figures.ticksAborted).toBeGreaterThan(0);
    expect(figures.ticksOverlapping).toBeGreaterThan(0);
    expect(figures.failedGone + figures.failedEndpointDisabled).toBeGreaterThan(0);
    expect(figures.webhooksDelivered).toBeGreaterThan(figures.subscriptions / 2);
    expect(figures.secretsInLogs).toBe(0);
    // Endpoints down for 12 ticks (24 s), then back: every message to them delivered (problems
    // above); while down, 5 failures opened the circuit, then only probes, far fewer attempts
    // than the retry schedule alone would have made.
    console.log(JSON.stringify(figures.outages)); // shown when the test fails
    expect(figures.outages.map((o) => o.endpoint)).toEqual(["down-503", "down-hangs"]);
    for (const o of figures.outages) {
      expect(o.messagesDue).toBeGreaterThan(2);
      expect(o.beforeCircuitOpened).toBeGreaterThanOrEqual(5);
      expect(o.probes).toBeGreaterThan(0);
      expect(o.probes).toBeLessThanOrEqual(o.probesAllowed);
      expect(o.attemptsWhileDown).toBeLessThan(o.scheduleAttempts);
    }
  }, 180_000);

  it("loses nothing when 5 % of the ticks' D1 round trips fail, before running or after committing", async () => {
    await resetDb();
    const { figures, problems } = await runChaos({ tasks: 60, seed: 12, d1FaultRate: 0.05 });
    console.log(JSON.stringify({ ...figures, outages: undefined })); // shown when the test fails
    expect(problems).toEqual([]);
    expect(figures.lost).toBe(0);
    expect(figures.d1Faults).toBeGreaterThan(20);
    // A webhook is sent again only when the record of its send was lost (a D1 fault, or a tick
    // killed before it recorded), and then as the same webhook (checked above): at most a
    // recording round's worth per such loss (50 results, and the 6 still in flight).
    expect(figures.duplicatesReceived).toBeLessThanOrEqual(56 * (figures.d1Faults + figures.ticksAborted));
    expect(figures.webhooksDelivered).toBeGreaterThan(figures.subscriptions / 2);
  }, 180_000);
});

/**
 * How many D1 round trips a tick with nothing to do makes, counted (not timed): each costs the
 * Worker about 0.2-0.3 ms of CPU in the D1 binding's client (docs/performance.md, table 11), and a
 * tick runs every minute, on the free plan within 10 ms of CPU.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { manualClock, resetDb, tick } from "./support/relay";

describe("an idle tick's D1 round trips", () => {
  beforeEach(resetDb);

  it("are 9 in one pass: the upkeep's look, a delivery claim, the learned figures with the polling announcement, a walk of each due lane, the archive's look, the end of polling, retention's batch, the secrets' look", async () => {
    // One pass (a clock that cannot sleep): no nap, so no look at the next due time.
    const report = await tick(manualClock());
    expect(report.endReason).toBe("single_pass");
    expect(report.d1.queries).toBe(9);
  });
});

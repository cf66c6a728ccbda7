import { describe, expect, it } from "vitest";
import { costTable, dollars, type Lifecycle, TICKS_PER_MONTH, usagePerMillion } from "../support/cost-model.ts";

const polling: Lifecycle = {
  kind: "lifecycle",
  scenario: "polling only",
  tasks: 100,
  requests: 100,
  work: { registration: 100, poll: 900, delivery: 100 },
  d1RowsRead: 50_000,
  d1RowsWritten: 7_000,
  upstreamCalls: 900,
  naiveCalls: 2_800,
};

describe("the cost model (test/support/cost-model.ts)", () => {
  it("scales a lifecycle to a million tasks, with a month of ticks, and CPU from ms per unit of work", () => {
    const usage = usagePerMillion(polling, { registration: 3, poll: 0.2, delivery: 0.5, idleTick: 7 });
    expect(usage.requests).toBe(1e6 + TICKS_PER_MONTH);
    expect(usage.d1RowsWritten).toBe(70e6);
    expect(usage.d1RowsRead).toBe(500e6);
    // A task: 3 + 9 × 0.2 + 0.5 = 5.3 ms; and 43,200 ticks of 7 ms.
    expect(usage.cpuMs).toBeCloseTo(5.3e6 + TICKS_PER_MONTH * 7, 3);
  });

  it("prices at list (each further million) and beyond the plan's allowances", () => {
    const usage = usagePerMillion(polling, {});
    const { list, beyondIncluded } = dollars(usage);
    // 70M rows written at $1.00/M; 50M of them included.
    expect(list.d1RowsWritten).toBeCloseTo(70, 6);
    expect(beyondIncluded.d1RowsWritten).toBeCloseTo(20, 6);
    // 1.04M requests: within the 10M included.
    expect(beyondIncluded.requests).toBe(0);
    expect(list.requests).toBeCloseTo(((1e6 + TICKS_PER_MONTH) / 1e6) * 0.3, 6);
  });

  it("adds a scenario's extra figures to its base per task, and derives queue mode from the polls and deliveries", () => {
    const archiving: Lifecycle = {
      kind: "lifecycle",
      scenario: "with archiving",
      adds: "polling only",
      tasks: 10,
      requests: 0,
      work: {},
      d1RowsRead: 100,
      d1RowsWritten: 50,
      upstreamCalls: 0,
      naiveCalls: 0,
      r2ClassA: 30,
      r2ClassB: 0,
      r2BytesPerTask: 10_000_000,
    };
    // Reported in either order (the sections run side by side), listed by name.
    const table = costTable([archiving, polling], null, 14);
    expect(table.rows.map((r) => r[0])).toEqual(["polling only", expect.stringMatching(/^polling only, through Queues/), "with archiving"]);
    const [, queued, withArchive] = table.rows as string[][];
    // 70 + 5 rows written a task; 3 class A operations a task; 10 MB a task kept a month: 10,000 GB-month a million.
    expect(withArchive![4]).toBe("75.0M");
    expect(withArchive![6]).toBe("3.0M / 0");
    expect(withArchive![7]).toBe("10000");
    // 1,000 ids a hundred tasks: 100 messages, 300 operations; 25 invocations more.
    expect(queued![5]).toBe("3.0M");
    expect(queued![1]).toBe("1.3M");
    // 70 rows written a task, and 2 more for each of its 9 queued polls' and its webhook's claims.
    expect(queued![4]).toBe("90.0M");
    expect(table.notes.at(-1)).toMatch(/CPU was not measured/);
  });
});

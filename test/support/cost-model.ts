/**
 * What a million tasks cost on Workers Paid, from figures the benchmarks measure: each lifecycle
 * run (polling only, with callbacks, with archiving) counts what its tasks used, and the CPU
 * benchmark times each kind of work. Used by the benchmarks' Node side (test/harness/bench-setup.ts).
 */

/**
 * Cloudflare's list prices for Workers Paid ($5 a month), as published on the Workers, D1, Queues,
 * R2 and Durable Objects pricing pages (developers.cloudflare.com/<product>/platform/pricing/);
 * checked on PRICES_AS_OF. Each: what the plan includes a month, and the price per million beyond.
 */
export const PRICES_AS_OF = "2026-12-06";
export const PLAN_PER_MONTH = 5;
export const PRICES = {
  requests: { included: 10e6, perMillion: 0.3, label: "Worker requests" },
  cpuMs: { included: 30e6, perMillion: 0.02, label: "CPU ms" },
  d1RowsRead: { included: 25e9, perMillion: 0.001, label: "D1 rows read" },
  d1RowsWritten: { included: 50e6, perMillion: 1.0, label: "D1 rows written" },
  // Each message written, read and deleted: 3 operations per message under 64 KB.
  queueOps: { included: 1e6, perMillion: 0.4, label: "Queues operations" },
  r2ClassA: { included: 1e6, perMillion: 4.5, label: "R2 class A operations" },
  r2ClassB: { included: 10e6, perMillion: 0.36, label: "R2 class B operations" },
  // Per GB-month (not per million); 10 GB included.
  r2GbMonth: { included: 10, perMillion: 0.015e6, label: "R2 storage (GB-month)" },
} as const;
export type Meter = keyof typeof PRICES;

/** Units of each kind of work, whose CPU time the CPU benchmark measures per unit. */
export type WorkKind = "registration" | "poll" | "delivery" | "callback" | "idleTick";

/** What one lifecycle run used, over `tasks` tasks from registration to their webhook. */
export interface Lifecycle {
  kind: "lifecycle";
  scenario: string;
  /** The scenario this run's figures add to (they are what it adds per task), if any. */
  adds?: string;
  tasks: number;
  /** Worker invocations other than cron ticks: registrations, upstream callbacks, queue consumers. */
  requests: number;
  /** Units of work, for CPU time. */
  work: Partial<Record<WorkKind, number>>;
  d1RowsRead: number;
  d1RowsWritten: number;
  upstreamCalls: number;
  /** What a 5 s polling loop would have called upstream for the same tasks. */
  naiveCalls: number;
  queueOps?: number;
  r2ClassA?: number;
  r2ClassB?: number;
  /** Bytes archived per task, kept ARCHIVE_RETENTION_DAYS. */
  r2BytesPerTask?: number;
}

/** A month of cron ticks, one a minute: the same whatever the volume. */
export const TICKS_PER_MONTH = 30 * 24 * 60;

/** Usage per million tasks a month, by meter, from one lifecycle run and CPU ms per unit of work. */
export function usagePerMillion(l: Lifecycle, cpuMsPer: Partial<Record<WorkKind, number>>, retentionDays = 30): Record<Meter, number> {
  const scale = 1e6 / l.tasks;
  let cpu = 0;
  for (const [kind, units] of Object.entries(l.work) as [WorkKind, number][]) cpu += units * (cpuMsPer[kind] ?? 0) * scale;
  cpu += TICKS_PER_MONTH * (cpuMsPer.idleTick ?? 0);
  return {
    requests: l.requests * scale + TICKS_PER_MONTH,
    cpuMs: cpu,
    d1RowsRead: l.d1RowsRead * scale,
    d1RowsWritten: l.d1RowsWritten * scale,
    queueOps: (l.queueOps ?? 0) * scale,
    r2ClassA: (l.r2ClassA ?? 0) * scale,
    r2ClassB: (l.r2ClassB ?? 0) * scale,
    // A month's tasks kept `retentionDays`: on average that share of a month's bytes is stored.
    r2GbMonth: (((l.r2BytesPerTask ?? 0) * 1e6) / 1e9) * Math.min(1, retentionDays / 30),
  };
}

/** Dollars for `usage`: at list price (what each further million tasks costs), and beyond the plan's allowances. */
export function dollars(usage: Record<Meter, number>): { list: Record<Meter, number>; beyondIncluded: Record<Meter, number> } {
  const list = {} as Record<Meter, number>;
  const beyondIncluded = {} as Record<Meter, number>;
  for (const meter of Object.keys(PRICES) as Meter[]) {
    const { included, perMillion } = PRICES[meter];
    list[meter] = (usage[meter] / 1e6) * perMillion;
    beyondIncluded[meter] = (Math.max(0, usage[meter] - included) / 1e6) * perMillion;
  }
  return { list, beyondIncluded };
}

export const sum = (byMeter: Record<Meter, number>) => Object.values(byMeter).reduce((a, b) => a + b, 0);

const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)}M` : Math.round(n).toLocaleString("en-US"));
const usd = (n: number) => `$${n.toFixed(2)}`;

/**
 * The cost table: one row per lifecycle scenario, what a million tasks a month use and cost.
 * `cpuMsPer`: CPU ms per unit of work as the CPU benchmark measured it (null: not measured in this
 * run, and CPU is left out of the dollars, which say so).
 */
export function costTable(runs: readonly Lifecycle[], cpuMsPer: Partial<Record<WorkKind, number>> | null, order: number) {
  const lifecycles = runs.flatMap((l) => {
    if (!l.adds) return [l];
    const base = runs.find((b) => b.scenario === l.adds);
    return base ? [combine(base, l)] : [];
  });
  const polling = runs.find((l) => l.scenario === "polling only");
  if (polling) lifecycles.push(throughQueues(polling));
  // By name, not by when each section reported: the benchmarks run side by side (vitest.bench.config.ts).
  lifecycles.sort((a, b) => a.scenario.localeCompare(b.scenario));
  const rows = lifecycles.map((l) => {
    const usage = usagePerMillion(l, cpuMsPer ?? {});
    const { list, beyondIncluded } = dollars(usage);
    return [
      l.scenario,
      millions(usage.requests),
      cpuMsPer ? millions(usage.cpuMs) : "not measured",
      millions(usage.d1RowsRead),
      millions(usage.d1RowsWritten),
      millions(usage.queueOps),
      `${millions(usage.r2ClassA)} / ${millions(usage.r2ClassB)}`,
      usage.r2GbMonth.toFixed(0),
      `**${usd(sum(list))}**`,
      usd(PLAN_PER_MONTH + sum(beyondIncluded)),
      `${(l.upstreamCalls / l.tasks).toFixed(1)} vs ${(l.naiveCalls / l.tasks).toFixed(1)} (${millions(((l.naiveCalls - l.upstreamCalls) / l.tasks) * 1e6)} saved)`,
    ];
  });
  return {
    order,
    title: `${order}. What a million tasks a month cost on Workers Paid (Cloudflare's list prices as of ${PRICES_AS_OF})`,
    columns: [
      "scenario",
      "Worker requests",
      "CPU ms",
      "D1 rows read",
      "D1 rows written",
      "Queues ops",
      "R2 class A / B",
      "R2 GB-month",
      "at list price",
      "the month's bill ($5 plan + beyond its allowances)",
      "upstream calls / task: relay vs a 5 s loop",
    ],
    rows,
    notes: [
      "",
      "Prices: requests $0.30/M (10M included), CPU $0.02/M ms (30M), D1 rows read $0.001/M (25 billion), rows written $1.00/M (50M),",
      "Queues $0.40/M operations (1M; 3 a message), R2 class A $4.50/M (1M), class B $0.36/M (10M), storage $0.015/GB-month (10 GB).",
      "'At list price' is what each further million tasks adds once a month's allowances are spent; the month's bill is for a million tasks alone.",
      "Worker requests include the cron's 43,200 ticks a month. Usage per task comes from the lifecycle runs of this benchmark (tables 3, 6 and 7:",
      "registration, every poll, the webhook, callbacks, copies), scaled to a million; CPU from the CPU table, D1 rows as D1 counts them.",
      ...(cpuMsPer ? [] : ["CPU was not measured in this run (the CPU benchmark runs with `npm run bench`): the dollars leave it out."]),
    ],
  };
}

/** A scenario that adds to another (per task): the base's figures plus the additions', per task of each. */
function combine(base: Lifecycle, added: Lifecycle): Lifecycle {
  const per = (l: Lifecycle, n: number | undefined) => (n ?? 0) / l.tasks;
  const work: Partial<Record<WorkKind, number>> = {};
  for (const kind of new Set([...Object.keys(base.work), ...Object.keys(added.work)]) as Set<WorkKind>)
    work[kind] = per(base, base.work[kind]) + per(added, added.work[kind]);
  return {
    kind: "lifecycle",
    scenario: added.scenario,
    tasks: 1,
    requests: per(base, base.requests) + per(added, added.requests),
    work,
    d1RowsRead: per(base, base.d1RowsRead) + per(added, added.d1RowsRead),
    d1RowsWritten: per(base, base.d1RowsWritten) + per(added, added.d1RowsWritten),
    upstreamCalls: per(base, base.upstreamCalls) + per(added, added.upstreamCalls),
    naiveCalls: per(base, base.naiveCalls) + per(added, added.naiveCalls),
    queueOps: per(base, base.queueOps) + per(added, added.queueOps),
    r2ClassA: per(base, base.r2ClassA) + per(added, added.r2ClassA),
    r2ClassB: per(base, base.r2ClassB) + per(added, added.r2ClassB),
    r2BytesPerTask: (base.r2BytesPerTask ?? 0) + (added.r2BytesPerTask ?? 0),
  };
}

/** Ids a queue message carries, and messages a consumer invocation takes (src/work/work-message.ts, wrangler.toml). */
const IDS_PER_MESSAGE = 10;
const MESSAGES_PER_INVOCATION = 4;

/**
 * Rows written a queued poll or webhook adds to one the tick does itself: the dispatching claim's
 * lease (the row and its due entry at the lease's end). A tick polling alone leases no task
 * (test/poll-cost.test.ts counts both rows), and sends the webhooks its polls produce with no claim,
 * created leased to it (test/born-leased.test.ts); in queue mode the tick claims each to dispatch it.
 */
const QUEUED_CLAIM_ROWS = 2;

/**
 * The same lifecycle in queue mode, derived from its measured counts: each poll and each delivery
 * travels as one id of a 10-id message (3 operations a message: written, read, deleted), and each
 * consumer invocation (4 messages) is a Worker request; each is claimed by the tick that dispatches
 * it (QUEUED_CLAIM_ROWS more rows written; the polling-only run's webhooks are all first attempts,
 * sent with no claim). CPU and rows read as measured in the tick (a claim's reads cost a thousandth
 * of its writes).
 */
function throughQueues(l: Lifecycle): Lifecycle {
  const ids = (l.work.poll ?? 0) + (l.work.delivery ?? 0);
  const messages = ids / IDS_PER_MESSAGE;
  return {
    ...l,
    scenario: `${l.scenario}, through Queues (derived: ${IDS_PER_MESSAGE} ids a message, ${MESSAGES_PER_INVOCATION} messages an invocation)`,
    requests: l.requests + messages / MESSAGES_PER_INVOCATION,
    queueOps: (l.queueOps ?? 0) + 3 * messages,
    d1RowsWritten: l.d1RowsWritten + QUEUED_CLAIM_ROWS * ids,
  };
}

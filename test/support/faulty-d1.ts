/**
 * A D1 binding that fails on purpose, at the network edge between the relay and its database: at
 * seeded random, a round trip (a statement or a batch) fails in one of D1's own transient ways,
 * either before it runs (nothing written) or after it committed (the write stands, the caller
 * sees an error: the ambiguous case). What the relay must survive in production.
 */
import { aroundRoundTrips } from "../../src/storage/d1-round-trips";
import { seededRandom } from "../../tools/seeded-random";

/**
 * `before`: fails without running; `after`: runs (a write commits), then fails; `hang`: runs,
 * then never answers (what a bounded D1, storage/bounded-d1.ts, must give up on).
 */
export type FaultKind = "before" | "after" | "hang";

/** The messages D1 answers for its transient failures (Cloudflare's D1 docs: retry these). */
const MESSAGES = [
  "D1_ERROR: Network connection lost.",
  "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
  "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
];

export interface FaultPlan {
  /** Share of round trips that fail, 0-1. */
  rate: number;
  /** How they fail, drawn evenly from these. */
  kinds: readonly FaultKind[];
  seed?: number;
  /** Fail exactly these round trips (0-based, in order), in the first of `kinds`, instead of at random. */
  at?: readonly number[];
}

/** What the wrapper did: round trips, and those it failed by kind. */
export interface FaultLog {
  roundTrips: number;
  failed: Record<FaultKind, number>;
}

export function faultyD1(db: D1Database, plan: FaultPlan): { db: D1Database; log: FaultLog } {
  const random = seededRandom(plan.seed ?? 26);
  const log: FaultLog = { roundTrips: 0, failed: { before: 0, after: 0, hang: 0 } };
  const draw = (): FaultKind | null => {
    const n = log.roundTrips++;
    if (plan.at) {
      if (!plan.at.includes(n)) return null;
      log.failed[plan.kinds[0]!] += 1;
      return plan.kinds[0]!;
    }
    if (random() >= plan.rate) return null;
    const kind = plan.kinds[Math.floor(random() * plan.kinds.length)]!;
    log.failed[kind] += 1;
    return kind;
  };
  const fail = () => new Error(MESSAGES[Math.floor(random() * MESSAGES.length)]);
  async function roundTrip<T>(run: () => Promise<T>): Promise<T> {
    const fault = draw();
    if (fault === "before") throw fail();
    const result = await run();
    if (fault === "after") throw fail();
    if (fault === "hang") await new Promise<never>(() => {});
    return result;
  }
  return { db: aroundRoundTrips(db, roundTrip), log };
}

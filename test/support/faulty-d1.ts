/**
 * A D1 binding that fails on purpose, at the network edge between the relay and its database, at
 * seeded random or at chosen round trips: a round trip (a statement or a batch) fails in one of
 * D1's own transient ways, before it runs (nothing written), after it committed (the write stands,
 * the caller sees an error: the ambiguous case), or by never answering. The failing itself is the
 * relay's drill (src/storage/d1-faults.ts); this adds the seeded draw and counts what it did.
 */
import { type D1FaultKind, failingD1 } from "../../src/storage/d1-faults";
import { seededRandom } from "../../tools/seeded-random";

export type FaultKind = D1FaultKind;

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
    const kind = plan.at
      ? plan.at.includes(n)
        ? plan.kinds[0]!
        : null
      : random() < plan.rate
        ? plan.kinds[Math.floor(random() * plan.kinds.length)]!
        : null;
    if (kind) log.failed[kind] += 1;
    return kind;
  };
  return { db: failingD1(db, draw, random), log };
}

/**
 * `db` whose round trips matching `pattern` (a batch: any of its statements) fail, the first
 * `times` of them from the `from`-th match on (0-based), `before` they run or `after` they
 * committed, saying D1's "Network connection lost.", or by never answering (`hang`): the relay's drill at the network edge, as
 * `faultyD1`, for a test that fails one statement of the relay's by what it says where `faultyD1`
 * picks round trips by their order.
 */
export function failingWhere(db: D1Database, pattern: RegExp, kind: FaultKind, times = 1, from = 0) {
  let seen = 0;
  let failed = 0;
  const draw = (sql: () => readonly string[]): FaultKind | null => {
    if (!sql().some((text) => pattern.test(text))) return null;
    const n = seen++;
    if (n < from || n >= from + times) return null;
    failed += 1;
    return kind;
  };
  // random 0: the first of D1's messages, "Network connection lost.".
  return { db: failingD1(db, draw, () => 0), failed: () => failed };
}

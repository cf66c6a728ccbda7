import { aroundRoundTrips } from "./d1-round-trips";

/**
 * How a round trip fails on purpose: `before` it runs (nothing written), `after` it committed (the
 * write stands, the caller sees an error: the ambiguous case), or by never answering (`hang`).
 */
export type D1FaultKind = "before" | "after" | "hang";

/** D1's own messages for its transient failures (storage-errors.ts recognises them). */
const MESSAGES = [
  "D1_ERROR: Network connection lost.",
  "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
  "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
];

/**
 * A D1 binding that fails the round trips `draw` picks (it may read their SQL), in D1's own ways: what the relay must
 * survive in production, made to happen in tests, chaos runs and soaks (D1_FAULT_RATE).
 * `random` picks which of D1's messages a failure says.
 */
export function failingD1(db: D1Database, draw: (sql: () => readonly string[]) => D1FaultKind | null, random: () => number): D1Database {
  const fail = () => new Error(MESSAGES[Math.floor(random() * MESSAGES.length)]);
  return aroundRoundTrips(db, async (run, sql) => {
    const fault = draw(sql);
    if (fault === "before") throw fail();
    const result = await run();
    if (fault === "after") throw fail();
    if (fault === "hang") await new Promise<never>(() => {});
    return result;
  });
}

/**
 * D1_FAULT_RATE's drill: `rate` of the round trips fail, half before running, half after
 * committing. For soaks and fault drills only; a relay in service leaves it at 0.
 */
export const drillD1 = (db: D1Database, rate: number, random: () => number): D1Database =>
  failingD1(db, () => (random() < rate ? (random() < 0.5 ? "before" : "after") : null), random);

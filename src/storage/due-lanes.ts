import { type SQL, sql } from "drizzle-orm";

/**
 * The tasks still to poll are in two due indexes, one a lane: `batch` Kling's new API (polled
 * many a request), `single` every other task. Each task is in exactly one (its kind never
 * changes), so a poll writes one due entry either way; and a walk for one lane reads only its own
 * tasks. With one index for both, the batch walk of every tick read every due task of the other
 * lane to find none of its own.
 */
export type DueLane = "batch" | "single";
export const DUE_LANES: readonly DueLane[] = ["batch", "single"];

/**
 * The indexes' WHERE, as literal SQL: SQLite uses a partial index only for a query whose WHERE
 * names the index's own terms (a bound parameter does not match a literal), and schema.ts builds
 * the indexes from the same text. `action = ''` is `NO_ACTION` (domain/kling.ts).
 */
export const BATCH_TASK = "action = '' AND provider = 'kling'";
export const SINGLE_TASK = `NOT (${BATCH_TASK})`;

/**
 * `tasks` read through one lane's due index (`INDEXED BY`: a statement that could not use it
 * fails at once, rather than scanning), with the term that lets SQLite use it, as
 * `{ from, lane }`: `FROM ${from} WHERE ${lane} AND ...`.
 */
export function dueIndexOf(lane: DueLane, alias = ""): { from: SQL; lane: SQL } {
  const prefix = alias === "" ? "" : `${alias}.`;
  const term = lane === "batch" ? BATCH_TASK : SINGLE_TASK;
  return {
    from: sql.raw(`tasks ${alias} INDEXED BY tasks_due_${lane}`),
    lane: sql.raw(`(${term.replaceAll(/\b(action|provider)\b/g, `${prefix}$1`)})`),
  };
}

/**
 * `build` over each lane's due index (`dueIndexOf`), joined by `separator`: what reads every due
 * task (the next due time, the dashboard, unparking) says it once.
 */
export const eachLane = (separator: SQL, build: (due: { from: SQL; lane: SQL }) => SQL, alias = ""): SQL =>
  sql.join(
    DUE_LANES.map((lane) => build(dueIndexOf(lane, alias))),
    separator,
  );

/** Up to `limit` rows of `select` from the due tasks of `lane` that meet `where`, next due first: one walk of its index. */
export function dueWalk(lane: DueLane, select: SQL, where: SQL, limit: number): SQL {
  const due = dueIndexOf(lane);
  return sql`SELECT ${select} FROM ${due.from} WHERE ${due.lane} AND ${where} ORDER BY next_poll_at LIMIT ${limit}`;
}

import { sql } from "drizzle-orm";
import type { KindStats } from "../domain/poll-schedule";
import { asJson, type Db, statement } from "./db";
import { column, readAll, rowSchema } from "./rows";
import { kindStats } from "./schema";

export interface KindStatsEntry extends KindStats {
  action: string;
  action2: string;
}

export const kindKey = (action: string, action2: string) => `${action}/${action2}`;

/** Every kind's learned durations: at most ten rows, read once per tick. */
export async function loadKindStats(db: Db): Promise<Map<string, KindStatsEntry>> {
  // Raw SQL rather than a select builder, whose rows D1 answers without metering (metered-d1.ts).
  const row = rowSchema({
    action: column(kindStats.action),
    action2: column(kindStats.action2),
    samples: column(kindStats.samples),
    mean_log: column(kindStats.meanLog),
    var_log: column(kindStats.varLog),
  });
  const rows = await readAll(db, row, "learned durations", sql`SELECT action, action2, samples, mean_log, var_log FROM kind_stats`);
  return new Map(
    rows.map((r) => [
      kindKey(r.action, r.action2),
      { action: r.action, action2: r.action2, samples: r.samples, meanLog: r.mean_log, varLog: r.var_log },
    ]),
  );
}

/**
 * Upserts the kinds a tick learned about. Two overlapping ticks may each write their own view;
 * the last one wins, which costs a sample or two of a statistic, never a task.
 */
export function saveKindStats(db: Db, entries: readonly KindStatsEntry[], now: number): D1PreparedStatement[] {
  if (entries.length === 0) return [];
  return [
    statement(
      db,
      sql`INSERT INTO kind_stats (action, action2, samples, mean_log, var_log, updated_at)
      SELECT r.value ->> 'action', r.value ->> 'action2', r.value ->> 'samples', r.value ->> 'meanLog', r.value ->> 'varLog', ${now}
      FROM json_each(${asJson(entries)}) r WHERE true
      ON CONFLICT (action, action2) DO UPDATE SET
        samples = excluded.samples, mean_log = excluded.mean_log, var_log = excluded.var_log, updated_at = excluded.updated_at`,
    ),
  ];
}

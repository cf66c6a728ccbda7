import { sql } from "drizzle-orm";
import type { CallbackTally } from "../domain/lost-callback-watch";
import type { KindStats } from "../domain/poll-schedule";
import { asJson, type Db, runBatch, statement } from "./db";
import { PushStatsRow, pushTally, selectPushStats } from "./push-stats";
import { batchRows, column, rowSchema } from "./rows";
import { kindStats } from "./schema";

export interface KindStatsEntry extends KindStats {
  action: string;
  action2: string;
  /** Per provider, what was seen of its callbacks for this kind (push-stats.ts); absent: nothing yet. */
  callbacks?: Readonly<Record<string, CallbackTally>>;
}

export const kindKey = (action: string, action2: string) => `${action}/${action2}`;

/**
 * Every kind's learned durations (at most ten rows) and every provider's callback tallies per kind
 * (push-stats.ts), in one round trip: read once per tick, and once per callback or queue batch
 * that polls. A kind with a tally but no duration learned yet gets an entry with no samples (the
 * prior's window).
 */
export async function loadKindStats(db: Db, alongside: D1PreparedStatement[] = []): Promise<Map<string, KindStatsEntry>> {
  // Raw SQL rather than a select builder, whose rows D1 answers without metering (metered-d1.ts).
  const row = rowSchema({
    action: column(kindStats.action),
    action2: column(kindStats.action2),
    samples: column(kindStats.samples),
    mean_log: column(kindStats.meanLog),
    var_log: column(kindStats.varLog),
  });
  const results = await runBatch(db, [
    ...alongside,
    statement(db, sql`SELECT action, action2, samples, mean_log, var_log FROM kind_stats`),
    statement(db, selectPushStats),
  ]);
  const [durations, tallies] = results.slice(alongside.length);
  const entries = new Map<string, KindStatsEntry>(
    batchRows(row, "learned durations", durations).map((r) => [
      kindKey(r.action, r.action2),
      { action: r.action, action2: r.action2, samples: r.samples, meanLog: r.mean_log, varLog: r.var_log },
    ]),
  );
  for (const t of batchRows(PushStatsRow, "callback tallies", tallies)) {
    const key = kindKey(t.action, t.action2);
    const entry = entries.get(key) ?? { action: t.action, action2: t.action2, samples: 0, meanLog: 0, varLog: 0 };
    entries.set(key, { ...entry, callbacks: { ...entry.callbacks, [t.provider]: pushTally(t) } });
  }
  return entries;
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
      FROM json_each(${asJson(entries.map(({ action, action2, samples, meanLog, varLog }) => ({ action, action2, samples, meanLog, varLog })))}) r WHERE true
      ON CONFLICT (action, action2) DO UPDATE SET
        samples = excluded.samples, mean_log = excluded.mean_log, var_log = excluded.var_log, updated_at = excluded.updated_at`,
    ),
  ];
}

import { sql } from "drizzle-orm";
import type { CallbackTally } from "../domain/lost-callback-watch";
import { type Db, statement } from "./db";
import { column, rowSchema } from "./rows";
import { pushStats } from "./schema";

/**
 * Past this many finishes a provider and kind's counts are halved: they weigh the last 100 to 200
 * finishes, so the share lost follows a provider whose callbacks get worse or better.
 */
const DECAY_PAST = 200;

export const PushStatsRow = rowSchema({
  provider: column(pushStats.provider),
  action: column(pushStats.action),
  action2: column(pushStats.action2),
  finished: column(pushStats.finished),
  lost: column(pushStats.lost),
});

/** Every provider and kind's tally (at most a few dozen rows), read with the learned durations (kind-stats.ts). */
export const selectPushStats = sql`SELECT provider, action, action2, finished, lost FROM push_stats`;

export const pushTally = (row: { finished: number; lost: number }): CallbackTally => ({ finished: row.finished, lost: row.lost });

/**
 * Counts, in the batch that records a round of polls (record-polls.ts), the pushed tasks that round
 * finished, per provider and kind, and those of them no final callback had announced
 * (`final_pushed_at` unset): a poll saw the finish first. `rows` is that batch's JSON of updates,
 * after its task UPDATE: only the tasks it finished under the lease (finished now, lease cleared)
 * count. Additive, so concurrent rounds never lose each other's counts.
 */
export function countPushedFinishes(db: Db, rows: string, now: number): D1PreparedStatement {
  const decay = sql`CASE WHEN push_stats.finished + excluded.finished > ${DECAY_PAST} THEN 0.5 ELSE 1 END`;
  return statement(
    db,
    sql`INSERT INTO push_stats (provider, action, action2, finished, lost, updated_at)
    SELECT t.provider, t.action, t.action2, count(*), sum(t.final_pushed_at IS NULL), ${now}
    FROM json_each(${rows}) r JOIN tasks t ON t.id = r.value ->> 'id'
    WHERE r.value ->> 'next_poll_at' IS NULL AND t.task_status IN ('succeed', 'failed') AND t.pushed_at IS NOT NULL
      AND t.finished_at = ${now} AND t.lease_token IS NULL
    GROUP BY t.provider, t.action, t.action2
    ON CONFLICT (provider, action, action2) DO UPDATE SET
      finished = (push_stats.finished + excluded.finished) * ${decay},
      lost = (push_stats.lost + excluded.lost) * ${decay},
      updated_at = excluded.updated_at`,
  );
}

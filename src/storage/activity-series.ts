import { and, asc, gt, lte } from "drizzle-orm";
import { HOUR_MS, hourOf } from "./count-activity";
import type { Db } from "./db";
import { activityHourly } from "./schema";

export interface ActivityHour {
  /** Start of the hour, epoch ms. */
  startsAt: number;
  polls: number;
  upstreamErrors: number;
  deliveryAttempts: number;
  delivered: number;
}

/**
 * The last `hours` hours up to the one containing `now`, oldest first, one entry per hour (hours
 * with no activity are zeros). A primary-key range: at most `hours` rows read.
 */
export async function loadActivitySeries(db: Db, now: number, hours = 24): Promise<ActivityHour[]> {
  const last = hourOf(now);
  const first = last - hours + 1;
  const rows = await db
    .select()
    .from(activityHourly)
    .where(and(gt(activityHourly.hour, first - 1), lte(activityHourly.hour, last)))
    .orderBy(asc(activityHourly.hour));
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  return Array.from({ length: hours }, (_, i) => {
    const row = byHour.get(first + i);
    return {
      startsAt: (first + i) * HOUR_MS,
      polls: row?.polls ?? 0,
      upstreamErrors: row?.upstreamErrors ?? 0,
      deliveryAttempts: row?.deliveryAttempts ?? 0,
      delivered: row?.delivered ?? 0,
    };
  });
}

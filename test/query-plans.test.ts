import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { lingeringClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

// kind_stats is left out on purpose: at most ten rows (one per action pair), read whole once per tick.
const TABLES = /\b(tasks|subscriptions|messages|delivery_attempts|archive_files)\b/;
/**
 * The archive's to-do lists: partial indexes holding only tasks with archive work left (empty most
 * of the time), read whole on purpose.
 */
const TODO_LISTS = /USING (COVERING )?INDEX (tasks_archive_to_list|tasks_archive_copying)\b/;

describe("query plans", () => {
  beforeEach(resetDb);

  it("finds every row the tick touches through an index: no statement scans a table", async () => {
    const log: Recorded[] = [];
    const hook = await receiver([{ status: 500 }, { status: 200 }]);
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
      await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] });
    }
    // A lingering tick runs every statement: claims, records, fan-out, settling, learned
    // durations, the naps' next-due lookups, and finally retention.
    const clock = lingeringClock();
    const DB = recordingD1(env.DB, log);
    await tick(clock, { DB });
    clock.advance(8 * 86_400_000);
    await tick(clock, { DB, RETENTION_DAYS: "1" });

    const statements = new Map(log.map((s) => [s.sql, s]));
    expect(statements.size).toBeGreaterThan(8);
    const scans: string[] = [];
    for (const { sql, params } of statements.values()) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      for (const { detail } of plan.results) {
        // `SCAN <alias>` of a json_each parameter is the id list itself; a table scan is not allowed.
        const scanned = /^SCAN (\S+)/.exec(detail)?.[1];
        if (scanned && (TABLES.test(scanned) || ["t", "s", "m", "a"].includes(scanned)) && !TODO_LISTS.test(detail))
          scans.push(`${detail}  <=  ${sql.replace(/\s+/g, " ").slice(0, 160)}`);
      }
    }
    expect(scans).toEqual([]);
  });
});

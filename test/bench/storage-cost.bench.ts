/**
 * 2. Storage cost per poll: D1's own rows_read/rows_written, summed over a tick, per polled task,
 * with more and more finished and not-yet-due tasks in the table beside the due ones.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { runTick } from "../../src/tick/run-tick";
import { fmt, onePassClock, receiverWith, report, resetTables, seedTasks, upstreamBulk } from "./bench-support";

const DUE = 100;

it("reads and writes the same few rows per polled task whatever the table size", async () => {
  await resetTables();
  const hook = await receiverWith("storage", []);
  const sizes = [1_000, 100_000, 1_000_000];
  const rows: (string | number)[][] = [];
  let filled = 0;
  for (const size of sizes) {
    // Grow the filler to `size`: half finished tasks, half waiting for a poll a day from now.
    const add = size - filled;
    const tag = `fill${size}-`;
    await seedTasks({ prefix: `${tag}done-`, count: add / 2, nextPollAt: null, finished: true, callbackUrl: hook });
    await seedTasks({ prefix: `${tag}later-`, count: add / 2, nextPollAt: Date.now() + 86_400_000, callbackUrl: hook });
    filled = size;
    // The same due tasks polled three times: a first status, the same status again, then done.
    const prefix = `due${size}-`;
    await upstreamBulk(prefix, DUE, [{ status: "processing" }, { status: "processing" }, { status: "succeed" }]);
    await seedTasks({ prefix, count: DUE, nextPollAt: Date.now(), callbackUrl: hook });
    for (const label of ["first status (new event)", "same status again", "finished (+ its webhook)"]) {
      // Due now: at first at one moment (registered together, as a batch registration makes them),
      // then each at its own (a record draws each task's next poll with jitter).
      const spread = label.startsWith("first") ? 0 : 1;
      await env.DB.prepare("UPDATE tasks SET next_poll_at = ? - ? * (rowid % 1000) WHERE task_id LIKE ? AND next_poll_at IS NOT NULL")
        .bind(Date.now(), spread, `${prefix}%`)
        .run();
      const tick = await runTick({ ...env, SUBREQUEST_BUDGET: "100000" }, onePassClock);
      expect(tick.polled).toBe(DUE);
      rows.push([
        size.toLocaleString("en-US"),
        label,
        fmt(tick.d1.rowsRead / tick.polled, 1),
        fmt(tick.d1.rowsWritten / tick.polled, 1),
        fmt(tick.d1.queries / tick.polled, 2),
      ]);
    }
  }
  await report({
    order: 2,
    title: `2. D1 rows per polled task (${DUE} due tasks per tick) as the table grows`,
    columns: ["other tasks in the table", "poll", "rows read / task", "rows written / task", "D1 round trips / task"],
    rows,
    notes: [
      "Rows as D1 reports them (meta.rows_read / rows_written, index entries included), summed over the whole tick: claim, record, fan-out, delivery and its record.",
      "Target: flat in the table's size, a handful of rows read per polled task.",
      "D1 counts a row written for the row and for each index entry inserted (one deleted costs nothing): a poll that goes on writes the task's row and its due entry once, at its record (the next poll); the tick's selection writes nothing.",
      "Due at one moment for the first poll (registered together), then each at its own, as records make them.",
    ],
  });
});

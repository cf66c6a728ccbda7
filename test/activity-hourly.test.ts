/** The chart's source: the tick adds each record batch's polls and deliveries to its hour. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadActivitySeries } from "../src/storage/activity-series";
import { HOUR_MS } from "../src/storage/count-activity";
import { openDb } from "../src/storage/db";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

/**
 * An hour no other test writes to (the table outlives resetDb on purpose: it is history). In the
 * future, so that tasks registered now are due; tasks may grow that old without expiring.
 */
const hourStart = () => (Math.floor(Date.now() / HOUR_MS) + 1000 + Math.floor(Math.random() * 100_000)) * HOUR_MS;
const NO_EXPIRY = { MAX_TASK_AGE_HOURS: "10000000" };

const hourRow = (start: number) =>
  env.DB.prepare("SELECT polls, upstream_errors, delivery_attempts, delivered FROM activity_hourly WHERE hour = ?")
    .bind(start / HOUR_MS)
    .first();

describe("activity_hourly", () => {
  beforeEach(resetDb);

  it("counts polls, upstream errors, webhook attempts and deliveries in the hour they happened", async () => {
    const start = hourStart();
    const ok = await upstreamTask([{ status: "succeed", result: { videos: [] } }]);
    const broken = await upstreamTask([{ http: 503 }]);
    const flaky = await receiver([{ status: 500 }, { status: 200 }]);
    await register({ task_id: ok.id, callback_url: flaky.url });
    await register({ task_id: broken.id, callback_url: (await receiver()).url });

    const clock = manualClock(start + 60_000);
    await tick(clock, NO_EXPIRY);
    expect(await hourRow(start)).toEqual({ polls: 2, upstream_errors: 1, delivery_attempts: 1, delivered: 0 });

    clock.advance(HOUR_MS);
    await tick(clock, { ...NO_EXPIRY, DELIVERY_RETRY_SCHEDULE: "1" });
    expect(await hourRow(start + HOUR_MS)).toMatchObject({ delivery_attempts: 1, delivered: 1 });

    const series = await loadActivitySeries(openDb(env.DB), start + HOUR_MS + 1, 3);
    expect(series.map((h) => h.startsAt)).toEqual([start - HOUR_MS, start, start + HOUR_MS]);
    expect(series.map((h) => h.polls)).toEqual([0, 2, expect.any(Number)]);
    expect(series.map((h) => h.delivered)).toEqual([0, 0, 1]);
  });

  it("sums the record batches of a tick (batches of 50) into the hour's one row", async () => {
    const start = hourStart();
    const hook = await receiver();
    for (let i = 0; i < 60; i++) {
      const task = await upstreamTask([{ status: "processing" }]);
      await register({ task_id: task.id, callback_url: hook.url });
    }
    await tick(manualClock(start), { ...NO_EXPIRY, SUBREQUEST_BUDGET: "100" });
    expect(await hourRow(start)).toMatchObject({ polls: 60, upstream_errors: 0 });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM activity_hourly WHERE hour = ?")
      .bind(start / HOUR_MS)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

/**
 * The one-minute soak inside `npm test` (`npm run test:soak`): the relay under the real clock
 * and the real `wrangler dev`, 200 tasks registered over 60 s, the cron fired every 3 s so that
 * ticks overlap, a 15 s wall budget (the default subrequest budget), 2 % of D1's round trips
 * failing (D1_FAULT_RATE). Nothing may be lost, every
 * tick must end by its wall budget + one upstream timeout + a margin, and every fired tick must
 * return. `npm run soak` is the full 10-minute version (test/soak/full-soak.ts).
 */
import { expect, it } from "vitest";
import { FULL_SOAK, runSoak } from "./soak-run";

it("loses nothing and ends every tick on time: 200 tasks over one minute, overlapping ticks", async () => {
  const { figures, problems, table, figuresLine } = await runSoak({
    ...FULL_SOAK,
    name: "one minute",
    minutes: 1,
    tasks: 200,
    tickEverySeconds: 3,
    batchEverySeconds: 3,
    wallSeconds: 15,
    timeScale: 0.1,
    // Webhooks come late by design, and the delays add up: a task finished upstream waits for
    // its next poll (up to POLL_MAX_INTERVAL_SECONDS, 60 s, once its kind's window has closed: the
    // relay does not know the simulator runs durations x0.1); with D1 faults (FULL_SOAK's 2 %),
    // tasks a claim leased and then answered an error for are due again only when their lease ends
    // (up to 60 s after the tick began); a webhook to an endpoint whose circuit opened waits for a
    // probe (a minute). 60 s left 3 of 246 still on their way, 120 s one in a run of 2026-12-06, and a CI
    // run of 2026-12-07 still had one out 100 s after the last registration. The drain ends as
    // soon as every webhook is in: the room costs only a run that needs it, and a webhook stuck
    // for good still fails the run.
    drainSeconds: 240,
    // Stops itself (and fails) before vitest's own time limit would cut it short, with the room to
    // say why: wrangler dev may take a minute to start beside the Workers suite (it did in CI),
    // then 60 s of registrations, the drain and the wind-down (a tick's 35 s limit).
    deadlineSeconds: 405,
    progressEverySeconds: 15,
    seed: 2028,
    say: (line) => void process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${table}\n\n${figuresLine}\n`);
  expect(problems).toEqual([]);
  expect(figures.lost).toBe(0);
  expect(figures.tasks).toBe(200);
  expect(figures.webhooksExpected).toBeGreaterThan(200);
  expect(figures.ticksReturned).toBe(figures.ticksFired);
  expect(figures.tickSecondsMax).toBeLessThanOrEqual(figures.limitSeconds);
  expect(figures.maxTicksInFlight).toBeGreaterThan(1);
  expect(figures.upstreamFaults).toBeGreaterThan(0);
  expect(figures.receiverFailuresAnswered).toBeGreaterThan(0);
  expect(figures.ticksEndedByStorage + figures.storageRetries).toBeGreaterThan(0);
}, 420_000);

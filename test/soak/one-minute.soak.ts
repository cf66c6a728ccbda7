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
    // With D1 faults (FULL_SOAK's 2 %), a webhook whose send's record was lost is due again only
    // when its lease ends (60 s after its tick began), and one to an endpoint whose circuit opened
    // meanwhile waits for a probe (a minute): 60 s left 3 of 246 still on their way, and 120 s one
    // in a run of 2026-12-06 (its tick went on after the fault, making more round trips to fail).
    // The drain ends as soon as every webhook is in: the room costs only a run that needs it, and a
    // webhook stuck for good still fails the run.
    drainSeconds: 180,
    // Stops itself (and fails) before vitest's own time limit would cut it short, with the room to
    // say why: wrangler dev may take a minute to start beside the Workers suite, then 58 s of
    // registrations, the 180 s drain and the wind-down (a CI run of 2026-12-07 was cut at 280 s mid-drain).
    deadlineSeconds: 345,
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
}, 360_000);

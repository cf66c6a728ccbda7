/**
 * `npm run chaos`: the full chaos run, 1,000 tasks, with 5 % of the ticks' D1 round trips failing
 * (before running or after committing); prints its figures and fails on any loss.
 */
import { expect, it } from "vitest";
import { report } from "../bench/bench-support";
import { resetDb } from "../support/relay";
import { runChaos } from "./chaos-run";

const TASKS = 1000;
const D1_FAULT_RATE = 0.05;

it("loses nothing over 1,000 tasks", async () => {
  await resetDb();
  const started = performance.now();
  const { figures, problems } = await runChaos({ tasks: TASKS, seed: 2026, d1FaultRate: D1_FAULT_RATE });
  const seconds = (performance.now() - started) / 1000;
  await report({
    order: 1,
    title: `Chaos run: ${figures.tasks} tasks, seed 2026, ${seconds.toFixed(0)} s real, ${figures.simulatedMinutes} simulated minutes`,
    columns: ["figure", "value"],
    rows: [
      ["tasks registered", figures.tasks],
      ["subscriptions (1-3 per task, and one to an outage's endpoint for every second task)", figures.subscriptions],
      ["duplicate registrations raced", figures.duplicateRegistrations],
      ["upstream faults injected", figures.upstreamFaults],
      ["receiver faults met (failed attempts)", figures.receiverFaults],
      ["ticks run", figures.ticks],
      ["ticks overlapping another", figures.ticksOverlapping],
      ["ticks aborted after claiming (killed, or ended by a D1 fault)", figures.ticksAborted],
      [`D1 round trips of the ticks failed on purpose (${D1_FAULT_RATE * 100} %, before running or after committing)`, figures.d1Faults],
      ["webhooks delivered (verified, 2xx)", figures.webhooksDelivered],
      ["duplicates received (same webhook-id)", figures.duplicatesReceived],
      ["subscriptions failed: receiver answered 410", figures.failedGone],
      ["subscriptions failed: endpoint disabled (connection refused)", figures.failedEndpointDisabled],
      ["secrets found in logs or webhook bodies", figures.secretsInLogs],
      ...figures.outages.flatMap((o) => [
        [`${o.endpoint}: down ${o.ticksDown} ticks, messages due meanwhile / all its messages`, `${o.messagesDue} / ${o.messages}`],
        [
          `${o.endpoint}: attempts while down (before its circuit opened + probes) / by the retry schedule alone`,
          `${o.attemptsWhileDown} (${o.beforeCircuitOpened} + ${o.probes}) / ${o.scheduleAttempts}`,
        ],
        [`${o.endpoint}: circuit closed after it came back / duplicates received`, `${o.closedAfterSeconds} s / ${o.duplicates}`],
      ]),
      ["**lost**", `**${figures.lost}**`],
    ],
    notes: problems.length ? ["Problems:", ...problems.map((p) => `- ${p}`)] : [],
  });
  expect(problems).toEqual([]);
  expect(figures.lost).toBe(0);
}, 900_000);

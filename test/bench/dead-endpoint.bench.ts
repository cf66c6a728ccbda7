/**
 * 9. Attempts spent on an endpoint dead for a day: N webhooks due to one endpoint that answers 503
 * to everything, the cron's tick every simulated minute for 24 hours, with the circuit as
 * configured by default and without it, everything else at its default (45 subrequests a tick, the
 * retry schedule of 8 attempts over 27.5 h). Counted: the receiver's hits.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { PARKED_FROM } from "../../src/domain/parked-time";
import { runTick } from "../../src/tick/run-tick";
import { manualClock } from "../support/relay";
import { fmt, receiverWith, report, resetTables, seedMessages, seedTasks } from "./bench-support";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const hits = async (name: string) =>
  ((await (await fetch(`${env.FAKE_URL}/_sim/receivers/${name}`)).json()) as { deliveries: unknown[] }).deliveries.length;

/** The next time anything is due: a webhook not parked, or a probe. */
const nextDue = async () =>
  (
    await env.DB.prepare(
      "SELECT min(coalesce((SELECT min(next_attempt_at) FROM messages WHERE next_attempt_at < ?1), ?1), coalesce((SELECT min(next_probe_at) FROM endpoints), ?1)) AS at",
    )
      .bind(PARKED_FROM)
      .first<{ at: number }>()
  )?.at ?? PARKED_FROM;

const circuitOpen = async (prefix: string) =>
  (
    await env.DB.prepare("SELECT circuit_opened_at FROM endpoints WHERE id = ?")
      .bind(`ep_${prefix}`)
      .first<{ circuit_opened_at: number | null }>()
  )?.circuit_opened_at != null;

const count = (n: number) => n.toLocaleString("en-US");

it("spends a handful of attempts a day on a dead endpoint with its circuit, one schedule per webhook without", async () => {
  const rows: (string | number)[][] = [];
  for (const messages of [100, 1000]) {
    for (const circuit of [true, false]) {
      await resetTables();
      const name = `dead-${messages}-${circuit}-${Date.now()}`;
      const hook = await receiverWith(name, [{ status: 503 }]);
      const prefix = `${name}-`;
      await seedTasks({ prefix, count: messages, nextPollAt: null, finished: true, callbackUrl: hook });
      await env.DB.prepare("UPDATE subscriptions SET status = 'active' WHERE task_key LIKE ?").bind(`tsk_${prefix}%`).run();
      await seedMessages(prefix, messages);
      // Without the circuit: ENDPOINT_CIRCUIT_FAILURES at its maximum, and the endpoint's failures
      // in a row set back to 0 after each tick, since 1,000 webhooks fail 1,000 times in a row
      // within the hour.
      const tickEnv = { ...env, ...(circuit ? {} : { ENDPOINT_CIRCUIT_FAILURES: "1000" }) };
      const start = Date.now();
      const clock = manualClock(start);
      // The receiver's hits when the circuit opened: every later one is a probe.
      let beforeOpen: number | null = null;
      // A tick at each minute something is due: the cron's ticks in between find nothing to do.
      for (let at = start; at <= start + DAY; ) {
        await runTick(tickEnv, clock);
        if (!circuit) await env.DB.prepare("UPDATE endpoints SET consecutive_failures = 0 WHERE id = ?").bind(`ep_${prefix}`).run();
        const next = Math.max(at + MINUTE, start + Math.ceil(((await nextDue()) - start) / MINUTE) * MINUTE);
        if (circuit && beforeOpen === null && (await circuitOpen(prefix))) beforeOpen = await hits(name);
        clock.advance(next - at);
        at = next;
      }
      const attempts = await hits(name);
      const ended = await env.DB.prepare(
        "SELECT count(*) FILTER (WHERE state = 'failed') AS failed, count(*) FILTER (WHERE state IN ('scheduled', 'leased')) AS waiting FROM messages WHERE subscription_id LIKE ?",
      )
        .bind(`sub_${prefix}%`)
        .first<{ failed: number; waiting: number }>();
      // The circuit is open at the end of the day exactly when it is on.
      expect(await circuitOpen(prefix)).toBe(circuit);
      // Every webhook is still owed (the day is shorter than the schedule's 27.5 h) or ended failed: none lost.
      expect((ended?.failed ?? 0) + (ended?.waiting ?? 0)).toBe(messages);
      rows.push([
        count(messages),
        circuit ? "circuit (defaults)" : "no circuit",
        `**${count(attempts)}**`,
        fmt(attempts / messages),
        beforeOpen === null ? "—" : `${count(beforeOpen)} + ${count(attempts - beforeOpen)}`,
        ended?.failed ?? 0,
        count(ended?.waiting ?? 0),
      ]);
    }
  }
  await report({
    order: 9,
    title: "9. Attempts spent on an endpoint dead for a day (N webhooks due to it, the cron's tick every minute for 24 simulated hours)",
    columns: [
      "webhooks N",
      "",
      "attempts in the day",
      "per webhook",
      "before the circuit opened + probes",
      "failed (attempts spent)",
      "still waiting",
    ],
    rows,
  });
}, 600_000);

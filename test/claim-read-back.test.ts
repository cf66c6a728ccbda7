/**
 * A delivery claim that D1 answers with an error after it committed (the ambiguous case) leased
 * its messages all the same: the tick finds them again by their lease's end (each of its claims
 * ends its lease a millisecond apart) and sends them, where they waited, leased and unsent, for
 * that lease to end (up to the tick's wall budget + a timeout + 30 s).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../src/tick/run-tick";
import { failingWhere } from "./support/faulty-d1";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { lingeringClock, receiver, register, resetDb, upstreamTask } from "./support/relay";

/** The claim of due messages (storage/claim-messages.ts). */
const CLAIM_DUE = /UPDATE messages SET state = CASE WHEN c\.halted/;

const leasedMessages = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE lease_token IS NOT NULL").first<{ n: number }>())!.n;

const attemptsAndStatus = () =>
  env.DB.prepare("SELECT m.attempts, s.status FROM messages m JOIN subscriptions s ON s.id = m.subscription_id").first<{
    attempts: number;
    status: string;
  }>();

describe("a delivery claim that answers an error after it committed", () => {
  beforeEach(resetDb);

  it("has its messages sent by the tick all the same: every claim failing so, retries arrive in the one tick", async () => {
    // Two failures, then 200: the webhook is claimed (as a retry) twice in the tick.
    const hook = await receiver([{ status: 500 }, { status: 500 }, { status: 200 }]);
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const faults = failingWhere(env.DB, CLAIM_DUE, "after", 1_000);
    const log: Recorded[] = [];
    const report = await runTick({ ...env, DB: recordingD1(faults.db, log), DELIVERY_RETRY_SCHEDULE: "1,1,1" }, lingeringClock());
    expect(faults.failed()).toBeGreaterThanOrEqual(2);
    expect(report.storageFaults ?? 0).toBe(0);
    expect(await hook.deliveries()).toHaveLength(3);
    expect(await leasedMessages()).toBe(0);
    expect(await attemptsAndStatus()).toEqual({ attempts: 3, status: "delivered" });
    // The look for what a claim leased goes down `messages_due` to its lease's end.
    const look = log.find((s) => /FROM messages\s+WHERE next_attempt_at = \? AND lease_token = \?/.test(s.sql));
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${look!.sql}`)
      .bind(...look!.params)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail)).toEqual([
      expect.stringMatching(/^SEARCH messages USING INDEX messages_due \(next_attempt_at=\?\)$/),
    ]);
  });

  it("that leased nothing (it failed before running) leaves the message due, for the tick's next round", async () => {
    const hook = await receiver([{ status: 500 }, { status: 200 }]);
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    // The round's claims: match 0 (nothing due), 1 after the polls (the born webhook is loaded, not claimed), 2 the retry.
    const faults = failingWhere(env.DB, CLAIM_DUE, "before", 1, 2);
    await runTick({ ...env, DB: faults.db, DELIVERY_RETRY_SCHEDULE: "1" }, lingeringClock());
    expect(faults.failed()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(2);
    expect(await leasedMessages()).toBe(0);
    expect(await attemptsAndStatus()).toEqual({ attempts: 2, status: "delivered" });
  });
});

/**
 * A webhook a tick's poll created leased to the tick (born, storage/fan-out.ts) and that a D1 fault
 * kept from being sent: the tick still holds its id, rides out the fault (run-tick.ts) and sends it
 * in its next round, rather than leave it leased, unsent, until its lease ends a minute later.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../src/tick/run-tick";
import { failingWhere } from "./support/faulty-d1";
import { lingeringClock, receiver, register, resetDb, upstreamTask } from "./support/relay";

/** The load of the born webhooks (storage/load-claimed.ts) and the claim of due ones (storage/claim-messages.ts). */
const LOAD_BORN = /FROM json_each\(\?\) p JOIN messages m ON m\.id = p\.value ->> 'id'/;
/**
 * The claim of due messages and its look for what it leased when D1 answered it with an error
 * (storage/claim-messages.ts): both failing, the claim fails.
 */
const CLAIM_DUE = /UPDATE messages SET state = CASE WHEN c\.halted|WHERE next_attempt_at = \? AND lease_token = \?/;

describe("a born webhook whose load or claim round meets a D1 fault", () => {
  beforeEach(resetDb);

  // The round's first delivery phase claims (match 0, nothing due); after the polls it loads the
  // born webhook, then claims what else is due (match 1). Failing after running, the claim's write
  // stands: what else it leased waits for its lease, as any ambiguous write's work does.
  it.each(
    (["before", "after"] as const).flatMap((kind) => [
      { what: "the load of the born webhooks", pattern: LOAD_BORN, from: 0, times: 1, kind },
      { what: "the claim after the born webhooks were loaded", pattern: CLAIM_DUE, from: 1, times: 2, kind },
    ]),
  )("is sent in the same tick when $what fails $kind running", async ({ pattern, from, times, kind }) => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const faults = failingWhere(env.DB, pattern, kind, times, from);
    const report = await runTick({ ...env, DB: faults.db }, lingeringClock());
    expect(faults.failed()).toBe(times);
    expect(report.storageFaults).toBe(1);
    expect((await hook.deliveries()).length).toBe(1);
    const sub = await env.DB.prepare("SELECT status FROM subscriptions").first<{ status: string }>();
    expect(sub?.status).toBe("delivered");
    const leased = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE lease_token IS NOT NULL").first<{ n: number }>();
    expect(leased?.n).toBe(0);
  });
});

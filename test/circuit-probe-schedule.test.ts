import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

const MINUTE = 60_000;

describe("a webhook waiting behind an open circuit", () => {
  beforeEach(resetDb);

  // A failed probe used to be parked again at once, stay the oldest parked webhook and be picked
  // for every probe, spending its 8 attempts at the probes' pace (1 + 2 + 4 + ... + 60 minutes) and
  // ending failed about 2 hours into the outage instead of 27.5. A probe's failure now keeps its
  // step of the retry schedule (work/delivery-work.ts).
  it("is not failed sooner than its retry schedule would fail it: none ends failed in a 3-hour outage (default settings)", async () => {
    const hook = await receiver([{ status: 503 }]);
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      await register({ task_id: task.id, callback_url: hook.url });
    }
    const clock = manualClock();
    // The cron's tick every minute for 3 hours (the first one polls the tasks and sends their webhooks).
    for (let minute = 0; minute <= 180; minute++) {
      await tick(clock);
      clock.advance(MINUTE);
    }
    const states = (await env.DB.prepare("SELECT state, attempts FROM messages ORDER BY rowid").all<{ state: string; attempts: number }>())
      .results;
    expect(states).toHaveLength(3);
    // Each webhook has at most 8 attempts over 27.5 h: 3 hours in, none may have ended failed.
    expect(states.map((s) => s.state)).toEqual(["scheduled", "scheduled", "scheduled"]);
  }, 60_000);
});

/**
 * What a D1 fault in the middle of polling costs a task. The one-minute soak (2 % of D1's round
 * trips failing) once left a task unfinished past its 180 s drain: under such faults most ticks
 * lose a round or two, and each loss cost the tasks in it a minute. A poll whose record failed
 * stayed leased until its lease ended (45-60 s) and was polled again; the tasks a failed round had
 * taken but not yet polled were put off by POLL_MAX_INTERVAL_SECONDS. Now the record is written
 * again at once when D1 could not answer for now (unless it stood after all), and what a failed
 * round never polled is due again at once.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../src/tick/run-tick";
import { failingWhere } from "./support/faulty-d1";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

/** The poll record: the batch that writes the polled tasks' statuses. */
const RECORD = /^UPDATE tasks SET\s+task_status/;

/** Another tick polling (storage/polling-ticks.ts): the tick under test leases what it polls. */
const anotherPollingTick = () =>
  env.DB.prepare("INSERT INTO polling_ticks (token, until) VALUES ('other-tick', ?)")
    .bind(Date.now() + 600_000)
    .run();

/** A task upstream says succeeded, registered for a receiver; `beside`: another tick polls meanwhile. */
async function finishedTask(beside: boolean) {
  const hook = await receiver();
  const task = await upstreamTask([{ status: "succeed" }]);
  expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
  if (beside) await anotherPollingTick();
  return { hook, task };
}

const polledUpstream = async (taskId: string) =>
  ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${taskId}`)).json()) as { polls: number }).polls;
/** The dashboard's count of polls (activity_hourly, which resetDb keeps). */
const hourlyPolls = async () =>
  (await env.DB.prepare("SELECT coalesce(sum(polls), 0) AS n FROM activity_hourly").first<{ n: number }>())!.n;

describe("a poll record that D1 fails", () => {
  beforeEach(resetDb);

  it.each([
    ["alone", false],
    ["beside another polling tick", true],
  ])(
    "is written again at once, by a tick polling %s: the task finishes in the tick that polled it, polled once, its webhook sent",
    async (_, beside) => {
      const { hook, task } = await finishedTask(beside);
      const pollsBefore = await hourlyPolls();
      const faults = failingWhere(env.DB, RECORD, "before");
      const report = await runTick({ ...env, DB: faults.db }, manualClock());
      expect(faults.failed()).toBe(1);
      expect(report).toMatchObject({ polled: 1, delivered: 1 });
      expect(await polledUpstream(task.id)).toBe(1);
      expect(await hook.deliveries()).toHaveLength(1);
      const row = await env.DB.prepare("SELECT finished_at, lease_token FROM tasks").first<{
        finished_at: number | null;
        lease_token: string | null;
      }>();
      expect(row).toMatchObject({ lease_token: null });
      expect(row!.finished_at).not.toBeNull();
      expect((await hourlyPolls()) - pollsBefore).toBe(1);
    },
  );

  it.each([
    ["alone", false],
    ["beside another polling tick", true],
  ])("that stood after all is not written twice, by a tick polling %s: the poll counted once, the task finished", async (_, beside) => {
    const { task } = await finishedTask(beside);
    const pollsBefore = await hourlyPolls();
    const faults = failingWhere(env.DB, RECORD, "after");
    await runTick({ ...env, DB: faults.db }, manualClock());
    expect(faults.failed()).toBe(1);
    expect(await polledUpstream(task.id)).toBe(1);
    expect((await hourlyPolls()) - pollsBefore).toBe(1);
    const row = await env.DB.prepare("SELECT finished_at FROM tasks").first<{ finished_at: number | null }>();
    expect(row!.finished_at).not.toBeNull();
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM messages").first<{ n: number }>())!;
    expect(n).toBe(1);
    const leased = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE lease_token IS NOT NULL").first<{ n: number }>();
    expect(leased!.n).toBe(0);
  });

  it("that stood after all still has its webhook sent by the tick that polled, not a lease later", async () => {
    const { hook } = await finishedTask(false);
    const faults = failingWhere(env.DB, RECORD, "after");
    const log: Recorded[] = [];
    const report = await runTick({ ...env, DB: recordingD1(faults.db, log) }, manualClock());
    expect(faults.failed()).toBe(1);
    expect(report).toMatchObject({ polled: 1, delivered: 1 });
    expect(await hook.deliveries()).toHaveLength(1);
    const leased = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE lease_token IS NOT NULL").first<{ n: number }>();
    expect(leased!.n).toBe(0);
    // The read of what it created (storage/record-polls.ts `bornTo`) goes by the task's and the subscription's keys.
    const bornRead = log.find((s) => /FROM subscriptions s JOIN messages m ON m\.subscription_id = s\.id/.test(s.sql));
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${bornRead!.sql}`)
      .bind(...bornRead!.params)
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).filter((d) => /^SCAN (s|m)\b/.test(d))).toEqual([]);
    expect(plan.results.map((r) => r.detail)).toContainEqual(expect.stringMatching(/^SEARCH m USING INDEX messages_subscription_event/));
  });

  it("twice in a row ends the tick (one pass); the task, never recorded, is polled again by the next", async () => {
    const { task } = await finishedTask(false);
    const faults = failingWhere(env.DB, RECORD, "before", 2);
    const clock = manualClock();
    await expect(runTick({ ...env, DB: faults.db }, clock)).rejects.toThrow(/Network connection lost/);
    expect(faults.failed()).toBe(2);
    expect(await env.DB.prepare("SELECT finished_at FROM tasks").first()).toMatchObject({ finished_at: null });
    // Selected without a lease by a tick polling alone: due as it was, for the next tick.
    expect(await tick(clock)).toMatchObject({ polled: 1, delivered: 1 });
    expect(await polledUpstream(task.id)).toBe(2);
  });
});

describe("a round that a D1 fault ends", () => {
  beforeEach(resetDb);

  it("hands back the tasks it took and never polled due at once, not a poll interval later", async () => {
    const hook = await receiver();
    for (let i = 0; i < 60; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    }
    // 50 taken at first (a claim's chunk), the rest when six are left to start: that second
    // selection fails, and what the first took and had not started yet is handed back.
    const faults = failingWhere(env.DB, /INDEXED BY tasks_due_single[\s\S]*ORDER BY next_poll_at LIMIT/, "before", 1, 1);
    const clock = manualClock();
    await runTick({ ...env, DB: faults.db, SUBREQUEST_BUDGET: "200" }, clock).catch(() => undefined);
    expect(faults.failed()).toBe(1);
    const { results } = await env.DB.prepare("SELECT polls, next_poll_at FROM tasks").all<{ polls: number; next_poll_at: number | null }>();
    const handedBack = results.filter((t) => t.polls === 0 && t.next_poll_at !== null);
    expect(results.filter((t) => t.polls > 0).length).toBeGreaterThan(0);
    expect(handedBack.length).toBeGreaterThan(0);
    for (const t of handedBack) expect(t.next_poll_at!).toBeLessThanOrEqual(clock.now());
  });
});

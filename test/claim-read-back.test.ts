/**
 * A claim that D1 answers with an error after it committed (the ambiguous case) leased its work
 * all the same: the tick finds it again by its lease's end (each of its claims ends its lease a
 * millisecond apart) and does it, or sends it to its queue, where it waited, leased and untouched,
 * for that lease to end: up to the tick's wall budget + a timeout + 30 s for the tick's own work,
 * about four minutes for queued work.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { runTick } from "../src/tick/run-tick";
import { ARCHIVING, registerTask, videoTask } from "./support/archive";
import { failingWhere } from "./support/faulty-d1";
import { collectingQueue } from "./support/queues";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { lingeringClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

/** The claim of due messages (storage/claim-messages.ts). */
const CLAIM_DUE = /UPDATE messages SET state = CASE WHEN c\.halted/;

/** The claim of due tasks (storage/claim-tasks.ts), made by a tick beside another polling one, or dispatching. */
const CLAIM_TASKS = /UPDATE tasks SET lease_token = CASE WHEN c\.halted/;

/** Another tick polling (storage/polling-ticks.ts): the tick under test claims what it polls. */
const anotherPollingTick = () =>
  env.DB.prepare("INSERT INTO polling_ticks (token, until) VALUES ('other-tick', ?)")
    .bind(Date.now() + 600_000)
    .run();

const leasedTasks = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE lease_token IS NOT NULL").first<{ n: number }>())!.n;

/** The plan of the first statement in `log` that matches `look`. */
async function planOf(log: readonly Recorded[], look: RegExp): Promise<string[]> {
  const statement = log.find((s) => look.test(s.sql));
  expect(statement).toBeDefined();
  const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement!.sql}`)
    .bind(...statement!.params)
    .all<{ detail: string }>();
  return plan.results.map((r) => r.detail);
}

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
    expect(await planOf(log, /FROM messages\s+WHERE next_attempt_at = \? AND lease_token = \?/)).toEqual([
      expect.stringMatching(/^SEARCH messages USING INDEX messages_due \(next_attempt_at=\?\)$/),
    ]);
  });

  it("in queue mode, has its webhooks sent to the queue all the same", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const deliveries = collectingQueue();
    // The tick polls itself and dispatches webhooks: its first delivery claim finds none, the next the webhook its poll made.
    const faults = failingWhere(env.DB, CLAIM_DUE, "after", 1_000);
    const report = await tick(lingeringClock(), { DB: faults.db, DELIVERY_QUEUE: deliveries.queue });
    expect(faults.failed()).toBeGreaterThanOrEqual(2);
    expect(report.storageFaults ?? 0).toBe(0);
    const ids = (await env.DB.prepare("SELECT id FROM messages").all<{ id: string }>()).results.map((m) => m.id);
    expect(ids).toHaveLength(1);
    expect(deliveries.sent.filter((m) => m.kind === "deliver").flatMap((m) => m.ids)).toEqual(ids);
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

describe("a poll claim that answers an error after it committed", () => {
  beforeEach(resetDb);

  it("has its tasks polled by the tick all the same, beside another polling tick: the webhook sent in that tick", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    await anotherPollingTick();
    const faults = failingWhere(env.DB, CLAIM_TASKS, "after");
    const log: Recorded[] = [];
    const report = await runTick({ ...env, DB: recordingD1(faults.db, log) }, lingeringClock());
    expect(faults.failed()).toBe(1);
    expect(report.storageFaults ?? 0).toBe(0);
    expect(report).toMatchObject({ polled: 1, delivered: 1 });
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(1);
    expect(await leasedTasks()).toBe(0);
    // The look goes down the task's lane's due index to the lease's end.
    expect(await planOf(log, /WHERE \(NOT \(action = '' AND provider = 'kling'\)\) AND next_poll_at = \? AND lease_token = \?/)).toEqual([
      expect.stringMatching(/^SEARCH tasks USING INDEX tasks_due_single \(next_poll_at=\?\)$/),
    ]);
  });

  it("in queue mode, has its tasks sent to the queue all the same", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: (await receiver()).url })).status).toBe(201);
    const polls = collectingQueue();
    const faults = failingWhere(env.DB, CLAIM_TASKS, "after");
    const report = await tick(lingeringClock(), { DB: faults.db, POLL_QUEUE: polls.queue });
    expect(faults.failed()).toBe(1);
    expect(report.storageFaults ?? 0).toBe(0);
    const keys = (await env.DB.prepare("SELECT id FROM tasks").all<{ id: string }>()).results.map((t) => t.id);
    expect(polls.sent.filter((m) => m.kind === "poll").flatMap((m) => m.ids)).toEqual(keys);
  });

  it("that leased nothing (it failed before running) leaves the task due, for the tick's next round", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    await anotherPollingTick();
    const faults = failingWhere(env.DB, CLAIM_TASKS, "before");
    await runTick({ ...env, DB: faults.db }, lingeringClock());
    expect(faults.failed()).toBe(1);
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(1);
    expect(await leasedTasks()).toBe(0);
  });
});

describe("an archive claim that answers an error after it committed", () => {
  beforeEach(resetDb);

  it("has its files copied by the tick all the same: task.succeeded sent in that tick, every file copied", async () => {
    const task = await videoTask();
    const hook = await receiver();
    expect((await registerTask({ task_id: task.id, callback_url: hook.url, archive: true })).status).toBe(201);
    const faults = failingWhere(env.DB, /UPDATE archive_files SET lease_token = CASE WHEN c\.halted/, "after");
    const log: Recorded[] = [];
    const report = await runTick({ ...env, ...ARCHIVING, DB: recordingD1(faults.db, log) }, lingeringClock());
    expect(faults.failed()).toBe(1);
    expect(report.storageFaults ?? 0).toBe(0);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
    const files = await env.DB.prepare("SELECT status, lease_token FROM archive_files").all<{
      status: string;
      lease_token: string | null;
    }>();
    expect(files.results.length).toBeGreaterThan(0);
    expect(files.results.every((f) => f.status === "copied" && f.lease_token === null)).toBe(true);
    expect(await planOf(log, /FROM archive_files WHERE next_attempt_at = \? AND lease_token = \?/)).toEqual([
      expect.stringMatching(/^SEARCH archive_files USING INDEX archive_files_due \(next_attempt_at=\?\)$/),
    ]);
  });
});

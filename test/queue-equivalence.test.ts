/**
 * Both modes on one scenario: several tasks (succeeding, failing, never found), several
 * subscribers with different event lists, a receiver that fails before it accepts. Run once with
 * the tick doing the work itself and once through the queues, the same webhooks must arrive.
 * Runs in the queues pool (test/harness/vitest.queues.config.ts); the default pool skips it.
 */

import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import type { UpstreamStep } from "../tools/fake-protocol";
import { drained } from "./support/queues";
import { manualClock, receiver, register, resetDb, tick, unique, upstreamTask } from "./support/relay";

const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const ALL = ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"];

const SCRIPTS: Record<string, UpstreamStep[]> = {
  slow: [
    { status: "submitted" },
    { status: "processing" },
    { status: "processing" },
    { status: "succeed", result: { videos: [{ id: "v", url: "https://cdn.example/v.mp4", duration: "5" }] } },
  ],
  quick: [{ status: "processing" }, { status: "succeed" }],
  moderated: [{ status: "submitted" }, { status: "failed", msg: "content moderation" }],
  lost: [{ http: 404, body: { code: 1203, message: "task not found" } }],
};
/** Who listens to what: [task, receiver, events (default: the terminal ones)]. */
const SUBSCRIPTIONS: [string, string, string[]?][] = [
  ["slow", "app"],
  ["slow", "audit", ALL],
  ["slow", "flaky"],
  ["quick", "app"],
  ["quick", "flaky", ["task.processing", "task.succeeded"]],
  ["moderated", "app"],
  ["moderated", "audit", ALL],
  ["lost", "app"],
  ["lost", "audit", ALL],
];

/** Plays the scenario minute by minute; returns what each receiver verifiably got. */
async function play(mode: "in-tick" | "queues"): Promise<string[]> {
  await resetDb();
  const overrides: Partial<Env> = mode === "in-tick" ? { POLL_QUEUE: undefined, DELIVERY_QUEUE: undefined } : {};
  const receivers = {
    app: await receiver(),
    audit: await receiver(),
    flaky: await receiver([{ status: 500 }, { status: 503 }, { status: 200 }]),
  };
  const names = new Map<string, string>();
  for (const [name, steps] of Object.entries(SCRIPTS)) {
    const task = await upstreamTask(steps, { id: unique(name) });
    names.set(task.id, name);
  }
  const idOf = (name: string) => [...names].find(([, n]) => n === name)![0];
  for (const [task, to, events] of SUBSCRIPTIONS) {
    const { status } = await register({
      task_id: idOf(task),
      callback_url: receivers[to as keyof typeof receivers].url,
      ...(events ? { events } : {}),
    });
    expect(status).toBe(201);
  }
  // The tick's clock jumps a minute a round; the consumers run on the real clock, which stays
  // behind it, so whatever they schedule (next polls, the 5 s and 300 s retries) falls due in a
  // later round, as it does in the tick.
  const clock = manualClock();
  for (let minute = 0; minute < 20; minute++) {
    await tick(clock, overrides);
    if (mode === "queues") await drained();
    const active = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE status = 'active'").first<{ n: number }>();
    if (active!.n === 0) break;
    clock.advance(61_000);
  }
  const got: string[] = [];
  for (const [to, hook] of Object.entries(receivers)) {
    for (const d of await hook.deliveries()) {
      const event = new Webhook(SECRET).verify(d.body, d.headers) as { type: string; task_id: string };
      got.push(`${to} ${names.get(event.task_id)} ${event.type}`);
    }
  }
  return got.sort();
}

describe.skipIf(!env.POLL_QUEUE)("queues and in-tick work are equivalent", () => {
  it("delivers the same webhooks, each once accepted, whichever mode does the work", async () => {
    const inTick = await play("in-tick");
    const queued = await play("queues");
    const accepted = (got: string[]) => [...new Set(got)];
    expect(accepted(queued)).toEqual(accepted(inTick));
    expect(accepted(inTick)).toEqual([
      "app lost task.expired",
      "app moderated task.failed",
      "app quick task.succeeded",
      "app slow task.succeeded",
      "audit lost task.expired",
      "audit moderated task.failed",
      "audit moderated task.submitted",
      "audit slow task.processing",
      "audit slow task.submitted",
      "audit slow task.succeeded",
      "flaky quick task.processing",
      "flaky quick task.succeeded",
      "flaky slow task.succeeded",
    ]);
    // The flaky receiver refused twice, then accepted: the same retries in both modes.
    const attempts = (got: string[]) => got.filter((g) => g.startsWith("flaky")).length;
    expect(attempts(queued)).toBe(attempts(inTick));
  });
});

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ACTION_PAIR_LIST } from "../src/domain/kling";
import {
  manualClock,
  maxInFlight,
  receiver,
  register,
  resetDb,
  subscriptionView,
  taskView,
  tick,
  unique,
  upstreamTask,
} from "./support/relay";

const RESULTS: Record<string, unknown> = {
  "videos/*": { videos: [{ id: "v-1", url: "https://cdn.example/v.mp4", duration: "5.1", watermark_url: "https://cdn.example/w.mp4" }] },
  "images/generations": {
    images: [
      { index: 0, url: "https://cdn.example/i0.png" },
      { index: 1, url: "https://cdn.example/i1.png" },
    ],
  },
  "images/kolors-virtual-try-on": { images: [{ index: 0, url: "https://cdn.example/try.png" }] },
  "audio/text-to-audio": {
    audios: [
      { id: "a-1", url_mp3: "https://cdn.example/a.mp3", url_wav: "https://cdn.example/a.wav", duration_mp3: "3.2", duration_wav: "3.2" },
    ],
  },
  "audio/video-to-audio": {
    videos: [{ id: "v-2", url: "https://cdn.example/v2.mp4", duration: "4" }],
    audios: [{ id: "a-2", url_mp3: "https://cdn.example/b.mp3" }],
  },
};
const resultFor = (action: string, action2: string) => RESULTS[`${action}/${action2}`] ?? RESULTS[`${action}/*`];

const PAIRS = ACTION_PAIR_LIST;

describe("polling", () => {
  beforeEach(resetDb);

  it.each(PAIRS)("polls %s/%s at its own path and delivers its result verbatim", async (action, action2) => {
    const result = resultFor(action, action2);
    const extra =
      action2 === "video-to-audio"
        ? { task_info: { parent_video: { id: "p", url: "https://cdn.example/p.mp4", duration: "4" } }, final_unit_deduction: "2" }
        : {};
    const task = await upstreamTask([{ status: "succeed", result, extra }], { action, action2 });
    const hook = await receiver();
    await register({ task_id: task.id, action, action2, callback_url: hook.url });
    await tick(manualClock());
    const [delivery] = await hook.deliveries();
    const body = JSON.parse(delivery!.body);
    expect(body.type).toBe("task.succeeded");
    expect(body.data.task_result).toEqual(result);
    expect(body.data).toMatchObject(extra);
  });

  it("polls a task once for all its subscribers and gives each its own message", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed", result: RESULTS["videos/*"] }]);
    const [a, b] = [await receiver(), await receiver()];
    const subA = (await register({ task_id: task.id, callback_url: a.url })).body;
    const subB = (await register({ task_id: task.id, callback_url: b.url, events: ["task.processing", "task.succeeded"] })).body;
    const clock = manualClock();
    await tick(clock);
    clock.advance(61_000);
    await tick(clock);
    expect(await task.polls()).toBe(2);
    const [fromA, fromB] = [await a.deliveries(), await b.deliveries()];
    expect(fromA.map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
    expect(fromB.map((d) => JSON.parse(d.body).type)).toEqual(["task.processing", "task.succeeded"]);
    expect(JSON.parse(fromA[0]!.body).subscription_id).toBe(subA.id);
    expect(JSON.parse(fromB[1]!.body).subscription_id).toBe(subB.id);
    expect(fromA[0]!.headers["webhook-id"]).not.toBe(fromB[1]!.headers["webhook-id"]);
  });

  it("sends each asked-for status once, however often it is seen", async () => {
    const task = await upstreamTask([
      { status: "submitted" },
      { status: "submitted" },
      { status: "processing" },
      { status: "processing" },
      { status: "succeed" },
    ]);
    const hook = await receiver();
    const sub = (
      await register({ task_id: task.id, callback_url: hook.url, events: ["task.submitted", "task.processing", "task.succeeded"] })
    ).body;
    const clock = manualClock();
    for (let i = 0; i < 5; i++) {
      await tick(clock);
      clock.advance(61_000);
    }
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.submitted", "task.processing", "task.succeeded"]);
    expect((await subscriptionView(sub.id)).status).toBe("delivered");
  });

  it("finishes a subscription that only asked for an event that can no longer happen", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    const sub = (await register({ task_id: task.id, callback_url: hook.url, events: ["task.submitted"] })).body;
    await tick(manualClock());
    expect(await hook.deliveries()).toHaveLength(0);
    expect((await subscriptionView(sub.id)).status).toBe("delivered");
    expect((await taskView(task.id)).next_poll_at).toBeNull();
  });

  it("finishes, with its task, the subscriptions that asked for other events only, and the others once their webhook is sent", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "failed", msg: "content moderation" }]);
    const [onlySuccess, progress, every] = [await receiver(), await receiver(), await receiver()];
    const subs = {
      onlySuccess: (await register({ task_id: task.id, callback_url: onlySuccess.url, events: ["task.succeeded"] })).body,
      progress: (await register({ task_id: task.id, callback_url: progress.url, events: ["task.processing", "task.succeeded"] })).body,
      every: (await register({ task_id: task.id, callback_url: every.url })).body,
    };
    const clock = manualClock();
    await tick(clock);
    expect((await subscriptionView(subs.progress.id)).status).toBe("active");
    clock.advance(61_000);
    await tick(clock);
    expect(await task.polls()).toBe(2);
    const types = async (hook: Awaited<ReturnType<typeof receiver>>) => (await hook.deliveries()).map((d) => JSON.parse(d.body).type);
    expect(await types(onlySuccess)).toEqual([]);
    expect(await types(progress)).toEqual(["task.processing"]);
    expect(await types(every)).toEqual(["task.failed"]);
    for (const sub of Object.values(subs)) expect((await subscriptionView(sub.id)).status).toBe("delivered");
  });

  it("sends a late subscriber the terminal event the task already reached, without polling again", async () => {
    const task = await upstreamTask([{ status: "failed", msg: "content moderation" }]);
    const first = await receiver();
    await register({ task_id: task.id, callback_url: first.url });
    const clock = manualClock();
    await tick(clock);
    const late = await receiver();
    const { status } = await register({ task_id: task.id, callback_url: late.url });
    expect(status).toBe(201);
    clock.advance(1000);
    await tick(clock);
    expect(await task.polls()).toBe(1);
    const [delivery] = await late.deliveries();
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "task.failed", data: { task_status_msg: "content moderation" } });
  });

  it("keeps at most 6 upstream requests in flight", async () => {
    const group = unique("group");
    const hook = await receiver();
    for (let i = 0; i < 18; i++) {
      const task = await upstreamTask([{ status: "processing" }], { group, latencyMs: 120 });
      await register({ task_id: task.id, callback_url: hook.url });
    }
    const report = await tick(manualClock());
    expect(report.polled).toBe(18);
    expect(await maxInFlight(group)).toBe(6);
  });

  it("stops claiming at the subrequest budget and leaves the rest for the next tick", async () => {
    const hook = await receiver();
    const tasks = [];
    for (let i = 0; i < 12; i++) {
      tasks.push(await upstreamTask([{ status: "processing" }]));
      await register({ task_id: tasks[i]!.id, callback_url: hook.url });
    }
    const clock = manualClock();
    const first = await tick(clock, { SUBREQUEST_BUDGET: "5" });
    // One fifth of the budget stays reserved for the webhooks the polls may produce.
    expect(first.polled).toBe(4);
    expect(first.subrequestsLeft).toBeGreaterThanOrEqual(0);
    const second = await tick(clock, { SUBREQUEST_BUDGET: "5" });
    const third = await tick(clock, { SUBREQUEST_BUDGET: "5" });
    expect(first.polled + second.polled + third.polled).toBe(12);
    expect((await Promise.all(tasks.map((t) => t.polls()))).every((n) => n === 1)).toBe(true);
  });

  it("stops polling a task whose only subscription was cancelled", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
    const clock = manualClock();
    await tick(clock);
    const { api } = await import("./support/relay");
    expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    clock.advance(10 * 60_000);
    await tick(clock);
    expect(await task.polls()).toBe(1);
    expect(await env.DB.prepare("SELECT next_poll_at FROM tasks WHERE task_id = ?").bind(task.id).first("next_poll_at")).toBeNull();
  });
});

describe("budgets", () => {
  beforeEach(resetDb);

  it("lingers only for work that falls due before its wall-time budget ends", async () => {
    const { lingeringClock } = await import("./support/relay");
    // Images: the prior window has the schedule poll at 0, 10 and 20 s.
    const images = { action: "images", action2: "generations" };
    const task = await upstreamTask([{ status: "processing" }], images);
    await register({ task_id: task.id, callback_url: (await receiver()).url, ...images });
    const clock = lingeringClock();
    const started = clock.now();
    await tick(clock, { TICK_WALL_BUDGET_SECONDS: "20" });
    expect(await task.polls()).toBe(2);
    expect(clock.now() - started).toBeLessThan(20_000);
  });
});

describe("lingering", () => {
  beforeEach(resetDb);

  it("keeps working within one invocation as tasks fall due, until the wall budget", async () => {
    const { lingeringClock } = await import("./support/relay");
    // Images: the prior window (10-35 s) has the schedule poll at 0, 10 and 20 s.
    const images = { action: "images", action2: "generations" };
    const task = await upstreamTask([{ status: "processing" }, { status: "processing" }, { status: "succeed" }], images);
    const idle = await upstreamTask([{ status: "processing" }], images);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url, ...images });
    await register({ task_id: idle.id, callback_url: hook.url, ...images });
    const clock = lingeringClock();
    const started = clock.now();
    const report = await tick(clock);
    expect(await task.polls()).toBe(3);
    expect(await hook.deliveries()).toHaveLength(1);
    expect(report.rounds).toBeGreaterThan(2);
    // It stopped at its wall-time budget, not after.
    expect(clock.now() - started).toBeLessThanOrEqual(58_000);
    expect(await idle.polls()).toBeGreaterThan(2);
  });

  it("does not linger past a configuration error", async () => {
    const { lingeringClock } = await import("./support/relay");
    const task = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    const report = await tick(lingeringClock(), { COMETAPI_KEY: "wrong" });
    expect(report.configurationError).toMatch(/^kling_1001/);
    expect(report.rounds).toBe(1);
    expect(report.polled).toBe(1);
  });
});

describe("learning durations", () => {
  beforeEach(resetDb);

  it("stores how long each kind took upstream, for the adaptive schedule", async () => {
    const images = { action: "images", action2: "generations" };
    const task = await upstreamTask([{ status: "succeed", extra: { created_at: Date.now() - 20_000, updated_at: Date.now() } }], images);
    await register({ task_id: task.id, callback_url: (await receiver()).url, ...images });
    await tick(manualClock());
    const row = await env.DB.prepare("SELECT samples, mean_log FROM kind_stats WHERE action = 'images' AND action2 = 'generations'").first<{
      samples: number;
      mean_log: number;
    }>();
    expect(row?.samples).toBe(1);
    expect(Math.exp(row!.mean_log)).toBeGreaterThan(19_000);
    expect(Math.exp(row!.mean_log)).toBeLessThan(21_000);
  });
});

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { UpstreamStep } from "../tools/fake-protocol";
import { manualClock, receiver, register, resetDb, taskView, tick, upstreamTask } from "./support/relay";

const row = (taskId: string) =>
  env.DB.prepare(
    "SELECT task_status, next_poll_at, error_streak, not_found_streak, last_error, finish_reason, polls FROM tasks WHERE task_id = ?",
  )
    .bind(taskId)
    .first<Record<string, any>>();

async function pollOnce(steps: UpstreamStep[], overrides = {}) {
  const task = await upstreamTask(steps);
  const hook = await receiver();
  await register({ task_id: task.id, callback_url: hook.url });
  const clock = manualClock();
  const report = await tick(clock, overrides);
  return { task, hook, clock, report, row: (await row(task.id))!, polledAt: clock.now() };
}

describe("upstream outcomes", () => {
  beforeEach(resetDb);

  it("honours a 429 Retry-After longer than the maximum interval", async () => {
    const {
      row: r,
      polledAt,
      report,
    } = await pollOnce([{ http: 429, body: { code: 1302, message: "rate limit" }, headers: { "retry-after": "240" } }]);
    expect(r.next_poll_at - polledAt).toBe(240_000);
    expect(r).toMatchObject({ error_streak: 1, task_status: null, last_error: "kling_1302: rate limit" });
    expect(report.upstreamErrors).toEqual({ rate_limited: 1 });
  });

  it.each<[string, UpstreamStep, RegExp]>([
    ["a 500", { http: 500, body: { error: { code: "", message: "boom", type: "comet_api_error" } } }, /^http_500: boom/],
    ["a 503 Kling 5001", { http: 503, body: { code: 5001, message: "unavailable" } }, /^kling_5001/],
    [
      "an HTML error page",
      { http: 502, body: "<html><body>Bad gateway</body></html>", headers: { "content-type": "text/html" } },
      /^http_502/,
    ],
    ["malformed JSON", { http: 200, body: '{"code":0,"data":' }, /^malformed/],
    ["a success envelope without data", { http: 200, body: { code: 0, message: "SUCCEED" } }, /^malformed: no data/],
    ["a dropped connection", { reset: true }, /^network_error: connection to [\d.:]+ refused, reset or closed before an answer/],
  ])("keeps the task and backs off within the bounds after %s", async (_name, step, error) => {
    const { row: r, polledAt } = await pollOnce([step]);
    expect(r.last_error).toMatch(error);
    expect(r.error_streak).toBe(1);
    expect(r.next_poll_at - polledAt).toBeGreaterThanOrEqual(10_000);
    expect(r.next_poll_at - polledAt).toBeLessThanOrEqual(60_000);
  });

  it("times out a hanging upstream request", async () => {
    const { row: r } = await pollOnce([{ hang: true }], { UPSTREAM_TIMEOUT_SECONDS: "0.3" });
    expect(r).toMatchObject({ last_error: "timeout", error_streak: 1 });
  });

  it("treats an authentication failure as configuration: stops the tick, does not count it against tasks", async () => {
    const hook = await receiver();
    const tasks = [];
    for (let i = 0; i < 8; i++) {
      tasks.push(await upstreamTask([{ status: "processing" }]));
      await register({ task_id: tasks[i]!.id, callback_url: hook.url });
    }
    const clock = manualClock();
    const report = await tick(clock, { COMETAPI_KEY: "wrong-key" });
    expect(report.configurationError).toMatch(/^kling_1001/);
    // The first wave of 6 was already in flight; nothing after it was started.
    expect(report.polled).toBe(6);
    const rows = await Promise.all(tasks.map((t) => row(t.id)));
    expect(rows.every((r) => r!.error_streak === 0 && r!.next_poll_at >= clock.now() + 60_000)).toBe(true);
    expect(JSON.stringify(report)).not.toContain("wrong-key");
  });

  it("expires a task not found three times in a row, with reason not_found", async () => {
    const hook = await receiver();
    const taskId = `never-created-${Date.now()}`;
    await register({ task_id: taskId, callback_url: hook.url });
    const clock = manualClock();
    for (let i = 0; i < 3; i++) {
      await tick(clock);
      clock.advance(61_000);
    }
    expect(await row(taskId)).toMatchObject({ not_found_streak: 3, finish_reason: "not_found", next_poll_at: null, polls: 3 });
    const [delivery] = await hook.deliveries();
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "task.expired", reason: "not_found", data: null });
  });

  it("expires a task at once on invalid parameters (Kling 1201)", async () => {
    const { row: r, hook } = await pollOnce([{ http: 400, body: { code: 1201, message: "invalid task id" } }]);
    expect(r).toMatchObject({ finish_reason: "invalid_request", next_poll_at: null });
    expect(JSON.parse((await hook.deliveries())[0]!.body)).toMatchObject({ type: "task.expired", reason: "invalid_request" });
  });

  it("expires a task still running after MAX_TASK_AGE_HOURS, with its last data", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const clock = manualClock();
    await tick(clock);
    clock.advance(25 * 3_600_000);
    await tick(clock);
    expect(await taskView(task.id)).toMatchObject({ finish_reason: "max_age", task_status: "processing", next_poll_at: null });
    expect(JSON.parse((await hook.deliveries())[0]!.body)).toMatchObject({
      type: "task.expired",
      reason: "max_age",
      data: { task_status: "processing" },
    });
  });

  it("delivers a task that answers Kling's newer spelling `succeeded` as task.succeeded, with its result", async () => {
    const result = { videos: [{ id: "v", url: "https://cdn.example/v.mp4", duration: "5" }] };
    const { task, hook } = await pollOnce([{ status: "succeeded", result }]);
    expect(await row(task.id)).toMatchObject({ task_status: "succeed", next_poll_at: null, finish_reason: null });
    const body = JSON.parse((await hook.deliveries())[0]!.body);
    expect(body).toMatchObject({ type: "task.succeeded", data: { task_status: "succeeded", task_result: result } });
  });

  it("keeps an unknown status as the task's last answer, and expires it with that answer", async () => {
    const task = await upstreamTask([{ status: "queued", extra: { note: "kept" } }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const clock = manualClock();
    await tick(clock);
    expect(await taskView(task.id)).toMatchObject({
      task_status: "queued",
      last_error: null,
      data: { task_status: "queued", note: "kept" },
    });
    expect((await taskView(task.id)).next_poll_at).not.toBeNull();
    clock.advance(25 * 3_600_000);
    await tick(clock);
    const [expired] = await hook.deliveries();
    expect(JSON.parse(expired!.body)).toMatchObject({
      type: "task.expired",
      reason: "max_age",
      data: { task_status: "queued", note: "kept" },
    });
  });

  it("recovers after errors and resets the backoff", async () => {
    const { task, clock, hook } = await pollOnce([{ http: 503 }, { http: 503 }, { status: "succeed" }]);
    for (let i = 0; i < 2; i++) {
      clock.advance(120_000);
      await tick(clock);
    }
    expect(await row(task.id)).toMatchObject({ error_streak: 0, task_status: "succeed", last_error: null });
    expect(await hook.deliveries()).toHaveLength(1);
  });
});

describe("hostile upstream payloads", () => {
  beforeEach(resetDb);

  const deep = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;
  it.each<[string, UpstreamStep, RegExp]>([
    [
      "a 300 KiB answer",
      { http: 200, body: JSON.stringify({ code: 0, data: { task_status: "succeed", blob: "x".repeat(300 * 1024) } }) },
      /^malformed: body over the size limit/,
    ],
    [
      "data nested 500 levels deep",
      { http: 200, body: `{"code":0,"data":{"task_status":"succeed","task_result":${deep(500)}}}` },
      /^malformed: data nests deeper/,
    ],
    ["a body that is not JSON", { http: 200, body: "\u0000\u0001 binary garbage \uFFFD" }, /^malformed: not a JSON object/],
  ])("records %s as an error, stores nothing of it, and the tick goes on", async (_name, step, error) => {
    const hostile = await upstreamTask([step]);
    const fine = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: hostile.id, callback_url: hook.url });
    await register({ task_id: fine.id, callback_url: hook.url });
    const report = await tick(manualClock());
    expect(report.polled).toBe(2);
    const r = (await row(hostile.id))!;
    expect(r.last_error).toMatch(error);
    expect(r.task_status).toBeNull();
    const stored = await env.DB.prepare("SELECT length(coalesce(data, '')) AS n FROM tasks WHERE task_id = ?")
      .bind(hostile.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).task_id)).toEqual([fine.id]);
  });
});

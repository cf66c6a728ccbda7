/** Tasks polled through Kling's own API (provider `kling`): its legacy query, its new one, and their credentials. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { logIn, page } from "./support/dashboard";
import { api, manualClock, postJson, receiver, resetDb, tick, unique, upstreamTask } from "./support/relay";

/** The simulator's legacy access and secret keys (tools/kling-auth.ts): the JWT path. */
const JWT_ONLY = { KLING_API_KEY: "", KLING_ACCESS_KEY: "sim-kling-access-key", KLING_SECRET_KEY: "sim-kling-secret-key" };
const NO_KLING = { KLING_API_KEY: "", KLING_ACCESS_KEY: "", KLING_SECRET_KEY: "" };

const registerKling = (body: Record<string, unknown>) => postJson("/v1/tasks", { provider: "kling", ...body });
const sent = async (hook: { deliveries(): Promise<{ body: string }[]> }) => (await hook.deliveries()).map((d) => JSON.parse(d.body));

describe("provider kling", () => {
  beforeEach(resetDb);

  it("polls a legacy product path with a JWT signed from the access and secret keys, and delivers its result", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }], {
      dialect: "kling-legacy",
      action: "videos",
      action2: "avatar/image2video",
    });
    const hook = await receiver();
    const res = await registerKling({ task_id: task.id, action: "videos", action2: "avatar/image2video", callback_url: hook.url });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ provider: "kling", action: "videos", action2: "avatar/image2video" });
    const clock = manualClock();
    await tick(clock, JWT_ONLY);
    clock.advance(60_000);
    await tick(clock, JWT_ONLY);
    expect(await task.polls()).toBe(2);
    const [event] = await sent(hook);
    expect(event).toMatchObject({ type: "task.succeeded", task_id: task.id, data: { task_status: "succeed" } });
    expect(event.data.task_result.videos).toHaveLength(1);
  });

  it("polls a task of the new API (no action pair) with the API key; `succeeded` is task.succeeded", async () => {
    const task = await upstreamTask([{ status: "succeeded" }], { dialect: "kling-new" });
    const hook = await receiver();
    const res = await registerKling({ task_id: task.id, callback_url: hook.url });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ provider: "kling", action: null, action2: null });
    await tick(manualClock());
    const [event] = await sent(hook);
    expect(event).toMatchObject({ type: "task.succeeded", task_id: task.id, data: { id: task.id, status: "succeeded" } });
    const view = await (await api(`/v1/tasks/${task.id}?provider=kling`)).json();
    expect(view).toMatchObject({ provider: "kling", task_status: "succeed", action: null });
  });

  it("keeps the same task id under two providers as two tasks", async () => {
    const id = unique("both");
    const hook = await receiver();
    expect((await postJson("/v1/tasks", { task_id: id, action: "videos", action2: "text2video", callback_url: hook.url })).status).toBe(
      201,
    );
    expect((await registerKling({ task_id: id, callback_url: hook.url })).status).toBe(201);
    expect(await (await api(`/v1/tasks/${id}`)).json()).toMatchObject({ provider: "cometapi", action: "videos" });
    expect(await (await api(`/v1/tasks/${id}?provider=kling`)).json()).toMatchObject({ provider: "kling", action: null });
    const wrongProvider = await api(`/v1/tasks/${id}?provider=other`);
    expect(wrongProvider.status).toBe(400);
    // The error names the provider, not the (valid) task id.
    expect(((await wrongProvider.json()) as { error: { details: { field: string }[] } }).error.details).toMatchObject([
      { field: "provider" },
    ]);
    const rows = await env.DB.prepare("SELECT provider FROM tasks WHERE task_id = ? ORDER BY provider").bind(id).all();
    expect(rows.results).toEqual([{ provider: "cometapi" }, { provider: "kling" }]);
  });

  it("without Kling credentials leaves only Kling's tasks waiting, and says so in the tick line", async () => {
    const kling = await upstreamTask([{ status: "succeeded" }], { dialect: "kling-new" });
    const comet = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await registerKling({ task_id: kling.id, callback_url: hook.url });
    await postJson("/v1/tasks", { task_id: comet.id, action: "videos", action2: "text2video", callback_url: hook.url });
    const report = await tick(manualClock(), NO_KLING);
    expect(report.pausedProviders).toEqual(["kling"]);
    expect([await kling.polls(), await comet.polls()]).toEqual([0, 1]);
    expect((await sent(hook)).map((e) => e.task_id)).toEqual([comet.id]);
    // With them back, the waiting task is polled at once.
    await tick(manualClock());
    expect(await kling.polls()).toBe(1);
  });

  it("links a task of Kling's API on the dashboard with its provider, and opens it", async () => {
    const id = unique("dash");
    const hook = await receiver();
    await postJson("/v1/tasks", { task_id: id, action: "videos", action2: "text2video", callback_url: hook.url });
    await registerKling({ task_id: id, callback_url: hook.url, metadata: { which: "kling" } });
    const browser = await logIn();
    const list = await (await page("/dashboard/tasks", {}, browser)).text();
    const href = `/dashboard/tasks/${id}?tenant=default&amp;provider=kling`;
    expect(list).toContain(href);
    expect(list).toContain(`/dashboard/tasks/${id}?tenant=default"`);
    const kling = await page(href.replace("&amp;", "&"), {}, browser);
    expect(kling.status).toBe(200);
    expect(await kling.text()).toContain("&quot;kling&quot;");
  });

  it("refuses a product path the provider does not serve, and half an action pair", async () => {
    const hook = await receiver();
    const cases: [Record<string, unknown>, string][] = [
      [{ provider: "cometapi", action: "videos", action2: "avatar/image2video" }, "action2"],
      [{ provider: "cometapi" }, "action"],
      [{ provider: "kling", action: "videos" }, "action2"],
      [{ provider: "kling", action2: "text2video" }, "action"],
      [{ provider: "kling", action: "images", action2: "avatar/image2video" }, "action2"],
      [{ provider: "replicate", action: "videos", action2: "text2video" }, "provider"],
    ];
    for (const [body, field] of cases) {
      const res = await postJson("/v1/tasks", { task_id: unique("bad"), callback_url: hook.url, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field)).toContain(field);
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>())!.n).toBe(0);
  });

  describe("tasks of Kling's new API, polled in batches", () => {
    const batches = async () =>
      (await (await fetch(`${env.FAKE_URL}/_sim/batches`)).json()) as {
        requests: number;
        maxIds: number;
        maxUrlLength: number;
        log: { ids: string[] }[];
      };
    beforeEach(async () => {
      await fetch(`${env.FAKE_URL}/_sim/batches`, { method: "DELETE" });
    });

    it("queries KLING_BATCH_SIZE ids per request, each answer entry one poll of its task", async () => {
      const hook = await receiver();
      const tasks = [];
      for (let i = 0; i < 7; i++) {
        const task = await upstreamTask([{ status: "succeeded" }], { dialect: "kling-new" });
        await registerKling({ task_id: task.id, callback_url: hook.url });
        tasks.push(task);
      }
      const report = await tick(manualClock(), { KLING_BATCH_SIZE: "3" });
      const seen = await batches();
      expect(seen.requests).toBe(3);
      expect(seen.maxIds).toBe(3);
      expect(seen.log.map((b) => b.ids.length).sort()).toEqual([1, 3, 3]);
      expect(report).toMatchObject({ claimed: 7, polled: 7 });
      expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 1));
      expect((await sent(hook)).map((e) => e.task_id).sort()).toEqual(tasks.map((t) => t.id).sort());
      // Seven polls cost the budget three subrequests, plus the webhooks.
      expect(report.subrequestsLeft).toBe(45 - 3 - 7);
    });

    it("counts an id missing from the answer as one 'not found' for that task only, and a failed entry as that task's failure", async () => {
      const hook = await receiver();
      const ok = await upstreamTask([{ status: "succeeded" }], { dialect: "kling-new" });
      const missing = await upstreamTask([{ omit: true }], { dialect: "kling-new" });
      const failed = await upstreamTask([{ status: "failed", msg: "content moderation" }], { dialect: "kling-new" });
      for (const t of [ok, missing, failed])
        await registerKling({ task_id: t.id, callback_url: hook.url, events: ["task.succeeded", "task.failed"] });
      await tick(manualClock());
      expect((await batches()).requests).toBe(1);
      const events = await sent(hook);
      expect(events.find((e) => e.task_id === ok.id)).toMatchObject({ type: "task.succeeded", failure_message: null });
      expect(events.find((e) => e.task_id === failed.id)).toMatchObject({
        type: "task.failed",
        outputs: [],
        failure_message: "content moderation",
      });
      expect(events.find((e) => e.task_id === missing.id)).toBeUndefined();
      const row = await env.DB.prepare("SELECT not_found_streak, next_poll_at FROM tasks WHERE task_id = ?")
        .bind(missing.id)
        .first<{ not_found_streak: number; next_poll_at: number | null }>();
      expect(row).toMatchObject({ not_found_streak: 1 });
      expect(row!.next_poll_at).not.toBeNull();
    });

    it("keeps every request URL under 16 KB, however large KLING_BATCH_SIZE is", async () => {
      const now = Date.now();
      const ids = Array.from({ length: 140 }, (_, i) => `${"x".repeat(120)}-${i.toString().padStart(3, "0")}-${now}`.slice(0, 128));
      await env.DB.prepare(`INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, next_poll_at, created_at, updated_at)
        SELECT 'tsk_' || substr(value, -20), 'default', 'kling', value, '', '', ?1, ?1, ?1 FROM json_each(?2)`)
        .bind(now, JSON.stringify(ids))
        .run();
      const report = await tick(manualClock(), { KLING_BATCH_SIZE: "500" });
      const seen = await batches();
      expect(report.claimed).toBe(140);
      expect(seen.requests).toBe(2);
      expect(seen.maxUrlLength).toBeLessThanOrEqual(16_000);
      expect(seen.log.flatMap((b) => b.ids).sort()).toEqual([...ids].sort());
    });

    it("never makes more requests than the budget allows when long ids need more than one per claim", async () => {
      const now = Date.now();
      const ids = Array.from({ length: 140 }, (_, i) => `${"y".repeat(120)}-${i.toString().padStart(3, "0")}-${now}`.slice(0, 128));
      await env.DB.prepare(`INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, next_poll_at, created_at, updated_at)
        SELECT 'tsk_' || substr(value, -20), 'default', 'kling', value, '', '', ?1, ?1, ?1 FROM json_each(?2)`)
        .bind(now, JSON.stringify(ids))
        .run();
      // A budget of 2 keeps 1 for webhooks: one request for polls, though 140 long ids need two.
      const report = await tick(manualClock(), { KLING_BATCH_SIZE: "500", SUBREQUEST_BUDGET: "2" });
      expect((await batches()).requests).toBe(1);
      expect(report.subrequestsLeft).toBeGreaterThanOrEqual(0);
      const left = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE polls = 0 AND lease_token IS NULL AND next_poll_at <= ?")
        .bind(Date.now())
        .first<{ n: number }>();
      expect(left!.n).toBe(140 - report.polled);
      expect(report.polled).toBeGreaterThan(0);
    });

    it("leaves them waiting with only the legacy JWT credentials (the new API takes an API key), and says so", async () => {
      const task = await upstreamTask([{ status: "succeeded" }], { dialect: "kling-new" });
      await registerKling({ task_id: task.id, callback_url: (await receiver()).url });
      const report = await tick(manualClock(), JWT_ONLY);
      expect(report.pausedProviders).toEqual(["kling-new-api"]);
      expect(report.configurationError).toBeNull();
      expect(await task.polls()).toBe(0);
    });
  });
});

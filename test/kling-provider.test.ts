/** Tasks polled through Kling's own API (provider `kling`): its legacy query, its new one, and their credentials. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
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
    expect((await api(`/v1/tasks/${id}?provider=other`)).status).toBe(400);
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
});

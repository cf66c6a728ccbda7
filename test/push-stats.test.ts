/**
 * What the relay learns of upstream's callbacks (storage/push-stats.ts), from real callbacks and
 * polls: per provider and kind, the pushed tasks that finished and those whose finish a poll saw
 * before any final callback; and how the tick then times a pushed task's safety polls.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { lostCallbackChecks } from "../src/domain/lost-callback-watch";
import type { Env } from "../src/env";
import { API_KEY, manualClock, receiver, relayRequest, resetDb, tick, unique, upstreamTask } from "./support/relay";

const TOKEN = "push-stats-test-token-0123456789-abcdefgh";
const KLING_SECRET = `whsec_${btoa("kling-console-secret-32-bytes-ok")}`;
const INBOUND: Partial<Env> = { INBOUND_TOKEN: TOKEN };
const SIGNED: Partial<Env> = { ...INBOUND, KLING_WEBHOOK_SECRET: KLING_SECRET };

const callBack = (provider: string, body: unknown, overrides: Partial<Env> = INBOUND, headers: Record<string, string> = {}) =>
  relayRequest(
    `/inbound/${provider}/${TOKEN}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    overrides,
  );
const register = (body: Record<string, unknown>, overrides: Partial<Env> = INBOUND) =>
  relayRequest(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ action: "videos", action2: "text2video", ...body }),
    },
    overrides,
  );
const legacyBody = (taskId: string, status: string) => ({ task_id: taskId, task_status: status, created_at: Date.now() - 30_000 });

const tallies = async () =>
  (await env.DB.prepare("SELECT provider, action, action2, finished, lost FROM push_stats ORDER BY provider, action, action2").all())
    .results;
const taskRow = (taskId: string) =>
  env.DB.prepare("SELECT task_status, final_pushed_at, next_poll_at, last_polled_at, upstream_created_at FROM tasks WHERE task_id = ?")
    .bind(taskId)
    .first<Record<string, any>>();

describe("push stats: what the finishes of pushed tasks tell of the callbacks", () => {
  beforeEach(resetDb);

  it("counts a finish a callback announced as called back, and one a poll saw first as a lost callback, per provider and kind", async () => {
    // Called back: the final callback's confirming poll finishes it.
    const announced = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: announced.id, callback_url: (await receiver()).url });
    await callBack("cometapi", legacyBody(announced.id, "succeed"));
    expect(await taskRow(announced.id)).toMatchObject({ task_status: "succeed", final_pushed_at: expect.any(Number) });

    // Lost: called back about `processing` only; the tick's polls find it finished.
    const lost = await upstreamTask([{ status: "processing" }, { status: "succeed" }], { action: "images", action2: "generations" });
    await register({ task_id: lost.id, action: "images", action2: "generations", callback_url: (await receiver()).url });
    await callBack("cometapi", legacyBody(lost.id, "processing"));
    const clock = manualClock();
    clock.advance(60_000);
    await tick(clock);
    clock.advance(600_000);
    await tick(clock);
    expect(await lost.polls()).toBe(2);
    expect(await taskRow(lost.id)).toMatchObject({ task_status: "succeed", final_pushed_at: null });

    // Never called back: polled as usual, and not a pushed task at all.
    const polled = await upstreamTask([{ status: "succeed" }], { action2: "image2video" });
    await register({ task_id: polled.id, action2: "image2video", callback_url: (await receiver()).url });
    clock.advance(60_000);
    await tick(clock);
    expect(await taskRow(polled.id)).toMatchObject({ task_status: "succeed" });

    expect(await tallies()).toEqual([
      { provider: "cometapi", action: "images", action2: "generations", finished: 1, lost: 1 },
      { provider: "cometapi", action: "videos", action2: "text2video", finished: 1, lost: 0 },
    ]);
  });

  it("counts a verified callback taken as the state as called back, under its own provider", async () => {
    const task = await upstreamTask([{ status: "processing" }], { dialect: "kling-legacy" });
    await register({ provider: "kling", task_id: task.id, callback_url: (await receiver()).url }, SIGNED);
    const body = JSON.stringify(legacyBody(task.id, "succeed"));
    const id = unique("msg");
    const at = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(KLING_SECRET).sign(id, at, body),
    };
    expect((await callBack("kling", body, SIGNED, headers)).status).toBe(200);
    expect(await task.polls()).toBe(0);
    expect(await tallies()).toEqual([{ provider: "kling", action: "videos", action2: "text2video", finished: 1, lost: 0 }]);
  });

  it("halves a provider and kind's counts once they pass 200 finishes, so recent finishes weigh", async () => {
    await env.DB.prepare("INSERT INTO push_stats VALUES ('cometapi', 'videos', 'text2video', 200, 20, 0)").run();
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await callBack("cometapi", legacyBody(task.id, "succeed"));
    expect(await tallies()).toEqual([{ provider: "cometapi", action: "videos", action2: "text2video", finished: 100.5, lost: 10 }]);
  });
});

describe("push stats: the safety polls of a pushed task", () => {
  beforeEach(resetDb);

  /** Registers a running task, called back about `processing`, and lets a tick poll it a minute on: its row after. */
  async function pushedAndPolled(): Promise<Record<string, any>> {
    const task = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await callBack("cometapi", legacyBody(task.id, "processing"));
    const clock = manualClock();
    clock.advance(60_000);
    await tick(clock);
    expect(await task.polls()).toBe(1);
    return (await taskRow(task.id))!;
  }

  it("keeps the safety net when the provider's callbacks of that kind arrive", async () => {
    await env.DB.prepare("INSERT INTO push_stats VALUES ('cometapi', 'videos', 'text2video', 100, 0, 0)").run();
    const row = await pushedAndPolled();
    expect(row.next_poll_at - row.last_polled_at).toBeGreaterThanOrEqual(300_000);
  });

  it("polls at the kind's next lost-callback check when the provider loses a tenth of them", async () => {
    await env.DB.prepare("INSERT INTO push_stats VALUES ('cometapi', 'videos', 'text2video', 100, 10, 0)").run();
    const row = await pushedAndPolled();
    // Nothing learned of the durations yet: the checks of the videos prior, the first at its median (≈ 99 s).
    const [first] = lostCallbackChecks("videos", undefined, { finished: 100, lost: 10 });
    expect(row.next_poll_at - row.upstream_created_at).toBe(first);
    expect(row.next_poll_at - row.last_polled_at).toBeLessThan(300_000);
  });
});

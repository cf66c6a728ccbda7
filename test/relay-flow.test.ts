import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { manualClock, receiver, register, resetDb, subscriptionView, taskView, tick, upstreamTask } from "./support/relay";

const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";

describe("the whole loop", () => {
  beforeEach(resetDb);

  it("polls a registered task until it succeeds and delivers one signed webhook", async () => {
    const task = await upstreamTask([
      { status: "submitted" },
      { status: "processing" },
      { status: "succeed", result: { videos: [{ id: "v1", url: "https://cdn.example/v1.mp4", duration: "5.1" }] } },
    ]);
    const hook = await receiver();
    const { status, body: sub } = await register({ task_id: task.id, callback_url: hook.url, metadata: { user: 42 } });
    expect(status).toBe(201);
    expect(sub).toMatchObject({
      task_id: task.id,
      status: "active",
      task_status: null,
      events: ["task.succeeded", "task.failed", "task.expired"],
    });

    const clock = manualClock();
    for (let i = 0; i < 3; i++) {
      await tick(clock);
      clock.advance(61_000);
    }
    expect(await task.polls()).toBe(3);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    const payload = new Webhook(SECRET).verify(delivery!.body, delivery!.headers) as Record<string, any>;
    expect(payload).toMatchObject({
      type: "task.succeeded",
      subscription_id: sub.id,
      task_id: task.id,
      metadata: { user: 42 },
      reason: null,
      data: {
        task_id: task.id,
        task_status: "succeed",
        task_result: { videos: [{ id: "v1", url: "https://cdn.example/v1.mp4", duration: "5.1" }] },
      },
    });
    expect(delivery!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(delivery!.headers["user-agent"]).toMatch(/^kling-webhook-relay\//);

    const after = await subscriptionView(sub.id);
    expect(after.status).toBe("delivered");
    expect(after.deliveries[0]).toMatchObject({
      event_type: "task.succeeded",
      status: "delivered",
      webhook_id: delivery!.headers["webhook-id"],
    });
    const view = await taskView(task.id);
    expect(view).toMatchObject({ task_status: "succeed", polls: 3, next_poll_at: null });
    expect(env.DB).toBeDefined();
  });
});

describe("numbers on the way through", () => {
  beforeEach(resetDb);

  it("delivers metadata and upstream data with every number exactly as it was sent", async () => {
    const data =
      '{"task_id":"T","task_status":"succeed","task_result":{"videos":[{"id":123456789012345678901234567890,"url":"https://cdn.example/v.mp4","duration":"5"}]},"final_unit_deduction":0.1000000000000000000001,"created_at":1777385361501}';
    const task = await upstreamTask([{ http: 200, body: `{"code":0,"message":"SUCCEED","data":${data}}` }]);
    const hook = await receiver();
    const body = `{"task_id":"${task.id}","action":"videos","action2":"text2video","callback_url":"${hook.url}","metadata":{"user":12345678901234567890123,"f":1e400}}`;
    const { api } = await import("./support/relay");
    const res = await api("/v1/tasks", { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(201);
    await tick(manualClock());
    const [delivery] = await hook.deliveries();
    expect(delivery!.body).toContain('"metadata":{"user":12345678901234567890123,"f":1e400}');
    expect(delivery!.body).toContain(`"data":${data}`);
  });

  it("refuses metadata past 4 KiB as stored, and a body that repeats a key inside metadata", async () => {
    const hook = await receiver();
    const { api } = await import("./support/relay");
    const post = (metadata: string) =>
      api("/v1/tasks", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"task_id":"num-1","action":"videos","action2":"text2video","callback_url":"${hook.url}","metadata":${metadata}}`,
      });
    // 1e400 is 5 bytes as stored; JSON.stringify would have measured it as "null".
    const tooBig = `{"n":[${Array.from({ length: 700 }, () => "1e400").join(",")}]}`;
    const big = await post(tooBig);
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ error: { code: "invalid_request", details: [{ field: "metadata" }] } });
    const repeated = await post('{"a":1,"a":2}');
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toMatchObject({ error: { code: "invalid_request", message: "invalid request: the body repeats a key" } });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first("n")).toBe(0);
  });
});

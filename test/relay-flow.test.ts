import { Webhook } from "standardwebhooks";
import { env } from "cloudflare:workers";
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
    expect(sub).toMatchObject({ task_id: task.id, status: "active", task_status: null, events: ["task.succeeded", "task.failed", "task.expired"] });

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
      data: { task_id: task.id, task_status: "succeed", task_result: { videos: [{ id: "v1", url: "https://cdn.example/v1.mp4", duration: "5.1" }] } },
    });
    expect(delivery!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(delivery!.headers["user-agent"]).toMatch(/^kling-webhook-relay\//);

    const after = await subscriptionView(sub.id);
    expect(after.status).toBe("delivered");
    expect(after.deliveries[0]).toMatchObject({ event_type: "task.succeeded", status: "delivered", webhook_id: delivery!.headers["webhook-id"] });
    const view = await taskView(task.id);
    expect(view).toMatchObject({ task_status: "succeed", polls: 3, next_poll_at: null });
    expect(env.DB).toBeDefined();
  });
});

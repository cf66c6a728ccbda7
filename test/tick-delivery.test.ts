import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import type { ReceiverStep } from "../tools/fake-protocol";
import { api, manualClock, receiver, register, resetDb, subscriptionView, taskView, tick, upstreamTask } from "./support/relay";

const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";

/** A finished task with one subscriber whose receiver answers `steps`. */
async function finishedTaskFor(steps: ReceiverStep[], events?: string[]) {
  const task = await upstreamTask([{ status: "succeed", result: { images: [{ index: 0, url: "https://cdn.example/a.png" }] } }], {
    action: "images",
    action2: "generations",
  });
  const hook = await receiver(steps);
  const sub = (await register({ task_id: task.id, action: "images", action2: "generations", callback_url: hook.url, events })).body;
  return { task, hook, sub, clock: manualClock() };
}

const messageRow = (subId: string) =>
  env.DB.prepare("SELECT status, attempts, schedule_step, next_attempt_at FROM messages WHERE subscription_id = ?")
    .bind(subId)
    .first<Record<string, any>>();

describe("delivery", () => {
  beforeEach(resetDb);

  it("retries on the schedule with the same webhook-id and body, recording every attempt", async () => {
    const { hook, sub, clock } = await finishedTaskFor([{ status: 500 }, { status: 503 }, { status: 200 }]);
    await tick(clock);
    let row = await messageRow(sub.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row!.next_attempt_at - clock.now()).toBe(5_000);
    clock.advance(4_000);
    expect((await tick(clock)).delivered + (await tick(clock)).retried).toBe(0);
    clock.advance(1_000);
    await tick(clock);
    row = await messageRow(sub.id);
    expect(row!.next_attempt_at - clock.now()).toBe(300_000);
    clock.advance(300_000);
    await tick(clock);

    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((d) => d.headers["webhook-id"])).size).toBe(1);
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    for (const d of deliveries) expect(() => new Webhook(SECRET).verify(d.body, d.headers)).not.toThrow();
    const view = await subscriptionView(sub.id);
    expect(view.status).toBe("delivered");
    expect(view.deliveries[0].attempts.map((a: any) => a.status_code)).toEqual([500, 503, 200]);
    expect(view.deliveries[0].attempts.every((a: any) => typeof a.duration_ms === "number" && a.attempted_at)).toBe(true);
  });

  it("fails the subscription at once on 410 and stops its other messages", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    const hook = await receiver([{ status: 410 }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] })).body;
    const clock = manualClock();
    await tick(clock);
    clock.advance(3_600_000);
    await tick(clock);
    const view = await subscriptionView(sub.id);
    expect(view).toMatchObject({ status: "failed", status_reason: "gone" });
    expect(await hook.deliveries()).toHaveLength(1);
    // Nobody else waits for the task: it is no longer polled.
    expect(await task.polls()).toBe(1);
    expect((await taskView(task.id)).next_poll_at).toBeNull();
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    const elsewhere = await receiver();
    const { hook, sub, clock } = await finishedTaskFor([{ status: 302, headers: { location: elsewhere.url } }]);
    await tick(clock);
    expect(await hook.deliveries()).toHaveLength(1);
    expect(await elsewhere.deliveries()).toHaveLength(0);
    const view = await subscriptionView(sub.id);
    expect(view.deliveries[0].attempts[0]).toMatchObject({ status_code: 302, error: "http_302 (redirects are not followed)" });
    expect(view.status).toBe("active");
  });

  it("times out a slow receiver and retries", async () => {
    const { sub, clock } = await finishedTaskFor([{ status: 200, delayMs: 1_500 }, { status: 200 }]);
    await tick(clock, { DELIVERY_TIMEOUT_SECONDS: "0.2" });
    const view = await subscriptionView(sub.id);
    expect(view.deliveries[0].attempts[0]).toMatchObject({ status_code: null, error: "timeout" });
    expect(view.deliveries[0].status).toBe("pending");
  });

  it("honours a receiver's Retry-After on 429 when longer than the schedule", async () => {
    const { sub, clock } = await finishedTaskFor([{ status: 429, headers: { "retry-after": "90" } }]);
    await tick(clock);
    expect((await messageRow(sub.id))!.next_attempt_at - clock.now()).toBe(90_000);
  });

  it("fails after the last retry, then redelivers the same message on request", async () => {
    const { hook, sub, clock } = await finishedTaskFor([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 204 }]);
    const overrides = { DELIVERY_RETRY_SCHEDULE: "1,1" };
    for (let i = 0; i < 4; i++) {
      await tick(clock, overrides);
      clock.advance(2_000);
    }
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "failed", status_reason: "retries_exhausted" });
    expect(await hook.deliveries()).toHaveLength(3);

    const res = await api(`/v1/subscriptions/${sub.id}/redeliver`, { method: "POST" });
    expect(res.status).toBe(202);
    expect((await res.json()) as any).toMatchObject({ status: "active" });
    await tick(clock, overrides);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(4);
    expect(deliveries[3]!.headers["webhook-id"]).toBe(deliveries[0]!.headers["webhook-id"]);
    const view = await subscriptionView(sub.id);
    expect(view.status).toBe("delivered");
    expect(view.deliveries[0].attempts).toHaveLength(4);
  });

  it("refuses at send time a stored URL that no longer passes the address checks", async () => {
    const { hook, sub, clock } = await finishedTaskFor([]);
    await tick(clock, { ALLOW_INSECURE_CALLBACKS: "false" });
    expect(await hook.deliveries()).toHaveLength(0);
    expect(await subscriptionView(sub.id)).toMatchObject({ status: "failed", status_reason: "callback_url_rejected" });
  });

  it("deletes finished tasks with their subscriptions and deliveries after RETENTION_DAYS", async () => {
    const { task, sub, clock } = await finishedTaskFor([]);
    await tick(clock);
    expect((await subscriptionView(sub.id)).status).toBe("delivered");
    const hourRows = async () => (await env.DB.prepare("SELECT count(*) AS n FROM activity_hourly").first<{ n: number }>())!.n;
    expect(await hourRows()).toBeGreaterThan(0);
    clock.advance(6 * 86_400_000);
    expect((await tick(clock)).purged).toBe(0);
    clock.advance(2 * 86_400_000);
    expect((await tick(clock)).purged).toBe(1);
    expect((await api(`/v1/tasks/${task.id}`)).status).toBe(404);
    const counts = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM subscriptions) AS s, (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM delivery_attempts) AS a, (SELECT count(*) FROM message_attempts) AS v",
    ).first();
    expect(counts).toEqual({ s: 0, m: 0, a: 0, v: 0 });
    // The dashboard's hourly counters of that time are gone too.
    const oldest = await env.DB.prepare("SELECT min(hour) AS h FROM activity_hourly").first<{ h: number | null }>();
    expect(oldest?.h ?? Infinity).toBeGreaterThanOrEqual(Math.floor((clock.now() - 7 * 86_400_000) / 3_600_000));
    expect(await hourRows()).toBeLessThanOrEqual(2);
  });

  it("counts a task's retention from when it settled, however long before that it was registered", async () => {
    // Retention walks tasks oldest registered first (tasks_created, migration 0019): being old is
    // not enough, the task must have settled RETENTION_DAYS ago.
    const early = await finishedTaskFor([]);
    const late = await finishedTaskFor([]);
    const clock = early.clock;
    await tick(clock);
    // The late one was registered after the clock was made: due a moment later.
    clock.advance(60_000);
    await tick(clock);
    expect((await subscriptionView(early.sub.id)).status).toBe("delivered");
    expect((await subscriptionView(late.sub.id)).status).toBe("delivered");
    const day = 86_400_000;
    const now = clock.now();
    // Both registered 30 days ago, their subscriptions last changed 8 days ago; the early one
    // settled 8 days ago, the late one just now: only when each settled tells them apart.
    await env.DB.batch([
      env.DB.prepare("UPDATE tasks SET created_at = ? WHERE task_id IN (?, ?)").bind(now - 30 * day, early.task.id, late.task.id),
      env.DB.prepare("UPDATE tasks SET settled_at = ? WHERE task_id = ?").bind(now - 8 * day, early.task.id),
      env.DB.prepare("UPDATE subscriptions SET created_at = ?, updated_at = ? WHERE id IN (?, ?)").bind(
        now - 30 * day,
        now - 8 * day,
        early.sub.id,
        late.sub.id,
      ),
    ]);
    expect((await tick(clock)).purged).toBe(1);
    expect((await api(`/v1/tasks/${early.task.id}`)).status).toBe(404);
    expect((await api(`/v1/tasks/${late.task.id}`)).status).toBe(200);
  });
});

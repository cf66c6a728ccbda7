/**
 * A webhook delivered at its first attempt, soon after it was created, keeps that attempt in its
 * message's row (`messages.first_attempt`, migration 0018) instead of a `delivery_attempts` row:
 * 3 rows written less for most webhooks. Every reader still lists it, in order, with the logged
 * attempts: the attempts API, a subscription's deliveries, the dashboard's task page and the
 * `message_attempts` view.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { FIRST_ATTEMPT_INLINE_MS } from "../src/storage/first-attempt";
import { logIn, page } from "./support/dashboard";
import { api, manualClock, receiver, register, registerFinished, resetDb, subscriptionView, tick, upstreamTask } from "./support/relay";

const attemptsOf = async (messageId: string) => (await (await api(`/v1/messages/${messageId}/attempts`)).json()) as { data: any[] };
const logged = async () => (await env.DB.prepare("SELECT count(*) AS n FROM delivery_attempts").first<{ n: number }>())!.n;
const viewed = async () =>
  (await env.DB.prepare("SELECT message_id, seq, status_code FROM message_attempts ORDER BY message_id, seq").all()).results;

/** The one message of subscription `id`. */
const messageOf = async (id: string) =>
  (await env.DB.prepare("SELECT id, attempts, first_attempt FROM messages WHERE subscription_id = ?").bind(id).first<{
    id: string;
    attempts: number;
    first_attempt: string | null;
  }>())!;

/** A task upstream says succeeded, registered for a receiver answering `steps`; a manual clock. */
async function finishedTask(steps: Parameters<typeof receiver>[0]) {
  const hook = await receiver(steps);
  const task = await upstreamTask([{ status: "succeed" }]);
  const { body: sub } = await register({ task_id: task.id, callback_url: hook.url });
  return { task, sub, clock: manualClock() };
}

describe("a webhook's first attempt", () => {
  beforeEach(resetDb);

  it("that delivers it is kept in its message: no attempt row, listed everywhere as before", async () => {
    const { task, sub, clock } = await finishedTask([{ status: 200, body: "thanks" }]);
    expect(await tick(clock)).toMatchObject({ delivered: 1 });
    expect(await logged()).toBe(0);
    const message = await messageOf(sub.id);
    expect(message.attempts).toBe(1);
    expect(JSON.parse(message.first_attempt!)).toEqual({
      attempted_at: clock.now(),
      status_code: 200,
      duration_ms: expect.any(Number),
      response_body: "thanks",
    });
    expect((await attemptsOf(message.id)).data).toEqual([
      expect.objectContaining({
        attempted_at: new Date(clock.now()).toISOString(),
        status_code: 200,
        error: null,
        response_body: "thanks",
      }),
    ]);
    const view = await subscriptionView(sub.id);
    expect(view.deliveries).toEqual([
      expect.objectContaining({
        status: "delivered",
        attempt_count: 1,
        attempts: [expect.objectContaining({ status_code: 200, error: null })],
      }),
    ]);
    const detail = await (await page(`/dashboard/tasks/${task.id}`, {}, await logIn())).text();
    expect(detail).toMatch(/data-attempt="1"[\s\S]*?HTTP 200/);
    expect(await viewed()).toEqual([{ message_id: message.id, seq: 0, status_code: 200 }]);
  });

  it("that fails is logged, and so is the retry that delivers, listed in the order they were made", async () => {
    const { sub, clock } = await finishedTask([{ status: 500 }, { status: 200 }]);
    await tick(clock);
    clock.advance(61_000);
    await tick(clock);
    const message = await messageOf(sub.id);
    expect(message).toMatchObject({ attempts: 2, first_attempt: null });
    expect(await logged()).toBe(2);
    expect((await attemptsOf(message.id)).data.map((a) => a.status_code)).toEqual([500, 200]);
  });

  it("made later than FIRST_ATTEMPT_INLINE_MS after its message was created is logged", async () => {
    const hook = await receiver();
    const subs = await registerFinished(4, hook.url);
    const clock = manualClock();
    // 5 subrequests: 4 polls and 1 webhook; the 3 others are handed back, due at once.
    expect(await tick(clock, { SUBREQUEST_BUDGET: "5" })).toMatchObject({ polled: 4, delivered: 1 });
    clock.advance(FIRST_ATTEMPT_INLINE_MS + 1);
    expect(await tick(clock)).toMatchObject({ delivered: 3 });
    const messages = await Promise.all(subs.map(messageOf));
    expect(messages.filter((m) => m.first_attempt !== null)).toHaveLength(1);
    expect(await logged()).toBe(3);
    for (const m of messages) expect((await attemptsOf(m.id)).data.map((a) => a.status_code)).toEqual([200]);
  });

  it("kept in the message stays first when the webhook is redelivered, the new attempt logged after it", async () => {
    const { sub, clock } = await finishedTask([{ status: 200 }, { status: 202 }]);
    await tick(clock);
    expect((await api(`/v1/subscriptions/${sub.id}/redeliver`, { method: "POST" })).status).toBe(202);
    clock.advance(1_000);
    await tick(clock);
    const message = await messageOf(sub.id);
    expect(message.attempts).toBe(2);
    expect(JSON.parse(message.first_attempt!)).toMatchObject({ status_code: 200 });
    expect((await attemptsOf(message.id)).data.map((a) => a.status_code)).toEqual([200, 202]);
    expect((await viewed()).map((a) => a.status_code)).toEqual([200, 202]);
  });
});

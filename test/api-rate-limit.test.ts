import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { resetDb, tenantWithKey, unique } from "./support/relay";

const body = (taskId: string) =>
  JSON.stringify({ task_id: taskId, action: "images", action2: "generations", callback_url: "https://example.com/hook" });

function registerAs(key: string, envOverrides: Record<string, unknown>, taskId = unique("task")) {
  const request = new Request("http://relay.test/v1/tasks", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body(taskId),
  });
  return app.fetch(request, { ...env, ...envOverrides });
}

describe("registration rate limit", () => {
  beforeEach(resetDb);

  it("answers 429 with Retry-After past the REGISTRATION_LIMITER binding's limit, and creates nothing", async () => {
    // wrangler.toml allows 6000 a minute per key, each batch item counting as one: a fresh key
    // spends them on 60 batches of 100 items (invalid ones count too, and cost no writes). That is
    // 6,000+ binding calls through the whole app, seconds of CPU on a busy machine: hence the
    // test's own timeout; the loop itself stops at 130 batches.
    const { key } = await tenantWithKey(unique("tenant"), "limited");
    const items = JSON.stringify({ tasks: Array.from({ length: 100 }, () => ({})) });
    const sendBatch = () =>
      app.fetch(
        new Request("http://relay.test/v1/tasks/batch", {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: items,
        }),
        env,
      );
    let accepted = 0;
    let batchRefused: Response | undefined;
    for (let i = 0; i < 130 && !batchRefused; i++) {
      const res = await sendBatch();
      if (res.status === 429) batchRefused = res;
      else {
        expect(res.status).toBe(200);
        accepted += 1;
      }
    }
    // Refused once 6000 items fell in one window: after 60 batches, or up to 119 if a window ended meanwhile.
    expect(batchRefused?.headers.get("retry-after")).toBe("60");
    expect(accepted).toBeGreaterThanOrEqual(60);
    expect(accepted).toBeLessThan(120);
    const refused = await registerAs(key, {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.json()).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("too many registrations") } });
    const count = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(count?.n).toBe(0);
    // Another key has its own count.
    expect((await registerAs("relay-test-key-two-0123456789", {})).status).toBe(201);
  }, 60_000);

  it("without the binding, caps registrations per key in this isolate (REGISTRATION_RATE_LIMIT a minute)", async () => {
    const fallback = { REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "3" };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await registerAs("relay-test-key-one-0123456789", fallback)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await registerAs("relay-test-key-one-0123456789", fallback);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another key has its own window.
    expect((await registerAs("relay-test-key-two-0123456789", fallback)).status).toBe(201);
  });

  it("never limits reads", async () => {
    const fallback = { REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "1" };
    for (let i = 0; i < 5; i++) {
      const res = await app.fetch(
        new Request("http://relay.test/v1/tasks/nope", { headers: { authorization: "Bearer relay-test-key-one-0123456789" } }),
        {
          ...env,
          ...fallback,
        },
      );
      expect(res.status).toBe(404);
    }
  });
});

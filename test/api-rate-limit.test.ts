import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/http/app";
import { resetDb, unique } from "./support/relay";

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
    let accepted = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 130 && !refused; i++) {
      const res = await registerAs("relay-test-key-two-0123456789", {});
      if (res.status === 429) refused = res;
      else accepted += 1;
    }
    expect(refused).toBeDefined();
    // wrangler.toml allows 120 a minute; other suites may share the local limiter's counters.
    expect(accepted).toBeGreaterThan(90);
    expect(accepted).toBeLessThanOrEqual(120);
    expect(refused!.headers.get("retry-after")).toBe("60");
    expect(await refused!.json()).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("too many registrations") } });
    const count = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(count?.n).toBe(accepted);
  });

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

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { type FaultPlan, faultyD1 } from "./support/faulty-d1";
import { receiver, resetDb } from "./support/relay";

const KEY = "relay-test-key-one-0123456789";

/** One API request through the app, its D1 failing as `plan` says. */
async function call(path: string, init: RequestInit, plan: FaultPlan | null) {
  const faults = plan ? faultyD1(env.DB, plan) : null;
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${KEY}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await app.fetch(new Request(`http://relay.test${path}`, { ...init, headers }), {
    ...env,
    ...(faults ? { DB: faults.db } : {}),
    REGISTRATION_LIMITER: undefined,
    REGISTRATION_RATE_LIMIT: "1000000",
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: text ? JSON.parse(text) : null, log: faults?.log };
}

const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;

describe("the API when D1 fails", () => {
  beforeEach(resetDb);

  it("answers 503 storage_unavailable with Retry-After on every route, never 500, and writes nothing when D1 fails before running", async () => {
    const hook = await receiver();
    const registration = { task_id: "t-1", action: "videos", action2: "text2video", callback_url: hook.url };
    const routes: [string, RequestInit][] = [
      ["/v1/tasks", { method: "POST", body: JSON.stringify(registration) }],
      ["/v1/tasks/batch", { method: "POST", body: JSON.stringify({ tasks: [registration] }) }],
      ["/v1/tasks/t-1", {}],
      ["/v1/subscriptions/sub_000000000000000000000000", {}],
      ["/v1/endpoints", {}],
      ["/v1/audit", {}],
      ["/v1/messages", {}],
      ["/v1/operations-endpoint", {}],
    ];
    for (const [path, init] of routes) {
      const res = await call(path, init, { rate: 1, kinds: ["before"] });
      expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(503);
      expect(res.body.error.code).toBe("storage_unavailable");
      expect(res.body.error.message).toMatch(/retry/i);
      expect(res.retryAfter).toBe("2");
      // The client's message never carries D1's own words.
      expect(JSON.stringify(res.body)).not.toMatch(/D1_ERROR|Network connection/);
    }
    expect([await count("tasks"), await count("subscriptions"), await count("endpoints")]).toEqual([0, 0, 0]);
  });

  it("makes the client's retry safe whichever round trip of a registration fails after committing: one task, one subscription, the same id", async () => {
    const hook = await receiver();
    for (let n = 0; n < 8; n++) {
      const registration = { task_id: `amb-${n}`, action: "videos", action2: "text2video", callback_url: hook.url };
      const first = await call("/v1/tasks", { method: "POST", body: JSON.stringify(registration) }, { rate: 0, kinds: ["after"], at: [n] });
      expect([201, 503], `round trip ${n}`).toContain(first.status);
      const retry = await call("/v1/tasks", { method: "POST", body: JSON.stringify(registration) }, null);
      expect([200, 201], `round trip ${n}: the retry`).toContain(retry.status);
      if (first.status === 201) expect(retry.body.id).toBe(first.body.id);
      const rows = await env.DB.prepare(
        "SELECT (SELECT count(*) FROM tasks WHERE task_id = ?1) AS tasks, (SELECT count(*) FROM subscriptions s JOIN tasks t ON t.id = s.task_key WHERE t.task_id = ?1) AS subs",
      )
        .bind(registration.task_id)
        .first();
      expect(rows, `round trip ${n}`).toEqual({ tasks: 1, subs: 1 });
    }
  });

  it("never answers 500 under random faults of both kinds: each answer is the normal one or 503 storage_unavailable", async () => {
    const hook = await receiver();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const registration = { task_id: `rnd-${i % 20}`, action: "videos", action2: "text2video", callback_url: hook.url };
      const plan: FaultPlan = { rate: 0.2, kinds: ["before", "after"], seed: i };
      const read = i % 3 === 0;
      const res = read
        ? await call(`/v1/tasks/${registration.task_id}`, {}, plan)
        : await call("/v1/tasks", { method: "POST", body: JSON.stringify(registration) }, plan);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 503) expect(res.body.error.code).toBe("storage_unavailable");
      // A task not registered yet is not found, as without faults.
      else expect(read ? [200, 404] : [200, 201], JSON.stringify(res.body)).toContain(res.status);
    }
    expect(statuses.get(503)).toBeGreaterThan(0);
    // However the faults fell, each task id is one task with one subscription.
    const dupes = await env.DB.prepare("SELECT task_id, count(*) AS n FROM tasks GROUP BY task_id HAVING n > 1").all();
    expect(dupes.results).toEqual([]);
  });
});

/** Bearer authentication of every /v1 route, the open health check and the 404 for unknown routes. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { api, resetDb, unique } from "./support/relay";

const KEYS = ["relay-test-key-one-0123456789", "relay-test-key-two-0123456789"] as const;

/** Every /v1 route, with the status it answers an authenticated caller (ids unknown, body valid). */
const ROUTES: ReadonlyArray<{ method: string; path: string; body?: () => string; authorized: number }> = [
  {
    method: "POST",
    path: "/v1/tasks",
    body: () =>
      JSON.stringify({ task_id: unique("task"), action: "videos", action2: "text2video", callback_url: "https://hooks.example.com/kling" }),
    authorized: 201,
  },
  { method: "GET", path: "/v1/tasks/x", authorized: 404 },
  { method: "GET", path: "/v1/tasks/x/outputs", authorized: 404 },
  { method: "GET", path: "/v1/subscriptions/x", authorized: 404 },
  { method: "DELETE", path: "/v1/subscriptions/x", authorized: 404 },
  { method: "POST", path: "/v1/subscriptions/x/redeliver", authorized: 404 },
];

/** `Authorization` values that must be refused; `null` sends no header at all. */
const REFUSED: ReadonlyArray<readonly [string, string | null]> = [
  ["no header", null],
  ["Bearer with no key", "Bearer"],
  ["Bearer and blanks", "Bearer    "],
  ["Basic with user:password", `Basic ${btoa("relay-test-key-one-0123456789:")}`],
  ["Basic with a raw key", "Basic relay-test-key-one-0123456789"],
  ["a bare key without a scheme", "relay-test-key-one-0123456789"],
  ["another scheme", "Token relay-test-key-one-0123456789"],
  ["no space after Bearer", "Bearerrelay-test-key-one-0123456789"],
  ["a wrong key", "Bearer not-a-key"],
  ["a valid key plus a suffix", "Bearer relay-test-key-one-0123456789x"],
  ["a valid key plus a prefix", "Bearer xrelay-test-key-two-0123456789"],
  ["a prefix of a valid key", "Bearer relay-test-key-"],
  ["a suffix of a valid key", "Bearer est-key-2"],
  ["a valid key in another case", "Bearer TEST-KEY-1"],
  ["the whole configured list", "Bearer relay-test-key-one-0123456789,relay-test-key-two-0123456789"],
  ["two keys separated by a space", "Bearer relay-test-key-one-0123456789 relay-test-key-two-0123456789"],
];

const ACCEPTED: ReadonlyArray<readonly [string, string]> = [
  ["the first key", "Bearer relay-test-key-one-0123456789"],
  ["the second key", "Bearer relay-test-key-two-0123456789"],
  ["a lower-case scheme", "bearer relay-test-key-two-0123456789"],
];

/**
 * The guessing limit has its own tests (auth-guessing.test.ts): here it must not hide the 401s.
 * This matrix sends dozens of wrong keys from one address, many with the right keys' prefix
 * (`relay-test-`), which the limit would rightly block, the right keys too.
 */
const unlimitedEnv = { ...env, AUTH_FAILURE_LIMITER: undefined, AUTH_FAILURE_LIMIT: "1000000" };

async function fetchUnlimited(path: string, init: RequestInit): Promise<Response> {
  return app.fetch(new Request(`http://relay.test${path}`, init), unlimitedEnv);
}

function send(route: (typeof ROUTES)[number], authorization: string | null): Promise<Response> {
  const headers: Record<string, string> = route.body ? { "content-type": "application/json" } : {};
  if (authorization !== null) headers.authorization = authorization;
  return fetchUnlimited(route.path, { method: route.method, headers, body: route.body?.() });
}

async function expectEnvelope(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: Record<string, unknown> };
  expect(body.error).toMatchObject({ code, message: expect.stringMatching(/\S/) });
  return text;
}

async function countRows(): Promise<{ tasks: number; subscriptions: number }> {
  const row = await env.DB.prepare(
    "SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM subscriptions) AS subscriptions",
  ).first<{ tasks: number; subscriptions: number }>();
  return { tasks: row?.tasks ?? -1, subscriptions: row?.subscriptions ?? -1 };
}

describe("bearer authentication on /v1", () => {
  beforeEach(resetDb);

  describe.each(ROUTES)("$method $path", (route) => {
    it.each(REFUSED)("answers 401 for %s", async (_name, authorization) => {
      const text = await expectEnvelope(await send(route, authorization), 401, "unauthorized");
      for (const key of KEYS) expect(text).not.toContain(key);
      expect(await countRows()).toEqual({ tasks: 0, subscriptions: 0 });
    });

    it.each(ACCEPTED)("lets %s through", async (_name, authorization) => {
      const res = await send(route, authorization);
      expect(res.status, await res.clone().text()).toBe(route.authorized);
    });
  });

  it("never echoes a configured key in the 401's headers or body", async () => {
    for (const authorization of [
      "Bearer relay-test-key-one-0123456789x",
      "Basic relay-test-key-two-0123456789",
      "Bearer relay-test-key-one-0123456789,relay-test-key-two-0123456789",
    ]) {
      const res = await fetchUnlimited("/v1/tasks/x", { headers: { authorization } });
      expect(res.status).toBe(401);
      const exposed = [...res.headers].map(([name, value]) => `${name}: ${value}`).join("\n") + (await res.text());
      for (const key of KEYS) expect(exposed).not.toContain(key);
    }
  });

  it("accepts a registration with each key and stores it", async () => {
    for (const key of KEYS) {
      const res = await send(ROUTES[0]!, `Bearer ${key}`);
      expect(res.status).toBe(201);
    }
    expect(await countRows()).toEqual({ tasks: 2, subscriptions: 2 });
  });
});

describe("open and unknown routes", () => {
  it("serves /healthz without any credentials", async () => {
    const res = await api("/healthz", {}, null);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, secrets_sealed: true });
  });

  it.each([
    ["GET", "/", null],
    ["GET", "/nope", null],
    ["POST", "/healthz/extra", null],
    ["GET", "/v1/nope", "relay-test-key-one-0123456789"],
    ["GET", "/v1/tasks", "relay-test-key-one-0123456789"],
    ["GET", "/v1/tasks/", "relay-test-key-one-0123456789"],
    ["GET", "/v1/subscriptions/x/deliveries", "relay-test-key-one-0123456789"],
  ] as const)("%s %s answers 404 in the envelope", async (method, path, key) => {
    await expectEnvelope(await api(path, { method }, key), 404, "not_found");
  });
});

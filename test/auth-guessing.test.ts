/**
 * The guessing limit (src/auth/guess-limit.ts): failed key checks on /v1, the admin API and the
 * dashboard login, per client address and per key prefix. Blocks live in this isolate's memory for
 * the whole file: every test uses addresses and key prefixes of its own.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import { newTenantKey } from "../src/auth/keys";
import { DEFAULT_TENANT } from "../src/domain/tenancy";
import { insertApiKey } from "../src/storage/api-keys";
import { openDb } from "../src/storage/db";
import { ORIGIN } from "./support/dashboard";
import { API_KEY, resetDb, unique } from "./support/relay";

/** The AUTH_FAILURE_LIMITER binding's limit in wrangler.toml (the test pool reads it). */
const BINDING_LIMIT = 20;
const ADMIN_KEY = "admin-test-key-0123456789abcdef";

let counter = 0;
/** An address no other test uses. */
const address = () => `198.51.100.${++counter}-${unique("ip")}`;
/** A wrong key with a prefix (its first 11 characters) of its own. */
const wrongKey = () => `${crypto.randomUUID().replaceAll("-", "")}`;

type Overrides = Record<string, unknown>;

/**
 * The local binding counts in windows aligned to the wall clock's minutes: a run of failures that
 * straddles one would start counting again. Waits out the last seconds of a minute.
 */
async function awayFromMinuteEdge() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
}

async function v1(key: string | null, ip: string | null, options: { path?: string; overrides?: Overrides } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (ip !== null) headers["cf-connecting-ip"] = ip;
  const request = new Request(`http://relay.test${options.path ?? "/v1/tasks/x"}`, { headers });
  // Through the real Worker (and wrangler.toml's AUTH_FAILURE_LIMITER) unless an env is given.
  return options.overrides ? app.fetch(request, { ...env, ...options.overrides }) : exports.default.fetch(request);
}

function login(key: string, ip: string): Promise<Response> {
  return exports.default.fetch(
    new Request(`${ORIGIN}/dashboard/login`, {
      method: "POST",
      redirect: "manual",
      headers: {
        accept: "text/html",
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
        "cf-connecting-ip": ip,
      },
      body: new URLSearchParams({ api_key: key }).toString(),
    }),
  );
}

async function expectRateLimited(res: Response, retryAfter?: string) {
  expect(res.status).toBe(429);
  const seconds = Number(res.headers.get("retry-after"));
  if (retryAfter) expect(res.headers.get("retry-after")).toBe(retryAfter);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(await res.json()).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("too many failed API key checks") } });
}

/** A tenant key of the `default` tenant, stored as the admin API stores one. */
async function tenantKey(): Promise<{ key: string; prefix: string }> {
  const made = await newTenantKey();
  await insertApiKey(openDb(env.DB), {
    id: unique("key"),
    tenantId: DEFAULT_TENANT,
    prefix: made.prefix,
    hash: made.hash,
    createdAt: Date.now(),
  });
  return made;
}

/** A stand-in for Cloudflare's binding: `limit` allowed calls per key, recording every call. */
function fakeLimiter(limit: number) {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const limiter: RateLimit = {
    async limit({ key }) {
      calls.push(key);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return { success: n <= limit };
    },
  };
  return { limiter, calls };
}

describe("guessing API keys on /v1 (AUTH_FAILURE_LIMITER from wrangler.toml)", () => {
  beforeEach(async () => {
    await resetDb();
    await awayFromMinuteEdge();
  });

  it("answers 429 past the limit of failures from one address, then refuses the right key from there too, not from elsewhere", async () => {
    const ip = address();
    const statuses: number[] = [];
    for (let i = 0; i < BINDING_LIMIT; i++) statuses.push((await v1(wrongKey(), ip)).status);
    expect(statuses).toEqual(Array(BINDING_LIMIT).fill(401));
    await expectRateLimited(await v1(wrongKey(), ip), "60");
    // The right key learns nothing: refused as well until the window ends.
    await expectRateLimited(await v1(API_KEY, ip));
    expect((await v1(API_KEY, address())).status).toBe(404);
  });

  it("answers 429 past the limit of failures with one key prefix from many addresses, the right key with that prefix too", async () => {
    const { key, prefix } = await tenantKey();
    const other = await tenantKey();
    const guess = () => `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;
    const statuses: number[] = [];
    for (let i = 0; i < BINDING_LIMIT; i++) statuses.push((await v1(guess(), address())).status);
    expect(statuses).toEqual(Array(BINDING_LIMIT).fill(401));
    await expectRateLimited(await v1(guess(), address()), "60");
    await expectRateLimited(await v1(key, address()));
    // Keys with another prefix go on working, from any address.
    expect((await v1(other.key, address())).status).toBe(404);
  });
});

describe("guessing the admin key", () => {
  beforeEach(async () => {
    await resetDb();
    await awayFromMinuteEdge();
  });
  const withAdmin = { ADMIN_API_KEY: ADMIN_KEY };

  it("limits failures on /v1/admin the same way, the admin key included", async () => {
    const ip = address();
    for (let i = 0; i < BINDING_LIMIT; i++)
      expect((await v1(wrongKey(), ip, { path: "/v1/admin/tenants", overrides: withAdmin })).status).toBe(401);
    await expectRateLimited(await v1(wrongKey(), ip, { path: "/v1/admin/tenants", overrides: withAdmin }));
    await expectRateLimited(await v1(ADMIN_KEY, ip, { path: "/v1/admin/tenants", overrides: withAdmin }));
    // From another address the admin key goes on to the route.
    const elsewhere = await v1(ADMIN_KEY, address(), { path: "/v1/admin/tenants", overrides: withAdmin });
    expect(elsewhere.status).toBe(200);
  });
});

describe("guessing through the dashboard login", () => {
  beforeEach(async () => {
    await resetDb();
    await awayFromMinuteEdge();
  });

  it("shows the login page with 429 and Retry-After past the limit, also for the right key, and sets no cookie", async () => {
    const ip = address();
    for (let i = 0; i < BINDING_LIMIT; i++) expect((await login(wrongKey(), ip)).status).toBe(401);
    for (const key of [wrongKey(), API_KEY]) {
      const res = await login(key, ip);
      expect(res.status).toBe(429);
      expect(res.headers.get("set-cookie")).toBeNull();
      const seconds = Number(res.headers.get("retry-after"));
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
      const html = await res.text();
      expect(html).toContain('data-page="login"');
      expect(html).toContain("Too many failed logins");
      expect(html).not.toContain(key);
    }
    // The same address is blocked on /v1 too: one limit, wherever keys are checked.
    await expectRateLimited(await v1(API_KEY, ip));
    const elsewhere = await login(API_KEY, address());
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get("set-cookie")).toMatch(/^__Host-relay_session=/);
  });
});

describe("with a rate limiting binding", () => {
  it("calls it only for failures, once per address and once per key prefix, and answers 429 when it says over", async () => {
    const { limiter, calls } = fakeLimiter(2);
    const overrides = { AUTH_FAILURE_LIMITER: limiter };
    const ip = address();
    expect((await v1(API_KEY, ip, { overrides })).status).toBe(404);
    expect((await v1(null, ip, { overrides })).status).toBe(401);
    expect(calls).toEqual([]);
    const keys = [wrongKey(), wrongKey(), wrongKey()];
    expect((await v1(keys[0]!, ip, { overrides })).status).toBe(401);
    expect(calls).toEqual([`ip:${ip}`, `prefix:${keys[0]!.slice(0, 11)}`]);
    expect((await v1(keys[1]!, ip, { overrides })).status).toBe(401);
    await expectRateLimited(await v1(keys[2]!, ip, { overrides }), "60");
    // Blocked in this isolate now: refused without checking the key, and without asking the binding.
    const asked = calls.length;
    await expectRateLimited(await v1(API_KEY, ip, { overrides }));
    await expectRateLimited(await v1(null, ip, { overrides }));
    expect(calls.length).toBe(asked);
    expect((await v1(API_KEY, address(), { overrides })).status).toBe(404);
  });

  it("blocks a prefix the binding says is over, for every address", async () => {
    const { limiter } = fakeLimiter(1);
    const overrides = { AUTH_FAILURE_LIMITER: limiter };
    const { key, prefix } = await tenantKey();
    expect((await v1(`${prefix}-first-guess-0000`, address(), { overrides })).status).toBe(401);
    await expectRateLimited(await v1(`${prefix}-second-guess-000`, address(), { overrides }));
    await expectRateLimited(await v1(key, address(), { overrides }));
  });
});

describe("without the binding (the per-isolate stand-in)", () => {
  const overrides = { AUTH_FAILURE_LIMITER: undefined, AUTH_FAILURE_LIMIT: "3" };

  it("counts AUTH_FAILURE_LIMIT failures a minute per address in this isolate, then refuses every key from there", async () => {
    const ip = address();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await v1(wrongKey(), ip, { overrides })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    await expectRateLimited(await v1(API_KEY, ip, { overrides }));
    expect((await v1(API_KEY, address(), { overrides })).status).toBe(404);
  });

  it("counts per key prefix across addresses", async () => {
    const { key, prefix } = await tenantKey();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await v1(`${prefix}guess-${i}-0000000000`, address(), { overrides })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    await expectRateLimited(await v1(key, address(), { overrides }));
  });

  it("does not count requests that present no key, and never counts the right key", async () => {
    const ip = address();
    for (let i = 0; i < 10; i++) expect((await v1(null, ip, { overrides })).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await v1(API_KEY, ip, { overrides })).status).toBe(404);
    expect((await v1(wrongKey(), ip, { overrides })).status).toBe(401);
  });

  it("counts requests without CF-Connecting-IP together, in one bucket", async () => {
    const overridesHere = { AUTH_FAILURE_LIMITER: undefined, AUTH_FAILURE_LIMIT: "2" };
    // A fresh env object: the stand-in's limit is read per env.
    expect((await v1(wrongKey(), null, { overrides: overridesHere })).status).toBe(401);
    expect((await v1(wrongKey(), null, { overrides: overridesHere })).status).toBe(401);
    await expectRateLimited(await v1(wrongKey(), null, { overrides: overridesHere }));
  });
});

describe("what a refused guess reveals", () => {
  const logged = vi.fn();
  beforeEach(() => {
    vi.spyOn(console, "warn").mockImplementation(logged);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    logged.mockReset();
  });

  it("never returns or logs the presented key or its prefix; the block is logged once with the address", async () => {
    const { limiter } = fakeLimiter(1);
    const overrides = { AUTH_FAILURE_LIMITER: limiter };
    const ip = address();
    const keys = [wrongKey(), wrongKey(), wrongKey()];
    const responses: Response[] = [];
    for (const key of keys) responses.push(await v1(key, ip, { overrides }));
    expect(responses.map((r) => r.status)).toEqual([401, 429, 429]);
    const exposed =
      (await Promise.all(responses.map(async (r) => [...r.headers].join("\n") + (await r.text())))).join("\n") +
      JSON.stringify(logged.mock.calls);
    for (const key of keys) expect(exposed).not.toContain(key.slice(0, 11));
    const events = logged.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(events.filter((e) => e.event === "auth_failures_blocked" && e.by === "address")).toEqual([
      { event: "auth_failures_blocked", by: "address", address: ip, seconds: 60 },
    ]);
  });
});

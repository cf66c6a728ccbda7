/**
 * Property-based fuzzing of every /v1 route: whatever comes in, the answer is a documented success
 * or a 4xx in the error envelope (never a 5xx, never a stack trace), and D1 holds only valid rows.
 */

import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { checkCallbackUrl } from "../src/domain/callback-url";
import { ACTION_PAIRS, EVENT_TYPES } from "../src/domain/kling";
import { faultyD1 } from "./support/faulty-d1";
import { resetDb } from "./support/relay";

const KEY = "relay-test-key-one-0123456789";
const ADMIN = "relay-test-admin-key-0123456789";
const ERROR_CODES = new Set([
  "invalid_request",
  "unauthorized",
  "not_found",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
]);

/** The rate limits have their own tests: here they must not hide what comes after them. */
const fuzzEnv = {
  ...env,
  REGISTRATION_LIMITER: undefined,
  REGISTRATION_RATE_LIMIT: "1000000",
  AUTH_FAILURE_LIMITER: undefined,
  AUTH_FAILURE_LIMIT: "1000000",
};

async function send(method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array, db?: D1Database) {
  const res = await app.fetch(
    new Request(`http://relay.test${path}`, { method, headers, body: method === "GET" || method === "DELETE" ? undefined : body }),
    db ? { ...fuzzEnv, DB: db } : fuzzEnv,
  );
  const text = await res.text();
  return { status: res.status, text };
}

/** The invariant every answer must hold (with D1 failing on purpose, 503 `storage_unavailable` too). */
function expectDocumented({ status, text }: { status: number; text: string }, storageFaults = false) {
  if (storageFaults && status === 503) {
    expect(JSON.parse(text)).toMatchObject({ error: { code: "storage_unavailable" } });
    return;
  }
  expect(status).toBeLessThan(500);
  expect(text).not.toMatch(/\bat \S+:\d+:\d+|Error:|stack/i);
  if (status >= 400) {
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(ERROR_CODES.has(body.error.code)).toBe(true);
    expect(typeof body.error.message).toBe("string");
  }
}

const pairs = Object.entries(ACTION_PAIRS).flatMap(([a, list]) => list.map((b) => [a, b] as const));
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "a/b", "../..", "%2e%2e", "sub_", "🚀", "x".repeat(200)),
);
/** Near-valid registrations with one field mutated: where the interesting bugs are. */
const registration = fc.record(
  {
    task_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), weirdString, jsonValue),
    action: fc.oneof(fc.constantFrom(...pairs.map((p) => p[0])), weirdString, jsonValue),
    action2: fc.oneof(fc.constantFrom(...pairs.map((p) => p[1])), weirdString, jsonValue),
    callback_url: fc.oneof(
      fc.constantFrom("https://example.com/hook", "http://127.0.0.1:9/x", "https://10.0.0.1/", "https://[::1]/", "javascript:alert(1)"),
      fc.webUrl(),
      weirdString,
      jsonValue,
    ),
    metadata: fc.oneof(fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 }), jsonValue, fc.constant(null)),
    events: fc.oneof(fc.subarray([...EVENT_TYPES]), fc.array(weirdString, { maxLength: 3 }), jsonValue),
    extra: jsonValue,
  },
  { requiredKeys: [] },
);
const deep = fc.integer({ min: 1, max: 3000 }).map((n) => "[".repeat(n) + "]".repeat(n));
/** Valid but for metadata nested far deeper than SQLite's JSON functions accept. */
const deepMetadata = fc
  .integer({ min: 1, max: 2000 })
  .map(
    (n) =>
      `{"task_id":"deep-${n}","action":"images","action2":"generations","callback_url":"https://example.com/h","metadata":{"a":${"[".repeat(n)}1${"]".repeat(n)}}}`,
  );

describe("fuzzing the API", () => {
  beforeAll(resetDb);

  it("POST /v1/tasks and /v1/tasks/batch answer every body with a documented status", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          registration.map((r) => JSON.stringify(r)),
          jsonValue.map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
          deep,
          deepMetadata,
          fc.string({ unit: "binary", maxLength: 100 }),
        ),
        fc.constantFrom(
          "application/json",
          "application/json; charset=utf-8",
          "text/plain",
          "",
          "application/x-www-form-urlencoded",
          "APPLICATION/JSON",
          "multipart/form-data; boundary=x",
        ),
        // The batch route takes the same bodies, bare or as one or two items of `tasks`.
        fc.constantFrom("single", "batch-bare", "batch-one", "batch-two"),
        async (body, contentType, route) => {
          const headers: Record<string, string> = { authorization: `Bearer ${KEY}` };
          if (contentType) headers["content-type"] = contentType;
          if (route === "single") expectDocumented(await send("POST", "/v1/tasks", headers, body));
          else {
            const batch = route === "batch-bare" ? body : `{"tasks":[${body}${route === "batch-two" ? `,${body}` : ""}]}`;
            const res = await send("POST", "/v1/tasks/batch", headers, batch);
            expectDocumented(res);
            if (res.status === 200) {
              for (const result of (JSON.parse(res.text) as { results: { status: number; error?: { code: string } }[] }).results) {
                expect([200, 201, 400, 409]).toContain(result.status);
                if (result.error) expect(ERROR_CODES.has(result.error.code)).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 300, seed: 20261124 },
    );
  });

  it("answers huge bodies with 413 whatever they claim", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 16 * 1024 + 1, max: 200 * 1024 }), fc.boolean(), async (size, lie) => {
        const headers: Record<string, string> = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
        if (lie) headers["content-length"] = "12";
        const res = await send("POST", "/v1/tasks", headers, `{"task_id":"${"x".repeat(size)}"}`);
        expectDocumented(res);
        expect(res.status).toBe(413);
      }),
      { numRuns: 15, seed: 7 },
    );
  });

  it("the endpoint and admin routes answer any body and any query with a documented status", async () => {
    const tenant = JSON.parse(
      (await send("POST", "/v1/admin/tenants", { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, '{"name":"fuzz"}'))
        .text,
    ) as { id: string };
    const targets = [
      ["PATCH", "/v1/endpoints/ep_000000000000000000000000", KEY],
      ["POST", "/v1/admin/tenants", ADMIN],
      ["PATCH", `/v1/admin/tenants/${tenant.id}`, ADMIN],
    ] as const;
    const body = fc.oneof(
      fc
        .record(
          {
            name: fc.oneof(weirdString, jsonValue),
            signing: fc.oneof(fc.array(weirdString, { maxLength: 3 }), jsonValue),
            extra: jsonValue,
          },
          { requiredKeys: [] },
        )
        .map((r) => JSON.stringify(r)),
      jsonValue.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 100 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), body, async ([method, path, key], text) => {
        expectDocumented(await send(method, path, { authorization: `Bearer ${key}`, "content-type": "application/json" }, text));
      }),
      { numRuns: 150, seed: 1201 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(weirdString, fc.integer().map(String)),
        fc.oneof(weirdString, fc.constant("ep_000000000000000000000000")),
        async (limit, after) => {
          let query: string;
          try {
            query = `limit=${encodeURIComponent(limit)}&after=${encodeURIComponent(after)}`;
          } catch {
            return; // lone surrogates cannot be URL-encoded: no client can send them
          }
          expectDocumented(await send("GET", `/v1/endpoints?${query}`, { authorization: `Bearer ${KEY}` }));
        },
      ),
      { numRuns: 100, seed: 1202 },
    );
  });

  it("every route answers any path parameter and any authorization with a documented status", async () => {
    const routes = [
      ["GET", "/v1/tasks/"],
      ["GET", "/v1/subscriptions/"],
      ["DELETE", "/v1/subscriptions/"],
      ["POST", "/v1/subscriptions/", "/redeliver"],
      ["GET", "/v1/endpoints/"],
      ["GET", "/v1/endpoints/", "/secret"],
      ["POST", "/v1/endpoints/", "/rotate-secret"],
      ["GET", "/v1/admin/tenants/", "/keys"],
      ["POST", "/v1/admin/tenants/", "/keys"],
      ["DELETE", "/v1/admin/keys/"],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(weirdString, fc.stringMatching(/^sub_[0-9a-f]{24}$/)),
        // Header values are bytes on the wire: ASCII, as any HTTP client sends them.
        fc.oneof(
          fc.constant(`Bearer ${KEY}`),
          fc.constant(`Bearer ${ADMIN}`),
          fc.constant(""),
          fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
          fc.constant("Bearer "),
          fc.constant(`bearer ${KEY} extra`),
        ),
        async ([method, prefix, suffix], param, authorization) => {
          const headers: Record<string, string> = {};
          // biome-ignore lint/suspicious/noControlCharactersInRegex: a header may not carry CR, LF or NUL: they are taken out on purpose.
          if (authorization) headers.authorization = authorization.replace(/[\r\n\u0000]/g, "");
          let path: string;
          try {
            path = `${prefix}${encodeURIComponent(param)}${suffix ?? ""}`;
          } catch {
            return; // lone surrogates cannot be URL-encoded: no client can send them
          }
          expectDocumented(await send(method, path, headers));
        },
      ),
      { numRuns: 250, seed: 42 },
    );
  });

  it("answers the same bodies with a documented status or 503 storage_unavailable while D1 fails at random, and leaves nothing half made", async () => {
    let faults = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          registration.map((r) => JSON.stringify(r)),
          deepMetadata,
        ),
        fc.constantFrom("single", "batch-two"),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (body, route, seed) => {
          const d1 = faultyD1(env.DB, { rate: 0.15, kinds: ["before", "after"], seed });
          const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
          const res =
            route === "single"
              ? await send("POST", "/v1/tasks", headers, body, d1.db)
              : await send("POST", "/v1/tasks/batch", headers, `{"tasks":[${body},${body}]}`, d1.db);
          faults += d1.log.failed.before + d1.log.failed.after;
          expectDocumented(res, true);
        },
      ),
      { numRuns: 200, seed: 20261206 },
    );
    expect(faults).toBeGreaterThan(10);
    // The next test checks the rows: a registration is whole (task and subscription) or absent.
  });

  it("leaves only valid rows behind", async () => {
    const subs = await env.DB.prepare(
      "SELECT s.*, t.task_id, t.action, t.action2 FROM subscriptions s JOIN tasks t ON t.id = s.task_key",
    ).all<Record<string, string>>();
    const orphans = await env.DB.prepare(
      "SELECT count(*) AS n FROM subscriptions s WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = s.task_key)",
    ).first<{ n: number }>();
    expect(orphans?.n).toBe(0);
    for (const s of subs.results) {
      expect(s.task_id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      expect((ACTION_PAIRS as Record<string, readonly string[]>)[s.action!]).toContain(s.action2);
      expect(checkCallbackUrl(s.callback_url!, { allowInsecure: true })).toEqual({ ok: true, url: s.callback_url });
      const events = JSON.parse(s.events!) as string[];
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => (EVENT_TYPES as readonly string[]).includes(e))).toBe(true);
      if (s.metadata !== null) expect(typeof JSON.parse(s.metadata!)).toBe("object");
    }
    const tasksWithoutSubs = await env.DB.prepare(
      "SELECT count(*) AS n FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = t.id)",
    ).first<{ n: number }>();
    expect(tasksWithoutSubs?.n).toBe(0);
  });
});

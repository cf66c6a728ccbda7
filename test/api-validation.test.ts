/** Validation of `POST /v1/tasks`: every refused body answers the error envelope and stores nothing. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, postJson, resetDb, unique } from "./support/relay";

const HOOK = "https://hooks.example.com/kling";
const MAX_BODY = 16 * 1024;
const MAX_METADATA = 4 * 1024;

const valid = (extra: Record<string, unknown> = {}) => ({
  task_id: unique("task"),
  action: "videos",
  action2: "text2video",
  callback_url: HOOK,
  ...extra,
});
const without = (field: string) => Object.fromEntries(Object.entries(valid()).filter(([key]) => key !== field));
/** `{"note":"xxx…"}` serialized to exactly `bytes` bytes of JSON. */
const metadataOf = (bytes: number) => ({ note: "x".repeat(bytes - '{"note":""}'.length) });
const urlOf = (length: number) => `https://example.com/${"a".repeat(length - "https://example.com/".length)}`;

const postRaw = (body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  api("/v1/tasks", { method: "POST", headers, body });

type Envelope = { error: { code: string; message: string; details?: { field: string; message: string }[] } };

async function expectError(res: Response, status: number, code: string): Promise<Envelope["error"]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const { error } = JSON.parse(text) as Envelope;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/\S/);
  expect(Object.keys(error).every((key) => ["code", "message", "details"].includes(key))).toBe(true);
  for (const detail of error.details ?? []) expect(detail).toEqual({ field: expect.any(String), message: expect.stringMatching(/\S/) });
  return error;
}

async function expectNothingStored(): Promise<void> {
  const row = await env.DB.prepare(
    "SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM subscriptions) AS subscriptions",
  ).first();
  expect(row).toEqual({ tasks: 0, subscriptions: 0 });
}

async function expectCreated(res: Response): Promise<Record<string, any>> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as Record<string, any>;
}

beforeEach(resetDb);

describe("POST /v1/tasks refuses invalid bodies with 400 invalid_request naming the field", () => {
  // [case, body, the field `details` must name (a nested path such as `events.0` counts)]
  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ["missing task_id", without("task_id"), "task_id"],
    ["empty task_id", valid({ task_id: "" }), "task_id"],
    ["129-character task_id", valid({ task_id: "a".repeat(129) }), "task_id"],
    ["task_id with a space", valid({ task_id: "a b" }), "task_id"],
    ["task_id with a slash", valid({ task_id: "a/b" }), "task_id"],
    ["task_id with a dot", valid({ task_id: "a.b" }), "task_id"],
    ["numeric task_id", valid({ task_id: 12345 }), "task_id"],
    ["null task_id", valid({ task_id: null }), "task_id"],
    ["missing action", without("action"), "action"],
    ["unknown action", valid({ action: "movies" }), "action"],
    ["unknown action2", valid({ action2: "txt2video" }), "action2"],
    ["missing action2", without("action2"), "action2"],
    ["images with a videos action2", valid({ action: "images", action2: "text2video" }), "action2"],
    ["audio with an images action2", valid({ action: "audio", action2: "generations" }), "action2"],
    ["videos with an audio action2", valid({ action: "videos", action2: "video-to-audio" }), "action2"],
    ["missing callback_url", without("callback_url"), "callback_url"],
    ["numeric callback_url", valid({ callback_url: 42 }), "callback_url"],
    ["ftp callback_url", valid({ callback_url: "ftp://example.com/hook" }), "callback_url"],
    ["relative callback_url", valid({ callback_url: "/hooks/kling" }), "callback_url"],
    ["private 10/8 callback_url", valid({ callback_url: "http://10.0.0.1/x" }), "callback_url"],
    ["cloud metadata callback_url", valid({ callback_url: "http://169.254.169.254/" }), "callback_url"],
    ["callback_url with credentials", valid({ callback_url: "https://user:pw@example.com/" }), "callback_url"],
    ["2049-character callback_url", valid({ callback_url: urlOf(2049) }), "callback_url"],
    [
      "callback_url 2,048 characters sent, 12,188 stored",
      valid({ callback_url: `https://example.com/${"é".repeat(2028)}` }),
      "callback_url",
    ],
    ["local-use NAT64 callback_url", valid({ callback_url: "https://[64:ff9b:1::7f00:1]/h" }), "callback_url"],
    ["Teredo callback_url", valid({ callback_url: "https://[2001:0:53aa:64c::80ff:fffe]/h" }), "callback_url"],
    ["IPv4-translated loopback callback_url", valid({ callback_url: "https://[::ffff:0:127.0.0.1]/h" }), "callback_url"],
    ["callback_url host with two trailing dots", valid({ callback_url: "https://127.0.0.1../h" }), "callback_url"],
    ["cluster-internal callback_url", valid({ callback_url: "https://kubernetes.default.svc/h" }), "callback_url"],
    ["callback_url on port 0", valid({ callback_url: "https://example.com:0/h" }), "callback_url"],
    ["metadata as an array", valid({ metadata: [1, 2] }), "metadata"],
    ["metadata as a string", valid({ metadata: "hello" }), "metadata"],
    ["metadata as a number", valid({ metadata: 7 }), "metadata"],
    ["metadata one byte over 4 KiB", valid({ metadata: metadataOf(MAX_METADATA + 1) }), "metadata"],
    ["empty events", valid({ events: [] }), "events"],
    ["an unknown event", valid({ events: ["task.succeeded", "task.done"] }), "events"],
    ["events as a string", valid({ events: "task.succeeded" }), "events"],
    ["events as an object", valid({ events: { "task.failed": true } }), "events"],
    ["an unknown top-level field", valid({ priority: "high" }), "priority"],
    ["a misspelt field", { ...without("callback_url"), callbackUrl: HOOK }, "callbackUrl"],
  ];

  it.each(cases)("%s", async (_name, body, field) => {
    const error = await expectError(await postJson("/v1/tasks", body), 400, "invalid_request");
    const fields = (error.details ?? []).map((d) => d.field);
    expect(
      fields.some((f) => f === field || f.startsWith(`${field}.`)),
      `details fields: ${JSON.stringify(fields)}`,
    ).toBe(true);
    await expectNothingStored();
  });

  it.each([
    ["an array", []],
    ["an array of a valid body", [valid()]],
    ["null", null],
    ["a number", 42],
    ["a string", "task"],
    ["true", true],
  ] as const)("a body that is %s", async (_name, body) => {
    const error = await expectError(await postJson("/v1/tasks", body), 400, "invalid_request");
    expect(error.details?.length).toBeGreaterThan(0);
    await expectNothingStored();
  });

  it("names the field once: the reason does not repeat it", async () => {
    const error = await expectError(await postJson("/v1/tasks", valid({ callback_url: "ftp://example.com/hook" })), 400, "invalid_request");
    expect(error.message).toBe("invalid request: callback_url must use https");
    expect(error.details).toEqual([{ field: "callback_url", message: "must use https" }]);
  });

  it("lists every bad field at once", async () => {
    const error = await expectError(
      await postJson("/v1/tasks", { task_id: "a b", action: "videos", action2: "text2video", callback_url: "ftp://x/", events: [] }),
      400,
      "invalid_request",
    );
    expect((error.details ?? []).map((d) => d.field).sort()).toEqual(["callback_url", "events", "task_id"]);
  });
});

describe("POST /v1/tasks refuses unreadable bodies", () => {
  it.each([
    ["an empty body", ""],
    ["a truncated object", '{"task_id":'],
    ["single quotes", "{'task_id':'a'}"],
    ["a trailing comma", `{"task_id":"a",}`],
    ["bare words", "undefined"],
    ["two documents", "{} {}"],
  ])("%s is malformed JSON: 400", async (_name, text) => {
    await expectError(await postRaw(text), 400, "invalid_request");
    await expectNothingStored();
  });

  const json = () => JSON.stringify(valid());
  it.each([
    ["text/plain", () => postRaw(json(), { "content-type": "text/plain" })],
    ["a string body's default text/plain;charset=UTF-8", () => postRaw(json(), {})],
    ["no content-type at all", () => postRaw(new TextEncoder().encode(json()), {})],
    ["application/x-www-form-urlencoded", () => postRaw(new URLSearchParams({ task_id: "a", action: "videos" }), {})],
    ["application/x-www-form-urlencoded with a JSON body", () => postRaw(json(), { "content-type": "application/x-www-form-urlencoded" })],
    ["multipart/form-data", () => postRaw(json(), { "content-type": "multipart/form-data; boundary=x" })],
  ] as const)("%s: 415", async (_name, send) => {
    await expectError(await send(), 415, "unsupported_media_type");
    await expectNothingStored();
  });

  it("really sends no content-type in the case above", () => {
    const request = new Request("http://relay.test/", { method: "POST", body: new TextEncoder().encode("{}") });
    expect(request.headers.has("content-type")).toBe(false);
  });

  /** A valid registration padded with trailing JSON whitespace to exactly `bytes` bytes. */
  const paddedBody = (bytes: number) => {
    const text = JSON.stringify(valid());
    return text + " ".repeat(bytes - text.length);
  };

  it("answers 413 for a body of 16 KiB + 1 byte", async () => {
    await expectError(await postRaw(paddedBody(MAX_BODY + 1)), 413, "payload_too_large");
    await expectNothingStored();
  });

  it("answers 413 for a large body that declares a small content-length", async () => {
    const headers = { "content-type": "application/json", "content-length": "10" };
    expect(new Request("http://relay.test/", { method: "POST", headers, body: "{}" }).headers.get("content-length")).toBe("10");
    await expectError(await postRaw(paddedBody(MAX_BODY * 4), headers), 413, "payload_too_large");
    await expectNothingStored();
  });

  it("accepts a body of exactly 16 KiB", async () => {
    await expectCreated(await postRaw(paddedBody(MAX_BODY)));
  });

  /** The same text sent as a stream of 1000-byte chunks: no Content-Length, counted as it arrives. */
  const chunked = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    });
  };

  it("counts a chunked body (no Content-Length): 413 past 16 KiB, and exactly 16 KiB is accepted", async () => {
    expect(new Request("http://relay.test/", { method: "POST", body: chunked("{}") }).headers.has("content-length")).toBe(false);
    await expectError(await postRaw(chunked(paddedBody(MAX_BODY + 1))), 413, "payload_too_large");
    await expectNothingStored();
    await expectCreated(await postRaw(chunked(paddedBody(MAX_BODY))));
  });
});

describe("POST /v1/tasks accepts valid edge cases", () => {
  it("a 128-character task_id", async () => {
    const taskId = `${unique("t")}-`.padEnd(128, "Z");
    expect(taskId).toHaveLength(128);
    expect((await expectCreated(await postJson("/v1/tasks", valid({ task_id: taskId })))).task_id).toBe(taskId);
  });

  it("application/json; charset=utf-8", async () => {
    await expectCreated(await postRaw(JSON.stringify(valid()), { "content-type": "application/json; charset=utf-8" }));
  });

  it("metadata of exactly 4 KiB, returned unchanged", async () => {
    const metadata = metadataOf(MAX_METADATA);
    expect(new TextEncoder().encode(JSON.stringify(metadata)).length).toBe(MAX_METADATA);
    expect((await expectCreated(await postJson("/v1/tasks", valid({ metadata })))).metadata).toEqual(metadata);
  });

  it("a 2048-character callback_url and an http loopback one", async () => {
    const long = urlOf(2048);
    expect((await expectCreated(await postJson("/v1/tasks", valid({ callback_url: long })))).callback_url).toBe(long);
    await expectCreated(await postJson("/v1/tasks", valid({ callback_url: `${env.FAKE_URL}/hooks/x` })));
  });

  const PAIRS = [
    ["images", "generations"],
    ["images", "kolors-virtual-try-on"],
    ["videos", "text2video"],
    ["videos", "image2video"],
    ["videos", "lip-sync"],
    ["videos", "effects"],
    ["videos", "multi-image2video"],
    ["videos", "multi-elements"],
    ["audio", "text-to-audio"],
    ["audio", "video-to-audio"],
  ] as const;
  it.each(PAIRS)("the pair %s/%s", async (action, action2) => {
    expect(await expectCreated(await postJson("/v1/tasks", valid({ action, action2 })))).toMatchObject({ action, action2 });
  });

  it("deduplicates events", async () => {
    const body = await expectCreated(
      await postJson("/v1/tasks", valid({ events: ["task.failed", "task.submitted", "task.failed", "task.submitted"] })),
    );
    expect([...body.events].sort()).toEqual(["task.failed", "task.submitted"]);
  });

  it("defaults events to the three terminal ones and metadata to null", async () => {
    const body = await expectCreated(await postJson("/v1/tasks", valid()));
    expect([...body.events].sort()).toEqual(["task.expired", "task.failed", "task.succeeded"]);
    expect(body.metadata).toBeNull();
  });

  it("every event type at once", async () => {
    const events = ["task.submitted", "task.processing", "task.succeeded", "task.failed", "task.expired"];
    expect((await expectCreated(await postJson("/v1/tasks", valid({ events })))).events).toEqual(events);
  });

  // BUG (src/api-kit/registration-schema.ts, z.record for metadata): a metadata key named "__proto__"
  // is silently dropped; {"__proto__":{"x":1},"y":2} is answered 201 and stored as {"y":2}.
  it("metadata with a __proto__ key is kept or refused, not silently changed", async () => {
    const text = `{"task_id":"${unique("task")}","action":"videos","action2":"text2video","callback_url":"${HOOK}","metadata":{"__proto__":{"x":1},"y":2}}`;
    const res = await postRaw(text);
    if (res.status === 400) return;
    expect(res.status).toBe(201);
    expect(JSON.stringify(((await res.json()) as Record<string, unknown>).metadata)).toBe('{"__proto__":{"x":1},"y":2}');
  });
});

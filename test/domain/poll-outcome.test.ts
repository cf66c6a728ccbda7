import { describe, expect, it } from "vitest";
import { ACTION_PAIRS } from "../../src/domain/kling";
import { classifyPoll, type PollOutcome, type UpstreamExchange, upstreamErrorKind } from "../../src/domain/poll-outcome";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

const response = (status: number, body: string, retryAfter: string | null = null, truncated = false): UpstreamExchange => ({
  kind: "response",
  status,
  retryAfter,
  body,
  truncated,
});
const klingEnvelope = (code: number, message = "something went wrong") => JSON.stringify({ code, message, request_id: "req-1" });
const cometEnvelope = (message: string) => JSON.stringify({ error: { code: "", message, type: "comet_api_error" } });

type Expected =
  | { kind: "configuration" | "transient" }
  | { kind: "missing"; reason: "not_found" | "upstream_rejected" }
  | { kind: "rejected"; reason: "invalid_request" | "content_policy" };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// The error table of docs/upstream.md: [codes, the HTTP status Kling documents, expected classification]
const KLING_ROWS: ReadonlyArray<readonly [number[], number, Expected]> = [
  [range(1000, 1004), 401, { kind: "configuration" }],
  // Account problem: back off, keep the task (never counted against the task).
  [range(1100, 1102), 429, { kind: "configuration" }],
  [[1103], 403, { kind: "configuration" }],
  [range(1200, 1201), 400, { kind: "rejected", reason: "invalid_request" }],
  [range(1202, 1203), 404, { kind: "missing", reason: "not_found" }],
  [range(1300, 1301), 400, { kind: "rejected", reason: "content_policy" }],
  [[1302], 429, { kind: "transient" }],
  [[1303], 429, { kind: "transient" }],
  [[1304], 429, { kind: "configuration" }],
  [[5000], 500, { kind: "transient" }],
  [[5001], 503, { kind: "transient" }],
  [[5002], 504, { kind: "transient" }],
];
const KLING_CASES = KLING_ROWS.flatMap(([codes, http, expected]) => codes.map((code) => [code, http, expected] as const));

function expectClass(outcome: PollOutcome, expected: Expected) {
  expect(outcome.kind).toBe(expected.kind);
  if ("reason" in expected) expect(outcome).toMatchObject({ reason: expected.reason });
  expect((outcome as { error: string }).error).toEqual(expect.any(String));
}

describe("classifyPoll: Kling service codes", () => {
  it.each(KLING_CASES)("code %i in a 200 envelope", (code, _http, expected) => {
    const outcome = classifyPoll(response(200, klingEnvelope(code)), NOW);
    expectClass(outcome, expected);
    expect(outcome).toMatchObject({ error: expect.stringContaining(String(code)) });
  });

  it.each(KLING_CASES)("code %i as HTTP %i with the Kling envelope", (code, http, expected) => {
    const outcome = classifyPoll(response(http, klingEnvelope(code)), NOW);
    expectClass(outcome, expected);
    expect(outcome).toMatchObject({ error: expect.stringContaining(String(code)) });
  });

  it.each([1005, 1099, 1104, 1204, 1305, 4000, 5003, 9999])("unknown code %i is transient (200 and 500)", (code) => {
    expectClass(classifyPoll(response(200, klingEnvelope(code)), NOW), { kind: "transient" });
    expectClass(classifyPoll(response(500, klingEnvelope(code)), NOW), { kind: "transient" });
  });

  it.each([200, 429])("1302 honours Retry-After in seconds and as an HTTP date (HTTP %i)", (http) => {
    expect(classifyPoll(response(http, klingEnvelope(1302), "7"), NOW)).toMatchObject({ kind: "transient", retryAfterMs: 7000 });
    const date = new Date(NOW + 90_000).toUTCString();
    expect(classifyPoll(response(http, klingEnvelope(1302), date), NOW)).toMatchObject({ kind: "transient", retryAfterMs: 90_000 });
    expect(classifyPoll(response(http, klingEnvelope(1302)), NOW)).toMatchObject({ kind: "transient", retryAfterMs: null });
  });

  it("keeps long upstream messages short", () => {
    const outcome = classifyPoll(response(200, klingEnvelope(5000, "x".repeat(10_000))), NOW);
    expect(outcome.kind).toBe("transient");
    expect((outcome as { error: string }).error.length).toBeLessThanOrEqual(301);
  });
});

describe("classifyPoll: CometAPI error envelope", () => {
  const rows: ReadonlyArray<readonly [number, Expected]> = [
    [401, { kind: "configuration" }],
    [403, { kind: "configuration" }],
    [404, { kind: "missing", reason: "not_found" }],
    [429, { kind: "transient" }],
    [500, { kind: "transient" }],
    [502, { kind: "transient" }],
    [503, { kind: "transient" }],
    [504, { kind: "transient" }],
    [524, { kind: "transient" }],
  ];
  it.each(rows)("HTTP %i", (http, expected) => {
    const outcome = classifyPoll(response(http, cometEnvelope("nope (request id: abc)")), NOW);
    expectClass(outcome, expected);
    expect(outcome).toMatchObject({ error: expect.stringContaining(`http_${http}`) });
    expect(outcome).toMatchObject({ error: expect.stringContaining("nope (request id: abc)") });
  });

  it("words Cloudflare's answer for a host it could not reach (DNS, refused, TLS): transient, the cause in the error", () => {
    for (const [http, body, words] of [
      [530, "error code: 1016", "http_530: could not resolve the host (Cloudflare 1016: origin DNS error)"],
      [521, "<html>Web server is down</html>", "http_521: the origin server refused the connection (Cloudflare 521)"],
      [525, "error code: 525", "http_525: the TLS handshake with the origin server failed (Cloudflare 525)"],
    ] as const)
      expect(classifyPoll(response(http, body), NOW)).toEqual({ kind: "transient", error: words, retryAfterMs: null });
    // A JSON error of upstream's own keeps its words.
    expect(classifyPoll(response(521, cometEnvelope("origin busy")), NOW)).toMatchObject({ error: "http_521: origin busy" });
  });

  it("passes a 429 Retry-After on", () => {
    expect(classifyPoll(response(429, cometEnvelope("slow down"), "12"), NOW)).toMatchObject({ kind: "transient", retryAfterMs: 12_000 });
  });
});

describe("classifyPoll: statuses", () => {
  const answer = (task_status: string) =>
    response(
      200,
      JSON.stringify({
        code: 0,
        message: "SUCCEED",
        data: { task_id: "1", task_status, task_result: { videos: [{ url: "https://cdn.example/v.mp4" }] } },
      }),
    );

  it("reads Kling's newer spelling `succeeded` as `succeed`, keeping the data", () => {
    const outcome = classifyPoll(answer("succeeded"), NOW);
    expect(outcome).toMatchObject({ kind: "status", status: "succeed" });
    expect(JSON.parse((outcome as { data: string }).data)).toMatchObject({
      task_status: "succeeded",
      task_result: { videos: [{ url: "https://cdn.example/v.mp4" }] },
    });
  });

  it.each(["queued", "SUCCEED", "cancelled", "in_review", "toString", "constructor", "__proto__"])(
    "keeps an unknown status %s as an answer, with its data",
    (status) => {
      const outcome = classifyPoll(answer(status), NOW);
      expect(outcome).toMatchObject({ kind: "status", status });
      expect(JSON.parse((outcome as { data: string }).data)).toMatchObject({ task_status: status });
    },
  );
});

describe("classifyPoll: bodies that are not a Kling answer", () => {
  const html = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
  const transient: ReadonlyArray<readonly [string, UpstreamExchange]> = [
    ["HTML page with 200", response(200, html)],
    ["HTML page with 502", response(502, html)],
    ["malformed JSON", response(200, '{"code":0,"data":{"task_status":')],
    ["empty body", response(200, "")],
    ["JSON array", response(200, JSON.stringify([{ code: 0, data: { task_status: "succeed" } }]))],
    ["JSON null", response(200, "null")],
    ["no code", response(200, JSON.stringify({ message: "SUCCEED", data: { task_status: "succeed" } }))],
    ["code 0 without data", response(200, JSON.stringify({ code: 0, message: "SUCCEED" }))],
    ["code 0 with data null", response(200, JSON.stringify({ code: 0, data: null }))],
    ["code 0 with data an array", response(200, JSON.stringify({ code: 0, data: [{ task_status: "succeed" }] }))],
    ["code 0 with an empty task_status", response(200, JSON.stringify({ code: 0, data: { task_id: "1", task_status: "" } }))],
    ["code 0 with a task_status that is not a string", response(200, JSON.stringify({ code: 0, data: { task_id: "1", task_status: 3 } }))],
    [
      "code 0 with a task_status too long to be one",
      response(200, JSON.stringify({ code: 0, data: { task_id: "1", task_status: "x".repeat(65) } })),
    ],
    ["code 0 without task_status", response(200, JSON.stringify({ code: 0, data: { task_id: "1" } }))],
    ["truncated body", response(200, JSON.stringify({ code: 0, data: { task_id: "1", task_status: "succeed" } }), null, true)],
    ["timeout", { kind: "timeout" }],
    ["network error", { kind: "network", message: "connection reset" }],
  ];
  it.each(transient)("%s is transient", (_name, exchange) => {
    const outcome = classifyPoll(exchange, NOW);
    expect(outcome.kind).toBe("transient");
    expect((outcome as { error: string }).error).not.toBe("");
  });

  it("timeout and network errors carry no Retry-After", () => {
    expect(classifyPoll({ kind: "timeout" }, NOW)).toEqual({ kind: "transient", error: "timeout", retryAfterMs: null });
    expect(classifyPoll({ kind: "network", message: "dns failure" }, NOW)).toMatchObject({
      kind: "transient",
      error: expect.stringContaining("dns failure"),
      retryAfterMs: null,
    });
  });

  it.each([301, 302, 308])("a %i redirect is a configuration problem, not the task's", (http) => {
    expectClass(classifyPoll(response(http, "<html>Moved</html>"), NOW), { kind: "configuration" });
    expectClass(classifyPoll(response(http, ""), NOW), { kind: "configuration" });
  });
});

describe("classifyPoll: success passes data through verbatim", () => {
  const base = {
    task_id: "878106242831892487",
    task_status_msg: "",
    task_info: { external_task_id: "ext-1" },
    task_result: {},
    created_at: 1777385361501,
    updated_at: 1777385363321,
    final_unit_deduction: "1.5",
    brand_new_field: { nested: [1, "two", null, true], deep: { x: 0.25 } },
  };
  it.each(["submitted", "processing", "succeed", "failed"] as const)("task_status %s", (taskStatus) => {
    const data = { ...base, task_status: taskStatus, task_status_msg: taskStatus === "failed" ? "content moderation" : "" };
    const outcome = classifyPoll(response(200, JSON.stringify({ code: 0, message: "SUCCEED", request_id: "r", data })), NOW);
    expect(outcome.kind).toBe("status");
    if (outcome.kind !== "status") return;
    expect(outcome.status).toBe(taskStatus);
    expect(JSON.parse(outcome.data)).toEqual(data);
  });

  it("accepts empty task_info and task_result while running", () => {
    const data = { task_id: "1", task_status: "processing", task_info: {}, task_result: {} };
    const outcome = classifyPoll(response(200, JSON.stringify({ code: 0, data })), NOW);
    expect(outcome).toMatchObject({ kind: "status", status: "processing" });
    if (outcome.kind === "status") expect(JSON.parse(outcome.data)).toEqual(data);
  });

  const video = { id: "v1", url: "https://cdn.example/v1.mp4", duration: "5.1", watermark_url: "https://cdn.example/v1-wm.mp4" };
  const audio = {
    id: "a1",
    url_mp3: "https://cdn.example/a1.mp3",
    url_wav: "https://cdn.example/a1.wav",
    duration_mp3: "3.2",
    duration_wav: "3.2",
  };
  const RESULTS: Record<string, { task_result: unknown; task_info?: unknown }> = {
    "videos/text2video": { task_result: { videos: [video] } },
    "videos/image2video": { task_result: { videos: [video] } },
    "videos/lip-sync": { task_result: { videos: [{ id: "v2", url: "https://cdn.example/v2.mp4", duration: "4" }] } },
    "videos/effects": { task_result: { videos: [video] } },
    "videos/multi-image2video": { task_result: { videos: [video] } },
    "videos/multi-elements": { task_result: { videos: [video] } },
    "videos/omni-video": { task_result: { videos: [video] } },
    "images/generations": {
      task_result: {
        images: [
          { index: 0, url: "https://cdn.example/i0.png" },
          { index: 1, url: "https://cdn.example/i1.png", watermark_url: "https://cdn.example/i1-wm.png" },
        ],
      },
    },
    "images/kolors-virtual-try-on": { task_result: { images: [{ index: 0, url: "https://cdn.example/tryon.png" }] } },
    "audio/text-to-audio": { task_result: { audios: [audio] } },
    "audio/video-to-audio": {
      task_result: { videos: [{ id: "v3", url: "https://cdn.example/v3.mp4", duration: "10" }], audios: [audio] },
      task_info: { parent_video: { id: "pv", url: "https://cdn.example/parent.mp4", duration: "10" } },
    },
  };

  it("covers all eleven action pairs", () => {
    const pairs = Object.entries(ACTION_PAIRS).flatMap(([action, action2s]) => action2s.map((a2) => `${action}/${a2}`));
    expect(Object.keys(RESULTS).sort()).toEqual(pairs.sort());
    expect(pairs).toHaveLength(11);
  });

  it.each(Object.entries(RESULTS))("%s result shape is untouched", (_pair, extra) => {
    const data = { task_id: "42", task_status: "succeed", task_status_msg: "", task_info: {}, created_at: 1, updated_at: 2, ...extra };
    const outcome = classifyPoll(response(200, JSON.stringify({ code: 0, message: "SUCCEED", data })), NOW);
    expect(outcome.kind).toBe("status");
    if (outcome.kind !== "status") return;
    const parsed = JSON.parse(outcome.data) as typeof data;
    expect(parsed).toEqual(data);
    const images = (parsed.task_result as { images?: { index: unknown }[] }).images;
    for (const image of images ?? []) expect(Number.isInteger(image.index)).toBe(true);
  });
});

describe("classifyPoll: bounds and CometAPI's non-retryable 500", () => {
  it("treats CometAPI's 500 invalid_request as a refusal to confirm, not a server error", () => {
    const body = JSON.stringify({ error: { code: "invalid_request", message: "bad task", type: "comet_api_error" } });
    expect(classifyPoll(response(500, body), NOW)).toMatchObject({ kind: "missing", reason: "upstream_rejected" });
    expect(classifyPoll(response(500, cometEnvelope("boom")), NOW)).toMatchObject({ kind: "transient" });
  });

  it("records data nested deeper than the bound as malformed instead of storing it", () => {
    let nested: unknown = 1;
    for (let i = 0; i < 100; i++) nested = [nested];
    const deep = JSON.stringify({ code: 0, data: { task_id: "t", task_status: "succeed", task_result: nested } });
    expect(classifyPoll(response(200, deep), NOW)).toMatchObject({
      kind: "transient",
      error: expect.stringMatching(/^malformed: data nests deeper/),
    });
    let shallow: unknown = 1;
    for (let i = 0; i < 20; i++) shallow = [shallow];
    const ok = JSON.stringify({ code: 0, data: { task_id: "t", task_status: "succeed", task_result: shallow } });
    expect(classifyPoll(response(200, ok), NOW)).toMatchObject({ kind: "status", status: "succeed" });
  });
});

describe("upstreamErrorKind names what went wrong for the tick's log", () => {
  it.each<[UpstreamExchange, string]>([
    [{ kind: "timeout" }, "timeout"],
    [{ kind: "network", message: "reset" }, "network"],
    [response(200, "<html>"), "malformed"],
    [response(429, cometEnvelope("slow down")), "rate_limited"],
    [response(200, klingEnvelope(1303)), "rate_limited"],
    [response(503, cometEnvelope("unavailable")), "server_error"],
    [response(401, klingEnvelope(1001)), "configuration"],
    [response(404, klingEnvelope(1203)), "not_found"],
    [response(400, klingEnvelope(1300)), "content_policy"],
  ])("%j → %s", (exchange, kind) => {
    const outcome = classifyPoll(exchange, NOW);
    if (outcome.kind === "status") throw new Error("expected an error outcome");
    expect(upstreamErrorKind(outcome)).toBe(kind);
  });
});

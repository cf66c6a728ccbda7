import { describe, expect, it } from "vitest";
import { classifyBatch } from "../../src/domain/batch-outcome";
import { classifyPoll, isTokenRejection, type PollOutcome, type UpstreamExchange } from "../../src/domain/poll-outcome";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const T1 = NOW - 60_000;
const T2 = NOW - 1_000;

const response = (status: number, body: string, retryAfter: string | null = null): UpstreamExchange => ({
  kind: "response",
  status,
  retryAfter,
  body,
  truncated: false,
});
const answer = (data: unknown) => response(200, JSON.stringify({ code: 0, message: "SUCCEED", request_id: "r-1", data }));
const entry = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  status,
  message: "",
  create_time: T1,
  update_time: T2,
  external_id: `ext-${id}`,
  outputs: [],
  billing: [],
  ...extra,
});
const kinds = (outcomes: Map<string, PollOutcome>) => Object.fromEntries([...outcomes].map(([id, o]) => [id, o.kind]));

describe("classifyBatch: a good answer", () => {
  it("reads each entry: succeeded, failed, processing, and an id the answer lacks is missing", () => {
    const data = [
      entry("a", "succeeded", { outputs: [{ type: "video", id: "v1", url: "https://x/v.mp4", duration: "5" }] }),
      entry("b", "failed", { message: "content moderation" }),
      entry("c", "processing"),
    ];
    const outcomes = classifyBatch(answer(data), ["a", "b", "c", "d"], NOW);
    expect([...outcomes.keys()]).toEqual(["a", "b", "c", "d"]);
    expect(outcomes.get("a")).toEqual({ kind: "status", status: "succeed", data: JSON.stringify(data[0]), createdAt: T1, updatedAt: T2 });
    expect(outcomes.get("b")).toMatchObject({ kind: "status", status: "failed" });
    expect(JSON.parse((outcomes.get("b") as { data: string }).data).message).toBe("content moderation");
    expect(outcomes.get("c")).toMatchObject({ kind: "status", status: "processing" });
    expect(outcomes.get("d")).toMatchObject({ kind: "missing", reason: "not_found", error: expect.any(String) });
  });

  it("keeps an unknown status as it came, and the legacy spelling too", () => {
    const outcomes = classifyBatch(answer([entry("a", "queued"), entry("b", "succeed")]), ["a", "b"], NOW);
    expect(outcomes.get("a")).toMatchObject({ kind: "status", status: "queued" });
    expect(outcomes.get("b")).toMatchObject({ kind: "status", status: "succeed" });
  });

  it("ignores entries for ids not asked, and answers one outcome per distinct asked id", () => {
    const outcomes = classifyBatch(answer([entry("x", "succeeded"), entry("a", "submitted")]), ["a", "a"], NOW);
    expect(kinds(outcomes)).toEqual({ a: "status" });
    expect(outcomes.has("x")).toBe(false);
  });

  it("an empty data array: every id is missing", () => {
    expect(kinds(classifyBatch(answer([]), ["a", "b"], NOW))).toEqual({ a: "missing", b: "missing" });
  });

  it("of two entries for one id, the later update_time wins", () => {
    const older = entry("a", "processing", { update_time: T1 });
    const newer = entry("a", "succeeded", { update_time: T2 });
    expect(classifyBatch(answer([newer, older]), ["a"], NOW).get("a")).toMatchObject({ status: "succeed" });
    expect(classifyBatch(answer([older, newer]), ["a"], NOW).get("a")).toMatchObject({ status: "succeed" });
  });

  it("reads a safe integer id as its digits", () => {
    const outcomes = classifyBatch(answer([{ ...entry("x", "submitted"), id: 878106242 }]), ["878106242"], NOW);
    expect(outcomes.get("878106242")).toMatchObject({ kind: "status", status: "submitted" });
  });
});

describe("classifyBatch: numbers and times", () => {
  it("keeps each entry's numbers exactly as written", () => {
    const body = `{"code":0,"message":"SUCCEED","request_id":"r","data":[{"id":"a","status":"succeeded","create_time":${T1},"update_time":${T2},"billing":[{"units":12345678901234567890123,"f":1e400,"g":1.50}]},{"id":"b","status":"processing","n":-0.0}]}`;
    const outcomes = classifyBatch(response(200, body), ["a", "b"], NOW);
    expect(outcomes.get("a")).toMatchObject({
      kind: "status",
      data: `{"id":"a","status":"succeeded","create_time":${T1},"update_time":${T2},"billing":[{"units":12345678901234567890123,"f":1e400,"g":1.50}]}`,
    });
    expect(outcomes.get("b")).toMatchObject({ data: '{"id":"b","status":"processing","n":-0.0}' });
  });

  it("a body that repeats a key falls back to JSON.parse's reading for its entries", () => {
    const body = '{"code":0,"data":[{"id":"a","status":"processing","status":"succeeded"}]}';
    expect(classifyBatch(response(200, body), ["a"], NOW).get("a")).toMatchObject({
      status: "succeed",
      data: '{"id":"a","status":"succeeded"}',
    });
  });

  it.each([
    ["numbers", T1, T2, T1, T2],
    ["digit strings", String(T1), String(T2), T1, T2],
    ["seconds", Math.floor(T1 / 1000), Math.floor(T2 / 1000), null, null],
    ["the far future", NOW + 2 * 86_400_000, NOW + 2 * 86_400_000, null, null],
    ["not numbers", "yesterday", "1.5e12", null, null],
    ["absent", undefined, undefined, null, null],
  ])("create_time/update_time as %s", (_name, create_time, update_time, createdAt, updatedAt) => {
    const outcome = classifyBatch(answer([entry("a", "processing", { create_time, update_time })]), ["a"], NOW).get("a");
    expect(outcome).toMatchObject({ kind: "status", createdAt, updatedAt });
  });
});

describe("classifyBatch: a malformed entry affects only its id", () => {
  it("no status, an empty status or one too deep: transient for that id, the others read", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    const data = [entry("ok", "succeeded"), { id: "nostatus" }, entry("empty", ""), entry("deep", "processing", { outputs: deep })];
    const outcomes = classifyBatch(answer(data), ["ok", "nostatus", "empty", "deep", "absent"], NOW);
    expect(kinds(outcomes)).toEqual({ ok: "status", nostatus: "transient", empty: "transient", deep: "transient", absent: "missing" });
    expect(outcomes.get("nostatus")).toMatchObject({ error: expect.stringMatching(/^malformed/) });
  });

  it("an entry without a readable id makes the absent ids transient, not missing (it may be theirs)", () => {
    for (const bad of [null, "a", [1], { status: "succeeded" }, { id: "", status: "failed" }, { id: 1.5, status: "failed" }]) {
      const outcomes = classifyBatch(answer([entry("ok", "processing"), bad]), ["ok", "absent"], NOW);
      expect(kinds(outcomes)).toEqual({ ok: "status", absent: "transient" });
    }
  });
});

describe("classifyBatch: whole-request failures are the same for every id", () => {
  const ids = ["a", "b", "c"];
  const same = (exchange: UpstreamExchange) => {
    const outcomes = classifyBatch(exchange, ids, NOW);
    expect([...outcomes.keys()]).toEqual(ids);
    const first = outcomes.get("a");
    for (const id of ids) expect(outcomes.get(id)).toEqual(first);
    return first as PollOutcome;
  };
  const kling = (code: number, http = 200) => response(http, JSON.stringify({ code, message: "nope", request_id: "r" }));

  it("agrees with classifyPoll on timeouts, network errors, 429/5xx, Kling's transient and configuration codes", () => {
    const cases: UpstreamExchange[] = [
      { kind: "timeout" },
      { kind: "network", message: "connection reset" },
      response(429, "", "7"),
      response(503, "<html>down</html>"),
      response(200, "not json"),
      response(200, "[]"),
      response(200, '{"message":"no code"}'),
      { kind: "response", status: 200, retryAfter: null, body: "", truncated: true },
      response(401, ""),
      kling(1302, 429),
      kling(5001, 503),
      kling(1000),
      kling(1101),
      kling(1103),
      kling(1304),
    ];
    for (const exchange of cases) {
      const outcome = same(exchange);
      expect(outcome).toEqual(classifyPoll(exchange, NOW));
      expect(["transient", "configuration"]).toContain(outcome.kind);
    }
    expect(same(response(429, "", "7"))).toMatchObject({ kind: "transient", retryAfterMs: 7000 });
  });

  it("codes 1003/1004 are configuration, and say the token needs renewing", () => {
    for (const code of [1003, 1004]) {
      const outcome = same(kling(code, 401));
      expect(outcome).toMatchObject({ kind: "configuration", error: expect.stringContaining(String(code)) });
      expect(isTokenRejection(outcome)).toBe(true);
    }
    expect(isTokenRejection(same(kling(1002, 401)))).toBe(false);
    expect(isTokenRejection(same({ kind: "timeout" }))).toBe(false);
  });

  it("never condemns every task for one failed request: a 404, 1200-1203 or 1300 is configuration", () => {
    for (const exchange of [
      response(404, "not found"),
      kling(1201, 400),
      kling(1202, 404),
      kling(1203),
      kling(1300),
      response(422, "{}"),
    ]) {
      expect(classifyPoll(exchange, NOW).kind).toMatch(/^(missing|rejected)$/);
      expect(same(exchange)).toMatchObject({ kind: "configuration", error: expect.stringContaining("whole batch") });
    }
  });

  it("a code-0 answer whose data is not an array is malformed for every id", () => {
    for (const data of [null, {}, entry("a", "succeeded"), "[]"]) expect(same(answer(data))).toMatchObject({ kind: "transient" });
    expect(same(response(200, '{"code":0}'))).toMatchObject({ kind: "transient", error: "malformed: no data array" });
  });

  it("no ids asked: no outcomes", () => {
    expect(classifyBatch(answer([entry("a", "succeeded")]), [], NOW).size).toBe(0);
    expect(classifyBatch({ kind: "timeout" }, [], NOW).size).toBe(0);
  });
});

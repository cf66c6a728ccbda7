import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  batchUrlLength,
  chunkTaskIds,
  isKlingProductPath,
  KLING_PRODUCT_PATHS,
  klingBatchUrl,
  klingLegacyUrl,
  queryKlingBatch,
  queryKlingLegacy,
} from "../../src/upstream/query-kling";

const BASE = "https://api-singapore.klingai.com";
const ids = (count: number, prefix = "t") => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe("Kling URLs", () => {
  it("legacy: /v1/{product path}/{encoded id}, a trailing slash on the base dropped", () => {
    expect(klingLegacyUrl(`${BASE}/`, "videos/text2video", "8781")).toBe(`${BASE}/v1/videos/text2video/8781`);
    expect(klingLegacyUrl(BASE, "videos/avatar/image2video", "a/b c")).toBe(`${BASE}/v1/videos/avatar/image2video/a%2Fb%20c`);
    expect(isKlingProductPath("videos/avatar/image2video")).toBe(true);
    expect(isKlingProductPath("videos/../admin")).toBe(false);
    expect(KLING_PRODUCT_PATHS).toHaveLength(18);
  });

  it("batch: /tasks?task_ids=a,b,c, each id encoded, a lone surrogate sent as U+FFFD rather than thrown on", () => {
    expect(klingBatchUrl(BASE, ["1", "2", "3"])).toBe(`${BASE}/tasks?task_ids=1,2,3`);
    expect(klingBatchUrl(BASE, ["a,b", "c&d=e", "é"])).toBe(`${BASE}/tasks?task_ids=a%2Cb,c%26d%3De,%C3%A9`);
    expect(klingBatchUrl(BASE, ["x\uD800"])).toBe(`${BASE}/tasks?task_ids=x%EF%BF%BD`);
    expect(batchUrlLength(BASE, ["1", "22"])).toBe(`${BASE}/tasks?task_ids=1,22`.length);
  });
});

describe("chunkTaskIds", () => {
  it("at most maxIds per chunk, in order, nothing lost or repeated", () => {
    const all = ids(25);
    const chunks = chunkTaskIds(BASE, [...all, "t3", "t7"], 10);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(all);
    expect(chunkTaskIds(BASE, [], 10)).toEqual([]);
    expect(chunkTaskIds(BASE, ["a"], 1)).toEqual([["a"]]);
  });

  it("keeps each URL within maxUrlBytes (16 000 by default), filling chunks as far as the limit allows", () => {
    const long = ids(2000, "878106242831892487-"); // ~24 bytes each
    const chunks = chunkTaskIds(BASE, long, 10_000);
    expect(chunks.flat()).toEqual(long);
    expect(chunks.length).toBeGreaterThan(1);
    chunks.forEach((chunk, i) => {
      expect(batchUrlLength(BASE, chunk)).toBeLessThanOrEqual(16_000);
      const next = chunks[i + 1];
      if (next) expect(batchUrlLength(BASE, [...chunk, next[0] as string])).toBeGreaterThan(16_000);
    });
  });

  it("counts encoded bytes, exactly at the limit", () => {
    const limit = batchUrlLength(BASE, ["é1", "é2"]); // each é is 6 bytes once encoded
    expect(chunkTaskIds(BASE, ["é1", "é2", "é3"], 100, limit)).toEqual([["é1", "é2"], ["é3"]]);
    expect(chunkTaskIds(BASE, ["é1", "é2"], 100, limit - 1)).toEqual([["é1"], ["é2"]]);
  });

  it("an id too long for any URL still gets a chunk of its own; a bad maxIds is refused", () => {
    expect(chunkTaskIds(BASE, ["a", "x".repeat(200), "b"], 10, 100)).toEqual([["a"], ["x".repeat(200)], ["b"]]);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => chunkTaskIds(BASE, ["a"], bad)).toThrow(RangeError);
  });
});

describe("queryKlingLegacy / queryKlingBatch (loopback)", () => {
  it("answer the exchange for whatever the server says, never throwing", async () => {
    const legacy = await queryKlingLegacy({
      baseUrl: env.FAKE_URL,
      authorization: "Bearer k",
      productPath: "videos/text2video",
      taskId: "1",
      timeoutMs: 5000,
    });
    // The simulator speaks Kling's API: a key it does not know is refused with Kling's 401 envelope.
    expect(legacy).toMatchObject({ kind: "response", status: 401, truncated: false, body: expect.stringContaining('"code":1002') });
    const batch = await queryKlingBatch({ baseUrl: env.FAKE_URL, authorization: "Bearer k", taskIds: ["1", "2"], timeoutMs: 5000 });
    expect(batch).toMatchObject({ kind: "response", status: 401, body: expect.stringContaining('"code":1002') });
  });

  it("a refused connection is a network exchange that quotes no credential", async () => {
    const exchange = await queryKlingBatch({
      baseUrl: "http://127.0.0.1:1",
      authorization: "Bearer sk-secret",
      taskIds: ["1"],
      timeoutMs: 5000,
    });
    expect(exchange.kind).toBe("network");
    expect(JSON.stringify(exchange)).not.toContain("sk-secret");
  });
});

/**
 * The Kling simulator serves the files its results name, over loopback HTTP: a succeeded task's
 * output URLs (CometAPI's and Kling legacy's `task_result`, the new API's `outputs[]`) point at
 * `{simulator}/media/{task id}/{file}`, whose bytes hash to what `/_sim/media/.../sha256` says (and
 * to what this file recomputes from the documented recipe), with the right type, length and ETag.
 * Byte ranges (206, 416), scripted failures, a status instead, lying lengths, throttling, a stall
 * (bounded here by the client's AbortSignal) and a 500 MB file streamed without the simulator's
 * memory growing. The simulator runs in this process, so `process.memoryUsage()` sees it.
 */
import { createCipheriv, createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { fetchText } from "../../tools/http-helpers";
import { startLoopbackNetwork } from "../../tools/loopback-network";
import { loopbackNetworkForFile, unique } from "./simulator-fixture";

const COMET_KEY = "media-comet-key";
const KLING = { apiKey: "media-kling-api-key", accessKey: "media-access-key", secretKey: "media-secret-key" };
const TIMEOUT_MS = 5_000;
const DEFAULT_SIZE = 256 * 1024;
const TYPES: Record<string, string> = { mp4: "video/mp4", png: "image/png", mp3: "audio/mpeg", wav: "audio/wav" };

const sim = loopbackNetworkForFile({ apiKey: COMET_KEY, kling: KLING });
afterEach(async () => {
  await call("/_sim/media", { method: "DELETE" });
});

async function call(path: string, init: { method?: string; auth?: string; body?: unknown } = {}) {
  const { res, text } = await fetchText(`${sim.network.url}${path}`, {
    method: init.method ?? "GET",
    headers: init.auth === undefined ? {} : { authorization: `Bearer ${init.auth}` },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    timeoutMs: TIMEOUT_MS,
  });
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

/** A media request read to the end: status, headers and the body's bytes. */
async function download(url: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const mediaPath = (id: string, file: string) => `/media/${encodeURIComponent(id)}/${file}`;
const controlSha = async (id: string, file: string) => (await call(`/_sim/media/${encodeURIComponent(id)}/${file}/sha256`)).body;
const configure = async (body: unknown) => {
  const put = await call("/_sim/media", { method: "PUT", body });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return put.body;
};

/** The documented recipe, recomputed here: the AES-128-CTR keystream under SHA-256("kling-sim-media\n{id}/{file}")[0..16]. */
function recipe(id: string, file: string, size: number) {
  const key = createHash("sha256").update(`kling-sim-media\n${id}/${file}`).digest().subarray(0, 16);
  return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Every output file URL of a query answer: legacy `task_result` or the new API's `outputs[]`. */
function outputUrls(answer: { task_result?: any; outputs?: any[] }): string[] {
  const urls: unknown[] = [];
  for (const o of answer.outputs ?? []) urls.push(o.url, o.watermark_url, o.mp3_url, o.wav_url);
  const r = answer.task_result ?? {};
  for (const v of r.videos ?? []) urls.push(v.url, v.watermark_url);
  for (const i of r.images ?? []) urls.push(i.url, i.watermark_url);
  for (const a of r.audios ?? []) urls.push(a.url_mp3, a.url_wav);
  return urls.filter((u): u is string => typeof u === "string" && u !== "");
}

/** A task in each dialect that has already succeeded, and its query's answer. */
async function succeededTasks() {
  const now = { submittedMs: 0, processingMs: 0 };
  const comet = unique("comet");
  await call(`/_sim/tasks/${comet}`, { method: "PUT", body: { action: "audio", action2: "video-to-audio", timeline: now } });
  const cometAnswer = await call(`/kling/v1/audio/video-to-audio/${comet}`, { auth: COMET_KEY });

  const legacyCreate = await call("/v1/images/generations", { method: "POST", auth: KLING.apiKey, body: { x_sim: now } });
  const legacy = legacyCreate.body.data.task_id as string;
  const legacyAnswer = await call(`/v1/images/generations/${legacy}`, { auth: KLING.apiKey });

  const newCreate = await call("/text-to-video/kling-v2-6", { method: "POST", auth: KLING.apiKey, body: { options: {}, x_sim: now } });
  const fresh = newCreate.body.data.id as string;
  const newAnswer = await call(`/tasks?task_ids=${fresh}`, { auth: KLING.apiKey });

  return [
    { id: comet, answer: cometAnswer.body.data, files: ["video-0.mp4", "audio-0.mp3", "audio-0.wav"] },
    { id: legacy, answer: legacyAnswer.body.data, files: ["image-0.png", "watermark-0.png", "image-1.png", "watermark-1.png"] },
    { id: fresh, answer: newAnswer.body.data[0], files: ["video-0.mp4", "watermark-0.mp4"] },
  ];
}

describe("a succeeded task's output URLs", () => {
  it("point at the simulator, in every dialect, and serve bytes whose SHA-256 the control route and the recipe agree on", async () => {
    for (const { id, answer, files } of await succeededTasks()) {
      expect(answer.task_status ?? answer.status).toMatch(/^succeed(ed)?$/);
      const urls = outputUrls(answer);
      expect(urls).toEqual(files.map((file) => `${sim.network.url}${mediaPath(id, file)}`));
      for (const [n, url] of urls.entries()) {
        const file = files[n]!;
        const got = await download(url);
        const control = await controlSha(id, file);
        expect(got.status).toBe(200);
        expect(got.headers.get("content-type")).toBe(TYPES[file.split(".").pop()!]);
        expect(got.headers.get("content-length")).toBe(String(DEFAULT_SIZE));
        expect(got.headers.get("accept-ranges")).toBe("bytes");
        expect(got.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
        expect(control).toMatchObject({ task_id: id, file, sizeBytes: DEFAULT_SIZE, etag: got.headers.get("etag") });
        expect(got.bytes.length).toBe(DEFAULT_SIZE);
        expect(sha256(got.bytes)).toBe(control.sha256);
        expect(sha256(got.bytes)).toBe(sha256(recipe(id, file, DEFAULT_SIZE)));
      }
    }
    // Files differ from one another; the same file is the same on every request.
    const [comet] = await succeededTasks();
    const a = await controlSha(comet!.id, "audio-0.mp3");
    const b = await controlSha(comet!.id, "audio-0.wav");
    expect(a.sha256).not.toBe(b.sha256);
    expect(sha256((await download(`${sim.network.url}${mediaPath(comet!.id, "audio-0.mp3")}`)).bytes)).toBe(a.sha256);
    // video-to-audio's parent video is served too.
    expect(comet!.answer.task_info.parent_video.url).toBe(`${sim.network.url}${mediaPath(comet!.id, "parent-0.mp4")}`);
    expect((await download(comet!.answer.task_info.parent_video.url)).status).toBe(200);
  });

  it("counts requests and bytes per file, and DELETE starts again", async () => {
    const id = unique("count");
    await download(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`);
    await download(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`, { range: "bytes=0-99" });
    await download(`${sim.network.url}${mediaPath(id, "image-0.png")}`, {}, "HEAD");
    const stats = (await call("/_sim/media")).body;
    expect(stats).toMatchObject({ requests: 3, bytesServed: DEFAULT_SIZE + 100, inFlight: 0 });
    expect(stats.byFile[`${id}/video-0.mp4`]).toEqual({
      requests: 2,
      bytesServed: DEFAULT_SIZE + 100,
      statuses: { 200: 1, 206: 1 },
      aborted: 0,
      failuresLeft: 0,
    });
    expect(stats.byFile[`${id}/image-0.png`]).toMatchObject({ requests: 1, bytesServed: 0, statuses: { 200: 1 } });
    const reset = await call("/_sim/media", { method: "DELETE" });
    expect(reset.body).toMatchObject({ requests: 0, bytesServed: 0, byFile: {}, config: { sizeBytes: DEFAULT_SIZE, perFile: {} } });
  });

  it("answers 404 for what it does not serve", async () => {
    expect((await download(`${sim.network.url}/media/x/video-0.gif`)).status).toBe(404);
    expect((await download(`${sim.network.url}/media/x`)).status).toBe(404);
    expect((await download(`${sim.network.url}/media/x/a/video-0.mp4`)).status).toBe(404);
    expect((await download(`${sim.network.url}${mediaPath("x", "video-0.mp4")}`, {}, "POST")).status).toBe(405);
  });
});

describe("byte ranges", () => {
  it("answers 206 with content-range for a-b, a- and -n, and 416 past the end", async () => {
    const id = unique("range");
    const url = `${sim.network.url}${mediaPath(id, "video-0.mp4")}`;
    const whole = recipe(id, "video-0.mp4", DEFAULT_SIZE);
    const etag = (await download(url, {}, "HEAD")).headers.get("etag");
    const cases: [string, number, number][] = [
      ["bytes=1000-1999", 1000, 2000],
      ["bytes=17-17", 17, 18], // inside a 16-byte block
      [`bytes=${DEFAULT_SIZE - 10}-`, DEFAULT_SIZE - 10, DEFAULT_SIZE],
      ["bytes=-100", DEFAULT_SIZE - 100, DEFAULT_SIZE],
      [`bytes=5-${DEFAULT_SIZE * 2}`, 5, DEFAULT_SIZE], // clipped to the end
    ];
    for (const [range, start, end] of cases) {
      const got = await download(url, { range });
      expect(got.status, range).toBe(206);
      expect(got.headers.get("content-range")).toBe(`bytes ${start}-${end - 1}/${DEFAULT_SIZE}`);
      expect(got.headers.get("content-length")).toBe(String(end - start));
      expect(got.headers.get("etag")).toBe(etag);
      expect(got.bytes.equals(whole.subarray(start, end)), range).toBe(true);
    }
    for (const range of [`bytes=${DEFAULT_SIZE}-`, `bytes=${DEFAULT_SIZE + 5}-${DEFAULT_SIZE + 9}`, "bytes=-0"]) {
      const got = await download(url, { range });
      expect(got.status, range).toBe(416);
      expect(got.headers.get("content-range")).toBe(`bytes */${DEFAULT_SIZE}`);
    }
    // Several ranges, or an If-Range that no longer matches: the whole file.
    expect((await download(url, { range: "bytes=0-1,5-6" })).status).toBe(200);
    const stale = await download(url, { range: "bytes=0-9", "if-range": '"not-it"' });
    expect([stale.status, stale.bytes.length]).toEqual([200, DEFAULT_SIZE]);
    expect((await download(url, { range: "bytes=0-9", "if-range": etag! })).status).toBe(206);
  });

  it("changes the ETag with the size", async () => {
    const id = unique("etag");
    const url = `${sim.network.url}${mediaPath(id, "audio-0.wav")}`;
    const before = (await download(url, {}, "HEAD")).headers.get("etag");
    await configure({ perFile: { [`${id}/audio-0.wav`]: { sizeBytes: 1000 } } });
    const after = await download(url);
    expect(after.headers.get("etag")).not.toBe(before);
    expect(after.bytes.equals(recipe(id, "audio-0.wav", 1000))).toBe(true);
    expect((await controlSha(id, "audio-0.wav")).sha256).toBe(sha256(after.bytes));
  });
});

describe("controls", () => {
  it("fails the first failTimes requests with 503, then serves", async () => {
    const id = unique("fail");
    const key = `${id}/image-0.png`;
    const url = `${sim.network.url}${mediaPath(id, "image-0.png")}`;
    expect(await configure({ perFile: { [key]: { failTimes: 2 } } })).toEqual({
      sizeBytes: DEFAULT_SIZE,
      perFile: { [key]: { failTimes: 2 } },
    });
    expect((await download(url)).status).toBe(503);
    expect((await call("/_sim/media")).body.byFile[key].failuresLeft).toBe(1);
    expect((await download(url)).status).toBe(503);
    const ok = await download(url);
    expect(ok.status).toBe(200);
    expect(sha256(ok.bytes)).toBe((await controlSha(id, "image-0.png")).sha256);
    expect((await call("/_sim/media")).body.byFile[key]).toMatchObject({ requests: 3, statuses: { 503: 2, 200: 1 }, failuresLeft: 0 });
  });

  it("answers a status instead, sets sizes, and refuses malformed configs", async () => {
    const id = unique("status");
    await configure({ sizeBytes: 1234, perFile: { [`${id}/video-0.mp4`]: { status: 404 } } });
    expect((await download(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`)).status).toBe(404);
    const other = await download(`${sim.network.url}${mediaPath(id, "watermark-0.mp4")}`);
    expect([other.status, other.bytes.length]).toEqual([200, 1234]);
    // perFile merges: null removes an entry.
    await configure({ perFile: { [`${id}/video-0.mp4`]: null } });
    expect((await download(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`)).status).toBe(200);
    for (const body of [
      { sizeBytes: -1 },
      { sizeBytes: 2 ** 33 },
      { sizes: 1 },
      { perFile: { "no-slash.mp4": {} } },
      { perFile: { "x/file.gif": {} } },
      { perFile: { "x/video-0.mp4": { failTimes: 1.5 } } },
      { perFile: { "x/video-0.mp4": { status: 99 } } },
      { perFile: { "x/video-0.mp4": { bytesPerSecond: 0 } } },
      { perFile: { "x/video-0.mp4": { lieAboutLength: "sometimes" } } },
      { perFile: { "x/video-0.mp4": { hangAfter: 1 } } },
      { perFile: Object.fromEntries(Array.from({ length: 1001 }, (_, n) => [`x/${n}.mp4`, {}])) },
    ]) {
      const put = await call("/_sim/media", { method: "PUT", body });
      expect(put.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(put.body.error).toEqual(expect.any(String));
    }
    expect((await call("/_sim/media")).body.config.sizeBytes).toBe(1234);
  });

  it("lies about the length: a short content-length (the client reads that much), or none (chunked)", async () => {
    const id = unique("lie");
    const size = 10_000;
    await configure({
      perFile: {
        [`${id}/video-0.mp4`]: { sizeBytes: size, lieAboutLength: true },
        [`${id}/audio-0.mp3`]: { sizeBytes: size, lieAboutLength: "omit" },
      },
    });
    const short = await download(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`);
    expect(short.headers.get("content-length")).toBe(String(size / 2));
    expect(short.bytes.equals(recipe(id, "video-0.mp4", size).subarray(0, size / 2))).toBe(true);
    const omitted = await download(`${sim.network.url}${mediaPath(id, "audio-0.mp3")}`);
    expect(omitted.headers.get("content-length")).toBeNull();
    expect(omitted.headers.get("transfer-encoding")).toBe("chunked");
    expect(omitted.bytes.equals(recipe(id, "audio-0.mp3", size))).toBe(true);
    expect((await call("/_sim/media")).body.byFile[`${id}/video-0.mp4`].bytesServed).toBe(size);
  });

  it("throttles a stream to bytesPerSecond", async () => {
    const id = unique("slow");
    await configure({ perFile: { [`${id}/audio-0.wav`]: { sizeBytes: 40_000, bytesPerSecond: 100_000 } } });
    const started = performance.now();
    const got = await download(`${sim.network.url}${mediaPath(id, "audio-0.wav")}`);
    const elapsed = performance.now() - started;
    expect(got.bytes.equals(recipe(id, "audio-0.wav", 40_000))).toBe(true);
    // 40 kB at 100 kB/s: the last byte leaves no sooner than 400 ms after the first request.
    expect(elapsed).toBeGreaterThanOrEqual(395);
  });

  it("stalls after hangAfterBytes until the client gives up, and counts the answer aborted", async () => {
    const id = unique("hang");
    const key = `${id}/video-0.mp4`;
    await configure({ perFile: { [key]: { hangAfterBytes: 10_000 } } });
    const res = await fetch(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`, { signal: AbortSignal.timeout(500) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(DEFAULT_SIZE));
    let received = 0;
    const error = await (async () => {
      for await (const chunk of res.body!) received += chunk.length;
    })().catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
    expect(received).toBe(10_000);
    const deadline = Date.now() + 2_000;
    let stats = (await call("/_sim/media")).body;
    while (stats.inFlight > 0 && Date.now() < deadline) stats = (await call("/_sim/media")).body;
    expect(stats.inFlight).toBe(0);
    expect(stats.byFile[key]).toMatchObject({ requests: 1, bytesServed: 10_000, aborted: 1 });
  });

  it("ends a stalled stream when the simulator closes", async () => {
    const other = await startLoopbackNetwork({ apiKey: COMET_KEY });
    let closed = false;
    try {
      await fetchText(`${other.url}/_sim/media`, {
        method: "PUT",
        body: JSON.stringify({ perFile: { "t/video-0.mp4": { hangAfterBytes: 0 } } }),
        timeoutMs: TIMEOUT_MS,
      });
      const res = await fetch(`${other.url}/media/t/video-0.mp4`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      expect(res.status).toBe(200);
      const read = res.arrayBuffer().then(
        () => "ended",
        (e: Error) => e.name,
      );
      const started = performance.now();
      await other.close();
      closed = true;
      // Cut off by the close, well before the client's own 5 s limit.
      expect(await read).toBe("TypeError"); // undici: "terminated", not the client's TimeoutError
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
      expect(other.simulator.media.stats().inFlight).toBe(0);
    } finally {
      if (!closed) await other.close();
    }
  });
});

describe("a 500 MB file", () => {
  it("streams to a client hashing it while the process's memory stays flat", async () => {
    const id = unique("big");
    const size = 500 * 2 ** 20;
    await configure({ perFile: { [`${id}/video-0.mp4`]: { sizeBytes: size } } });
    const control = (await fetchText(`${sim.network.url}/_sim/media/${id}/video-0.mp4/sha256`, { timeoutMs: 30_000 })).text;
    expect(JSON.parse(control)).toMatchObject({ sizeBytes: size, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const before = process.memoryUsage().rss;
    let peak = before;
    const hash = createHash("sha256");
    let received = 0;
    const res = await fetch(`${sim.network.url}${mediaPath(id, "video-0.mp4")}`, { signal: AbortSignal.timeout(40_000) });
    expect(res.headers.get("content-length")).toBe(String(size));
    for await (const chunk of res.body!) {
      hash.update(chunk);
      received += chunk.length;
      if (received % (8 * 2 ** 20) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(received).toBe(size);
    expect(hash.digest("hex")).toBe(JSON.parse(control).sha256);
    // The simulator (in this process) generated 500 MB chunk by chunk: the resident set barely moved.
    expect((peak - before) / 2 ** 20).toBeLessThan(64);
    expect((await call("/_sim/media")).body.byFile[`${id}/video-0.mp4`].bytesServed).toBe(size);
  });
});

/**
 * The files behind the output URLs the Kling simulator hands out: `GET {base}/media/{task id}/{file}`
 * answers deterministic bytes, generated chunk by chunk as they are sent (a 4 GiB file costs no more
 * memory than a 4 KiB one), with `content-type` by extension, `content-length`, a strong `etag`,
 * `HEAD`, and single byte ranges (206, or 416 when unsatisfiable). Control routes under
 * `/_sim/media` set sizes and misbehaviour per file (a status instead, the first N requests
 * failing with 503, a throttled stream, a stream that stalls, a lying `content-length`) and count
 * what was served.
 *
 * The bytes: the AES-128-CTR keystream (the encryption of zeros) under the key
 * `SHA-256("kling-sim-media\n{task id}/{file}")[0..16]`, counter block 0 at byte 0. Any byte range
 * is computed without the bytes before it, and anyone can recompute a file with `node:crypto`.
 */
import { createCipheriv, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import { json, readBody } from "./http-helpers.ts";

/** Content types by file extension; other extensions are not served (404). */
export const MEDIA_TYPES: Readonly<Record<string, string>> = { mp4: "video/mp4", png: "image/png", mp3: "audio/mpeg", wav: "audio/wav" };
/** The size of every file unless `PUT /_sim/media` says otherwise. */
export const MEDIA_DEFAULT_SIZE = 256 * 1024;
/** The largest size a file may be given (4 GiB). */
export const MEDIA_MAX_SIZE = 2 ** 32;
/** Bytes per write to a response (smaller when throttled). */
const CHUNK = 64 * 1024;
/** Bytes per step when hashing a whole file for `/_sim/media/{id}/{file}/sha256`. */
const HASH_CHUNK = 1024 * 1024;
/** `perFile` entries `PUT /_sim/media` keeps at most. */
const MAX_PER_FILE = 1000;
/** Files `GET /_sim/media` counts separately at most (the oldest is dropped). */
const MAX_BY_FILE = 1000;
/** Media answers streaming at once; more answer 503. */
const MAX_IN_FLIGHT = 256;
/** Whole-file hashes remembered. */
const MAX_HASHES = 100;
const MAX_FAIL_TIMES = 1_000_000;
const MAX_TASK_ID_LENGTH = 200;
const FILE_NAME = /^[A-Za-z0-9_.-]{1,200}\.(mp4|png|mp3|wav)$/;
const LIES = [true, false, "short", "omit"] as const;
const ZEROS = Buffer.alloc(Math.max(CHUNK, HASH_CHUNK));

/** What `PUT /_sim/media` sets for one file (`perFile["{task id}/{file}"]`). */
export interface MediaFileConfig {
  /** This file's size (default: the top-level `sizeBytes`). */
  sizeBytes?: number;
  /** Answer this status (with a short text body) to every request instead of the file. */
  status?: number;
  /** Answer the next N requests 503, then serve. */
  failTimes?: number;
  /** Send the body at about this rate. */
  bytesPerSecond?: number;
  /** Send this many body bytes, then stall until the client goes away (or the simulator stops). */
  hangAfterBytes?: number;
  /**
   * `true` or `"short"`: declare a `content-length` half the body's (the whole body is sent, then
   * the connection closed); `"omit"`: send no `content-length` (chunked).
   */
  lieAboutLength?: boolean | "short" | "omit";
}

export interface MediaConfig {
  sizeBytes: number;
  perFile: Record<string, MediaFileConfig>;
}

export interface MediaFileStats {
  /** GET and HEAD requests, whatever they were answered. */
  requests: number;
  /** Body bytes written. */
  bytesServed: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Answers that ended before their body did (the client went away, a stall ended, the simulator stopped). */
  aborted: number;
  /** `failTimes` 503s still to answer. */
  failuresLeft: number;
}

export interface MediaStats {
  requests: number;
  bytesServed: number;
  /** Answers streaming now. */
  inFlight: number;
  byFile: Record<string, MediaFileStats>;
  config: MediaConfig;
}

/** The URL the simulator serves a task's file at. */
export const mediaUrl = (base: string, taskId: string, file: string) =>
  `${base}/media/${encodeURIComponent(taskId)}/${encodeURIComponent(file)}`;

/** The AES-128 key a file's bytes are the keystream of. */
export const mediaKey = (taskId: string, file: string) =>
  createHash("sha256").update(`kling-sim-media\n${taskId}/${file}`).digest().subarray(0, 16);

/** A file's strong ETag: it changes with the size (the bytes of a prefix do not). */
export const mediaEtag = (taskId: string, file: string, sizeBytes: number) =>
  `"${createHash("sha256").update(`${taskId}/${file}/${sizeBytes}`).digest("hex").slice(0, 32)}"`;

/** A file's bytes from `start` (inclusive) to `end` (exclusive), at most `chunk` bytes at a time. */
export function* mediaChunks(taskId: string, file: string, start: number, end: number, chunk = CHUNK): Generator<Buffer> {
  const size = Math.min(chunk, ZEROS.length);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(start / 16)), 8);
  const cipher = createCipheriv("aes-128-ctr", mediaKey(taskId, file), iv);
  if (start % 16) cipher.update(ZEROS.subarray(0, start % 16));
  for (let at = start; at < end; at += size) yield cipher.update(ZEROS.subarray(0, Math.min(size, end - at)));
}

/** The hex SHA-256 of a whole file, hashed a megabyte at a time; `cancelled` stops it. */
export async function mediaSha256(taskId: string, file: string, sizeBytes: number, cancelled: () => boolean = () => false) {
  const hash = createHash("sha256");
  let steps = 0;
  for (const chunk of mediaChunks(taskId, file, 0, sizeBytes, HASH_CHUNK)) {
    hash.update(chunk);
    // Other requests get their turn between megabytes.
    if (++steps % 4 === 0) await nextTurn();
    if (cancelled()) throw new Error("the simulator stopped");
  }
  return hash.digest("hex");
}

/** A `Range` header against a file of `size` bytes: the range `[start, end)`, "unsatisfiable", or null (serve it all). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return null; // absent, malformed or several ranges: ignored
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  const last = match[2] === "" ? Number.POSITIVE_INFINITY : Number(match[2]);
  if (last < start) return null; // invalid: ignored
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(last, size - 1) + 1 };
}

const isInt = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/** A `perFile` key's task id and file, or null when it does not name a file the simulator serves. */
function splitKey(key: string): { taskId: string; file: string } | null {
  const slash = key.lastIndexOf("/");
  const taskId = key.slice(0, slash);
  const file = key.slice(slash + 1);
  return slash > 0 && taskId.length <= MAX_TASK_ID_LENGTH && FILE_NAME.test(file) ? { taskId, file } : null;
}

/** One `perFile` entry checked; a string says what is wrong. */
function checkFileConfig(key: string, value: unknown): MediaFileConfig | string {
  if (!splitKey(key)) return `perFile key ${JSON.stringify(key)} must be "{task id}/{file}" with a .mp4, .png, .mp3 or .wav file`;
  if (!value || typeof value !== "object" || Array.isArray(value)) return `perFile[${key}] must be an object or null`;
  const entry = value as Record<string, unknown>;
  const fields: Record<keyof MediaFileConfig, (v: unknown) => boolean> = {
    sizeBytes: (v) => isInt(v, 0, MEDIA_MAX_SIZE),
    status: (v) => isInt(v, 200, 599),
    failTimes: (v) => isInt(v, 0, MAX_FAIL_TIMES),
    bytesPerSecond: (v) => typeof v === "number" && Number.isFinite(v) && v >= 1,
    hangAfterBytes: (v) => isInt(v, 0, MEDIA_MAX_SIZE),
    lieAboutLength: (v) => LIES.includes(v as (typeof LIES)[number]),
  };
  const expected: Record<keyof MediaFileConfig, string> = {
    sizeBytes: `an integer 0..${MEDIA_MAX_SIZE}`,
    status: "an HTTP status 200..599",
    failTimes: `an integer 0..${MAX_FAIL_TIMES}`,
    bytesPerSecond: "a number >= 1",
    hangAfterBytes: `an integer 0..${MEDIA_MAX_SIZE}`,
    lieAboutLength: 'true, false, "short" or "omit"',
  };
  for (const [field, v] of Object.entries(entry)) {
    if (!Object.hasOwn(fields, field)) return `perFile[${key}]: unknown field ${field}`;
    if (!fields[field as keyof MediaFileConfig](v)) return `perFile[${key}].${field} must be ${expected[field as keyof MediaFileConfig]}`;
  }
  return entry as MediaFileConfig;
}

export function createMediaServer() {
  let config: MediaConfig = { sizeBytes: MEDIA_DEFAULT_SIZE, perFile: {} };
  const failuresLeft = new Map<string, number>();
  let totals = { requests: 0, bytesServed: 0 };
  let byFile = new Map<string, MediaFileStats>();
  const inFlight = new Set<ServerResponse>();
  const hashes = new Map<string, Promise<string>>();
  let stopped = false;

  const sizeOf = (key: string) => config.perFile[key]?.sizeBytes ?? config.sizeBytes;

  function statsOf(key: string): MediaFileStats {
    let entry = byFile.get(key);
    if (!entry) {
      if (byFile.size >= MAX_BY_FILE) byFile.delete(byFile.keys().next().value!);
      entry = { requests: 0, bytesServed: 0, statuses: {}, aborted: 0, failuresLeft: 0 };
      byFile.set(key, entry);
    }
    return entry;
  }

  function stats(): MediaStats {
    const files: Record<string, MediaFileStats> = {};
    for (const [key, entry] of byFile) files[key] = { ...entry, statuses: { ...entry.statuses }, failuresLeft: failuresLeft.get(key) ?? 0 };
    return { ...totals, inFlight: inFlight.size, byFile: files, config };
  }

  /** Resolves after `ms`, or as soon as `res` closes. */
  const pause = (res: ServerResponse, ms: number) =>
    new Promise<void>((resolve) => {
      if (res.destroyed || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        res.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      res.on("close", done);
    });

  /** Resolves when `res` closes. */
  const closed = (res: ServerResponse) => new Promise<void>((resolve) => (res.destroyed ? resolve() : res.once("close", () => resolve())));

  /** Resolves when `res` can take more, or closes. */
  const drained = (res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });

  /** Writes `[start, end)` of the file with backpressure, throttled and stalled as configured. */
  async function stream(
    res: ServerResponse,
    entry: MediaFileStats,
    { taskId, file, start, end }: { taskId: string; file: string; start: number; end: number },
    fileConfig: MediaFileConfig,
  ) {
    const stallAt = fileConfig.hangAfterBytes === undefined ? end : Math.min(end, start + fileConfig.hangAfterBytes);
    const rate = fileConfig.bytesPerSecond;
    const chunk = rate ? Math.max(1, Math.min(CHUNK, Math.floor(rate / 20))) : CHUNK;
    const began = performance.now();
    let sent = 0;
    res.flushHeaders();
    for (const bytes of mediaChunks(taskId, file, start, stallAt, chunk)) {
      // Throttled: each chunk leaves no sooner than the rate allows the bytes up to its end.
      if (rate) await pause(res, began + ((sent + bytes.length) / rate) * 1000 - performance.now());
      if (res.destroyed) return;
      const more = res.write(bytes);
      sent += bytes.length;
      entry.bytesServed += bytes.length;
      totals.bytesServed += bytes.length;
      if (!more) await drained(res);
    }
    if (res.destroyed) return;
    // A stall: nothing more until the client gives up (or DELETE /_sim/media, or stop()).
    if (stallAt < end) return closed(res);
    res.end();
  }

  /** `GET` / `HEAD /media/{task id}/{file}` (`parts`: the path after `/media`). */
  async function serve(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [taskId = "", file = "", ...rest] = parts;
    if (rest.length > 0 || taskId === "" || taskId.length > MAX_TASK_ID_LENGTH || !FILE_NAME.test(file))
      return json(res, 404, { error: "no such media: /media/{task id}/{file}.{mp4|png|mp3|wav}" });
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "GET or HEAD only" }, { allow: "GET, HEAD" });
    if (stopped) return void res.destroy();
    const key = `${taskId}/${file}`;
    const entry = statsOf(key);
    entry.requests += 1;
    totals.requests += 1;
    const counted = (status: number) => (entry.statuses[status] = (entry.statuses[status] ?? 0) + 1);
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
      counted(status);
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    const fileConfig = config.perFile[key] ?? {};
    if (fileConfig.status !== undefined) return plain(fileConfig.status, `simulated status ${fileConfig.status}\n`);
    const failures = failuresLeft.get(key) ?? 0;
    if (failures > 0) {
      failuresLeft.set(key, failures - 1);
      return plain(503, "simulated failure (failTimes)\n");
    }
    if (inFlight.size >= MAX_IN_FLIGHT) return plain(503, `more than ${MAX_IN_FLIGHT} media answers in flight\n`);

    const size = sizeOf(key);
    const etag = mediaEtag(taskId, file, size);
    const ifRange = req.headers["if-range"];
    const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
    const common = { "content-type": MEDIA_TYPES[file.slice(file.lastIndexOf(".") + 1)]!, etag, "accept-ranges": "bytes" };
    if (range === "unsatisfiable") return plain(416, "range not satisfiable\n", { "content-range": `bytes */${size}` });
    const { start, end } = range ?? { start: 0, end: size };
    const status = range ? 206 : 200;
    const headers: Record<string, string> = { ...common, ...(range ? { "content-range": `bytes ${start}-${end - 1}/${size}` } : {}) };
    const lie = fileConfig.lieAboutLength === true ? "short" : fileConfig.lieAboutLength || null;
    if (lie === "short") {
      headers["content-length"] = String(Math.floor((end - start) / 2));
      headers.connection = "close";
    } else if (lie === null) headers["content-length"] = String(end - start);
    counted(status);
    res.writeHead(status, headers);
    if (req.method === "HEAD") return void res.end();

    inFlight.add(res);
    res.on("close", () => {
      inFlight.delete(res);
      if (!res.writableFinished) entry.aborted += 1;
    });
    // A failure half way can only end the answer.
    await stream(res, entry, { taskId, file, start, end }, fileConfig).catch(() => res.destroy());
  }

  /** Reads and applies `PUT /_sim/media`; a string says what is wrong (nothing is applied then). */
  function configure(body: unknown): string | null {
    if (!body || typeof body !== "object" || Array.isArray(body)) return "the body must be a JSON object";
    const given = body as Record<string, unknown>;
    for (const field of Object.keys(given)) if (field !== "sizeBytes" && field !== "perFile") return `unknown field ${field}`;
    if ("sizeBytes" in given && !isInt(given.sizeBytes, 0, MEDIA_MAX_SIZE)) return `sizeBytes must be an integer 0..${MEDIA_MAX_SIZE}`;
    const perFile = { ...config.perFile };
    const fresh: Record<string, number> = {};
    if ("perFile" in given) {
      const entries = given.perFile;
      if (!entries || typeof entries !== "object" || Array.isArray(entries)) return "perFile must be an object";
      for (const [key, value] of Object.entries(entries)) {
        if (value === null) {
          delete perFile[key];
          fresh[key] = 0;
          continue;
        }
        const checked = checkFileConfig(key, value);
        if (typeof checked === "string") return checked;
        perFile[key] = checked;
        fresh[key] = checked.failTimes ?? 0;
      }
      if (Object.keys(perFile).length > MAX_PER_FILE) return `perFile holds at most ${MAX_PER_FILE} files`;
    }
    config = { sizeBytes: (given.sizeBytes as number | undefined) ?? config.sizeBytes, perFile };
    for (const [key, count] of Object.entries(fresh)) count > 0 ? failuresLeft.set(key, count) : failuresLeft.delete(key);
    return null;
  }

  /** Ends every media answer still streaming or stalled. */
  function endInFlight() {
    for (const res of inFlight) res.destroy();
    inFlight.clear();
  }

  /** The whole file's SHA-256, computed once per (file, size). */
  function sha256Of(taskId: string, file: string, size: number): Promise<string> {
    const key = `${size}:${taskId}/${file}`;
    let hash = hashes.get(key);
    if (!hash) {
      if (hashes.size >= MAX_HASHES) hashes.delete(hashes.keys().next().value!);
      hash = mediaSha256(taskId, file, size, () => stopped);
      hashes.set(key, hash);
      hash.catch(() => hashes.delete(key));
    }
    return hash;
  }

  /** Routes under `/_sim/media` (`parts`: the path after it). True when answered. */
  async function serveControl(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<true> {
    const answer = (status: number, body: unknown): true => {
      json(res, status, body);
      return true;
    };
    if (parts.length === 0) {
      if (req.method === "PUT") {
        let body: unknown;
        try {
          body = JSON.parse((await readBody(req)) || "{}");
        } catch {
          return answer(400, { error: "the body is not JSON" });
        }
        const problem = configure(body);
        if (problem) return answer(400, { error: problem });
        return answer(200, config);
      }
      if (req.method === "DELETE") {
        endInFlight();
        config = { sizeBytes: MEDIA_DEFAULT_SIZE, perFile: {} };
        failuresLeft.clear();
        totals = { requests: 0, bytesServed: 0 };
        byFile = new Map();
      }
      return answer(200, stats());
    }
    const [taskId = "", file = "", what] = parts;
    if (parts.length === 3 && what === "sha256" && req.method === "GET" && FILE_NAME.test(file) && taskId.length <= MAX_TASK_ID_LENGTH) {
      const key = `${taskId}/${file}`;
      const size = sizeOf(key);
      const sha256 = await sha256Of(taskId, file, size);
      const contentType = MEDIA_TYPES[file.slice(file.lastIndexOf(".") + 1)];
      return answer(200, { task_id: taskId, file, sizeBytes: size, contentType, etag: mediaEtag(taskId, file, size), sha256 });
    }
    return answer(404, { error: "no such media control route: /_sim/media, /_sim/media/{task id}/{file}/sha256" });
  }

  return {
    serve,
    serveControl,
    /** As `PUT /_sim/media`; throws on a malformed config. */
    configure: (body: unknown) => {
      const problem = configure(body);
      if (problem) throw new Error(problem);
      return config;
    },
    stats,
    /** Ends every media answer in flight and any hashing; nothing is served afterwards. */
    stop: () => {
      stopped = true;
      endInFlight();
    },
  };
}

export type MediaServer = ReturnType<typeof createMediaServer>;

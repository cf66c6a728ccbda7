/** `GET /files/{key}`: archived files by signed link, streamed from the ARCHIVE bucket (src/http/file-routes.ts). */
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { archiveKey, signArchiveLink } from "../src/domain/archive-link";
import { encodeBase64 } from "../src/lib/base64";
import { relayRequest, unique } from "./support/relay";

const ORIGIN = "http://relay.test";
const SIZE = 100_000;
/** Bytes that differ everywhere (a range read from the wrong offset would not match). */
const BYTES = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7919 + (i >> 8) * 31) & 0xff);
const SECRET = env.ARCHIVE_LINK_SECRET!;
const OTHER_SECRET = "archive-link-other-secret-0123456789abcdef";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sha256 = async (data: ArrayBuffer | Uint8Array) => encodeBase64(await crypto.subtle.digest("SHA-256", data));

function get(link: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(link, init));
}

/** A signed path and query (what follows the origin) for `key`. */
async function linkTo(key: string, { ttl = 3600, secret = SECRET } = {}): Promise<string> {
  return signArchiveLink({ baseUrl: ORIGIN, key, expiresAt: nowSeconds() + ttl, secret });
}

/** An object of the ARCHIVE bucket under a key no other test uses. */
async function archived(bytes: Uint8Array = BYTES, contentType: string | null = "video/mp4", taskId = unique("task")) {
  const key = archiveKey("default", "kling", taskId, 0, "url");
  const object = await env.ARCHIVE!.put(key, bytes, contentType ? { httpMetadata: { contentType } } : {});
  return { key, etag: object.httpEtag };
}

async function errorCode(res: Response): Promise<string> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe("GET /files/{key}", () => {
  let file: { key: string; etag: string };
  let link: string;
  beforeAll(async () => {
    file = await archived();
    link = await linkTo(file.key, { ttl: 3600 });
  });

  it("streams the exact bytes with the object's type, length, ETag, and a private cache until the link expires", async () => {
    const res = await get(link);
    expect(res.status).toBe(200);
    expect(await sha256(await res.arrayBuffer())).toBe(await sha256(BYTES));
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("content-length")).toBe(String(SIZE));
    expect(res.headers.get("etag")).toBe(file.etag);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("sandbox");
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get("cache-control")!)![1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  it("needs no API key, and says application/octet-stream for an object without a type", async () => {
    const untyped = await archived(new Uint8Array([1, 2, 3]), null);
    const res = await get(await linkTo(untyped.key), { headers: { authorization: "Bearer wrong-key-0123456789012345" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=1000-1999", 1000, 1999],
    ["bytes=99990-", 99_990, SIZE - 1],
    ["bytes=-5", SIZE - 5, SIZE - 1],
    ["bytes=99000-200000", 99_000, SIZE - 1],
    ["bytes=-200000", 0, SIZE - 1],
    ["bytes=7-7", 7, 7],
    ["BYTES = 10 - 19", 10, 19],
  ])("Range %j answers 206 with those bytes", async (range, first, last) => {
    const res = await get(link, { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${first}-${last}/${SIZE}`);
    expect(res.headers.get("content-length")).toBe(String(last - first + 1));
    expect(res.headers.get("etag")).toBe(file.etag);
    expect(await sha256(await res.arrayBuffer())).toBe(await sha256(BYTES.slice(first, last + 1)));
  });

  it.each(["bytes=0-1,5-6", "bytes=5-1", "items=0-5", "bytes=-", "bytes=a-b"])(
    "Range %j (several, backwards, another unit, malformed) answers the whole file",
    async (range) => {
      const res = await get(link, { headers: { range } });
      expect(res.status).toBe(200);
      expect(res.headers.has("content-range")).toBe(false);
      expect((await res.arrayBuffer()).byteLength).toBe(SIZE);
    },
  );

  it.each([`bytes=${SIZE}-`, `bytes=${SIZE + 5}-${SIZE + 10}`, "bytes=-0"])("Range %j answers 416 with bytes */size", async (range) => {
    const res = await get(link, { headers: { range } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${SIZE}`);
    expect(await errorCode(res)).toBe("range_not_satisfiable");
  });

  it("any range of an empty file is unsatisfiable; the file itself is 0 bytes", async () => {
    const empty = await archived(new Uint8Array(0), "image/png");
    const emptyLink = await linkTo(empty.key);
    const whole = await get(emptyLink);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-length")).toBe("0");
    expect((await whole.arrayBuffer()).byteLength).toBe(0);
    const ranged = await get(emptyLink, { headers: { range: "bytes=0-" } });
    expect(ranged.status).toBe(416);
    expect(ranged.headers.get("content-range")).toBe("bytes */0");
    await ranged.arrayBuffer();
  });

  it("If-Range with the ETag keeps the range; another ETag or a date gets the whole file", async () => {
    const kept = await get(link, { headers: { range: "bytes=0-9", "if-range": file.etag } });
    expect(kept.status).toBe(206);
    await kept.arrayBuffer();
    for (const ifRange of ['"another"', `W/${file.etag}`, new Date().toUTCString()]) {
      const whole = await get(link, { headers: { range: "bytes=0-9", "if-range": ifRange } });
      expect(whole.status, ifRange).toBe(200);
      expect((await whole.arrayBuffer()).byteLength).toBe(SIZE);
    }
  });

  it("If-None-Match with the ETag (weak too, in a list, or *) answers 304 without a body", async () => {
    for (const tag of [file.etag, `W/${file.etag}`, `"nope", ${file.etag}`, "*"]) {
      const res = await get(link, { headers: { "if-none-match": tag } });
      expect(res.status, tag).toBe(304);
      expect(res.headers.get("etag")).toBe(file.etag);
      expect(res.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
      expect(await res.text()).toBe("");
    }
    const changed = await get(link, { headers: { "if-none-match": '"another"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
  });

  it("HEAD answers the same headers without the body", async () => {
    const res = await get(link, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(SIZE));
    expect(res.headers.get("etag")).toBe(file.etag);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(await res.text()).toBe("");
    const ranged = await get(link, { method: "HEAD", headers: { range: "bytes=-10" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
  });

  it("HEAD and 304 never read the object's body from the bucket", async () => {
    const reads: string[] = [];
    const bucket = env.ARCHIVE!;
    const counting = {
      head: (key: string) => bucket.head(key),
      get: (key: string, options?: R2GetOptions) => {
        reads.push(key);
        return bucket.get(key, options);
      },
    } as unknown as R2Bucket;
    const path = link.slice(ORIGIN.length);
    expect((await relayRequest(path, { method: "HEAD" }, { ARCHIVE: counting })).status).toBe(200);
    expect((await relayRequest(path, { headers: { "if-none-match": file.etag } }, { ARCHIVE: counting })).status).toBe(304);
    expect(reads).toEqual([]);
    const res = await relayRequest(path, {}, { ARCHIVE: counting });
    expect((await res.arrayBuffer()).byteLength).toBe(SIZE);
    expect(reads).toEqual([file.key]);
  });

  it("serves a key whose parts needed encoding, by the link signArchiveLink made", async () => {
    const odd = await archived(new Uint8Array([9, 8, 7]), "audio/mpeg", `a/../b 100%é-${unique("t")}`);
    expect(odd.key).toContain("%2F%2E%2E%2F");
    const res = await get(await linkTo(odd.key));
    expect(res.status).toBe(200);
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([9, 8, 7]);
  });
});

describe("GET /files/{key} refuses", () => {
  let file: { key: string; etag: string };
  let link: URL;
  beforeAll(async () => {
    file = await archived();
    link = new URL(await linkTo(file.key));
  });

  const withQuery = (changes: Record<string, string | null>, pathname = link.pathname) => {
    const url = new URL(link);
    url.pathname = pathname;
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    }
    return url.toString();
  };

  it("an expired link: 403", async () => {
    const expired = await signArchiveLink({ baseUrl: ORIGIN, key: file.key, expiresAt: nowSeconds() - 1, secret: SECRET });
    const res = await get(expired);
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("forbidden");
  });

  it("an altered key, expiry or signature, or a link without them: 403, before the bucket is read", async () => {
    const other = await archived(new Uint8Array([1]));
    const signature = link.searchParams.get("signature")!;
    const expires = link.searchParams.get("expires")!;
    const cases = {
      "another key": withQuery({}, `/files/${other.key}`),
      "another output index": withQuery({}, link.pathname.replace(/\/0-url$/, "/1-url")),
      "a later expiry": withQuery({ expires: String(Number(expires) + 86_400) }),
      "a changed signature": withQuery({ signature: (signature[0] === "A" ? "B" : "A") + signature.slice(1) }),
      "a longer signature": withQuery({ signature: `${signature}A` }),
      "no signature": withQuery({ signature: null }),
      "no expiry": withQuery({ expires: null }),
      "no query": withQuery({ signature: null, expires: null }),
      "another secret's signature": await linkTo(file.key, { secret: OTHER_SECRET }),
      "a key of another shape": withQuery({}, "/files/default/kling/x.y/0-url"),
    };
    for (const [name, url] of Object.entries(cases)) {
      const res = await get(url);
      expect(res.status, name).toBe(403);
      expect(await errorCode(res), name).toBe("forbidden");
    }
  });

  it("a signed link to a missing object: 404", async () => {
    const res = await get(await linkTo(archiveKey("default", "kling", unique("never-archived"), 0, "url")));
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("not_found");
  });

  it("without the ARCHIVE binding or without ARCHIVE_LINK_SECRET: 404 for every link", async () => {
    const path = link.toString().slice(ORIGIN.length);
    for (const overrides of [{ ARCHIVE: undefined }, { ARCHIVE_LINK_SECRET: undefined }, { ARCHIVE_LINK_SECRET: "" }]) {
      const res = await relayRequest(path, {}, overrides);
      expect(res.status, JSON.stringify(Object.keys(overrides))).toBe(404);
      expect(await errorCode(res)).toBe("not_found");
    }
    // And the same env with both answers: the overrides are what turned it off.
    expect((await relayRequest(path, {}, {})).status).toBe(200);
  });

  it("rotation: with two secrets, links signed by either are served", async () => {
    const rotated = { ARCHIVE_LINK_SECRET: `${OTHER_SECRET} ${SECRET}` };
    for (const secret of [SECRET, OTHER_SECRET]) {
      const res = await relayRequest((await linkTo(file.key, { secret })).slice(ORIGIN.length), {}, rotated);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("POST is not a route", async () => {
    const res = await get(link.toString(), { method: "POST" });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});

describe("GET /files/{key} logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never the signature, whatever the answer", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) => vi.spyOn(console, level));
    const file = await archived(new Uint8Array([5]));
    const link = await linkTo(file.key);
    const signature = new URL(link).searchParams.get("signature")!;
    const broken = {
      // The bucket fails: the app's error handler logs what failed.
      ARCHIVE: { head: () => Promise.reject(new Error("R2 is down")) } as unknown as R2Bucket,
    };
    const answers = [
      (await get(link)).status,
      (await get(link.replace(/expires=\d+/, "expires=1"))).status,
      (await relayRequest(link.slice(ORIGIN.length), {}, broken)).status,
    ];
    expect(answers).toEqual([200, 403, 500]);
    const logged = spies.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(" ")));
    expect(logged.some((line) => line.includes("R2 is down"))).toBe(true);
    for (const line of logged) expect(line).not.toContain(signature);
  });
});

/** Archived files' keys and signed links (src/domain/archive-link.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ARCHIVE_LINK_DEFAULT_TTL_SECONDS,
  archiveKey,
  archiveLink,
  isArchiveKey,
  signArchiveLink,
  verifyArchiveLink,
} from "../../src/domain/archive-link";

const SECRET = "archive-link-secret-one-0123456789abcdef";
const NEXT = "archive-link-secret-two-fedcba9876543210";
const STRANGER = "archive-link-secret-of-someone-else-0000";
const KEY = "default/kling/8781/0-url";
const EXPIRES = 1767225600;
/** HMAC-SHA256(SECRET, "default/kling/8781/0-url\n1767225600"), base64url, computed with Node's crypto. */
const KNOWN_SIGNATURE = "aKFqFReFdkfWl17zqZu2le0hHLsFJ2ecJWcuYwtg6bQ";

/** The parts of a link as the route reads them: the path's segments decoded once, and the query. */
function partsOf(link: string) {
  const url = new URL(link);
  const key = url.pathname.split("/").slice(2).map(decodeURIComponent).join("/");
  return { key, expires: url.searchParams.get("expires")!, signature: url.searchParams.get("signature")! };
}

const verify = (parts: { key: string; expires: string; signature: string }, now = EXPIRES - 1, secrets = [SECRET]) =>
  verifyArchiveLink({ ...parts, secrets, now });

describe("archiveKey", () => {
  it("is {tenant}/{provider}/{task id}/{index}-{field}, ordinary ids unchanged", () => {
    expect(archiveKey("default", "kling", "8781", 0, "url")).toBe(KEY);
    expect(archiveKey("ten_0123456789abcdef01234567", "cometapi", "abc_DEF-9", 12, "watermark_url")).toBe(
      "ten_0123456789abcdef01234567/cometapi/abc_DEF-9/12-watermark_url",
    );
  });

  it("percent-encodes everything else, `.`, `/` and `%` included, so no part is empty, `.` or `..`", () => {
    expect(archiveKey("default", "kling", "..", 0, "url")).toBe("default/kling/%2E%2E/0-url");
    expect(archiveKey("default", "kling", ".", 0, "url")).toBe("default/kling/%2E/0-url");
    expect(archiveKey("default", "kling", "a/../b", 1, "url")).toBe("default/kling/a%2F%2E%2E%2Fb/1-url");
    expect(archiveKey("default", "kling", "100%", 0, "url")).toBe("default/kling/100%25/0-url");
    expect(archiveKey("default", "kling", "é 🚀", 0, "url")).toBe("default/kling/%C3%A9%20%F0%9F%9A%80/0-url");
    expect(archiveKey("default", "kling", "x", 0, "mp3.url")).toBe("default/kling/x/0-mp3%2Eurl");
  });

  it("is one-to-one: different parts never make the same key", () => {
    const part = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" });
    fc.assert(
      fc.property(part, part, part, part, (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        expect(archiveKey(a, "kling", b, 0, "url")).not.toBe(archiveKey(c, "kling", d, 0, "url"));
      }),
    );
  });

  it("makes only keys isArchiveKey accepts, with no empty, `.` or `..` segment", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1, maxLength: 150 }),
        fc.nat(),
        fc.string({ minLength: 1 }),
        (t, id, i, f) => {
          const key = archiveKey(t, "cometapi", id, i, f);
          expect(isArchiveKey(key)).toBe(true);
          for (const segment of key.split("/")) expect(["", ".", ".."]).not.toContain(segment);
        },
      ),
    );
  });

  it("refuses an empty part, a bad index and a key over 1024 bytes", () => {
    expect(() => archiveKey("", "kling", "1", 0, "url")).toThrow(RangeError);
    expect(() => archiveKey("default", "kling", "", 0, "url")).toThrow(RangeError);
    expect(() => archiveKey("default", "kling", "1", 0, "")).toThrow(RangeError);
    for (const index of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => archiveKey("default", "kling", "1", index, "url")).toThrow(RangeError);
    expect(() => archiveKey("default", "kling", "/".repeat(400), 0, "url")).toThrow(RangeError);
  });

  it.each([
    "",
    "default/kling/8781",
    "default/kling/8781/url",
    "default/kling/8781/01-url",
    "default/kling/8781/-1-url",
    "default//8781/0-url",
    "default/kling/../0-url",
    "default/kling/./0-url",
    "default/kling/a.b/0-url",
    "default/kling/8781/0-url/",
    "/default/kling/8781/0-url",
    "default/kling/8781/0-url/extra",
    "default/kling/%2e%2e/0-url",
    "default/kling/%zz/0-url",
    "default/kling/a b/0-url",
  ])("isArchiveKey refuses %j", (key) => {
    expect(isArchiveKey(key)).toBe(false);
  });
});

describe("signArchiveLink", () => {
  it("gives {baseUrl}/files/{key}?expires=&signature= with the HMAC-SHA256 of key and expiry", async () => {
    const link = await signArchiveLink({ baseUrl: "https://relay.example.com/", key: KEY, expiresAt: EXPIRES, secret: SECRET });
    expect(link).toBe(`https://relay.example.com/files/${KEY}?expires=${EXPIRES}&signature=${KNOWN_SIGNATURE}`);
  });

  it("URL-encodes each segment of the key, so the route gets the key back exactly", async () => {
    const key = archiveKey("default", "kling", "a/../b 100%", 3, "url");
    const link = await signArchiveLink({ baseUrl: "https://relay.example.com", key, expiresAt: EXPIRES, secret: SECRET });
    expect(new URL(link).pathname).toBe("/files/default/kling/a%252F%252E%252E%252Fb%2520100%2525/3-url");
    expect(partsOf(link).key).toBe(key);
    expect(await verify(partsOf(link))).toBe("ok");
  });

  it("refuses what archiveKey would not make, and an expiry that is not positive whole seconds", async () => {
    const sign = (key: string, expiresAt: number, secret = SECRET) =>
      signArchiveLink({ baseUrl: "https://r.example", key, expiresAt, secret });
    await expect(sign("../etc/passwd", EXPIRES)).rejects.toThrow(RangeError);
    await expect(sign(KEY, 0)).rejects.toThrow(RangeError);
    await expect(sign(KEY, 1.5)).rejects.toThrow(RangeError);
    await expect(sign(KEY, EXPIRES, "")).rejects.toThrow(RangeError);
  });
});

describe("verifyArchiveLink", () => {
  const signed = async (expiresAt = EXPIRES, secret = SECRET, key = KEY) =>
    partsOf(await signArchiveLink({ baseUrl: "https://relay.example.com", key, expiresAt, secret }));

  it("accepts a link until its expiry, then says expired", async () => {
    const parts = await signed();
    expect(await verify(parts, EXPIRES - 1)).toBe("ok");
    expect(await verify(parts, 0)).toBe("ok");
    expect(await verify(parts, EXPIRES)).toBe("expired");
    expect(await verify(parts, EXPIRES + 86_400)).toBe("expired");
    expect(await verifyArchiveLink({ ...parts, expires: EXPIRES, secrets: [SECRET], now: 1 })).toBe("ok");
  });

  it("refuses a changed key, expiry or signature", async () => {
    const parts = await signed();
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    for (const changed of [
      { ...parts, key: "default/kling/8782/0-url" },
      { ...parts, key: "default/kling/8781/1-url" },
      { ...parts, key: "ten_x/kling/8781/0-url" },
      { ...parts, expires: String(EXPIRES + 1) },
      { ...parts, expires: String(EXPIRES + 86_400 * 365) },
      { ...parts, expires: `0${EXPIRES}` },
      { ...parts, expires: `${EXPIRES}.0` },
      { ...parts, expires: ` ${EXPIRES}` },
      { ...parts, signature: flip(parts.signature, 0) },
      { ...parts, signature: flip(parts.signature, 42) },
      { ...parts, signature: `${parts.signature}=` },
      { ...parts, signature: parts.signature.slice(0, 42) },
      { ...parts, signature: "" },
      { ...parts, expires: "" },
    ])
      expect(await verify(changed), JSON.stringify(changed)).toBe("invalid");
  });

  it("says invalid, not expired, for an expired link that was not signed", async () => {
    const parts = await signed(EXPIRES, STRANGER);
    expect(await verify(parts, EXPIRES + 10)).toBe("invalid");
  });

  it("any single changed character of the signature is refused", async () => {
    const parts = await signed();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    await fc.assert(
      fc.asyncProperty(fc.nat(42), fc.constantFrom(...alphabet), async (i, ch) => {
        fc.pre(parts.signature[i] !== ch);
        const signature = parts.signature.slice(0, i) + ch + parts.signature.slice(i + 1);
        expect(await verify({ ...parts, signature })).toBe("invalid");
      }),
      { numRuns: 60 },
    );
  });

  it("rotation: with two secrets, links signed by either verify; a third is refused; none configured refuses all", async () => {
    const byOld = await signed(EXPIRES, SECRET);
    const byNew = await signed(EXPIRES, NEXT);
    expect(await verify(byOld, EXPIRES - 1, [NEXT, SECRET])).toBe("ok");
    expect(await verify(byNew, EXPIRES - 1, [NEXT, SECRET])).toBe("ok");
    expect(await verify(byNew, EXPIRES - 1, [SECRET])).toBe("invalid");
    expect(await verify(await signed(EXPIRES, STRANGER), EXPIRES - 1, [NEXT, SECRET])).toBe("invalid");
    expect(await verify(byOld, EXPIRES - 1, [])).toBe("invalid");
  });

  it("refuses a key that is not an archive key even when signed over", async () => {
    expect(await verifyArchiveLink({ key: "../x", expires: String(EXPIRES), signature: KNOWN_SIGNATURE, secrets: [SECRET], now: 0 })).toBe(
      "invalid",
    );
  });
});

describe("archiveLink", () => {
  const config = { publicBaseUrl: "https://relay.example.com", archiveLinkSecrets: [NEXT, SECRET], archiveLinkTtlSeconds: 3600 };

  it("signs with the first secret, valid the TTL from now", async () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0, 999);
    const link = (await archiveLink(config, KEY, now))!;
    const parts = partsOf(link);
    expect(link.startsWith(`https://relay.example.com/files/${KEY}?`)).toBe(true);
    expect(parts.expires).toBe(String(Math.floor(now / 1000) + 3600));
    expect(await verify(parts, Math.floor(now / 1000), [NEXT])).toBe("ok");
    expect(await verify(parts, Math.floor(now / 1000), [SECRET])).toBe("invalid");
    expect(await verify(parts, Math.floor(now / 1000) + 3600, [NEXT])).toBe("expired");
  });

  it("is null without a secret or a public base URL", async () => {
    expect(await archiveLink({ ...config, archiveLinkSecrets: [] }, KEY, Date.now())).toBeNull();
    expect(await archiveLink({ ...config, publicBaseUrl: null }, KEY, Date.now())).toBeNull();
  });

  it("defaults to 7 days", () => {
    expect(ARCHIVE_LINK_DEFAULT_TTL_SECONDS).toBe(604_800);
  });
});

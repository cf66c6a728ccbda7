import { describe, expect, it } from "vitest";
import { decodeBase64Url } from "../../src/lib/base64";
import {
  invalidateKlingToken,
  KLING_TOKEN_RENEW_BEFORE_MS,
  type KlingSigner,
  KlingTokenCache,
  klingAuthorization,
  signKlingJwt,
} from "../../src/upstream/kling-auth";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const credentials = { accessKey: "ak-test", secretKey: "sk-very-secret" };

const text = (part: string) => new TextDecoder().decode(decodeBase64Url(part));
const bearer = (authorization: string) => {
  expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  return authorization.slice("Bearer ".length);
};

async function verify(token: string, secret: string): Promise<boolean> {
  const [header, claims, signature] = token.split(".") as [string, string, string];
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, decodeBase64Url(signature), new TextEncoder().encode(`${header}.${claims}`));
}

/** A cache whose signings are counted (and can be held back to make callers meet). */
function countingCache() {
  const counter = { signings: 0, gate: null as Promise<void> | null };
  const sign: KlingSigner = async (accessKey, secretKey, nowMs) => {
    counter.signings += 1;
    if (counter.gate) await counter.gate;
    return signKlingJwt(accessKey, secretKey, nowMs);
  };
  return { cache: new KlingTokenCache({ sign }), counter };
}

describe("signKlingJwt", () => {
  it("writes Kling's header and claims, base64url, and signs them with the secret key (HS256)", async () => {
    const { token, notBeforeMs, expiresMs } = await signKlingJwt(credentials.accessKey, credentials.secretKey, NOW + 999);
    const [header, claims, signature] = token.split(".") as [string, string, string];
    expect(token).not.toMatch(/[+/=]/);
    expect(JSON.parse(text(header))).toEqual({ alg: "HS256", typ: "JWT" });
    const decoded = JSON.parse(text(claims));
    expect(decoded).toEqual({ iss: "ak-test", exp: NOW / 1000 + 1800, nbf: NOW / 1000 - 5 });
    expect(decoded.exp - decoded.nbf).toBe(1805);
    expect({ notBeforeMs, expiresMs }).toEqual({ notBeforeMs: NOW - 5000, expiresMs: NOW + 1_800_000 });
    expect(decodeBase64Url(signature).byteLength).toBe(32);
    expect(await verify(token, credentials.secretKey)).toBe(true);
    expect(await verify(token, "another secret")).toBe(false);
  });

  it("refuses empty keys without naming a secret", async () => {
    await expect(signKlingJwt("", "sk", NOW)).rejects.toThrow(/non-empty/);
    const error = await signKlingJwt("ak-test", "", NOW).catch((e: Error) => e);
    expect(String(error)).not.toContain("ak-test");
  });
});

describe("klingAuthorization", () => {
  it("an API key is sent as it is, and invalidating it is a no-op", async () => {
    expect(await klingAuthorization({ apiKey: "key-1" }, NOW)).toBe("Bearer key-1");
    invalidateKlingToken({ apiKey: "key-1" });
    await expect(klingAuthorization({ apiKey: "" }, NOW)).rejects.toThrow(/non-empty/);
  });

  it("a JWT from the access and secret key, verifiable with the secret", async () => {
    const { cache } = countingCache();
    const token = bearer(await klingAuthorization(credentials, NOW, cache));
    expect(JSON.parse(text(token.split(".")[1] as string)).iss).toBe("ak-test");
    expect(await verify(token, credentials.secretKey)).toBe(true);
  });

  it("reuses one token until 5 minutes before its exp, then signs a new one", async () => {
    const { cache, counter } = countingCache();
    const first = await klingAuthorization(credentials, NOW, cache);
    for (const later of [1, MINUTE, 20 * MINUTE, 25 * MINUTE - 1])
      expect(await klingAuthorization(credentials, NOW + later, cache)).toBe(first);
    expect(counter.signings).toBe(1);
    expect(30 * MINUTE - KLING_TOKEN_RENEW_BEFORE_MS).toBe(25 * MINUTE);

    const renewed = await klingAuthorization(credentials, NOW + 25 * MINUTE, cache);
    expect(renewed).not.toBe(first);
    expect(counter.signings).toBe(2);
    expect(JSON.parse(text(bearer(renewed).split(".")[1] as string)).exp).toBe((NOW + 25 * MINUTE) / 1000 + 1800);
    expect(await klingAuthorization(credentials, NOW + 26 * MINUTE, cache)).toBe(renewed);
    expect(counter.signings).toBe(2);
  });

  it("signs anew when the clock is before the cached token's nbf", async () => {
    const { cache, counter } = countingCache();
    const first = await klingAuthorization(credentials, NOW, cache);
    expect(await klingAuthorization(credentials, NOW - 10_000, cache)).not.toBe(first);
    expect(counter.signings).toBe(2);
  });

  it("invalidate drops the token: the next call signs a new one", async () => {
    const { cache, counter } = countingCache();
    const first = await klingAuthorization(credentials, NOW, cache);
    invalidateKlingToken(credentials, undefined, cache);
    const second = await klingAuthorization(credentials, NOW + 1000, cache);
    expect(second).not.toBe(first);
    expect(counter.signings).toBe(2);
  });

  it("invalidate with the refused value drops only that token, not a newer one", async () => {
    const { cache, counter } = countingCache();
    const stale = await klingAuthorization(credentials, NOW, cache);
    invalidateKlingToken(credentials, stale, cache);
    const fresh = await klingAuthorization(credentials, NOW + 1000, cache);
    invalidateKlingToken(credentials, stale, cache); // a late 1004 for the old token
    expect(await klingAuthorization(credentials, NOW + 2000, cache)).toBe(fresh);
    invalidateKlingToken(credentials, bearer(fresh), cache); // the bare token works too
    expect(await klingAuthorization(credentials, NOW + 3000, cache)).not.toBe(fresh);
    expect(counter.signings).toBe(3);
  });

  it("concurrent callers share one pending signing", async () => {
    const { cache, counter } = countingCache();
    let open = () => {};
    counter.gate = new Promise((resolve) => {
      open = resolve;
    });
    const calls = Array.from({ length: 5 }, (_, i) => klingAuthorization(credentials, NOW + i, cache));
    await Promise.resolve();
    open();
    const tokens = await Promise.all(calls);
    expect(new Set(tokens).size).toBe(1);
    expect(counter.signings).toBe(1);
  });

  it("a failed signing is not cached, and its error names no secret", async () => {
    let fail = true;
    const cache = new KlingTokenCache({
      sign: async (a, s, n) => {
        if (fail) throw new Error("kling_auth: could not sign the token");
        return signKlingJwt(a, s, n);
      },
    });
    const error = await klingAuthorization(credentials, NOW, cache).catch((e: Error) => e);
    expect(String(error)).not.toContain(credentials.secretKey);
    expect(cache.size).toBe(0);
    fail = false;
    expect(await klingAuthorization(credentials, NOW, cache)).toMatch(/^Bearer /);
  });

  it("other keys get their own token; a changed secret key signs anew; the cache is bounded", async () => {
    const counter = { signings: 0 };
    const cache = new KlingTokenCache({
      maxEntries: 2,
      sign: (a, s, n) => {
        counter.signings += 1;
        return signKlingJwt(a, s, n);
      },
    });
    const one = await klingAuthorization(credentials, NOW, cache);
    const other = await klingAuthorization({ accessKey: "ak-2", secretKey: "s2" }, NOW, cache);
    expect(other).not.toBe(one);
    const rotated = bearer(await klingAuthorization({ ...credentials, secretKey: "sk-new" }, NOW, cache));
    expect(await verify(rotated, "sk-new")).toBe(true);
    await klingAuthorization({ accessKey: "ak-3", secretKey: "s3" }, NOW, cache);
    expect(cache.size).toBe(2);
    expect(counter.signings).toBe(4);
  });
});

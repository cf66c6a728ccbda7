import type { KlingCredentials } from "../domain/kling";
import { encodeBase64Url } from "../lib/base64";

/**
 * The Authorization header for Kling's own API, from either kind of credentials:
 * - `{ apiKey }`: `Bearer <api key>` (the only way into the new API);
 * - `{ accessKey, secretKey }`: `Bearer <JWT>`, HS256 over `{ iss: access key, exp: now + 1800 s,
 *   nbf: now - 5 s }`, signed with the secret key (Web Crypto).
 *
 * JWTs are cached per isolate (module state): one token serves every request until 5 minutes
 * before its `exp`, callers who ask while one is being signed share it, and a caller whose request
 * Kling refused with 1003/1004 (`isTokenRejection`) calls `invalidateKlingToken` so that the next
 * call signs a new one.
 *
 * Errors never carry a secret: a key appears in no message, and the cache is keyed by access key.
 * @example const authorization = await klingAuthorization({ accessKey, secretKey }, systemClock.now());
 */

export type { KlingCredentials };

/** Kling's documented token lifetime and the clock skew allowed before `iat`. */
export const KLING_TOKEN_LIFETIME_S = 1800;
export const KLING_TOKEN_NOT_BEFORE_S = 5;
/** A cached token is renewed this long before its `exp`. */
export const KLING_TOKEN_RENEW_BEFORE_MS = 5 * 60_000;

/** A signed JWT and the times (epoch ms) it is valid between. */
export interface KlingToken {
  token: string;
  notBeforeMs: number;
  expiresMs: number;
}

/** Signs a JWT; `KlingTokenCache` takes another one in tests (to count signings). */
export type KlingSigner = (accessKey: string, secretKey: string, nowMs: number) => Promise<KlingToken>;

const encoder = new TextEncoder();
const jsonPart = (value: unknown) => encodeBase64Url(encoder.encode(JSON.stringify(value)));

/**
 * Signs one Kling JWT at `nowMs` (no cache). Rejects with an Error naming no secret when a key
 * is empty.
 * @example const { token } = await signKlingJwt("ak", "sk", systemClock.now());
 */
export async function signKlingJwt(accessKey: string, secretKey: string, nowMs: number): Promise<KlingToken> {
  if (accessKey === "" || secretKey === "") throw new Error("kling_auth: the access key and the secret key must be non-empty");
  const nowS = Math.floor(nowMs / 1000);
  const exp = nowS + KLING_TOKEN_LIFETIME_S;
  const nbf = nowS - KLING_TOKEN_NOT_BEFORE_S;
  const signingInput = `${jsonPart({ alg: "HS256", typ: "JWT" })}.${jsonPart({ iss: accessKey, exp, nbf })}`;
  let signature: ArrayBuffer;
  try {
    const key = await crypto.subtle.importKey("raw", encoder.encode(secretKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    signature = await crypto.subtle.sign("HMAC", key, encoder.encode(signingInput));
  } catch {
    // Whatever Web Crypto said, it is not repeated: it could quote what it was given.
    throw new Error("kling_auth: could not sign the token");
  }
  return { token: `${signingInput}.${encodeBase64Url(signature)}`, notBeforeMs: nbf * 1000, expiresMs: exp * 1000 };
}

interface CacheEntry {
  secretKey: string;
  /** Settles once; shared by every caller that arrives while it is pending. */
  pending: Promise<KlingToken>;
  token: KlingToken | null;
}

/**
 * JWTs by access key (the module keeps one per isolate; tests make their own). At most
 * `maxEntries` access keys are kept, the least recently signed dropped first.
 */
export class KlingTokenCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #sign: KlingSigner;
  readonly #maxEntries: number;

  constructor(options: { sign?: KlingSigner; maxEntries?: number } = {}) {
    this.#sign = options.sign ?? signKlingJwt;
    this.#maxEntries = options.maxEntries ?? 64;
  }

  /** The cached JWT for these keys at `nowMs`, signing a new one when there is none fit to use. */
  token(accessKey: string, secretKey: string, nowMs: number): Promise<string> {
    const entry = this.#entries.get(accessKey);
    if (entry && entry.secretKey === secretKey) {
      if (entry.token === null) return entry.pending.then((t) => t.token);
      if (nowMs >= entry.token.notBeforeMs && nowMs < entry.token.expiresMs - KLING_TOKEN_RENEW_BEFORE_MS)
        return Promise.resolve(entry.token.token);
    }
    return this.#renew(accessKey, secretKey, nowMs).then((t) => t.token);
  }

  /**
   * Drops the cached JWT for `accessKey`. With `rejected` (the Authorization value or token Kling
   * refused), only when it is still the cached one: a caller late with its 1004 does not throw
   * away the token another caller has just renewed.
   */
  invalidate(accessKey: string, rejected?: string): void {
    const entry = this.#entries.get(accessKey);
    if (!entry) return;
    if (rejected !== undefined) {
      const current = entry.token?.token;
      if (current === undefined || (rejected !== current && rejected !== `Bearer ${current}`)) return;
    }
    this.#entries.delete(accessKey);
  }

  /** How many access keys have a token or a pending signing. */
  get size(): number {
    return this.#entries.size;
  }

  #renew(accessKey: string, secretKey: string, nowMs: number): Promise<KlingToken> {
    const entry: CacheEntry = { secretKey, pending: this.#sign(accessKey, secretKey, nowMs), token: null };
    this.#entries.delete(accessKey);
    this.#entries.set(accessKey, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    entry.pending.then(
      (token) => {
        entry.token = token;
      },
      () => {
        // A failed signing is not cached: the next caller tries again.
        if (this.#entries.get(accessKey) === entry) this.#entries.delete(accessKey);
      },
    );
    return entry.pending;
  }
}

const isolateCache = new KlingTokenCache();

/**
 * The Authorization header value for Kling's own API: `Bearer <api key>`, or `Bearer <JWT>` from
 * the isolate's token cache. Rejects (naming no secret) only for empty credentials or a failed
 * signing.
 * @example await klingAuthorization({ apiKey: "k" }, systemClock.now()) // "Bearer k"
 */
export async function klingAuthorization(
  credentials: KlingCredentials,
  nowMs: number,
  cache: KlingTokenCache = isolateCache,
): Promise<string> {
  if ("apiKey" in credentials) {
    if (credentials.apiKey === "") throw new Error("kling_auth: the API key must be non-empty");
    return `Bearer ${credentials.apiKey}`;
  }
  return `Bearer ${await cache.token(credentials.accessKey, credentials.secretKey, nowMs)}`;
}

/**
 * Drops the cached JWT of these credentials (nothing to drop for an API key): call it when Kling
 * answers 1003/1004 (`isTokenRejection`). Pass the `authorization` that was refused to drop it
 * only if no newer token has replaced it meanwhile.
 */
export function invalidateKlingToken(credentials: KlingCredentials, authorization?: string, cache: KlingTokenCache = isolateCache): void {
  if ("accessKey" in credentials) cache.invalidate(credentials.accessKey, authorization);
}

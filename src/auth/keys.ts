import { encodeBase64Url } from "../lib/base64";

/**
 * API keys: what both the API (`Authorization: Bearer`) and the dashboard (its login form, its
 * sessions) authenticate with. Configured keys (RELAY_API_KEYS, ADMIN_API_KEY) are compared in
 * constant time; tenant keys made by the admin API are looked up by their SHA-256 (a hash lookup
 * reveals nothing of the key through timing). Keys are named only by their id.
 */

const encoder = new TextEncoder();
const digest = async (value: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
const keyDigests = new Map<string, Promise<Uint8Array[]>>();
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * A key's SHA-256: what configured keys are compared by, tenant keys are stored as, and configured
 * keys are named by. A request computes it once for all three (`resolveCaller`).
 */
export const keyDigest = (key: string): Promise<Uint8Array> => digest(key);

/**
 * Constant-time: both sides are hashed to the same length first, then compared with the runtime's
 * timing-safe comparison against every key, without stopping early.
 */
export const isKnownKey = async (presented: string, keys: readonly string[]): Promise<boolean> =>
  isKnownDigest(await digest(presented), keys);

/** `isKnownKey` for a presented key already hashed (`keyDigest`). */
export async function isKnownDigest(candidate: Uint8Array, keys: readonly string[]): Promise<boolean> {
  const cacheKey = keys.join("\n");
  let known = keyDigests.get(cacheKey);
  if (!known) {
    known = Promise.all(keys.map(digest));
    keyDigests.set(cacheKey, known);
  }
  let match = false;
  for (const key of await known) match = crypto.subtle.timingSafeEqual(candidate, key) || match;
  return match;
}

/** Hex SHA-256 of a key: how tenant keys are stored, and what their sessions are signed from. */
export const keyHash = async (key: string) => hex(await digest(key));

/** `keyHash` of a key already hashed (`keyDigest`). */
export const hashOfDigest = (keyDigest: Uint8Array) => hex(keyDigest);

/** A configured key's public name: a hash prefix (`key_` + 16 hex), safe to log. */
export const apiKeyIdOf = async (key: string) => apiKeyIdOfDigest(await digest(key));

/** `apiKeyIdOf` of a key already hashed (`keyDigest`). */
export const apiKeyIdOfDigest = (keyDigest: Uint8Array) => `key_${hex(keyDigest.slice(0, 8))}`;

/** Tenant keys start with this, so a key found in a log or a repository is recognisable. */
export const TENANT_KEY_PREFIX = "rk_";

/** How many leading characters of a tenant key are kept and shown (`rk_` and 8 more). */
export const VISIBLE_PREFIX_LENGTH = 11;

/** The visible prefix of any presented key, for lists and for limiting guesses per key. */
export const visiblePrefix = (key: string) => key.slice(0, VISIBLE_PREFIX_LENGTH);

/** A new tenant key: `rk_` and 32 random bytes (base64url, 46 characters in all). */
export async function newTenantKey(): Promise<{ key: string; prefix: string; hash: string }> {
  const key = `${TENANT_KEY_PREFIX}${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
  return { key, prefix: visiblePrefix(key), hash: await keyHash(key) };
}

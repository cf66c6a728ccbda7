/**
 * API keys: the one secret both the API (`Authorization: Bearer`) and the dashboard (its login
 * form, its sessions) authenticate with. Keys are compared in constant time and named only by
 * their id, a hash prefix.
 */

const encoder = new TextEncoder();
const digest = async (value: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
const keyDigests = new Map<string, Promise<Uint8Array[]>>();

/**
 * Constant-time: both sides are hashed to the same length first, then compared with the runtime's
 * timing-safe comparison against every key, without stopping early.
 */
export async function isKnownKey(presented: string, keys: readonly string[]): Promise<boolean> {
  const cacheKey = keys.join("\n");
  let known = keyDigests.get(cacheKey);
  if (!known) {
    known = Promise.all(keys.map(digest));
    keyDigests.set(cacheKey, known);
  }
  const candidate = await digest(presented);
  let match = false;
  for (const key of await known) match = crypto.subtle.timingSafeEqual(candidate, key) || match;
  return match;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A key's public name: a hash prefix, usable as a rate-limit key or in a session, safe to log. */
export const apiKeyIdOf = async (key: string) => `key_${hex((await digest(key)).slice(0, 8))}`;

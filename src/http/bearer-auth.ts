import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { ApiError } from "./api-error";

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

/** What the auth middleware leaves for later handlers: who is calling, never the key itself. */
export type AuthVariables = { apiKeyId: string };

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A key's public name: a hash prefix, usable as a rate-limit key or in a session, safe to log. */
export const apiKeyIdOf = async (key: string) => `key_${hex((await digest(key)).slice(0, 8))}`;

/**
 * Requires `Authorization: Bearer <key>` with one of the keys in `RELAY_API_KEYS`, and sets
 * `apiKeyId` (a hash prefix of the key: usable as a rate-limit key, safe to log).
 */
export function bearerAuth(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function requireApiKey(c, next) {
    const keys = loadConfig(c.env).apiKeys;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
    if (keys.length === 0) console.error(JSON.stringify({ event: "configuration_error", error: "RELAY_API_KEYS is not set: every /v1 request is refused" }));
    if (!match?.[1] || keys.length === 0 || !(await isKnownKey(match[1], keys))) {
      throw new ApiError("unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    }
    c.set("apiKeyId", await apiKeyIdOf(match[1]));
    await next();
  };
}

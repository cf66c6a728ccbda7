import type { MiddlewareHandler } from "hono";
import { apiKeyIdOf, isKnownKey } from "../auth/keys";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { ApiError } from "./api-error";

/** What the auth middleware leaves for later handlers: who is calling, never the key itself. */
export type AuthVariables = { apiKeyId: string };

/**
 * Requires `Authorization: Bearer <key>` with one of the keys in `RELAY_API_KEYS`, and sets
 * `apiKeyId` (a hash prefix of the key: usable as a rate-limit key, safe to log).
 */
export function bearerAuth(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function requireApiKey(c, next) {
    const keys = loadConfig(c.env).apiKeys;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
    if (keys.length === 0)
      console.error(JSON.stringify({ event: "configuration_error", error: "RELAY_API_KEYS is not set: every /v1 request is refused" }));
    if (!match?.[1] || keys.length === 0 || !(await isKnownKey(match[1], keys))) {
      throw new ApiError("unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    }
    c.set("apiKeyId", await apiKeyIdOf(match[1]));
    await next();
  };
}

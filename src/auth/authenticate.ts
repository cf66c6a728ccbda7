import { createMiddleware } from "hono/factory";
import { ApiError } from "../api-kit/api-error";
import { loadConfig } from "../config";
import type { Env } from "../env";
import type { CallerVariables } from "./auth-variables";
import type { KeyCheck } from "./guess-limit";

export interface AuthenticateOptions {
  /**
   * Who a presented key (null: none) proves the caller is, from this client address: in the app,
   * `resolveCaller` behind the guessing limit (`limitGuesses(resolveCaller)`, auth/guess-limit.ts).
   */
  checkKey: (env: Env, clientAddress: string | undefined, presented: string | null) => Promise<KeyCheck>;
}

/**
 * Requires `Authorization: Bearer <key>` with a key some caller has, and sets the `caller` (and its
 * `apiKeyId`). A key the check refuses answers 401 `unauthorized`; one it blocks (too many failed
 * checks from this address or with this key prefix, the right key too) 429 `rate_limited` with
 * `Retry-After`. Where the caller may go is for the middlewares after it (`requireAdmin`,
 * `scopeTenant`).
 */
export const authenticate = ({ checkKey }: AuthenticateOptions) =>
  createMiddleware<{ Bindings: Env; Variables: CallerVariables }>(async function requireApiKey(c, next) {
    const config = loadConfig(c.env);
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
    if (config.relayApiKeys.length === 0 && config.adminApiKey === null)
      console.error(
        JSON.stringify({ event: "configuration_error", error: "neither RELAY_API_KEYS nor ADMIN_API_KEY is set: only tenant keys work" }),
      );
    const check = await checkKey(c.env, c.req.header("cf-connecting-ip"), match?.[1] ?? null);
    if (check.kind === "blocked")
      throw new ApiError("rate_limited", "too many failed API key checks; retry later", undefined, check.retryAfterSeconds);
    if (check.kind === "refused") throw new ApiError("unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    c.set("caller", check.caller);
    c.set("apiKeyId", check.caller.keyId);
    await next();
  });

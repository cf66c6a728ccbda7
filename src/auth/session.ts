import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { decodeBase64Url, encodeBase64Url } from "../lib/base64";
import { apiKeyIdOf } from "./keys";

/**
 * Dashboard sessions: `v1.<key id>.<expiry ms>.<signature>`, signed with HMAC-SHA256 under a key
 * derived from the API key that logged in. The cookie names the key only by its id (a hash
 * prefix); removing the key from RELAY_API_KEYS ends its sessions, and no extra secret is needed.
 */
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  keyId: string;
  expiresAt: number;
  /** Proves a POST came from a page this session rendered (CSRF), alongside SameSite=Strict. */
  formToken: string;
}

const encoder = new TextEncoder();
const TOKEN = /^v1\.(key_[0-9a-f]{16})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

const signingKeys = new Map<string, Promise<CryptoKey>>();

/** HMAC(api key, label) as the signing key: the API key itself never leaves this function. */
function signingKey(apiKey: string): Promise<CryptoKey> {
  let key = signingKeys.get(apiKey);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", encoder.encode(apiKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const derived = await crypto.subtle.sign("HMAC", base, encoder.encode("kling-webhook-relay dashboard session v1"));
      return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    })();
    signingKeys.set(apiKey, key);
  }
  return key;
}

const keyIds = new Map<string, Promise<Map<string, string>>>();

/** Key id -> key, for the configured keys (computed once per key list). */
function keysById(apiKeys: readonly string[]): Promise<Map<string, string>> {
  const cacheKey = apiKeys.join("\n");
  let byId = keyIds.get(cacheKey);
  if (!byId) {
    byId = Promise.all(apiKeys.map(async (key) => [await apiKeyIdOf(key), key] as const)).then((pairs) => new Map(pairs));
    keyIds.set(cacheKey, byId);
  }
  return byId;
}

async function formTokenOf(key: CryptoKey, keyId: string, expiresAt: number): Promise<string> {
  return encodeBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(`form.${keyId}.${expiresAt}`)));
}

/** A new session token for a key that just proved itself. */
export async function issueSession(apiKey: string, now: number): Promise<string> {
  const keyId = await apiKeyIdOf(apiKey);
  const payload = `v1.${keyId}.${now + SESSION_TTL_MS}`;
  return `${payload}.${encodeBase64Url(await crypto.subtle.sign("HMAC", await signingKey(apiKey), encoder.encode(payload)))}`;
}

/** The session a token proves, or null: malformed, forged, expired, or its key was removed. */
export async function verifySession(token: string, apiKeys: readonly string[], now: number): Promise<Session | null> {
  const match = TOKEN.exec(token);
  if (!match) return null;
  const [, keyId, expiry, signature] = match as unknown as [string, string, string, string];
  const expiresAt = Number(expiry);
  if (!(expiresAt > now) || expiresAt > now + SESSION_TTL_MS) return null;
  const apiKey = (await keysById(apiKeys)).get(keyId);
  if (!apiKey) return null;
  const key = await signingKey(apiKey);
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, decodeBase64Url(signature), encoder.encode(`v1.${keyId}.${expiry}`)))) return null;
  return { keyId, expiresAt, formToken: await formTokenOf(key, keyId, expiresAt) };
}

/** Whether a submitted form token is this session's (constant time). */
export function isFormToken(session: Session, submitted: string | undefined): boolean {
  const expected = encoder.encode(session.formToken);
  const given = encoder.encode(submitted ?? "");
  return given.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(given, expected);
}

/** What `loadSession` leaves for later handlers. */
export type SessionEnv = { Bindings: Env; Variables: { session: Session | null } };

/** `__Host-`: only this origin, path `/`, over HTTPS; the browser refuses anything else. */
const COOKIE = "relay_session";
const COOKIE_OPTIONS = { prefix: "host", httpOnly: true, secure: true, sameSite: "Strict", path: "/" } as const;

export const setSessionCookie = (c: Context, token: string) =>
  setCookie(c, COOKIE, token, { ...COOKIE_OPTIONS, maxAge: SESSION_TTL_MS / 1000 });
export const clearSessionCookie = (c: Context) => deleteCookie(c, COOKIE, COOKIE_OPTIONS);

/** Sets `session` from the cookie: null when absent, malformed, forged, expired or its key removed. */
export function loadSession(): MiddlewareHandler<SessionEnv> {
  return async function readSessionCookie(c, next) {
    const token = getCookie(c, COOKIE, "host");
    c.set("session", token ? await verifySession(token, loadConfig(c.env).apiKeys, Date.now()) : null);
    await next();
  };
}

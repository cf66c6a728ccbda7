import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { decodeBase64Url, encodeBase64Url } from "../lib/base64";
import { systemClock } from "../lib/clock";
import { deriveFromSecretsKeys, type SecretsKeyring } from "../lib/sealed-secrets";
import { findLiveKeyById } from "../storage/api-keys";
import { openDb } from "../storage/db";
import { ADMIN, type Caller, configuredCaller } from "./caller";
import { apiKeyIdOf, keyHash } from "./keys";

/**
 * Dashboard sessions: `v1.<key id>.<expiry ms>.<signature>`, signed with HMAC-SHA256 under a key
 * derived from the SHA-256 of the API key that logged in. The cookie names the key only by its id;
 * removing the key from RELAY_API_KEYS (or ADMIN_API_KEY), or revoking a tenant key, ends its
 * sessions at once.
 *
 * A tenant key's hash is stored in D1, so with SECRETS_KEY the signing key is derived from
 * SECRETS_KEY and that hash together: whoever reads D1 (a backup, an export) cannot sign a session.
 * During a rotation of SECRETS_KEY a session signed under the previous key still verifies; after
 * it, such sessions end. Without SECRETS_KEY (local development) the hash alone keys the session.
 */
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  /** Who logged in: the admin sees every tenant, a tenant key only its own. */
  caller: Caller;
  keyId: string;
  expiresAt: number;
  /** Proves a POST came from a page this session rendered (CSRF), alongside SameSite=Strict. */
  formToken: string;
}

const encoder = new TextEncoder();
/** Key ids: `admin`, a configured key's hash prefix (16 hex), a tenant key's id (24 hex). */
const TOKEN = /^v1\.(admin|key_[0-9a-f]{16}|key_[0-9a-f]{24})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

const LABEL = "kling-webhook-relay dashboard session v1";
const sessionKeysCache = new Map<string, Promise<CryptoKey[]>>();

const hmacKey = (raw: Uint8Array) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);

/**
 * The keys of the sessions of the API key with hash `hash`, the one that signs first: with
 * SECRETS_KEY, HMAC under each of its keys of the label and the hash; without, HMAC under the hash
 * of the label.
 */
function sessionKeys(keyring: SecretsKeyring | null, hash: string): Promise<CryptoKey[]> {
  const cacheKey = `${keyring ? `${keyring.current.id}.${keyring.previous?.id ?? ""}` : "clear"}.${hash}`;
  let keys = sessionKeysCache.get(cacheKey);
  if (!keys) {
    keys = (async () => {
      if (keyring) return Promise.all((await deriveFromSecretsKeys(keyring, `${LABEL}\n${hash}`)).map(hmacKey));
      const base = await crypto.subtle.importKey("raw", encoder.encode(hash), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return [await hmacKey(new Uint8Array(await crypto.subtle.sign("HMAC", base, encoder.encode(LABEL))))];
    })();
    sessionKeysCache.set(cacheKey, keys);
  }
  return keys;
}

const keyIds = new Map<string, Promise<Map<string, string>>>();

/** Key id -> key hash, for the configured keys (computed once per key list). */
function configuredById(apiKeys: readonly string[]): Promise<Map<string, string>> {
  const cacheKey = apiKeys.join("\n");
  let byId = keyIds.get(cacheKey);
  if (!byId) {
    byId = Promise.all(apiKeys.map(async (key) => [await apiKeyIdOf(key), await keyHash(key)] as const)).then((pairs) => new Map(pairs));
    keyIds.set(cacheKey, byId);
  }
  return byId;
}

/** The caller a session's key id stands for, with its key's hash, while the key still works. */
async function holderOf(env: Env, keyId: string): Promise<{ caller: Caller; hash: string } | null> {
  const config = loadConfig(env);
  if (keyId === "admin") return config.adminApiKey === null ? null : { caller: ADMIN, hash: await keyHash(config.adminApiKey) };
  const configured = (await configuredById(config.relayApiKeys)).get(keyId);
  if (configured) return { caller: await configuredCaller(env, keyId), hash: configured };
  if (keyId.length !== "key_".length + 24) return null;
  const row = await findLiveKeyById(openDb(env.DB), keyId);
  return row
    ? { caller: { kind: "tenant", tenantId: row.tenantId, keyId, prefix: row.prefix, suspended: row.suspended }, hash: row.hash }
    : null;
}

async function formTokenOf(key: CryptoKey, keyId: string, expiresAt: number): Promise<string> {
  return encodeBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(`form.${keyId}.${expiresAt}`)));
}

/** A new session token for a key that just proved itself as `caller`. */
export async function issueSession(
  keyring: SecretsKeyring | null,
  apiKey: string,
  caller: Pick<Caller, "keyId">,
  now: number,
): Promise<string> {
  const payload = `v1.${caller.keyId}.${now + SESSION_TTL_MS}`;
  const [key] = (await sessionKeys(keyring, await keyHash(apiKey))) as [CryptoKey];
  return `${payload}.${encodeBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)))}`;
}

/** The session a token proves, or null: malformed, forged, expired, or its key was removed or revoked. */
export async function verifySession(token: string, env: Env, now: number): Promise<Session | null> {
  const match = TOKEN.exec(token);
  if (!match) return null;
  const [, keyId, expiry, signature] = match as unknown as [string, string, string, string];
  const expiresAt = Number(expiry);
  if (!(expiresAt > now) || expiresAt > now + SESSION_TTL_MS) return null;
  const holder = await holderOf(env, keyId);
  if (!holder) return null;
  const signed = encoder.encode(`v1.${keyId}.${expiry}`);
  for (const key of await sessionKeys(loadConfig(env).secretsKeyring, holder.hash)) {
    // crypto.subtle.verify compares in constant time. The form token comes from the key that
    // verified, so it stays the same on every page of the session.
    if (await crypto.subtle.verify("HMAC", key, decodeBase64Url(signature), signed))
      return { caller: holder.caller, keyId, expiresAt, formToken: await formTokenOf(key, keyId, expiresAt) };
  }
  return null;
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
    c.set("session", token ? await verifySession(token, c.env, systemClock.now()) : null);
    await next();
  };
}

import { encodeBase64Url } from "../lib/base64";
import type { Provider } from "./kling";

/**
 * Archived output files: their R2 keys and the signed links the relay serves them by
 * (`GET /files/{key}?expires=...&signature=...`, src/http/file-routes.ts). The signature is the
 * link's only credential: base64url HMAC-SHA256 over `"{key}\n{expires}"` with the first of
 * `ARCHIVE_LINK_SECRET`'s secrets; any of them verifies (two during a rotation). Web Crypto only.
 */

/** `ARCHIVE_LINK_TTL_SECONDS`' default (7 days) and its maximum (30 days). */
export const ARCHIVE_LINK_DEFAULT_TTL_SECONDS = 7 * 86_400;
export const ARCHIVE_LINK_MAX_TTL_SECONDS = 30 * 86_400;

/** R2's limit on a key's length, in bytes (every key here is ASCII). */
const MAX_KEY_BYTES = 1024;

/** A key's part after encoding: unreserved characters but `.` and `~`, or `%XX`. Never empty, `.`, `..` or with a `/`. */
const PART = "(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+";
const KEY_PATTERN = new RegExp(`^${PART}/${PART}/${PART}/(?:0|[1-9][0-9]*)-${PART}$`);

const encoder = new TextEncoder();

/**
 * One part of a key: its UTF-8 bytes, A-Z a-z 0-9 `_` `-` as they are and every other byte as
 * `%XX` (upper-case hex), `%` itself included, so the encoding is one-to-one and a part can hold
 * no `/` and no `.` (so never `.` or `..`). Ordinary ids (`default`, `ten_...`, `kling`, Kling's
 * task ids) come out unchanged.
 */
function keyPart(value: string, name: string): string {
  if (value === "") throw new RangeError(`archiveKey: the ${name} is empty`);
  let out = "";
  for (const byte of encoder.encode(value)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The R2 key of one archived file: `{tenant}/{provider}/{task id}/{output index}-{field}`, e.g.
 * `default/kling/8781/0-url` (`field`: the output's URL field it was copied from, `url`,
 * `watermark_url`, `mp3_url`, ...). Each part is encoded as `keyPart` says; throws a RangeError on
 * an empty part, an index that is not a non-negative integer, or a key over R2's 1024 bytes.
 */
export function archiveKey(tenantId: string, provider: Provider, taskId: string, index: number, field: string): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError("archiveKey: the output index must be a non-negative integer");
  const key = `${keyPart(tenantId, "tenant id")}/${keyPart(provider, "provider")}/${keyPart(taskId, "task id")}/${index}-${keyPart(field, "field")}`;
  if (key.length > MAX_KEY_BYTES) throw new RangeError(`archiveKey: the key is over ${MAX_KEY_BYTES} bytes`);
  return key;
}

/** Whether `key` has the shape `archiveKey` makes (and so is safe as an R2 key and in a path). */
export const isArchiveKey = (key: string): boolean => key.length <= MAX_KEY_BYTES && KEY_PATTERN.test(key);

/** What is signed: the key and the expiry, on two lines. */
async function hmac(secret: string, key: string, expires: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return encodeBase64Url(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(`${key}\n${expires}`)));
}

/** A signature's length: 32 bytes of HMAC-SHA256 in unpadded base64url. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Unix seconds as the link carries them: a positive integer in its one decimal spelling. */
const EXPIRES_PATTERN = /^[1-9][0-9]{0,15}$/;

/**
 * `{baseUrl}/files/{key}?expires={expiresAt}&signature={signature}`, each of the key's path
 * segments URL-encoded (a part's `%XX` becomes `%25XX`). `expiresAt`: unix seconds, the first
 * second the link no longer works. Throws a RangeError on a key `archiveKey` would not make.
 */
export async function signArchiveLink(input: { baseUrl: string; key: string; expiresAt: number; secret: string }): Promise<string> {
  const { key, expiresAt, secret } = input;
  if (!isArchiveKey(key)) throw new RangeError("signArchiveLink: not an archive key");
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) throw new RangeError("signArchiveLink: expiresAt must be positive unix seconds");
  if (secret === "") throw new RangeError("signArchiveLink: no secret");
  const expires = String(expiresAt);
  const signature = await hmac(secret, key, expires);
  const path = key.split("/").map(encodeURIComponent).join("/");
  return `${input.baseUrl.replace(/\/+$/, "")}/files/${path}?expires=${expires}&signature=${signature}`;
}

export type ArchiveLinkVerdict = "ok" | "expired" | "invalid";

/**
 * Whether a link's parts were signed by one of `secrets` and are still valid at `now` (unix
 * seconds): every secret's signature is computed and compared in constant time, without stopping
 * at a match. A malformed key, expiry or signature is `invalid`; `expired` only for a link that
 * was signed (so a forged link learns nothing but `invalid`).
 */
export async function verifyArchiveLink(input: {
  key: string;
  expires: string | number;
  signature: string;
  secrets: readonly string[];
  now: number;
}): Promise<ArchiveLinkVerdict> {
  const expires = String(input.expires);
  const { key, signature, secrets } = input;
  if (secrets.length === 0 || !isArchiveKey(key) || !EXPIRES_PATTERN.test(expires) || !SIGNATURE_PATTERN.test(signature)) return "invalid";
  const expected = await Promise.all(secrets.map((secret) => hmac(secret, key, expires)));
  let match = false;
  for (const candidate of expected) match = constantTimeEqual(candidate, signature) || match;
  if (!match) return "invalid";
  return input.now < Number(expires) ? "ok" : "expired";
}

/** Equal-length ASCII strings, compared without an early exit. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** What `archiveLink` reads of the relay's configuration (src/config.ts's `Config` has these fields). */
export interface ArchiveLinkConfig {
  /** `PUBLIC_BASE_URL`: where apps reach the relay. */
  publicBaseUrl: string | null;
  /** `ARCHIVE_LINK_SECRET`: the first signs. */
  archiveLinkSecrets: readonly string[];
  archiveLinkTtlSeconds: number;
}

/**
 * The link to an archived file for a webhook, valid `archiveLinkTtlSeconds` from `nowMs` (epoch
 * ms), or null when the relay cannot make links: no `ARCHIVE_LINK_SECRET` or no `PUBLIC_BASE_URL`.
 * (Whether the `ARCHIVE` bucket is bound is the caller's to check: it copies the file there.)
 */
export async function archiveLink(config: ArchiveLinkConfig, key: string, nowMs: number): Promise<string | null> {
  const secret = config.archiveLinkSecrets[0];
  if (config.publicBaseUrl === null || secret === undefined) return null;
  return signArchiveLink({ baseUrl: config.publicBaseUrl, key, expiresAt: archiveLinkExpiresAt(config, nowMs), secret });
}

/** When a link `archiveLink` makes at `nowMs` (epoch ms) expires: unix seconds, its `expires`. */
export const archiveLinkExpiresAt = (config: Pick<ArchiveLinkConfig, "archiveLinkTtlSeconds">, nowMs: number): number =>
  Math.floor(nowMs / 1000) + config.archiveLinkTtlSeconds;

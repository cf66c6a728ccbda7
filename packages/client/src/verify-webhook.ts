import type { components } from "./api.js";

/** The body of every webhook the relay sends (the OpenAPI document's `WebhookEvent`). */
export type WebhookEvent = components["schemas"]["WebhookEvent"];

/**
 * Verifies a webhook from the relay (Standard Webhooks) with Web Crypto only, so it runs unchanged
 * in Node 20+, Deno, Bun, browsers and Workers, with no dependency. A `whsec_` secret checks the
 * `v1` (HMAC-SHA256) signatures; a `whpk_` public key checks the `v1a` (Ed25519) ones, which needs
 * Web Crypto's Ed25519 (Node 20+, Deno, Bun, Workers, current browsers).
 */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

export interface VerifyWebhookOptions {
  /** Clock skew accepted either way, in seconds (Standard Webhooks: 5 minutes). */
  toleranceSeconds?: number;
  /** The current time in ms (tests). */
  now?: number;
}

/** A Fetch `Headers`, or Node's `req.headers` (names in any case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  return undefined;
}

// Its own base64 helpers: this file stays dependency-free (Web Crypto and atob/btoa only, its one
// import a type) so that apps can copy it as it is, and the Worker imports it without the client.
// BufferSource, not Uint8Array: since TypeScript 5.7 the DOM's Web Crypto takes only views of an
// ArrayBuffer, which a plain `Uint8Array` (of any buffer, shared ones too) is not.
function base64ToBytes(value: string): BufferSource {
  const binary = atob(value);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Equal strings in time that depends only on their length. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

const PUBLIC_KEY_PREFIX = "whpk_";

/** Whether one `v1a` signature (base64) is a valid Ed25519 signature of `content` by a `whpk_` key. */
async function ed25519Verifies(publicKey: CryptoKey, signature: string, content: BufferSource): Promise<boolean> {
  let bytes: BufferSource;
  try {
    bytes = base64ToBytes(signature);
  } catch {
    return false;
  }
  return bytes.byteLength === 64 && crypto.subtle.verify("Ed25519", publicKey, bytes, content);
}

/** The Ed25519 public key a `whpk_` key holds: the base64 of its 32 raw bytes. */
async function importPublicKey(key: string): Promise<CryptoKey> {
  let raw: BufferSource;
  try {
    raw = base64ToBytes(key.slice(PUBLIC_KEY_PREFIX.length));
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.byteLength !== 32) throw new WebhookVerificationError("the public key is not whpk_<base64 of 32 bytes>");
  return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
}

async function expectedSignature(secret: string, content: BufferSource): Promise<string> {
  let key: BufferSource;
  try {
    key = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  } catch {
    throw new WebhookVerificationError("the secret is not whsec_<base64>");
  }
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToBase64(await crypto.subtle.sign("HMAC", hmac, content));
}

/**
 * Checks `webhook-signature` against the **raw** body with one of your keys (several during a
 * rotation: `whsec_` secrets for `v1` entries, `whpk_` public keys for `v1a` ones, in any mix), and
 * `webhook-timestamp` against the clock; returns the parsed event or throws
 * `WebhookVerificationError`. Deduplicate on `webhook-id`: a retry repeats it.
 * @example
 * const event = await verifyWebhook(await request.text(), request.headers, env.WEBHOOK_SECRET);
 * if (event.type === "task.succeeded") console.log(event.data?.task_result);
 */
export async function verifyWebhook<T = WebhookEvent>(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<T> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature");
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("invalid webhook-timestamp");
  const skew = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > (options.toleranceSeconds ?? 300)) throw new WebhookVerificationError("webhook-timestamp too far from now");

  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.byteLength + body.byteLength);
  content.set(prefix);
  content.set(body, prefix.byteLength);

  const entries = signatures.split(" ");
  const presented = (version: string) => entries.flatMap((entry) => (entry.startsWith(version) ? [entry.slice(version.length)] : []));
  let verified = false;
  for (const secret of typeof secrets === "string" ? [secrets] : secrets) {
    if (secret.startsWith(PUBLIC_KEY_PREFIX)) {
      const publicKey = await importPublicKey(secret);
      for (const signature of presented("v1a,")) verified = (await ed25519Verifies(publicKey, signature, content)) || verified;
      continue;
    }
    const expected = await expectedSignature(secret, content);
    for (const signature of presented("v1,")) verified = constantTimeEqual(signature, expected) || verified;
  }
  if (!verified) throw new WebhookVerificationError("no matching signature");
  try {
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch {
    throw new WebhookVerificationError("the body is not JSON");
  }
}

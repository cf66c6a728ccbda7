import type { WebhookEvent } from "../http/api-schemas";

/**
 * Verifies a webhook from the relay (Standard Webhooks) with Web Crypto only, so it runs unchanged
 * in Node 20+, Deno, Bun, browsers and Workers, with no dependency.
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

// Its own base64 helpers, not src/lib/base64.ts: this file stays dependency-free (Web Crypto and
// atob/btoa only, its one import a type) so that apps can copy it as it is.
function base64ToBytes(value: string): Uint8Array {
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

async function expectedSignature(secret: string, content: Uint8Array): Promise<string> {
  let key: Uint8Array;
  try {
    key = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  } catch {
    throw new WebhookVerificationError("the secret is not whsec_<base64>");
  }
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToBase64(await crypto.subtle.sign("HMAC", hmac, content));
}

/**
 * Checks `webhook-signature` against the **raw** body with one of your secrets (several during a
 * rotation), and `webhook-timestamp` against the clock; returns the parsed event or throws
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

  const presented = signatures.split(" ").flatMap((entry) => (entry.startsWith("v1,") ? [entry.slice(3)] : []));
  let verified = false;
  for (const secret of typeof secrets === "string" ? [secrets] : secrets) {
    const expected = await expectedSignature(secret, content);
    for (const signature of presented) verified = constantTimeEqual(signature, expected) || verified;
  }
  if (!verified) throw new WebhookVerificationError("no matching signature");
  try {
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch {
    throw new WebhookVerificationError("the body is not JSON");
  }
}

/**
 * Standard Webhooks signatures: base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the
 * key is the base64 decoding of the secret after its `whsec_` prefix (domain/webhook-secret.ts).
 */
import { webhookSigningKey } from "../domain/webhook-secret";
import { encodeBase64 } from "../lib/base64";

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", webhookSigningKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` entry per secret, space-separated,
 * so receivers keep verifying while a secret is rotated.
 * @example await signWebhook(["whsec_..."], "msg_1", 1781080794, '{"type":"task.succeeded"}')
 */
export async function signWebhook(secrets: readonly string[], id: string, timestamp: number, body: string): Promise<string> {
  const content = encoder.encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => `v1,${encodeBase64(await crypto.subtle.sign("HMAC", await hmacKey(secret), content))}`),
  );
  return signatures.join(" ");
}

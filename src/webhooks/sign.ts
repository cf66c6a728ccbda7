/**
 * Standard Webhooks signatures over "{id}.{timestamp}.{body}", one per key (domain/webhook-secret.ts):
 * - `whsec_…` → `v1,<base64 of HMAC-SHA256>`, keyed with the base64 decoding of what follows `whsec_`;
 * - `whsk_…` → `v1a,<base64 of the Ed25519 signature>`, with the 32-byte seed the key holds.
 */
import { ed25519Pkcs8, signingKeySeed, webhookSigningKey } from "../domain/webhook-secret";
import { encodeBase64 } from "../lib/base64";

const encoder = new TextEncoder();
/** Web Crypto's key type, named without the global `CryptoKey` (which Node's types lack: the e2e tests sign with this too). */
type ImportedKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<ImportedKey>>();

const isEd25519 = (secret: string) => secret.startsWith("whsk_");

/** The imported key for a secret, imported once. A key that does not decode throws before anything is cached. */
function importedKey(secret: string): Promise<ImportedKey> {
  let key = keys.get(secret);
  if (!key) {
    key = isEd25519(secret)
      ? crypto.subtle.importKey("pkcs8", ed25519Pkcs8(signingKeySeed(secret)), { name: "Ed25519" }, false, ["sign"])
      : crypto.subtle.importKey("raw", webhookSigningKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

async function signOne(secret: string, content: Uint8Array): Promise<string> {
  const key = await importedKey(secret);
  if (isEd25519(secret)) return `v1a,${encodeBase64(await crypto.subtle.sign("Ed25519", key, content))}`;
  return `v1,${encodeBase64(await crypto.subtle.sign("HMAC", key, content))}`;
}

/**
 * The `webhook-signature` header value: one entry per key, in order, space-separated (`v1,<base64>`
 * for a `whsec_` secret, `v1a,<base64>` for a `whsk_` key), so receivers keep verifying while a
 * key is rotated or the scheme changes.
 * @example await signWebhook(["whsec_..."], "msg_1", 1781080794, '{"type":"task.succeeded"}')
 */
export async function signWebhook(secrets: readonly string[], id: string, timestamp: number, body: string): Promise<string> {
  const content = encoder.encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(secrets.map((secret) => signOne(secret, content)));
  return signatures.join(" ");
}

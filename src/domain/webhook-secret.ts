import { decodeBase64, decodeBase64Url, encodeBase64 } from "../lib/base64";

/**
 * Webhook keys as Standard Webhooks writes them (spec/standard-webhooks.md, "Signature scheme"):
 * - `whsec_<base64>`: a symmetric secret; the key of HMAC-SHA256 (`v1` signatures) is its base64 decoding.
 * - `whsk_<base64>`: an Ed25519 secret key (`v1a` signatures); `whpk_<base64>`: its public key, for receivers.
 *
 * What `whsk_` holds: the 32-byte Ed25519 seed (RFC 8032's private key), not libsodium's 64-byte
 * seed+public form. The spec only says "standard ed25519 key pair … base64 encoded"; its
 * reference Go library (libraries/go/webhook_asymmetric.go) decodes `whsk_` with
 * `ed25519.NewKeyFromSeed`, which takes exactly 32 bytes, and its known-answer test
 * (webhook_asymmetric_test.go, TestAsymmetricWebhookSign) signs with a 32-byte key. So a key made
 * here works there and the other way round; a 64-byte key is refused rather than guessed at.
 * `whpk_` holds the 32-byte raw public key (`ed25519.PublicKey` there). Base64 is the standard
 * alphabet, padded, as for `whsec_`.
 *
 * Secrets are checked once when the configuration is read; never logged.
 */
const PREFIX = "whsec_";
const SIGNING_KEY_PREFIX = "whsk_";
const PUBLIC_KEY_PREFIX = "whpk_";
const ED25519_KEY_BYTES = 32;

/** The signing key a secret holds: the base64 decoding of what follows `whsec_`. Throws if it is not base64. */
export const webhookSigningKey = (secret: string): Uint8Array => decodeBase64(secret.slice(PREFIX.length));

/** Whether a secret has the `whsec_<base64>` form, with a key of at least one byte. */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  try {
    return webhookSigningKey(secret).length > 0;
  } catch {
    return false;
  }
}

/** A fresh `whsec_` secret: 32 random bytes (the spec asks for 24 to 64). */
export function newWebhookSecret(): string {
  return `${PREFIX}${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Whether a key has the `whsk_<base64>` form around a 32-byte Ed25519 seed. */
export function isSigningKey(key: string): boolean {
  if (!key.startsWith(SIGNING_KEY_PREFIX)) return false;
  try {
    return decodeBase64(key.slice(SIGNING_KEY_PREFIX.length)).length === ED25519_KEY_BYTES;
  } catch {
    return false;
  }
}

/** The 32-byte Ed25519 seed a `whsk_` key holds. Throws if the key is not one. */
export function signingKeySeed(key: string): Uint8Array {
  if (!isSigningKey(key)) throw new Error("not a whsk_ key: expected whsk_ and the base64 of a 32-byte Ed25519 seed");
  return decodeBase64(key.slice(SIGNING_KEY_PREFIX.length));
}

/**
 * The PKCS #8 form of an Ed25519 seed (RFC 8410: a fixed 16-byte header, then the seed), which is
 * how Web Crypto imports a private key it is not also given the public half of.
 */
export function ed25519Pkcs8(seed: Uint8Array): Uint8Array {
  const header = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
  const der = new Uint8Array(header.length + seed.length);
  der.set(header);
  der.set(seed, header.length);
  return der;
}

/** A fresh Ed25519 key pair: `whsk_` (kept by the relay) and `whpk_` (given to the receiver). */
export async function newSigningKeyPair(): Promise<{ secretKey: string; publicKey: string }> {
  // No global CryptoKeyPair/JsonWebKey types here: Node's types (the e2e tests use this) lack them.
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  if (!("privateKey" in pair)) throw new Error("Ed25519 key generation gave no key pair");
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const d = "d" in jwk ? jwk.d : undefined;
  if (typeof d !== "string") throw new Error("Ed25519 key export gave no private key");
  return {
    secretKey: `${SIGNING_KEY_PREFIX}${encodeBase64(decodeBase64Url(d))}`,
    publicKey: `${PUBLIC_KEY_PREFIX}${encodeBase64(publicKey)}`,
  };
}

import { decodeBase64, decodeBase64Url, encodeBase64Url } from "./base64";
import { sha256 } from "./sha256";

/**
 * Secrets sealed at rest: what D1 holds of a secret is `sealed.v1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`,
 * AES-256-GCM under `SECRETS_KEY` (Web Crypto), so a copy of the database (a backup, an export,
 * a leaked dump) holds no secret that signs or authenticates anything.
 *
 * - The key id is a fingerprint of the key (the first 8 hex digits of its SHA-256): it names the
 *   key that sealed a value without revealing it, so a rotation knows what to re-seal.
 * - Each value is sealed for a `context` (e.g. `endpoint:<id>:secret`), bound in as additional
 *   authenticated data: a sealed value copied into another row or another kind of column does not
 *   open there.
 * - A value not in the sealed form is a secret stored in clear (before sealing, or without
 *   `SECRETS_KEY`) and opens as it is; the tick re-seals those.
 *
 * Errors name the key id and the context, never a key or a secret.
 */

/** One key of SECRETS_KEY, as its id. Its bytes stay in this module (`material`), out of reach of a log or a `JSON.stringify`. */
interface SecretsKey {
  readonly id: string;
}

/** `SECRETS_KEY` parsed: the key that seals, and during a rotation the one before it, which still opens what it sealed. */
export interface SecretsKeyring {
  readonly current: SecretsKey;
  readonly previous: SecretsKey | null;
}

const KEY_BYTES = 32;
/** GCM's recommended nonce size (NIST SP 800-38D): random per value, so never reused under a key in practice. */
const IV_BYTES = 12;
const VERSION = "v1";
const PREFIX = "sealed.";
const SEALED_FORM = /^sealed\.v1\.([0-9a-f]{8})\.([A-Za-z0-9_-]+)$/;

const material = new WeakMap<SecretsKey, Uint8Array>();
const imported = new WeakMap<SecretsKey, Promise<CryptoKey>>();

const keyUsage =
  "SECRETS_KEY must be one key (two, space-separated, the new one first, during a rotation), each the base64 of exactly 32 random bytes (openssl rand -base64 32)";

function parseKey(text: string): SecretsKey {
  let raw: Uint8Array;
  try {
    raw = decodeBase64(text);
  } catch {
    throw new Error(keyUsage);
  }
  if (raw.length !== KEY_BYTES) throw new Error(keyUsage);
  const id = [...sha256(raw).slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key: SecretsKey = Object.freeze({ id });
  material.set(key, raw);
  return key;
}

/**
 * Parses `SECRETS_KEY`: null when it is unset or blank (secrets are then stored in clear). Throws
 * an Error naming SECRETS_KEY, never its value, when it is not one or two 32-byte base64 keys.
 * @example parseSecretsKeys("q1u3...= 9xZk...=") // { current: { id: "3f9a01bc" }, previous: { id: "..." } }
 */
export function parseSecretsKeys(text: string | undefined): SecretsKeyring | null {
  const parts = (text ?? "").split(/\s+/).filter(Boolean);
  if (parts.length === 0) return null;
  if (parts.length > 2) throw new Error(keyUsage);
  const [current, previous] = parts.map(parseKey) as [SecretsKey, SecretsKey | undefined];
  if (previous && previous.id === current.id) throw new Error("SECRETS_KEY names the same key twice: give the new key, then the old one");
  return Object.freeze({ current, previous: previous ?? null });
}

function materialOf(key: SecretsKey): Uint8Array {
  const raw = material.get(key);
  if (!raw) throw new Error(`secrets key ${key.id} was not made by parseSecretsKeys`);
  return raw;
}

function cryptoKey(key: SecretsKey): Promise<CryptoKey> {
  let found = imported.get(key);
  if (!found) {
    found = crypto.subtle.importKey("raw", materialOf(key), "AES-GCM", false, ["encrypt", "decrypt"]);
    imported.set(key, found);
  }
  return found;
}

/** What the ciphertext is bound to beside the context: the form's version and the key id (a changed header does not open). */
const additionalData = (keyId: string, context: string) => new TextEncoder().encode(`${PREFIX}${VERSION}.${keyId}.${context}`);

/**
 * Seals a secret for `context` under the keyring's current key.
 * @example await sealSecret(keyring, "whsec_...", "endpoint:ep_1:secret") // "sealed.v1.3f9a01bc.…"
 */
export async function sealSecret(keyring: SecretsKeyring, plaintext: string, context: string): Promise<string> {
  const { id } = keyring.current;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(id, context) },
      await cryptoKey(keyring.current),
      new TextEncoder().encode(plaintext),
    ),
  );
  const sealed = new Uint8Array(IV_BYTES + ciphertext.length);
  sealed.set(iv);
  sealed.set(ciphertext, IV_BYTES);
  return `${PREFIX}${VERSION}.${id}.${encodeBase64Url(sealed)}`;
}

/**
 * The secret a stored value holds: a value in clear as it is; a sealed one opened with the key of
 * the keyring that has its id. Throws (naming the key id and the context) when it cannot open: no
 * keyring, a key it does not have, or a value altered or sealed for another context.
 */
export async function openSecret(keyring: SecretsKeyring | null, stored: string, context: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  const match = SEALED_FORM.exec(stored);
  if (!match) throw new Error(`the sealed secret for ${context} is not in the sealed.${VERSION} form`);
  const [, id, payload] = match as unknown as [string, string, string];
  if (!keyring) throw new Error(`the secret for ${context} is sealed with key ${id}, but SECRETS_KEY is not set`);
  const key = [keyring.current, keyring.previous].find((k) => k?.id === id);
  if (!key) throw new Error(`the secret for ${context} is sealed with key ${id}, which SECRETS_KEY does not hold`);
  try {
    const bytes = decodeBase64Url(payload);
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: additionalData(id, context) },
      await cryptoKey(key),
      bytes.slice(IV_BYTES),
    );
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new Error(`the secret for ${context} sealed with key ${id} does not open: altered, or sealed for another context`);
  }
}

/**
 * Key material for another use, derived from SECRETS_KEY: HMAC-SHA256 of `label` under each key,
 * the current key's first (two during a rotation, so what the previous one made still verifies).
 * Whoever holds D1 but not SECRETS_KEY cannot compute it. `label` names the use (and what it is
 * bound to), so no two uses share a key, nor share one with the sealing.
 * @example await deriveFromSecretsKeys(keyring, `dashboard session v1\n${keyHash}`)
 */
export async function deriveFromSecretsKeys(keyring: SecretsKeyring, label: string): Promise<Uint8Array[]> {
  const keys = [keyring.current, ...(keyring.previous ? [keyring.previous] : [])];
  return Promise.all(
    keys.map(async (key) => {
      const hmac = await crypto.subtle.importKey("raw", materialOf(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(label)));
    }),
  );
}

/** Whether a stored value is sealed (else it is a secret in clear). */
export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** How every value sealed by key `keyId` begins (19 characters): what the tick looks for to seal again after a rotation. */
export const sealedWithPrefix = (keyId: string): string => `${PREFIX}${VERSION}.${keyId}.`;

/** Whether a stored value should be sealed again: it is in clear, or sealed with a key other than the current one. */
export function needsReseal(keyring: SecretsKeyring, stored: string): boolean {
  return !stored.startsWith(sealedWithPrefix(keyring.current.id));
}

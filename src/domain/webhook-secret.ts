import { decodeBase64, encodeBase64 } from "../lib/base64";

/**
 * A webhook secret as Standard Webhooks writes it: `whsec_` and the base64 of the signing key.
 * Checked once when the configuration is read; never logged.
 */
const PREFIX = "whsec_";

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

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export const newWebhookSecret = (): string => `${PREFIX}${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;

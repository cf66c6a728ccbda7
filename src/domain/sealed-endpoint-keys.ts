import { needsReseal, openSecret, type SecretsKeyring, sealSecret } from "../lib/sealed-secrets";
import type { EndpointKeys } from "./endpoint-signing";

/**
 * An endpoint's secrets as D1 holds them: sealed under SECRETS_KEY (src/lib/sealed-secrets.ts),
 * or in clear without it (local development) and in rows from before sealing.
 *
 * Each is sealed for its endpoint and its kind, not its column: a rotation copies `secret` into
 * `previous_secret` (and `signing_key` into `previous_signing_key`) as stored, and the copy must
 * still open; a value moved to another endpoint, or a `whsec_` secret into a `whsk_` column, does not.
 */

type Kind = "secret" | "signing_key";

const contextOf = (endpointId: string, kind: Kind) => `endpoint:${endpointId}:${kind}`;

/** Seals a secret (`whsec_`) or a signing key (`whsk_`) of an endpoint for storing; in clear without a keyring. */
export const sealEndpointKey = (keyring: SecretsKeyring | null, endpointId: string, kind: Kind, value: string): Promise<string> =>
  keyring ? sealSecret(keyring, value, contextOf(endpointId, kind)) : Promise.resolve(value);

/** Opens a stored secret or signing key of an endpoint. Throws (naming the key id, never a secret) when it cannot. */
export const openEndpointKey = (keyring: SecretsKeyring | null, endpointId: string, kind: Kind, stored: string): Promise<string> =>
  openSecret(keyring, stored, contextOf(endpointId, kind));

const openNullable = async (keyring: SecretsKeyring | null, endpointId: string, kind: Kind, stored: string | null) =>
  stored === null ? null : openEndpointKey(keyring, endpointId, kind, stored);

/**
 * The keys that sign an endpoint's webhook at `now`, opened from what D1 holds; the previous ones
 * only while they still sign (null after the overlap: nothing opens a key that signs nothing).
 * Throws when one does not open.
 */
export async function openEndpointKeys(
  keyring: SecretsKeyring | null,
  endpointId: string,
  stored: EndpointKeys,
  now: number,
): Promise<EndpointKeys> {
  const overlapping = stored.previousUntil !== null && now < stored.previousUntil;
  const [secret, previousSecret, signingKey, previousSigningKey] = await Promise.all([
    openEndpointKey(keyring, endpointId, "secret", stored.secret),
    openNullable(keyring, endpointId, "secret", overlapping ? stored.previousSecret : null),
    openNullable(keyring, endpointId, "signing_key", stored.signingKey),
    openNullable(keyring, endpointId, "signing_key", overlapping ? stored.previousSigningKey : null),
  ]);
  return { secret, previousSecret, signingKey, previousSigningKey, previousUntil: stored.previousUntil };
}

/** The four secret columns of an endpoint row, as stored. */
export type StoredEndpointKeys = Pick<EndpointKeys, "secret" | "previousSecret" | "signingKey" | "previousSigningKey">;

const KINDS: Record<keyof StoredEndpointKeys, Kind> = {
  secret: "secret",
  previousSecret: "secret",
  signingKey: "signing_key",
  previousSigningKey: "signing_key",
};

/** Whether any of an endpoint's stored keys is in clear or sealed with a key other than the keyring's current one. */
export const endpointNeedsReseal = (keyring: SecretsKeyring, stored: StoredEndpointKeys): boolean =>
  Object.values(stored).some((value) => value !== null && needsReseal(keyring, value));

/**
 * An endpoint's stored keys with each one in clear, or sealed with the previous key, sealed again
 * under the current key; the others as they are. Throws when one does not open.
 */
export async function resealEndpointKeys(
  keyring: SecretsKeyring,
  endpointId: string,
  stored: StoredEndpointKeys,
): Promise<StoredEndpointKeys> {
  const entries = await Promise.all(
    (Object.keys(KINDS) as (keyof StoredEndpointKeys)[]).map(async (column) => {
      const value = stored[column];
      if (value === null || !needsReseal(keyring, value)) return [column, value] as const;
      const kind = KINDS[column];
      return [column, await sealEndpointKey(keyring, endpointId, kind, await openEndpointKey(keyring, endpointId, kind, value))] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as StoredEndpointKeys;
}

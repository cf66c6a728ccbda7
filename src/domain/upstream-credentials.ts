import { openSecret, type SecretsKeyring, sealSecret } from "../lib/sealed-secrets";
import type { TenantId } from "./ids";
import type { KlingCredentials, Provider } from "./kling";

/**
 * A tenant's own credentials for one provider (`PUT /v1/credentials/{provider}`), as the relay
 * opens them from D1: how it signs in upstream (CometAPI takes an API key; Kling's own API an API
 * key or the access/secret key pair of its JWT), and the `whsec_` secret Kling signs that
 * account's callbacks with, when the tenant gave one.
 */
export interface TenantUpstreamCredentials {
  provider: Provider;
  credentials: KlingCredentials;
  webhookSecret: string | null;
}

/** The secrets as they are sealed in `tenant_credentials.sealed` (one JSON object, snake_case). */
export interface StoredCredentialSecrets {
  api_key?: string;
  access_key?: string;
  secret_key?: string;
  webhook_secret?: string;
}

/** What AES-GCM binds a tenant's sealed credentials to: a row copied to another tenant or provider does not open. */
export const credentialsContext = (tenantId: TenantId, provider: Provider) => `tenant_credentials:${tenantId}:${provider}`;

/**
 * A tenant's sealed credentials sealed again under the keyring's current key (after a rotation of
 * SECRETS_KEY). Throws as `openSecret` (naming the tenant, the provider and the key id) when the
 * keyring cannot open them.
 */
export async function resealCredentials(keyring: SecretsKeyring, tenantId: TenantId, provider: Provider, sealed: string): Promise<string> {
  const context = credentialsContext(tenantId, provider);
  return sealSecret(keyring, await openSecret(keyring, sealed, context), context);
}

/** The last 4 characters of the key that identifies the account (API key, or access key): enough to recognise it, never to use it. */
export const credentialsHint = (secrets: StoredCredentialSecrets): string => (secrets.api_key ?? secrets.access_key ?? "").slice(-4);

/**
 * Stored secrets as credentials; throws (naming no secret) when the JSON is not what the relay
 * stores: an API key, or an access key with its secret key (Kling only).
 */
export function credentialsFromSecrets(provider: Provider, secrets: StoredCredentialSecrets): TenantUpstreamCredentials {
  const webhookSecret = secrets.webhook_secret ?? null;
  if (typeof secrets.api_key === "string" && secrets.api_key !== "")
    return { provider, credentials: { apiKey: secrets.api_key }, webhookSecret };
  if (provider === "kling" && typeof secrets.access_key === "string" && typeof secrets.secret_key === "string")
    return { provider, credentials: { accessKey: secrets.access_key, secretKey: secrets.secret_key }, webhookSecret };
  throw new Error(`the stored ${provider} credentials hold neither an API key nor an access/secret key pair`);
}

/** What groups tasks by the credentials that query them (in memory only: it holds the key, so it is never logged). */
export const accountKeyOf = (c: KlingCredentials): string => ("apiKey" in c ? `k:${c.apiKey}` : `a:${c.accessKey}`);

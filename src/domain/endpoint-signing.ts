import type { TenantId } from "./ids";
import { DEFAULT_TENANT } from "./tenancy";

/**
 * Which secrets sign an endpoint's webhook: its own, the ones it had before its last rotation until
 * the overlap ends, and, for the `default` tenant, the relay-wide `WEBHOOK_SECRETS` its receivers
 * verified with before endpoints had secrets of their own.
 */
export interface EndpointKeys {
  /** `whsec_...`: signs `v1`. */
  secret: string;
  previousSecret: string | null;
  /** `whsk_...`: signs `v1a`, when the endpoint has asymmetric signing on. */
  signingKey: string | null;
  previousSigningKey: string | null;
  /** When the previous secret and signing key stop signing (epoch ms). */
  previousUntil: number | null;
}

export function signingSecrets(keys: EndpointKeys, tenantId: TenantId, sharedSecrets: readonly string[], now: number): string[] {
  const overlapping = keys.previousUntil !== null && now < keys.previousUntil;
  const all = [
    ...(tenantId === DEFAULT_TENANT ? sharedSecrets : []),
    keys.secret,
    overlapping ? keys.previousSecret : null,
    keys.signingKey,
    overlapping ? keys.previousSigningKey : null,
  ];
  return [...new Set(all.filter((s): s is string => s !== null))];
}

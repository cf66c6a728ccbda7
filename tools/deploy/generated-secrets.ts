import { randomBytes } from "node:crypto";

/**
 * The secrets `npm run deploy` makes when the Worker lacks them, each in the form
 * src/config/settings.ts accepts (test/node/deploy.test.ts checks them with the relay's own
 * `loadConfig`): 32 random bytes each, so every length limit there is met with room to spare.
 * COMETAPI_KEY is not among them: it is the upstream account's key, only its owner has it.
 */
const base64url = () => randomBytes(32).toString("base64url");

export const GENERATED_SECRETS = {
  /** One key of the `default` tenant (24+ characters): 46 characters, recognisable by its prefix. */
  RELAY_API_KEYS: () => `relay_${base64url()}`,
  /** One Standard Webhooks secret: `whsec_` + the base64 (standard alphabet, padded) of 32 bytes. */
  WEBHOOK_SECRETS: () => `whsec_${randomBytes(32).toString("base64")}`,
  /** The admin API's key (24+ characters). */
  ADMIN_API_KEY: () => `admin_${base64url()}`,
  /** Seals the secrets D1 holds: the base64 of 32 bytes (an AES-256 key). */
  SECRETS_KEY: () => randomBytes(32).toString("base64"),
  /** The callback path's token: 43 characters of A-Z a-z 0-9 _ - (32+ needed). */
  INBOUND_TOKEN: base64url,
  /** Signs archive links (32+ characters); harmless without the ARCHIVE bucket, ready for it. */
  ARCHIVE_LINK_SECRET: base64url,
} as const satisfies Record<string, () => string>;

export type GeneratedSecretName = keyof typeof GENERATED_SECRETS;

/** The upstream key: taken from the environment or asked for, never made. */
export const UPSTREAM_KEY = "COMETAPI_KEY";

/** Every secret a deploy sees to, in the order they are listed. */
export const DEPLOY_SECRETS = [...(Object.keys(GENERATED_SECRETS) as GeneratedSecretName[]), UPSTREAM_KEY] as const;

/**
 * The first `npm run dev`: a `.dev.vars` of freshly generated keys and secrets, so a newcomer
 * never copies an example key (or invents one too short for the relay). Only the upstream key is
 * theirs to give. Each generated value passes the relay's own limits (src/config/settings.ts);
 * test/node/dev-vars.test.ts checks the written file with `loadConfig`.
 */
import { writeFileSync } from "node:fs";
import { GENERATED_SECRETS, type GeneratedSecretName } from "./deploy/generated-secrets";

/**
 * What the relay needs of its own, generated here as `npm run deploy` makes them for a deployed
 * relay (one list, tools/deploy/generated-secrets.ts, says what each is and its form); the
 * upstream key is the user's.
 */
export type GeneratedSecrets = Record<GeneratedSecretName, string>;

export function generateSecrets(): GeneratedSecrets {
  return Object.fromEntries(Object.entries(GENERATED_SECRETS).map(([name, make]) => [name, make()])) as GeneratedSecrets;
}

/**
 * Whether `value` reads back as itself from an env file line `NAME=value`: an unquoted value ends
 * at whitespace or `#`, and quotes change its meaning. CometAPI's keys (`sk-...`) are plain.
 */
export const isPlainEnvValue = (value: string) => /^[^\s#"'`\\]+$/.test(value);

/** The file's text: each value with a line on what it is. `cometapiKey` null: left for the user to fill in. */
export function devVarsText(secrets: GeneratedSecrets, cometapiKey: string | null): string {
  if (cometapiKey !== null && !isPlainEnvValue(cometapiKey)) throw new Error("the CometAPI key holds whitespace, a quote or #");
  return `# Written by the first \`npm run dev\`: generated for this machine only. Never commit it (.gitignore has it).
# Every setting: docs/configuration.md. Edit freely; \`npm run dev\` never writes this file again.

# Your apps send it as \`Authorization: Bearer <key>\` (comma-separated for more; each 24+ characters).
RELAY_API_KEYS=${secrets.RELAY_API_KEYS}
# The admin API (/v1/admin: tenants and their keys) and the dashboard's view of every tenant.
ADMIN_API_KEY=${secrets.ADMIN_API_KEY}
# Signs the default tenant's webhooks (receivers verify with it), beside each endpoint's own secret.
WEBHOOK_SECRETS=${secrets.WEBHOOK_SECRETS}
# Seals the secrets the local D1 holds. Keep it: what it sealed cannot be opened without it.
SECRETS_KEY=${secrets.SECRETS_KEY}
# Upstream callbacks reach POST /inbound/{provider}/{this token}; they go out only with PUBLIC_BASE_URL
# (a URL upstream can reach, e.g. a tunnel to this machine): polling alone works without it.
INBOUND_TOKEN=${secrets.INBOUND_TOKEN}
# PUBLIC_BASE_URL=https://your-tunnel.example.com
# Signs links to archived files once the ARCHIVE bucket is bound (wrangler.toml's [[r2_buckets]]).
ARCHIVE_LINK_SECRET=${secrets.ARCHIVE_LINK_SECRET}

# Your CometAPI key, sent upstream as \`Authorization: Bearer\`. Empty: CometAPI's tasks wait.
${cometapiKey === null ? "COMETAPI_KEY=" : `COMETAPI_KEY=${cometapiKey}`}

# Receivers on this machine (http://localhost:...), as the README's first webhook: local development only,
# never in production.
ALLOW_INSECURE_CALLBACKS=true
`;
}

/**
 * Writes `text` to `file` readable by its owner alone (0600), unless the file exists: never
 * overwritten, even when another process made it meanwhile (`wx`). True when written.
 */
export function writeDevVarsOnce(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

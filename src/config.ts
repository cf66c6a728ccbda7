import { z } from "zod";
import { fieldName } from "./config/field-names";
import { type SettingFields, type SettingValues, settingEntries } from "./config/settings";
import type { KlingCredentials, Provider } from "./domain/kling";
import type { Env } from "./env";
import { parseSecretsKeys, type SecretsKeyring } from "./lib/sealed-secrets";

export { MIN_API_KEY_LENGTH, MIN_ARCHIVE_LINK_SECRET_LENGTH, MIN_INBOUND_TOKEN_LENGTH } from "./config/settings";

/**
 * Typed, validated configuration read from the Worker's vars and secrets: a field for each setting
 * of config/settings.ts (named after it: config/field-names.ts), and the values derived from them.
 * Every var has a default, so a fresh deploy only needs the three secrets.
 */
export type Config = SettingFields & {
  /**
   * From `SECRETS_KEY`: what seals the secrets D1 holds (endpoint secrets and signing keys, tenants'
   * upstream credentials) and keys dashboard sessions; null: they are stored in clear.
   */
  secretsKeyring: SecretsKeyring | null;
  /** From `KLING_API_KEY`, or `KLING_ACCESS_KEY` and `KLING_SECRET_KEY`: Kling's credentials (null: its tasks wait). */
  klingCredentials: KlingCredentials | null;
  /** The first of `inboundTokens` (`INBOUND_TOKEN`), which new creates get; null: callbacks off, polling only. */
  inboundToken: string | null;
};

/** One setting the relay cannot run with: its name, and what it must be (never its value). */
export interface SettingProblem {
  setting: string;
  message: string;
}

/**
 * The relay cannot run with its configuration: each setting at fault, with what it must be. Its
 * message names them all; no part of it holds a value.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: readonly SettingProblem[]) {
    super(problems.map((p) => p.message).join("; "));
  }

  /** The settings at fault, each once, in the order found. */
  get settings(): string[] {
    return [...new Set(this.problems.map((p) => p.setting))];
  }

  static of(setting: string, message: string): ConfigError {
    return new ConfigError([{ setting, message }]);
  }
}

/** One object schema for the settings of `kind`, keyed by their names, in the table's order. */
const schemaOf = (kind: "var" | "secret") =>
  z.object(Object.fromEntries(settingEntries().flatMap(([name, setting]) => (setting.kind === kind ? [[name, setting.schema]] : []))));

const VarsSchema = schemaOf("var");
const SecretsSchema = schemaOf("secret");

/**
 * Why a registration cannot ask for `archive` here, or null when it can: the bucket to copy into,
 * and what links to the copies need. Names the missing parts, never a value.
 */
export function archiveUnavailable(config: Config, env: Pick<Env, "ARCHIVE">): string | null {
  const missing = [
    ...(env.ARCHIVE ? [] : ["the ARCHIVE R2 bucket binding"]),
    ...(config.archiveLinkSecrets.length > 0 ? [] : ["ARCHIVE_LINK_SECRET"]),
    ...(config.publicBaseUrl !== null ? [] : ["PUBLIC_BASE_URL"]),
  ];
  return missing.length === 0 ? null : `archiving needs ${missing.join(", ")}, which this relay does not have`;
}

/**
 * The providers the relay holds credentials for: only their tasks are claimed and polled; another
 * provider's tasks wait (each provider pauses alone).
 */
export function pollableProviders(config: Config): Provider[] {
  return [...(config.cometapiKey !== "" ? ["cometapi" as const] : []), ...(config.klingCredentials ? ["kling" as const] : [])];
}

/** Whether tasks of Kling's new API can be polled: its query takes an API key only, not the JWT. */
export const canPollKlingNewApi = (config: Config): boolean => config.klingCredentials !== null && "apiKey" in config.klingCredentials;

/**
 * What claims take (storage/claim-tasks.ts `Pollable`): on the operator's account, the providers it
 * has credentials for (and Kling's new API with an API key); tenants' own accounts always.
 */
export const pollableOf = (config: Config) => ({ providers: pollableProviders(config), newApi: canPollKlingNewApi(config) });

const cache = new WeakMap<object, Config>();

/**
 * Parses the env once per isolate (the env object is stable across requests).
 * Throws `ConfigError` naming every offending setting it can tell, never a value: each var by its
 * name, the polling interval's, each secret's in its own words (what it must be), SECRETS_KEY's;
 * then, with those right, those of settings that go together.
 */
export function loadConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const problems: SettingProblem[] = [];
  const vars = VarsSchema.safeParse(env);
  if (vars.success) {
    const polls = vars.data as Pick<SettingValues, "POLL_MIN_INTERVAL_SECONDS" | "POLL_MAX_INTERVAL_SECONDS">;
    if (polls.POLL_MIN_INTERVAL_SECONDS > polls.POLL_MAX_INTERVAL_SECONDS)
      problems.push({
        setting: "POLL_MIN_INTERVAL_SECONDS",
        message: "POLL_MIN_INTERVAL_SECONDS must not exceed POLL_MAX_INTERVAL_SECONDS",
      });
  } else {
    // By name alone (setting-kinds.ts): the table says what each takes.
    for (const name of new Set(vars.error.issues.map((i) => String(i.path[0]))))
      problems.push({ setting: name, message: `${name} is invalid: docs/configuration.md gives what it takes` });
  }
  const secrets = SecretsSchema.safeParse(env);
  if (!secrets.success) {
    // A secret's message names it and says what it must be (settings.ts).
    for (const issue of secrets.error.issues) problems.push({ setting: String(issue.path[0]), message: issue.message });
  }
  let secretsKeyring: SecretsKeyring | null = null;
  try {
    secretsKeyring = parseSecretsKeys(env.SECRETS_KEY);
  } catch (error) {
    // The parser's message names SECRETS_KEY and what it must be, never the value.
    problems.push({ setting: "SECRETS_KEY", message: (error as Error).message });
  }
  if (secrets.success) {
    const s = secrets.data as SettingValues;
    if (Boolean(s.KLING_ACCESS_KEY) !== Boolean(s.KLING_SECRET_KEY))
      problems.push({
        setting: s.KLING_ACCESS_KEY ? "KLING_SECRET_KEY" : "KLING_ACCESS_KEY",
        message: "KLING_ACCESS_KEY and KLING_SECRET_KEY go together: set both or neither",
      });
    if (s.ADMIN_API_KEY !== null && s.RELAY_API_KEYS.includes(s.ADMIN_API_KEY))
      problems.push({ setting: "ADMIN_API_KEY", message: "ADMIN_API_KEY must not be one of RELAY_API_KEYS" });
  }
  if (problems.length > 0) {
    // In the table's order (docs/configuration.md), where the operator looks them up.
    const order = settingEntries().map(([name]) => name as string);
    throw new ConfigError(problems.toSorted((a, b) => order.indexOf(a.setting) - order.indexOf(b.setting)));
  }
  const v = { ...vars.data, ...secrets.data } as SettingValues;
  const fields = Object.fromEntries(
    settingEntries().flatMap(([name, setting]) => {
      const field = fieldName(name, setting.naming);
      return field === null ? [] : [[field, v[name]]];
    }),
  ) as SettingFields;
  const config: Config = {
    ...fields,
    secretsKeyring,
    // An API key when there is one (the only way for the new API), else the legacy JWT.
    klingCredentials: v.KLING_API_KEY
      ? { apiKey: v.KLING_API_KEY }
      : v.KLING_ACCESS_KEY
        ? { accessKey: v.KLING_ACCESS_KEY, secretKey: v.KLING_SECRET_KEY }
        : null,
    inboundToken: v.INBOUND_TOKEN[0] ?? null,
  };
  cache.set(env, config);
  return config;
}

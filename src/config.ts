import { z } from "zod";
import { ARCHIVE_LINK_DEFAULT_TTL_SECONDS, ARCHIVE_LINK_MAX_TTL_SECONDS } from "./domain/archive-link";
import { ARCHIVE_PART_BYTES } from "./domain/archive-plan";
import type { KlingCredentials, Provider } from "./domain/kling";
import { isWebhookSecret } from "./domain/webhook-secret";
import type { Env } from "./env";
import { parseSecretsKeys, type SecretsKeyring } from "./lib/sealed-secrets";

/**
 * Typed, validated configuration read from the Worker's vars and secrets.
 * Every var has a default, so a fresh deploy only needs the three secrets.
 */
export interface Config {
  /** The `default` tenant's keys (`RELAY_API_KEYS`). */
  apiKeys: string[];
  /** `ADMIN_API_KEY`, or null: the admin API answers 404 without it. */
  adminKey: string | null;
  /**
   * `SECRETS_KEY`: what seals the secrets D1 holds (endpoint secrets and signing keys, tenants'
   * upstream credentials) and keys dashboard sessions; null: they are stored in clear.
   */
  secretsKeyring: SecretsKeyring | null;
  /** How long a rotated-out endpoint secret goes on signing beside the new one. */
  secretRotationOverlapMs: number;
  webhookSecrets: string[];
  upstreamKey: string;
  upstreamBaseUrl: string;
  /** Kling's own API (provider `kling`): where, and its credentials (null: its tasks wait). */
  klingBaseUrl: string;
  klingCredentials: KlingCredentials | null;
  /** Task ids per query of Kling's new API (`GET /tasks?task_ids=`). */
  klingBatchSize: number;
  pollMinIntervalMs: number;
  pollMaxIntervalMs: number;
  upstreamTimeoutMs: number;
  subrequestBudget: number;
  tickWallBudgetMs: number;
  maxTaskAgeMs: number;
  deliveryRetryScheduleMs: number[];
  deliveryTimeoutMs: number;
  retentionMs: number;
  allowInsecureCallbacks: boolean;
  /**
   * Without the REGISTRATION_LIMITER binding: registrations per API key a minute *per isolate*
   * (each isolate counts on its own: no global limit).
   */
  registrationCapPerIsolate: number;
  /**
   * Without the AUTH_FAILURE_LIMITER binding: failed key checks a minute per client address and
   * per key prefix *per isolate* before every check from it is refused (src/auth/guess-limit.ts).
   */
  authFailureLimitPerIsolate: number;
  /**
   * `INBOUND_TOKEN`: the secret path segment of `POST /inbound/{provider}/{token}`, where upstream
   * callbacks arrive; null: the route answers 404 (callbacks off, polling only). New creates get
   * this one.
   */
  inboundToken: string | null;
  /** Every token the route accepts: `inboundToken`, and during a rotation the one before it. */
  inboundTokens: string[];
  /** `KLING_WEBHOOK_SECRET`: the account's `whsec_` secrets (two during a rotation); Kling's callbacks must then be signed. */
  klingWebhookSecrets: string[];
  /** A task that has received a callback is polled this often at most (its safety net). */
  pushSafetyPollMs: number;
  /** `PUBLIC_BASE_URL`: the relay's own URL as upstream reaches it (for the callback URL it gives upstream), or null. */
  publicBaseUrl: string | null;
  /**
   * `ARCHIVE_LINK_SECRET`: what signs the links to archived files (the first; two during a
   * rotation, both verify). Empty: no links are made and `GET /files/...` answers 404.
   */
  archiveLinkSecrets: string[];
  /** How long a link to an archived file is valid, in seconds. */
  archiveLinkTtlSeconds: number;
  /** `ARCHIVE_DEFAULT`: whether a registration that says nothing of `archive` archives (only when archiving is possible). */
  archiveDefault: boolean;
  /** A larger output file is not copied (its output carries `archive_error`). */
  archiveMaxBytes: number;
  /** Failed copy attempts of a file before it is given up and the webhook goes out without it. */
  archiveMaxAttempts: number;
  /** The longest one copy step may take (less when its invocation ends sooner). */
  archiveCopyTimeoutMs: number;
  /** Bytes one tick (or one queue consumer invocation) copies at most: a large file goes on in the next. */
  archiveBytesPerInvocation: number;
  /** Archived files are deleted this long after they were copied (or with their task, if sooner). */
  archiveRetentionMs: number;
  /** Audit log entries are deleted this long after they were written. */
  auditRetentionMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const positive = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : Number(v)))
    .pipe(z.number().finite().positive());

/** An http(s) base URL, without its trailing slashes. */
const baseUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : fallback))
    .pipe(z.url({ protocol: /^https?$/ }))
    .transform((v) => v.replace(/\/+$/, ""));

const VarsSchema = z.object({
  UPSTREAM_BASE_URL: baseUrl("https://api.cometapi.com"),
  KLING_BASE_URL: baseUrl("https://api-singapore.klingai.com"),
  KLING_BATCH_SIZE: positive(50).pipe(z.number().int().max(500)),
  POLL_MIN_INTERVAL_SECONDS: positive(10),
  POLL_MAX_INTERVAL_SECONDS: positive(60),
  UPSTREAM_TIMEOUT_SECONDS: positive(15),
  // Free plan: 50 subrequests per invocation; keep 5 for D1-adjacent headroom.
  SUBREQUEST_BUDGET: positive(45).pipe(z.number().int()),
  // The next cron fires 60 s after this one: a tick lingers (polling as tasks fall due) and
  // claims until 58 s in. What it started by then may run into the next tick (leases keep
  // them apart), so no minute is left without a tick working.
  TICK_WALL_BUDGET_SECONDS: positive(58),
  MAX_TASK_AGE_HOURS: positive(24),
  DELIVERY_RETRY_SCHEDULE: z
    .string()
    .optional()
    .transform((v) =>
      (v?.trim() ? v : "5,300,1800,7200,18000,36000,36000")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number),
    )
    .pipe(z.array(z.number().finite().nonnegative()).max(50)),
  DELIVERY_TIMEOUT_SECONDS: positive(15),
  RETENTION_DAYS: positive(7),
  ALLOW_INSECURE_CALLBACKS: z.string().optional(),
  // A per-isolate cap, used only without the REGISTRATION_LIMITER binding: registrations per API
  // key a minute in each isolate, so a deployment of many isolates admits more (not a global
  // limit). The same default as the binding's limit in wrangler.toml.
  REGISTRATION_RATE_LIMIT: positive(6000).pipe(z.number().int()),
  // Also per isolate, used only without the AUTH_FAILURE_LIMITER binding: failed key checks a
  // minute per client address and per key prefix in each isolate. The binding's limit in
  // wrangler.toml is the same.
  AUTH_FAILURE_LIMIT: positive(20).pipe(z.number().int()),
  PUSH_SAFETY_POLL_SECONDS: positive(300),
  ARCHIVE_LINK_TTL_SECONDS: positive(ARCHIVE_LINK_DEFAULT_TTL_SECONDS).pipe(z.number().int().max(ARCHIVE_LINK_MAX_TTL_SECONDS)),
  ARCHIVE_DEFAULT: z.enum(["true", "false", ""]).optional(),
  ARCHIVE_MAX_BYTES: positive(2 * 1024 ** 3).pipe(z.number().int()),
  ARCHIVE_MAX_ATTEMPTS: positive(5).pipe(z.number().int().max(20)),
  ARCHIVE_COPY_TIMEOUT_SECONDS: positive(50),
  ARCHIVE_BYTES_PER_TICK: positive(256 * 1024 ** 2).pipe(z.number().int().min(ARCHIVE_PART_BYTES)),
  ARCHIVE_RETENTION_DAYS: positive(90),
  AUDIT_RETENTION_DAYS: positive(90),
  PUBLIC_BASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .pipe(z.url({ protocol: /^https?$/ }).optional())
    .transform((v) => (v === undefined ? null : v.replace(/\/+$/, ""))),
  SECRET_ROTATION_OVERLAP_HOURS: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? 24 : Number(v)))
    .pipe(
      z
        .number()
        .finite()
        .nonnegative()
        .max(24 * 30),
    ),
});

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

/** Keys shorter than this are refused in configuration (and the relay never makes one). */
export const MIN_API_KEY_LENGTH = 24;
/** The inbound token is the only credential of the callback route: long enough not to be guessed. */
export const MIN_INBOUND_TOKEN_LENGTH = 32;
/** An archive link secret is an HMAC key: at least this many characters. */
export const MIN_ARCHIVE_LINK_SECRET_LENGTH = 32;

/**
 * The providers the relay holds credentials for: only their tasks are claimed and polled; another
 * provider's tasks wait (each provider pauses alone).
 */
export function pollableProviders(config: Config): Provider[] {
  return [...(config.upstreamKey !== "" ? ["cometapi" as const] : []), ...(config.klingCredentials ? ["kling" as const] : [])];
}

/** Whether tasks of Kling's new API can be polled: its query takes an API key only, not the JWT. */
export const canPollKlingNewApi = (config: Config): boolean => config.klingCredentials !== null && "apiKey" in config.klingCredentials;

/**
 * What claims take (storage/claim-tasks.ts `Pollable`): on the operator's account, the providers it
 * has credentials for (and Kling's new API with an API key); tenants' own accounts always.
 */
export const pollableOf = (config: Config) => ({ providers: pollableProviders(config), newApi: canPollKlingNewApi(config) });

const splitList = (value: string | undefined, separator: RegExp) =>
  (value ?? "")
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);

const cache = new WeakMap<object, Config>();

/**
 * Parses the env once per isolate (the env object is stable across requests).
 * Throws `ConfigError` naming the offending var, never its value.
 */
export function loadConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = VarsSchema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ConfigError(`invalid configuration var(s): ${names.join(", ")}`);
  }
  const v = parsed.data;
  if (v.POLL_MIN_INTERVAL_SECONDS > v.POLL_MAX_INTERVAL_SECONDS) {
    throw new ConfigError("POLL_MIN_INTERVAL_SECONDS must not exceed POLL_MAX_INTERVAL_SECONDS");
  }
  const webhookSecrets = splitList(env.WEBHOOK_SECRETS, /\s+/);
  if (!webhookSecrets.every(isWebhookSecret)) throw new ConfigError("WEBHOOK_SECRETS must be space-separated whsec_<base64> secrets");
  const apiKeys = splitList(env.RELAY_API_KEYS, /,/);
  if (apiKeys.some((k) => k.length < MIN_API_KEY_LENGTH))
    throw new ConfigError(`RELAY_API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters`);
  const adminKey = (env.ADMIN_API_KEY ?? "").trim() || null;
  const klingApiKey = (env.KLING_API_KEY ?? "").trim();
  const klingAccessKey = (env.KLING_ACCESS_KEY ?? "").trim();
  const klingSecretKey = (env.KLING_SECRET_KEY ?? "").trim();
  if (Boolean(klingAccessKey) !== Boolean(klingSecretKey))
    throw new ConfigError("KLING_ACCESS_KEY and KLING_SECRET_KEY go together: set both or neither");
  // An API key when there is one (the only way for the new API), else the legacy JWT.
  const klingCredentials: KlingCredentials | null = klingApiKey
    ? { apiKey: klingApiKey }
    : klingAccessKey
      ? { accessKey: klingAccessKey, secretKey: klingSecretKey }
      : null;
  if (adminKey !== null && adminKey.length < MIN_API_KEY_LENGTH)
    throw new ConfigError(`ADMIN_API_KEY must be at least ${MIN_API_KEY_LENGTH} characters`);
  if (adminKey !== null && apiKeys.includes(adminKey)) throw new ConfigError("ADMIN_API_KEY must not be one of RELAY_API_KEYS");
  // "new old" during a rotation: tasks created with the old callback URL still call back.
  const inboundTokens = splitList(env.INBOUND_TOKEN, /\s+/);
  if (inboundTokens.length > 2 || inboundTokens.some((t) => t.length < MIN_INBOUND_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(t)))
    throw new ConfigError(
      `INBOUND_TOKEN must be one token (or two, space-separated, during a rotation) of at least ${MIN_INBOUND_TOKEN_LENGTH} characters of A-Z, a-z, 0-9, _ and -`,
    );
  const inboundToken = inboundTokens[0] ?? null;
  const klingWebhookSecrets = splitList(env.KLING_WEBHOOK_SECRET, /\s+/);
  if (!klingWebhookSecrets.every(isWebhookSecret))
    throw new ConfigError("KLING_WEBHOOK_SECRET must be one or two space-separated whsec_<base64> secrets");
  const archiveLinkSecrets = splitList(env.ARCHIVE_LINK_SECRET, /\s+/);
  if (archiveLinkSecrets.length > 2 || archiveLinkSecrets.some((secret) => secret.length < MIN_ARCHIVE_LINK_SECRET_LENGTH))
    throw new ConfigError(
      `ARCHIVE_LINK_SECRET must be one secret (or two, space-separated, during a rotation) of at least ${MIN_ARCHIVE_LINK_SECRET_LENGTH} characters`,
    );
  let secretsKeyring: SecretsKeyring | null;
  try {
    secretsKeyring = parseSecretsKeys(env.SECRETS_KEY);
  } catch (error) {
    // The parser's message names SECRETS_KEY and what it must be, never the value.
    throw new ConfigError((error as Error).message);
  }
  const config: Config = {
    apiKeys,
    adminKey,
    secretsKeyring,
    secretRotationOverlapMs: v.SECRET_ROTATION_OVERLAP_HOURS * 3_600_000,
    webhookSecrets,
    upstreamKey: (env.COMETAPI_KEY ?? "").trim(),
    upstreamBaseUrl: v.UPSTREAM_BASE_URL,
    klingBaseUrl: v.KLING_BASE_URL,
    klingCredentials,
    klingBatchSize: v.KLING_BATCH_SIZE,
    pollMinIntervalMs: v.POLL_MIN_INTERVAL_SECONDS * 1000,
    pollMaxIntervalMs: v.POLL_MAX_INTERVAL_SECONDS * 1000,
    upstreamTimeoutMs: v.UPSTREAM_TIMEOUT_SECONDS * 1000,
    subrequestBudget: v.SUBREQUEST_BUDGET,
    tickWallBudgetMs: v.TICK_WALL_BUDGET_SECONDS * 1000,
    maxTaskAgeMs: v.MAX_TASK_AGE_HOURS * 3_600_000,
    deliveryRetryScheduleMs: v.DELIVERY_RETRY_SCHEDULE.map((s) => s * 1000),
    deliveryTimeoutMs: v.DELIVERY_TIMEOUT_SECONDS * 1000,
    retentionMs: v.RETENTION_DAYS * 86_400_000,
    allowInsecureCallbacks: v.ALLOW_INSECURE_CALLBACKS === "true",
    registrationCapPerIsolate: v.REGISTRATION_RATE_LIMIT,
    authFailureLimitPerIsolate: v.AUTH_FAILURE_LIMIT,
    inboundToken,
    inboundTokens,
    klingWebhookSecrets,
    pushSafetyPollMs: v.PUSH_SAFETY_POLL_SECONDS * 1000,
    publicBaseUrl: v.PUBLIC_BASE_URL,
    archiveLinkSecrets,
    archiveLinkTtlSeconds: v.ARCHIVE_LINK_TTL_SECONDS,
    archiveDefault: v.ARCHIVE_DEFAULT === "true",
    archiveMaxBytes: v.ARCHIVE_MAX_BYTES,
    archiveMaxAttempts: v.ARCHIVE_MAX_ATTEMPTS,
    archiveCopyTimeoutMs: v.ARCHIVE_COPY_TIMEOUT_SECONDS * 1000,
    archiveBytesPerInvocation: v.ARCHIVE_BYTES_PER_TICK,
    archiveRetentionMs: v.ARCHIVE_RETENTION_DAYS * 86_400_000,
    auditRetentionMs: v.AUDIT_RETENTION_DAYS * 86_400_000,
  };
  cache.set(env, config);
  return config;
}

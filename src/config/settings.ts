import type { z } from "zod";
import { ARCHIVE_LINK_DEFAULT_TTL_SECONDS, ARCHIVE_LINK_MAX_TTL_SECONDS } from "../domain/archive-link";
import { ARCHIVE_PART_BYTES } from "../domain/archive-plan";
import { isWebhookSecret } from "../domain/webhook-secret";
import type { FieldName, FieldNaming } from "./field-names";
import {
  baseUrl,
  count,
  duration,
  list,
  onlyTrue,
  optionalBaseUrl,
  optionalText,
  raw,
  type Setting,
  secondsList,
  secretSetting,
  text,
  trueOrFalse,
  varSetting,
} from "./setting-kinds";

/** Keys shorter than this are refused in configuration (and the relay never makes one). */
export const MIN_API_KEY_LENGTH = 24;
/** The inbound token is the only credential of the callback route: long enough not to be guessed. */
export const MIN_INBOUND_TOKEN_LENGTH = 32;
/** An archive link secret is an HMAC key: at least this many characters. */
export const MIN_ARCHIVE_LINK_SECRET_LENGTH = 32;

const whsecList = (items: string[]) => items.every(isWebhookSecret);

/**
 * Every setting of the relay, declared once: its name (the var's, and by rule its field of
 * `Config`: field-names.ts), kind, default, limits and description. `loadConfig` parses the
 * Worker's env with it, `Config`'s type derives from it, and the configuration table
 * (docs/configuration.md, `npm run docs:config`) and the env file `wrangler types` reads
 * (`npm run types`) are made from it. In the order of the table.
 */
export const SETTINGS = {
  RELAY_API_KEYS: secretSetting(
    list(
      /,/,
      (keys) => keys.every((k) => k.length >= MIN_API_KEY_LENGTH),
      `RELAY_API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters`,
    ),
    `Comma-separated API keys of the built-in \`default\` tenant, each at least ${MIN_API_KEY_LENGTH} characters (shorter ones are refused: 503 \`misconfigured\`), accepted as \`Authorization: Bearer <key>\` on \`/v1\`. Other tenants' keys are made by the admin API and stored hashed in D1.`,
  ),
  WEBHOOK_SECRETS: secretSetting(
    list(/\s+/, whsecList, "WEBHOOK_SECRETS must be space-separated whsec_<base64> secrets"),
    "Space-separated `whsec_<base64>` secrets that sign the `default` tenant's webhooks beside each endpoint's own secret, so receivers set up before endpoints had secrets keep verifying. Optional: every endpoint has a secret of its own.",
  ),
  ADMIN_API_KEY: secretSetting(
    optionalText(MIN_API_KEY_LENGTH, `ADMIN_API_KEY must be at least ${MIN_API_KEY_LENGTH} characters`),
    `The admin API's key (at least ${MIN_API_KEY_LENGTH} characters): tenants, their keys, and every tenant route for the tenant named in the \`Relay-Tenant\` header. None set: \`/v1/admin\` answers 404.`,
  ),
  // Read through the keyring parsed from it (config.ts: `secretsKeyring`).
  SECRETS_KEY: secretSetting(
    raw(),
    "Seals at rest the secrets D1 holds (endpoint secrets and Ed25519 keys, tenants' upstream credentials) and keys dashboard sessions: the base64 of 32 random bytes; two, space-separated, during a rotation. See [Secrets at rest](security.md#secrets-at-rest).",
  ),
  SECRET_ROTATION_OVERLAP_HOURS: varSetting(
    duration("hours", 24, (n) => n.nonnegative().max(24 * 30)),
    "After `POST /v1/endpoints/{id}/rotate-secret`, the old secret goes on signing beside the new one this long (`0` ends it at once; at most 720, 30 days).",
  ),
  COMETAPI_KEY: secretSetting(
    text("plain"),
    "Your CometAPI key, sent upstream as `Authorization: Bearer`. None set: tasks of provider `cometapi` wait (the tick line lists `pausedProviders`).",
  ),
  // Kling's three credentials are read through `klingCredentials` (config.ts).
  KLING_API_KEY: secretSetting(
    text("none"),
    "Kling's own API key (provider `kling`), sent as `Authorization: Bearer`; the only credential Kling's new API takes.",
  ),
  KLING_ACCESS_KEY: secretSetting(
    text("none"),
    "Without `KLING_API_KEY`: Kling's legacy access key, with `KLING_SECRET_KEY` (both or neither); the relay signs a JWT (HS256, `iss`, `exp` = now + 1800 s, `nbf` = now - 5 s) and reuses it until 5 minutes before it expires. Neither credential set: tasks of provider `kling` wait.",
  ),
  KLING_SECRET_KEY: secretSetting(text("none"), "Kling's legacy secret key, with `KLING_ACCESS_KEY`: it signs the JWT."),
  KLING_BASE_URL: varSetting(baseUrl("https://api-singapore.klingai.com"), "Kling's own API (`https://api-beijing.klingai.com` in China)."),
  KLING_BATCH_SIZE: varSetting(
    count(50, (n) => n.positive().int().max(500)),
    "Task ids per query of Kling's new API (`GET /tasks?task_ids=`), at most 500; each URL also stays under 16 KB.",
  ),
  UPSTREAM_BASE_URL: varSetting(baseUrl("https://api.cometapi.com"), "Where CometAPI's query endpoint lives."),
  POLL_MIN_INTERVAL_SECONDS: varSetting(
    duration("seconds", 10),
    "Shortest wait between two polls of one task (at most `POLL_MAX_INTERVAL_SECONDS`).",
  ),
  POLL_MAX_INTERVAL_SECONDS: varSetting(
    duration("seconds", 60),
    "Longest wait between two polls (an upstream `Retry-After` longer than this is honoured, up to 6 h).",
  ),
  UPSTREAM_TIMEOUT_SECONDS: varSetting(duration("seconds", 15), "Timeout of one upstream request."),
  D1_FAULT_RATE: varSetting(
    count(0, (n) => n.nonnegative().max(0.5)),
    "For soaks and fault drills only: this share (0-0.5) of the relay's D1 round trips fail on purpose, half before running, half after committing, in D1's own transient ways. A relay in service leaves it at 0 (unset).",
  ),
  D1_TIMEOUT_SECONDS: varSetting(
    duration("seconds", 15),
    "Longest wait for one D1 round trip (a statement or a batch; the relay's take milliseconds, and D1 stops a query at 30 s). Past it the round trip counts as D1 unavailable: an API request answers 503 `storage_unavailable`, a tick's round or a queue batch ends there and its work is claimed again when its leases end (the tick goes on after a second, and ends at three such faults in a row). The statement may still commit: every write is safe to repeat.",
  ),
  // Free plan: 50 subrequests per invocation; keep 5 for D1-adjacent headroom.
  SUBREQUEST_BUDGET: varSetting(
    count(45, (n) => n.positive().int()),
    "Upstream polls + webhook POSTs one tick may make: the free plan's 50 subrequests minus headroom. Paid plans can set it far higher. A tick that spends 45 takes 20-25 ms of CPU, over the free plan's 10 ms: for a relay kept busy on the free plan, about 10 (docs/deploying.md).",
  ),
  // The next cron fires 60 s after this one: a tick lingers (polling as tasks fall due) and
  // claims until 58 s in. What it started by then may run into the next tick (leases keep
  // them apart), so no minute is left without a tick working.
  TICK_WALL_BUDGET_SECONDS: varSetting(
    duration("seconds", 58),
    "A tick lingers, polling and delivering as work falls due, and claims until this many seconds in (the next cron fires every 60 s; work started late may overlap it: a tick that sees another polling leases what it takes, so they never poll a task twice).",
  ),
  MAX_TASK_AGE_HOURS: varSetting(
    duration("hours", 24),
    "A task still not terminal this long after registration ends with `task.expired`, reason `max_age`.",
  ),
  DELIVERY_RETRY_SCHEDULE: varSetting(
    secondsList("5,300,1800,7200,18000,36000,36000", 50),
    "Seconds to wait after each failed attempt (±10 % jitter), at most 50 of them. One attempt plus one per entry: 8 attempts over about 27.5 h.",
  ),
  DELIVERY_TIMEOUT_SECONDS: varSetting(duration("seconds", 15), "Timeout of one webhook attempt."),
  ENDPOINT_CIRCUIT_FAILURES: varSetting(
    count(5, (n) => n.int().min(1).max(1000)),
    "An endpoint's circuit opens after this many failed attempts in a row: its due webhooks wait, spending no attempts, while one probe at a time is tried (see `ENDPOINT_PROBE_MIN_SECONDS`); the first success closes it and releases them. See [Delivery and endpoint health](../README.md#delivery-and-endpoint-health).",
  ),
  ENDPOINT_PROBE_MIN_SECONDS: varSetting(
    duration("seconds", 60, (n) => n.int().min(1).max(86_400)),
    "The wait before the first probe of an open circuit; it doubles after each failed probe, up to `ENDPOINT_PROBE_MAX_SECONDS`.",
  ),
  ENDPOINT_PROBE_MAX_SECONDS: varSetting(
    duration("seconds", 3600, (n) => n.int().min(1).max(86_400)),
    "The longest wait between two probes of an open circuit.",
  ),
  ENDPOINT_DISABLE_AFTER_HOURS: varSetting(
    duration("hours", 120, (n) => n.nonnegative().max(24 * 365)),
    "An endpoint whose attempts have all failed for this long is disabled: its pending webhooks end `failed` (`endpoint_disabled`), registrations to it answer 409 until `POST /v1/endpoints/{id}/enable`. Time with no webhook waiting for it does not count: its failing time starts again with its next failure. `0`: never disabled.",
  ),
  RETENTION_DAYS: varSetting(
    duration("days", 7),
    "Finished tasks, their subscriptions and delivery logs are deleted this long after polling stopped (and after the last registration or change of one of its subscriptions; never while a message is pending or a file is being archived). With the `ARCHIVE` bucket, a task is also kept while any of its archived files is still copied: it goes once `ARCHIVE_RETENTION_DAYS` deleted them, at a later tick (with its failed copies' objects).",
  ),
  // A per-isolate cap, used only without the REGISTRATION_LIMITER binding: registrations per API
  // key a minute in each isolate, so a deployment of many isolates admits more (not a global
  // limit). The same default as the binding's limit in wrangler.toml.
  REGISTRATION_RATE_LIMIT: varSetting(
    count(6000, (n) => n.positive().int()),
    "Only without `REGISTRATION_LIMITER`: a per-isolate cap, at most this many registrations (batch items) a minute per API key _in each isolate_. Each isolate counts on its own and forgets when evicted, so a deployment with many isolates admits more: it is not a global limit.",
  ),
  // Also per isolate, used only without the AUTH_FAILURE_LIMITER binding: failed key checks a
  // minute per client address and per key prefix in each isolate. The binding's limit in
  // wrangler.toml is the same.
  AUTH_FAILURE_LIMIT: varSetting(
    count(20, (n) => n.positive().int()),
    "Only without `AUTH_FAILURE_LIMITER`: a per-isolate stand-in, at most this many failed key checks a minute per client address and per key prefix _in each isolate_ (each isolate counts on its own: no global limit).",
  ),
  // "new old" during a rotation: tasks created with the old callback URL still call back.
  INBOUND_TOKEN: secretSetting(
    list(
      /\s+/,
      (tokens) => tokens.length <= 2 && tokens.every((t) => t.length >= MIN_INBOUND_TOKEN_LENGTH && /^[A-Za-z0-9_-]+$/.test(t)),
      `INBOUND_TOKEN must be one token (or two, space-separated, during a rotation) of at least ${MIN_INBOUND_TOKEN_LENGTH} characters of A-Z, a-z, 0-9, _ and -`,
    ),
    `The secret path segment of \`POST /inbound/{provider}/{token}\`, where upstream calls back: at least ${MIN_INBOUND_TOKEN_LENGTH} characters of \`A-Z a-z 0-9 _ -\` (two, space-separated, during a rotation: new creates get the first). None set: the route answers 404 and the relay polls only.`,
  ),
  PUBLIC_BASE_URL: varSetting(
    optionalBaseUrl(),
    "The relay's own URL as upstream reaches it (e.g. `https://relay.example.com`). With `INBOUND_TOKEN`, tasks created through the relay get `{PUBLIC_BASE_URL}/inbound/{provider}/{INBOUND_TOKEN}` as their upstream callback; without either they are polled only.",
  ),
  KLING_WEBHOOK_SECRET: secretSetting(
    list(/\s+/, whsecList, "KLING_WEBHOOK_SECRET must be one or two space-separated whsec_<base64> secrets"),
    "The `whsec_` secret of Kling's console (two, space-separated, during its 7-day rotation). Set: a `kling` callback must carry a valid Standard Webhooks signature (5 minutes of tolerance) or is refused with 401, and a verified one is taken as the task's state without a poll.",
  ),
  PUSH_SAFETY_POLL_SECONDS: varSetting(
    duration("seconds", 300),
    "A task that has received a callback is polled only as a safety net: this long after its last poll, or when its kind's learned window closes if that is later; sooner, at its kind's lost-callback checks, while its provider loses 2 % or more of that kind's final callbacks (docs/push.md).",
  ),
  ARCHIVE_LINK_SECRET: secretSetting(
    list(
      /\s+/,
      (secrets) => secrets.length <= 2 && secrets.every((s) => s.length >= MIN_ARCHIVE_LINK_SECRET_LENGTH),
      `ARCHIVE_LINK_SECRET must be one secret (or two, space-separated, during a rotation) of at least ${MIN_ARCHIVE_LINK_SECRET_LENGTH} characters`,
    ),
    `Signs the links to archived files (HMAC-SHA256): at least ${MIN_ARCHIVE_LINK_SECRET_LENGTH} characters; two, space-separated, during a rotation (the first signs, both verify). None set: no links are made and \`GET /files/...\` answers 404, even with \`ARCHIVE\` bound.`,
  ),
  ARCHIVE_LINK_TTL_SECONDS: varSetting(
    count(ARCHIVE_LINK_DEFAULT_TTL_SECONDS, (n) => n.positive().int().max(ARCHIVE_LINK_MAX_TTL_SECONDS)),
    `How long a link to an archived file works (7 days); at most \`${ARCHIVE_LINK_MAX_TTL_SECONDS}\` (30 days).`,
  ),
  ARCHIVE_DEFAULT: varSetting(
    trueOrFalse(),
    "`true`: a registration that says nothing of `archive` archives its task's files (only where the relay can: `ARCHIVE`, `ARCHIVE_LINK_SECRET` and `PUBLIC_BASE_URL`; elsewhere it is ignored). `archive: false` opts out.",
  ),
  ARCHIVE_MAX_BYTES: varSetting(
    count(2 * 1024 ** 3, (n) => n.positive().int()),
    "Largest output file copied (2 GiB). A larger one (by its `Content-Length`, or counted as it streams) is given up at once: its output carries `archive_error`.",
  ),
  ARCHIVE_MAX_ATTEMPTS: varSetting(
    count(5, (n) => n.positive().int().max(20)),
    "Failed copy attempts of one file (waiting 15 s, 1, 4, 16 minutes between them; at most 20) before it is given up and the webhook goes out without it. A step that copied a part is not a failure.",
  ),
  ARCHIVE_COPY_TIMEOUT_SECONDS: varSetting(
    duration("seconds", 50),
    "Longest copy step (less when the tick or consumer ends sooner; in the tick a step also starts no new part after `POLL_MIN_INTERVAL_SECONDS`). A step that ends with parts copied goes on in the next; one that copied nothing is a failed attempt.",
  ),
  ARCHIVE_BYTES_PER_TICK: varSetting(
    count(256 * 1024 ** 2, (n) => n.positive().int().min(ARCHIVE_PART_BYTES)),
    "Bytes one tick (or one queue consumer invocation) copies at most, all files together (256 MiB; at least 8 MiB, one part). A larger file goes on in the next tick, where it stopped.",
  ),
  ARCHIVE_RETENTION_DAYS: varSetting(
    duration("days", 90),
    "Archived files are deleted this long after they were copied (the object from R2; the row stays, `deleted`), whatever `RETENTION_DAYS` says: their task is kept until then, and goes by `RETENTION_DAYS` afterwards. See [Retention](archive.md#retention).",
  ),
  AUDIT_RETENTION_DAYS: varSetting(
    duration("days", 90),
    "Audit log entries (`GET /v1/audit`, `GET /v1/admin/audit`) are deleted this long after they were written, a bounded batch per tick.",
  ),
  ALLOW_INSECURE_CALLBACKS: varSetting(
    onlyTrue(),
    "`true` allows `http://` and loopback callback URLs. Local development and tests only (any other value is `false`).",
  ),
} satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;

/** What the Worker's env holds of the settings: each a string, or unset. */
export type SettingsEnv = { [Name in SettingName]?: string };

/** Each setting's parsed value, under its name (the env's). */
export type SettingValues = { [Name in SettingName]: z.output<Settings[Name]["schema"]> };

/** Each setting's parsed value under its field name (field-names.ts); `none` settings have none. */
export type SettingFields = {
  [Name in SettingName as FieldName<Name, Settings[Name]["naming"] & FieldNaming>]: SettingValues[Name];
};

/** The settings with their names, in the order of the table. */
export const settingEntries = () => Object.entries(SETTINGS) as [SettingName, Setting][];

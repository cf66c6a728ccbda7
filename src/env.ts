import type { WorkMessage } from "./work/work-message";

/** Bindings, vars and secrets the Worker reads. Vars arrive as strings; `loadConfig` parses them. */
export interface Env {
  DB: D1Database;
  /** The static assets of wrangler.toml's `[assets]`: Scalar's bundle for /docs (src/http/docs/docs-routes.ts). */
  ASSETS: Fetcher;
  /**
   * Queue producers (optional: `[env.queues]` in wrangler.toml). With one bound, the tick claims
   * that kind of work and sends its ids there; the Worker's `queue` handler does the work.
   */
  POLL_QUEUE?: Queue<WorkMessage>;
  DELIVERY_QUEUE?: Queue<WorkMessage>;
  /** Cloudflare's rate limiting binding for registrations (optional: see wrangler.toml). */
  REGISTRATION_LIMITER?: RateLimit;
  /** Cloudflare's rate limiting binding for drop-in queries passed through to upstream, per tenant (optional: see wrangler.toml). */
  UPSTREAM_QUERY_LIMITER?: RateLimit;
  /** Cloudflare's rate limiting binding for failed key checks, per address and per key prefix (optional: see wrangler.toml). */
  AUTH_FAILURE_LIMITER?: RateLimit;
  /** R2 bucket for finished tasks' output files (optional): unbound, nothing is archived and `GET /files/...` answers 404. */
  ARCHIVE?: R2Bucket;
  /** Comma-separated API keys of the built-in `default` tenant, each of 24+ characters (secret). */
  RELAY_API_KEYS?: string;
  /** The admin API's key, 24+ characters (secret); without it the admin routes answer 404. */
  ADMIN_API_KEY?: string;
  /** Space-separated `whsec_...` secrets that sign the `default` tenant's webhooks beside each endpoint's own (secret). */
  WEBHOOK_SECRETS?: string;
  /**
   * Seals secrets at rest (secret): the base64 of 32 random bytes (`openssl rand -base64 32`); two,
   * space-separated (the new one first), during a rotation. Unset: secrets are stored in clear
   * (local development) and only the `default` tenant's upstream credentials can be used.
   */
  SECRETS_KEY?: string;
  /** Hours a rotated-out endpoint secret goes on signing beside the new one (default 24). */
  SECRET_ROTATION_OVERLAP_HOURS?: string;
  /** CometAPI key sent upstream as `Authorization: Bearer` (secret). */
  COMETAPI_KEY?: string;
  UPSTREAM_BASE_URL?: string;
  /** Kling's own API (provider `kling`): default https://api-singapore.klingai.com. */
  KLING_BASE_URL?: string;
  /** Kling API key, sent as Bearer (secret); the only credential Kling's new API takes. */
  KLING_API_KEY?: string;
  /** Kling access key and secret key for the legacy JWT (secrets), used when there is no KLING_API_KEY. */
  KLING_ACCESS_KEY?: string;
  KLING_SECRET_KEY?: string;
  /** Task ids per query of Kling's new API (default 50). */
  KLING_BATCH_SIZE?: string;
  POLL_MIN_INTERVAL_SECONDS?: string;
  POLL_MAX_INTERVAL_SECONDS?: string;
  UPSTREAM_TIMEOUT_SECONDS?: string;
  SUBREQUEST_BUDGET?: string;
  TICK_WALL_BUDGET_SECONDS?: string;
  MAX_TASK_AGE_HOURS?: string;
  DELIVERY_RETRY_SCHEDULE?: string;
  DELIVERY_TIMEOUT_SECONDS?: string;
  RETENTION_DAYS?: string;
  ALLOW_INSECURE_CALLBACKS?: string;
  /** Without REGISTRATION_LIMITER only: a per-isolate cap, registrations per API key a minute in each isolate (not a global limit). */
  REGISTRATION_RATE_LIMIT?: string;
  /** Without AUTH_FAILURE_LIMITER only: failed key checks a minute per address and per key prefix in each isolate (default 20). */
  AUTH_FAILURE_LIMIT?: string;
  /** The secret path segment of `POST /inbound/{provider}/{token}`, 32+ characters (two, space-separated, during a rotation; secret); unset: no callbacks, polling only. */
  INBOUND_TOKEN?: string;
  /** The `whsec_` secret(s) of Kling's console that sign its callbacks (secret); set: unsigned or forged Kling callbacks are refused. */
  KLING_WEBHOOK_SECRET?: string;
  /** Seconds between safety polls of a task that receives callbacks (default 300). */
  PUSH_SAFETY_POLL_SECONDS?: string;
  /** The relay's public URL, e.g. https://relay.example.com (for the callback URL given upstream on creates). */
  PUBLIC_BASE_URL?: string;
  /** Signs the links to archived files: one secret of 32+ characters (two, space-separated, during a rotation; secret). Unset: no links, `GET /files/...` answers 404. */
  ARCHIVE_LINK_SECRET?: string;
  /** How long a link to an archived file is valid, in seconds (default 604800, 7 days; at most 30 days). */
  ARCHIVE_LINK_TTL_SECONDS?: string;
  /** `true`: a registration that says nothing of `archive` archives its task's files (default false; needs ARCHIVE). */
  ARCHIVE_DEFAULT?: string;
  /** Largest output file copied, in bytes (default 2147483648, 2 GiB). */
  ARCHIVE_MAX_BYTES?: string;
  /** Failed copy attempts of a file before the webhook goes out without it (default 5). */
  ARCHIVE_MAX_ATTEMPTS?: string;
  /** Longest copy step, in seconds (default 50). */
  ARCHIVE_COPY_TIMEOUT_SECONDS?: string;
  /** Bytes one tick, or one queue consumer invocation, copies at most (default 268435456, 256 MiB; at least 8 MiB). */
  ARCHIVE_BYTES_PER_TICK?: string;
  /** Days an archived file is kept after it was copied (default 90). */
  ARCHIVE_RETENTION_DAYS?: string;
  /** Days an audit log entry is kept (default 90). */
  AUDIT_RETENTION_DAYS?: string;
}

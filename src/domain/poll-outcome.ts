import { exactMemberText } from "../lib/exact-json";
import { cloudflareOriginError } from "../lib/network-failure";
import { exceedsJsonDepth } from "./json-depth";
import { type ObservedStatus, readTaskStatus } from "./kling";
import { parseRetryAfter } from "./retry-after";

/** What the upstream client saw; produced at the network edge, judged here. */
export type UpstreamExchange =
  | { kind: "response"; status: number; retryAfter: string | null; body: string; truncated: boolean }
  | { kind: "timeout" }
  | { kind: "network"; message: string };

/** The meaning of one poll for the task (the error table of docs/upstream.md). */
export type PollOutcome =
  /**
   * The query worked: `status` is `data.task_status` (known spellings normalised, unknown ones as
   * they came); `data` is the upstream `data` object as JSON text; `createdAt`/`updatedAt` are its
   * timestamps (epoch ms) when present and plausible.
   */
  | { kind: "status"; status: ObservedStatus; data: string; createdAt: number | null; updatedAt: number | null }
  /** Worth retrying soon: 429, 5xx, timeout, network error, malformed body. */
  | { kind: "transient"; error: string; retryAfterMs: number | null }
  /** Our key or account is wrong: nothing the task did; do not count it against the task. */
  | { kind: "configuration"; error: string; retryAfterMs: number | null }
  /** The task seems not to exist (or the upstream refuses it): confirmed a few times, then expired. */
  | { kind: "missing"; reason: "not_found" | "upstream_rejected"; error: string }
  /** Permanently refused for this task: expire at once. */
  | { kind: "rejected"; reason: "invalid_request" | "content_policy"; error: string };

const MESSAGE_LIMIT = 300;
/** Kling's `data` nests 4 levels; far deeper is broken, and SQLite's JSON functions stop at 1000. */
export const MAX_DATA_DEPTH = 64;

/** `prefix: message`, cut to a loggable length; just `prefix` when there is no message. */
export function describeError(prefix: string, message: unknown): string {
  const text = typeof message === "string" && message ? `${prefix}: ${message}` : prefix;
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text;
}

/** An upstream timestamp in epoch ms, or null if it is not one (seconds, strings, the future). */
export function epochMs(value: unknown, now: number): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 1e12 && value <= now + 86_400_000 ? value : null;
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function klingCode(envelope: Record<string, unknown> | null): number | null {
  const code = envelope?.code;
  if (typeof code === "number" && Number.isInteger(code)) return code;
  if (typeof code === "string" && /^\d+$/.test(code)) return Number(code);
  return null;
}

/** Kling's service codes, by what they mean for the task. */
function classifyKlingCode(code: number, message: unknown, retryAfterMs: number | null): UpstreamFailure {
  const error = describeError(`kling_${code}`, message);
  if ((code >= 1000 && code <= 1004) || code === 1103 || code === 1304) return { kind: "configuration", error, retryAfterMs };
  // Arrears or an exhausted resource pack: an account problem, the task itself is fine.
  if (code >= 1100 && code <= 1102) return { kind: "configuration", error, retryAfterMs };
  if (code === 1200 || code === 1201) return { kind: "rejected", reason: "invalid_request", error };
  if (code === 1202 || code === 1203) return { kind: "missing", reason: "not_found", error };
  if (code === 1300 || code === 1301) return { kind: "rejected", reason: "content_policy", error };
  return { kind: "transient", error, retryAfterMs };
}

function cometErrorCode(envelope: Record<string, unknown> | null): unknown {
  const nested = envelope?.error;
  return nested && typeof nested === "object" && "code" in nested ? (nested as { code: unknown }).code : undefined;
}

function messageOf(envelope: Record<string, unknown> | null): unknown {
  const nested = envelope?.error;
  if (nested && typeof nested === "object" && "message" in nested) return (nested as { message: unknown }).message;
  return envelope?.message;
}

/** A poll that produced no task status: why, and what to do about it. */
export type UpstreamFailure = Exclude<PollOutcome, { kind: "status" }>;

/**
 * The first half of classifying an exchange, shared by the single query (`classifyPoll`) and the
 * batch query (`classifyBatch`): either a JSON object envelope that answered `code: 0` with a 2xx,
 * for the caller to read its `data`, or the failure of the whole request (timeout, network, HTTP
 * status, a non-zero Kling `code`, a body that is not a JSON object).
 */
export type EnvelopeReading =
  | { kind: "envelope"; envelope: Record<string, unknown>; body: string; retryAfterMs: number | null }
  | { kind: "failed"; outcome: UpstreamFailure; retryAfterMs: number | null };

/**
 * Reads the envelope of one exchange, or says how the whole request failed (Kling's code table,
 * CometAPI's error envelope, HTTP statuses).
 * @example readEnvelope({ kind: "timeout" }, clock.now()) // { kind: "failed", outcome: { kind: "transient", error: "timeout", ... } }
 */
export function readEnvelope(exchange: UpstreamExchange, now: number): EnvelopeReading {
  const failed = (outcome: UpstreamFailure, retryAfterMs: number | null = null): EnvelopeReading => ({
    kind: "failed",
    outcome,
    retryAfterMs,
  });
  if (exchange.kind === "timeout") return failed({ kind: "transient", error: "timeout", retryAfterMs: null });
  if (exchange.kind === "network")
    return failed({ kind: "transient", error: describeError("network_error", exchange.message), retryAfterMs: null });

  const { status } = exchange;
  const retryAfterMs = parseRetryAfter(exchange.retryAfter, now);
  const fail = (outcome: UpstreamFailure) => failed(outcome, retryAfterMs);
  if (exchange.truncated) return fail({ kind: "transient", error: `malformed: body over the size limit (http ${status})`, retryAfterMs });
  const envelope = parseJson(exchange.body);
  const code = klingCode(envelope);

  if (status >= 200 && status < 300) {
    if (!envelope) return fail({ kind: "transient", error: `malformed: not a JSON object (http ${status})`, retryAfterMs });
    if (code === null) return fail({ kind: "transient", error: "malformed: no code in the envelope", retryAfterMs });
    if (code !== 0) return fail(classifyKlingCode(code, envelope.message, retryAfterMs));
    return { kind: "envelope", envelope, body: exchange.body, retryAfterMs };
  }

  if (code !== null && code !== 0) return fail(classifyKlingCode(code, messageOf(envelope), retryAfterMs));
  // Cloudflare's own answer for a host it could not reach (DNS, refused, TLS) says so in its body.
  const error = describeError(`http_${status}`, messageOf(envelope) ?? cloudflareOriginError(status, exchange.body));
  if (status === 401 || status === 403) return fail({ kind: "configuration", error, retryAfterMs });
  // A wrong base URL tends to answer with a redirect: that is ours to fix, not the task's.
  if (status >= 300 && status < 400)
    return fail({ kind: "configuration", error: `${error} (redirect: check UPSTREAM_BASE_URL)`, retryAfterMs });
  if (status === 404) return fail({ kind: "missing", reason: "not_found", error });
  // CometAPI's one 500 that it does not retry itself: the request, not the server, is at fault.
  if (status === 500 && cometErrorCode(envelope) === "invalid_request")
    return fail({ kind: "missing", reason: "upstream_rejected", error });
  if (status === 408 || status === 425 || status === 429 || status >= 500) return fail({ kind: "transient", error, retryAfterMs });
  return fail({ kind: "missing", reason: "upstream_rejected", error });
}

/**
 * Classifies one upstream exchange of the single-task query (`data` is one task object).
 * @example classifyPoll({ kind: "timeout" }, clock.now()) // { kind: "transient", error: "timeout", ... }
 */
export function classifyPoll(exchange: UpstreamExchange, now: number): PollOutcome {
  const reading = readEnvelope(exchange, now);
  if (reading.kind === "failed") return reading.outcome;
  const { envelope, body, retryAfterMs } = reading;
  const data = envelope.data;
  if (!data || typeof data !== "object" || Array.isArray(data))
    return { kind: "transient", error: "malformed: no data object", retryAfterMs };
  if (exceedsJsonDepth(data, MAX_DATA_DEPTH))
    return { kind: "transient", error: `malformed: data nests deeper than ${MAX_DATA_DEPTH} levels`, retryAfterMs };
  // A status the relay does not know is still an answer: it is kept (and shown), never dropped.
  const taskStatus = readTaskStatus((data as Record<string, unknown>).task_status);
  if (taskStatus === null) return { kind: "transient", error: "malformed: no task_status", retryAfterMs };
  const fields = data as Record<string, unknown>;
  // Stored as upstream wrote it: a large id or a long decimal must reach receivers unchanged.
  // A body that repeats a key has no one exact text: JSON.parse's reading (the last one wins) is kept.
  const text = exactMemberText(body, "data") ?? JSON.stringify(data);
  return {
    kind: "status",
    status: taskStatus,
    data: text,
    createdAt: epochMs(fields.created_at, now),
    updatedAt: epochMs(fields.updated_at, now),
  };
}

/**
 * Whether Kling refused the JWT itself (1003 not yet valid, 1004 expired): a clock or token
 * problem, so the caller drops its cached token (`invalidateKlingToken`) and signs a new one.
 * Derived from the error texts this module writes.
 */
export function isTokenRejection(outcome: PollOutcome): boolean {
  return outcome.kind === "configuration" && /^kling_100[34]\b/.test(outcome.error);
}

/**
 * A short name for what went wrong, for the tick's log line (`upstreamErrors` by kind).
 * Derived from the error texts this module writes.
 */
export function upstreamErrorKind(outcome: UpstreamFailure): string {
  switch (outcome.kind) {
    case "configuration":
      return "configuration";
    case "missing":
    case "rejected":
      return outcome.reason;
    case "transient":
      if (outcome.error === "timeout") return "timeout";
      if (outcome.error.startsWith("network_error")) return "network";
      if (outcome.error.startsWith("malformed")) return "malformed";
      if (/^(http_429|kling_1302|kling_1303)\b/.test(outcome.error)) return "rate_limited";
      return "server_error";
  }
}

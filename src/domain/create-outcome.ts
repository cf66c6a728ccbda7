import { readEnvelope, type UpstreamExchange } from "./poll-outcome";

/**
 * Creating a task upstream: which API a create goes to, the body it sends, and what the answer
 * means. The relay sets the callback (its own inbound URL) and an external task id of its own
 * making, so that a create whose answer is lost can be found again by that id.
 */

/** The three create APIs: CometAPI's proxy, Kling's legacy paths, Kling's new model paths. */
export type CreateDialect = "cometapi" | "kling-legacy" | "kling-new";

/** The new API's create paths: `{product}/{model}`, e.g. `text-to-video/kling-3.0-turbo`. */
export const NEW_API_CREATE_PATH = /^(text-to-video|image-to-video|omni-video|motion-control)\/[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * The create body upstream receives: the app's body with the callback (`callback_url`, or
 * `options.callback_url` for the new API) and the external task id set by the relay. Without a
 * callback URL (callbacks not configured) any callback the app wrote is removed: a task polled
 * by the relay must not report to somebody else's URL behind its back.
 */
export function createBody(dialect: CreateDialect, body: Record<string, unknown>, callbackUrl: string | null, externalId: string): string {
  if (dialect === "kling-new") {
    const options = body.options !== null && typeof body.options === "object" && !Array.isArray(body.options) ? body.options : {};
    const { callback_url: _dropped, ...rest } = options as Record<string, unknown>;
    return JSON.stringify({
      ...body,
      options: { ...rest, ...(callbackUrl ? { callback_url: callbackUrl } : {}), external_task_id: externalId },
    });
  }
  const { callback_url: _dropped, ...rest } = body;
  return JSON.stringify({ ...rest, ...(callbackUrl ? { callback_url: callbackUrl } : {}), external_task_id: externalId });
}

/** What a create's answer means. */
export type CreateOutcome =
  /** Created: upstream's task id. */
  | { kind: "created"; taskId: string }
  /** Upstream refused what was asked (invalid parameters, content policy, ...): its code and message. */
  | { kind: "rejected"; code: string | number | null; message: string }
  /** Certainly not created, and not the request's fault (the relay's key, the account, a rate limit). */
  | { kind: "unavailable"; error: string; retryAfterMs: number | null }
  /** No telling whether it was created (timeout, network, 5xx, an answer that cannot be read). */
  | { kind: "unknown"; error: string };

const objectOf = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

const idText = (value: unknown): string | null =>
  typeof value === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(value)
    ? value
    : typeof value === "number" && Number.isSafeInteger(value) && value >= 0
      ? String(value)
      : null;

/** Upstream's error code and message, from Kling's envelope or CometAPI's `{ error: { code, message } }`. */
function refusalOf(body: string): { code: string | number | null; message: string } {
  let envelope: Record<string, unknown> | null = null;
  try {
    envelope = objectOf(JSON.parse(body));
  } catch {
    // Not JSON: no code to pass on.
  }
  const nested = objectOf(envelope?.error);
  const code = nested?.code ?? envelope?.code;
  const message = nested?.message ?? envelope?.message;
  return {
    code: typeof code === "string" || typeof code === "number" ? code : null,
    message: typeof message === "string" ? message.slice(0, 500) : "",
  };
}

/**
 * Judges a create's answer. A refusal that names the request (Kling 1200/1201/1300/1301, or an
 * HTTP 4xx other than 401/403/408/425/429) is `rejected`; the relay's key, the account and rate
 * limits are `unavailable` (nothing was created); timeouts, network errors, 5xx and unreadable 2xx
 * answers are `unknown`: the task may exist.
 * @example classifyCreate({ kind: "timeout" }, "cometapi", clock.now()) // { kind: "unknown", error: "timeout" }
 */
export function classifyCreate(exchange: UpstreamExchange, dialect: CreateDialect, now: number): CreateOutcome {
  const reading = readEnvelope(exchange, now);
  if (reading.kind === "envelope") {
    const data = objectOf(reading.envelope.data);
    const taskId = idText(dialect === "kling-new" ? data?.id : data?.task_id);
    return taskId === null ? { kind: "unknown", error: "malformed: the create answer names no task id" } : { kind: "created", taskId };
  }
  const { outcome } = reading;
  switch (outcome.kind) {
    case "configuration":
      return { kind: "unavailable", error: outcome.error, retryAfterMs: outcome.retryAfterMs };
    case "rejected":
    case "missing":
      return { kind: "rejected", ...(exchange.kind === "response" ? refusalOf(exchange.body) : { code: null, message: outcome.error }) };
    case "transient": {
      // A 429 (or Kling's 1302/1303) refused the create before doing anything.
      if (/^(http_429|kling_130[23])\b/.test(outcome.error))
        return { kind: "unavailable", error: outcome.error, retryAfterMs: outcome.retryAfterMs };
      return { kind: "unknown", error: outcome.error };
    }
  }
}

/** What looking a task up by its external id found. */
export type LookupOutcome = { kind: "found"; taskId: string } | { kind: "absent" } | { kind: "unknown"; error: string };

/**
 * Judges a lookup by external id: the legacy query at `/{path}/{external id}` (`data.task_id`), or
 * the new API's `GET /tasks?external_task_ids=` (the entry whose `external_id` it is).
 */
export function classifyLookup(exchange: UpstreamExchange, dialect: CreateDialect, externalId: string, now: number): LookupOutcome {
  const reading = readEnvelope(exchange, now);
  if (reading.kind === "failed") {
    const { outcome } = reading;
    if (outcome.kind === "missing" && outcome.reason === "not_found") return { kind: "absent" };
    return { kind: "unknown", error: outcome.error };
  }
  const data = reading.envelope.data;
  if (dialect === "kling-new") {
    if (!Array.isArray(data)) return { kind: "unknown", error: "malformed: no data array" };
    const entry = data.map(objectOf).find((e) => e !== null && String(e.external_id ?? "") === externalId);
    const taskId = idText(entry?.id);
    return taskId !== null
      ? { kind: "found", taskId }
      : data.length === 0
        ? { kind: "absent" }
        : { kind: "unknown", error: "no entry for the external id" };
  }
  const taskId = idText(objectOf(data)?.task_id);
  return taskId === null ? { kind: "unknown", error: "malformed: no task_id" } : { kind: "found", taskId };
}

/** A create through the relay, as the API hands it to the gateway (`api-kit/services.ts`). */
export interface CreateRequest {
  provider: "cometapi" | "kling";
  /** The legacy product (both `NO_ACTION` for the new API, which takes `path`). */
  action: string;
  action2: string;
  /** The new API's `{product}/{model}`, or null. */
  path: string | null;
  /** The app's create body, sent with the relay's callback and external id. */
  body: Record<string, unknown>;
  /** The external task id to create it under (and to find it by if the answer is lost): always the relay's own. */
  externalId: string;
  /**
   * An earlier request with the same `Idempotency-Key` lost its answer (timeout, reset, 5xx, or it
   * died mid-way): the task may exist under `externalId`, so it is looked up before creating.
   */
  lookupFirst: boolean;
}

/** What the create came to, for the API to answer. */
export type CreateResult =
  | { kind: "created"; taskId: string; externalId: string; foundByLookup: boolean }
  | { kind: "rejected"; code: string | number | null; message: string }
  /**
   * Nothing is registered: either certainly not created, or impossible to tell (`answerLost`: it
   * may exist under its external id, which a retry with the same key looks up first).
   */
  | { kind: "unavailable"; message: string; retryAfterMs: number | null; answerLost: boolean };

/** Which create API a request goes to. */
export const createDialect = (r: Pick<CreateRequest, "provider" | "path">): CreateDialect =>
  r.provider === "cometapi" ? "cometapi" : r.path !== null ? "kling-new" : "kling-legacy";

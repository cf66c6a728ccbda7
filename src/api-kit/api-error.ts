import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../config";
import { isStorageUnavailable, storageErrorMessage } from "../storage/storage-errors";

/** Every code the API answers (the OpenAPI document's `Error.code` lists these). */
export const ERROR_CODES = [
  "invalid_request",
  "upstream_not_configured",
  "unauthorized",
  "forbidden",
  "own_credentials_required",
  "tenant_suspended",
  "not_found",
  "task_not_found",
  "conflict",
  "endpoint_disabled",
  "endpoint_limit_reached",
  "subscription_limit_reached",
  "payload_too_large",
  "unsupported_media_type",
  "range_not_satisfiable",
  "rate_limited",
  "active_task_limit_reached",
  "passthrough_limit_reached",
  "upstream_rejected",
  "upstream_unavailable",
  "misconfigured",
  "storage_unavailable",
  "internal_error",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  field: string;
  message: string;
}

function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case "invalid_request":
    case "upstream_not_configured":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
    case "own_credentials_required":
    case "tenant_suspended":
      return 403;
    case "not_found":
    case "task_not_found":
      return 404;
    case "conflict":
    case "endpoint_disabled":
    case "endpoint_limit_reached":
    case "subscription_limit_reached":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "range_not_satisfiable":
      return 416;
    case "rate_limited":
    case "active_task_limit_reached":
    case "passthrough_limit_reached":
      return 429;
    case "upstream_rejected":
      return 422;
    case "upstream_unavailable":
      return 502;
    case "misconfigured":
    case "storage_unavailable":
      return 503;
    case "internal_error":
      return 500;
  }
}

/**
 * Every failure the API answers: `{"error":{"code","message","details"?}}` with the code's status.
 * @example throw new ApiError("not_found", "no subscription sub_123")
 */
export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    /** Seconds, sent as `Retry-After` (rate limits, storage unavailable). */
    readonly retryAfterSeconds?: number,
    /** `upstream_rejected`: upstream's own code and message. */
    readonly upstream?: { code: string | number | null; message: string },
  ) {
    super(statusOf(code), { message });
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      ...(error.upstream ? { upstream: error.upstream } : {}),
    },
  };
  const headers: Record<string, string> = {};
  if (error.code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="kling-webhook-relay"';
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  return c.json(body, statusOf(error.code), headers);
}

/**
 * What a misconfigured relay answers, before any key is checked (checking one needs the
 * configuration): the settings at fault and what each must be, so the operator reading it (or
 * `/healthz`) knows what to fix. Names and rules only: `ConfigError` never holds a value. Logged
 * once per request too, one JSON line.
 */
export function misconfigured(error: ConfigError): ApiError {
  console.error(JSON.stringify({ event: "configuration_error", settings: error.settings, error: error.message }));
  return new ApiError(
    "misconfigured",
    `the relay is misconfigured: ${error.settings.join(", ")} (details say what each must be)`,
    error.problems.map((p) => ({ field: p.setting, message: p.message })),
  );
}

/**
 * How long a client should wait before retrying when D1 did not answer: D1's own advice is to
 * retry such errors after a short backoff, and a second is past most of its resets.
 */
export const STORAGE_RETRY_AFTER_SECONDS = 2;

/** The app's `onError`: expected failures answer their envelope; anything else is logged, never leaked. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) return errorResponse(c, error);
  if (error instanceof ConfigError) return errorResponse(c, misconfigured(error));
  // D1 unavailable for now: the client's retry is safe (a write that committed before the error
  // is found again by its id or unique key), so it is told to retry, not that the relay broke.
  if (isStorageUnavailable(error)) {
    console.error(
      JSON.stringify({ event: "storage_unavailable", method: c.req.method, path: c.req.path, error: storageErrorMessage(error) }),
    );
    return errorResponse(
      c,
      new ApiError(
        "storage_unavailable",
        "the relay's database did not answer; nothing is lost: retry the same request after Retry-After seconds",
        undefined,
        STORAGE_RETRY_AFTER_SECONDS,
      ),
    );
  }
  // Hono's own errors (a malformed request it refused to route, ...) keep their status.
  if (error instanceof HTTPException && error.status < 500)
    return errorResponse(c, new ApiError("invalid_request", error.message || "bad request"));
  console.error(JSON.stringify({ event: "unhandled_error", method: c.req.method, path: c.req.path, error: error.message }));
  return errorResponse(c, new ApiError("internal_error", "internal error"));
}

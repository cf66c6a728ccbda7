/**
 * What kind of failure one delivery attempt was, for the attempts log (`GET
 * /v1/messages/{id}/attempts`): derived from what an attempt stores (`delivery_attempts`' status
 * code and error, as domain/delivery-plan.ts writes them), so it needs no column and holds for
 * attempts recorded before it existed.
 *
 * - `http_3xx`, `http_4xx`, `http_5xx`: the receiver answered that status (a redirect is never
 *   followed; `410` ends the subscription, any other is retried);
 * - `timeout`: no answer within `DELIVERY_TIMEOUT_SECONDS`;
 * - `network`: no answer at all (DNS, refused or reset connection, TLS; also an endpoint whose
 *   secrets `SECRETS_KEY` cannot open, nothing sent);
 * - `refused`: not sent, the callback URL failing the relay's address checks when it was due.
 *
 * null when the attempt delivered (a 2xx answer).
 */
export const ATTEMPT_ERROR_CLASSES = ["http_3xx", "http_4xx", "http_5xx", "timeout", "network", "refused"] as const;
export type AttemptErrorClass = (typeof ATTEMPT_ERROR_CLASSES)[number];

/**
 * @example attemptErrorClass(503, "http_503") // "http_5xx"
 * @example attemptErrorClass(null, "timeout") // "timeout"
 * @example attemptErrorClass(200, null) // null
 */
export function attemptErrorClass(statusCode: number | null, error: string | null): AttemptErrorClass | null {
  if (statusCode !== null) {
    if (statusCode >= 500) return "http_5xx";
    if (statusCode >= 400) return "http_4xx";
    if (statusCode >= 300) return "http_3xx";
    return null;
  }
  if (error === null) return null;
  if (error === "timeout") return "timeout";
  // delivery-plan.ts writes `network_error: <words>` for every failed fetch.
  if (error.startsWith("network_error")) return "network";
  return "refused";
}

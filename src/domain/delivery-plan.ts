import { parseRetryAfter, withJitter } from "./retry-after";

/** What the webhook sender saw; produced at the network edge, judged here. */
export type DeliveryExchange =
  /** `body`: the start of the receiver's answer (webhooks/send-webhook.ts), null when it sent none. */
  | { kind: "response"; status: number; retryAfter: string | null; durationMs: number; body: string | null }
  | { kind: "timeout"; durationMs: number }
  | { kind: "network"; message: string; durationMs: number }
  /** Not sent: the stored callback URL no longer passes the address checks. */
  | { kind: "refused"; message: string };

export type SubscriptionFailure = "gone" | "retries_exhausted" | "callback_url_rejected";

/** The message's new state after one attempt. */
export interface MessageUpdate {
  status: "delivered" | "pending" | "failed";
  scheduleStep: number;
  nextAttemptAt: number | null;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The start of the receiver's answer, kept with the attempt (the attempts log); null without one. */
  responseBody: string | null;
  /** Set when the attempt also ends the subscription. */
  subscriptionFailure: SubscriptionFailure | null;
}

/** Statuses that mean "slow down": their `Retry-After` is honoured (Standard Webhooks). */
const THROTTLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Decides what one delivery attempt means. `scheduleStep` counts the failed attempts of the current
 * cycle; `retryScheduleMs[n]` is the wait after failure n+1, and a failure past the end is final.
 * @example planDelivery(0, { kind: "response", status: 500, retryAfter: null, durationMs: 12 }, now, [5000], Math.random)
 */
export function planDelivery(
  scheduleStep: number,
  exchange: DeliveryExchange,
  now: number,
  retryScheduleMs: readonly number[],
  random: () => number,
): MessageUpdate {
  const durationMs = exchange.kind === "refused" ? 0 : exchange.durationMs;
  const statusCode = exchange.kind === "response" ? exchange.status : null;
  const responseBody = exchange.kind === "response" ? exchange.body : null;
  const final = (error: string | null, failure: SubscriptionFailure): MessageUpdate => ({
    status: "failed",
    scheduleStep: scheduleStep + 1,
    nextAttemptAt: null,
    statusCode,
    error,
    durationMs,
    responseBody,
    subscriptionFailure: failure,
  });

  if (exchange.kind === "refused") return final(exchange.message, "callback_url_rejected");
  if (exchange.kind === "response" && exchange.status >= 200 && exchange.status < 300) {
    return {
      status: "delivered",
      scheduleStep,
      nextAttemptAt: null,
      statusCode,
      error: null,
      durationMs,
      responseBody,
      subscriptionFailure: null,
    };
  }
  if (exchange.kind === "response" && exchange.status === 410) return final("receiver answered 410 Gone", "gone");

  const error =
    exchange.kind === "timeout"
      ? "timeout"
      : exchange.kind === "network"
        ? `network_error: ${exchange.message}`
        : exchange.status >= 300 && exchange.status < 400
          ? `http_${exchange.status} (redirects are not followed)`
          : `http_${exchange.status}`;
  const wait = retryScheduleMs[scheduleStep];
  if (wait === undefined) return final(error, "retries_exhausted");
  const retryAfterMs =
    exchange.kind === "response" && THROTTLE_STATUSES.has(exchange.status) ? parseRetryAfter(exchange.retryAfter, now) : null;
  const delay = Math.max(withJitter(wait, random), retryAfterMs ?? 0);
  return {
    status: "pending",
    scheduleStep: scheduleStep + 1,
    nextAttemptAt: now + delay,
    statusCode,
    error,
    durationMs,
    responseBody,
    subscriptionFailure: null,
  };
}

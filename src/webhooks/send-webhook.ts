import type { DeliveryExchange } from "../domain/delivery-plan";
import { systemClock } from "../lib/clock";
import { describeNetworkFailure } from "../lib/network-failure";
import { readTextPrefix } from "../lib/read-bounded";
import { USER_AGENT } from "../version";
import { signWebhook } from "./sign";

export interface OutgoingWebhook {
  url: string;
  /** The `webhook-id`: the message id, the same on every attempt. */
  messageId: string;
  /** The exact bytes to sign and send. */
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
}

/** How much of the receiver's answer is kept (`delivery_attempts.response_body`, the attempts log). */
export const RESPONSE_BODY_BYTES = 1024;

/**
 * POSTs one signed webhook and reports what happened. Never follows redirects (a 3xx is a
 * failed attempt) and never throws: every failure is a `DeliveryExchange`.
 */
export async function sendWebhook(webhook: OutgoingWebhook): Promise<DeliveryExchange> {
  const started = systemClock.now();
  // The real wall clock, whatever clock schedules the work: receivers check it against theirs.
  const timestamp = Math.floor(started / 1000);
  // One timeout for the whole attempt: the answer, then the start of its body.
  const signal = AbortSignal.timeout(webhook.timeoutMs);
  try {
    const response = await fetch(webhook.url, {
      method: "POST",
      redirect: "manual",
      signal,
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook.messageId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(webhook.secrets, webhook.messageId, timestamp, webhook.body),
      },
      body: webhook.body,
    });
    // The latency is the time to the answer; its body is read after, and only its start (what the
    // attempts log shows an operator), within what is left of the timeout; the rest is cancelled.
    const durationMs = systemClock.now() - started;
    const body = await readTextPrefix(response.body, RESPONSE_BODY_BYTES, signal);
    return {
      kind: "response",
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      durationMs,
      body: body === "" ? null : body,
    };
  } catch (error) {
    const durationMs = systemClock.now() - started;
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return { kind: "timeout", durationMs };
    // In words (DNS, refused, TLS, ...): workerd's own text alone names no cause.
    return {
      kind: "network",
      message: describeNetworkFailure(webhook.url, error instanceof Error ? error.message : String(error)),
      durationMs,
    };
  }
}

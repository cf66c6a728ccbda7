import type { UpstreamExchange } from "../domain/poll-outcome";
import { describeNetworkFailure } from "../lib/network-failure";
import { readBoundedText } from "../lib/read-bounded";
import { USER_AGENT } from "../version";

/** Kling's answers are a few KiB; anything near this is broken, and D1 rows stop at 2 MB. */
export const UPSTREAM_BODY_LIMIT_BYTES = 256 * 1024;

/**
 * `GET url` (or, with `jsonBody`, a `POST` of that JSON text) with `Authorization: {authorization}`
 * (the whole header value, e.g. `Bearer <key>`), bounded in time (the timeout covers the body too)
 * and size. Never throws and never follows redirects; the credential travels only in the
 * Authorization header and is cut out of any network error text.
 * @example await fetchExchange("https://api-singapore.klingai.com/tasks?task_ids=1", "Bearer k", 10_000)
 */
export async function fetchExchange(url: string, authorization: string, timeoutMs: number, jsonBody?: string): Promise<UpstreamExchange> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      redirect: "manual",
      signal,
      headers: {
        authorization,
        accept: "application/json",
        "user-agent": USER_AGENT,
        ...(jsonBody === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(jsonBody === undefined ? {} : { method: "POST", body: jsonBody }),
    });
    const { text, truncated } = await readBoundedText(response.body, UPSTREAM_BODY_LIMIT_BYTES);
    return { kind: "response", status: response.status, retryAfter: response.headers.get("retry-after"), body: text, truncated };
  } catch (error) {
    if (signal.aborted) return { kind: "timeout" };
    // In words (DNS, refused, TLS, ...): workerd's own text alone names no cause.
    const message = describeNetworkFailure(url, error instanceof Error ? error.message : String(error));
    return { kind: "network", message: redact(message, authorization) };
  }
}

/** A header value that cannot be sent may be quoted in the error: the credential never is. */
function redact(message: string, authorization: string): string {
  const credential = authorization.replace(/^Bearer\s+/i, "");
  let text = message;
  for (const secret of [authorization, credential]) if (secret.length >= 4) text = text.replaceAll(secret, "[redacted]");
  return text;
}

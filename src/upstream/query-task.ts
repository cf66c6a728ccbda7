import type { UpstreamExchange } from "../domain/poll-outcome";
import { readBoundedText } from "../lib/read-bounded";
import { USER_AGENT } from "../version";

/** Kling's answers are a few KiB; anything near this is broken, and D1 rows stop at 2 MB. */
export const UPSTREAM_BODY_LIMIT_BYTES = 256 * 1024;

export interface TaskQuery {
  baseUrl: string;
  apiKey: string;
  action: string;
  action2: string;
  taskId: string;
  timeoutMs: number;
}

/**
 * `GET {base}/kling/v1/{action}/{action2}/{task_id}`, bounded in time and size. Never throws and
 * never follows redirects; the key travels only in the Authorization header.
 */
export async function queryKlingTask(query: TaskQuery): Promise<UpstreamExchange> {
  const url = `${query.baseUrl}/kling/v1/${query.action}/${query.action2}/${encodeURIComponent(query.taskId)}`;
  const signal = AbortSignal.timeout(query.timeoutMs);
  try {
    const response = await fetch(url, {
      redirect: "manual",
      signal,
      headers: { authorization: `Bearer ${query.apiKey}`, accept: "application/json", "user-agent": USER_AGENT },
    });
    const { text, truncated } = await readBoundedText(response.body, UPSTREAM_BODY_LIMIT_BYTES);
    return { kind: "response", status: response.status, retryAfter: response.headers.get("retry-after"), body: text, truncated };
  } catch (error) {
    if (signal.aborted) return { kind: "timeout" };
    return { kind: "network", message: error instanceof Error ? error.message : String(error) };
  }
}

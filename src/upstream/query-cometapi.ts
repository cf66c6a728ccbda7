import type { UpstreamExchange } from "../domain/poll-outcome";
import { fetchExchange } from "./fetch-exchange";

export { UPSTREAM_BODY_LIMIT_BYTES } from "./fetch-exchange";

export interface TaskQuery {
  baseUrl: string;
  apiKey: string;
  action: string;
  action2: string;
  taskId: string;
  timeoutMs: number;
}

/**
 * CometAPI's query, `GET {base}/kling/v1/{action}/{action2}/{task_id}` (Kling's own API is ./query-kling.ts), bounded in time and size. Never throws and
 * never follows redirects; the key travels only in the Authorization header.
 */
export function queryCometApiTask(query: TaskQuery): Promise<UpstreamExchange> {
  const url = `${query.baseUrl}/kling/v1/${query.action}/${query.action2}/${encodeURIComponent(query.taskId)}`;
  return fetchExchange(url, `Bearer ${query.apiKey}`, query.timeoutMs);
}

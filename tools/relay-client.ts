/** A minimal HTTP client of the relay's API, as an outside app would use it. */
import { fetchText } from "./http-helpers";

export interface SubscriptionView {
  id: string;
  status: string;
  deliveries: {
    webhook_id: string;
    event_type: string;
    status: string;
    attempt_count: number;
    attempts: { status_code: number | null; error: string | null }[];
  }[];
}

export interface TaskView {
  task_id: string;
  task_status: string | null;
  next_poll_at: string | null;
  finished_at: string | null;
  finish_reason: string | null;
  polls: number;
  subscriptions: SubscriptionView[];
}

export interface RelayClientOptions {
  /** Time limit of each call, body included (default 10 s). */
  timeoutMs?: number;
  /** Ends every call in flight when aborted (a demo shutting down). */
  signal?: AbortSignal;
}

export function createRelayClient(baseUrl: string, apiKey: string, options: RelayClientOptions = {}) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { res, text } = await fetchText(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: options.timeoutMs ?? 10_000,
      signal: options.signal,
      what: `${method} ${path}`,
    });
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  return {
    register: (body: Record<string, unknown>) => call<{ id: string; status: string; endpoint_id: string }>("POST", "/v1/tasks", body),
    task: (id: string, provider = "cometapi") => call<TaskView>("GET", `/v1/tasks/${encodeURIComponent(id)}?provider=${provider}`),
    subscription: (id: string) => call<SubscriptionView>("GET", `/v1/subscriptions/${id}`),
    cancel: (id: string) => call<null>("DELETE", `/v1/subscriptions/${id}`),
    redeliver: (id: string) => call<SubscriptionView>("POST", `/v1/subscriptions/${id}/redeliver`),
    endpointSecret: (id: string) => call<{ key: string }>("GET", `/v1/endpoints/${id}/secret`),
    setSigning: (id: string, signing: string[]) => call<{ public_key: string | null }>("PATCH", `/v1/endpoints/${id}`, { signing }),
  };
}

export type RelayClient = ReturnType<typeof createRelayClient>;

/** A minimal HTTP client of the relay's API, as an outside app would use it. */
export interface SubscriptionView {
  id: string;
  status: string;
  deliveries: { webhook_id: string; event_type: string; status: string; attempt_count: number; attempts: { status_code: number | null; error: string | null }[] }[];
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

export function createRelayClient(baseUrl: string, apiKey: string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  return {
    register: (body: Record<string, unknown>) => call<{ id: string; status: string }>("POST", "/v1/tasks", body),
    task: (id: string) => call<TaskView>("GET", `/v1/tasks/${encodeURIComponent(id)}`),
    subscription: (id: string) => call<SubscriptionView>("GET", `/v1/subscriptions/${id}`),
    cancel: (id: string) => call<null>("DELETE", `/v1/subscriptions/${id}`),
    redeliver: (id: string) => call<SubscriptionView>("POST", `/v1/subscriptions/${id}/redeliver`),
  };
}

export type RelayClient = ReturnType<typeof createRelayClient>;

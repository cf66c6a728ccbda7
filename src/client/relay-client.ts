import { type ClientResponse, hc } from "hono/client";
import type { RelayApi } from "../app";

/** The typed client: one method per route, typed from the routes' own zod schemas. */
export type RelayClient = ReturnType<typeof hc<RelayApi>>;

/**
 * A client of the relay's API for apps in TypeScript (Hono's `hc` over the app's type: requests
 * and responses are typed from the same schemas that validate them).
 * @example
 * const relay = createRelayClient("https://relay.example.workers.dev", { apiKey: process.env.RELAY_KEY! });
 * const subscription = await unwrap(relay.v1.tasks.$post({ json: { task_id, action: "videos", action2: "text2video", callback_url } }));
 * const task = await unwrap(relay.v1.tasks[":task_id"].$get({ param: { task_id }, query: {} }));
 * const { key } = await unwrap(relay.v1.endpoints[":id"].secret.$get({ param: { id: subscription.endpoint_id } }));
 * With the admin key, `tenant` names the tenant the tenant routes act for (the `Relay-Tenant` header).
 */
export function createRelayClient(baseUrl: string, options: { apiKey: string; tenant?: string; fetch?: typeof fetch }): RelayClient {
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` };
  if (options.tenant) headers["relay-tenant"] = options.tenant;
  return hc<RelayApi>(baseUrl, { headers, fetch: options.fetch });
}

/** The API's error envelope, thrown by `unwrap`. */
export class RelayApiError extends Error {
  override name = "RelayApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
  ) {
    super(message);
  }
}

type SuccessBody<R> = R extends ClientResponse<infer T, infer S, infer _F> ? (S extends 200 | 201 | 202 | 204 ? T : never) : never;

/** The body of a 2xx answer, typed; any other answer throws `RelayApiError` with its envelope. */
export async function unwrap<R extends ClientResponse<unknown, number, string>>(pending: Promise<R> | R): Promise<SuccessBody<R>> {
  const response = await pending;
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: { field: string; message: string }[] } } | null)?.error;
    throw new RelayApiError(response.status, error?.code ?? "unknown", error?.message ?? `HTTP ${response.status}`, error?.details);
  }
  return body as SuccessBody<R>;
}

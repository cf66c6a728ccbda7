import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./api.js";

/** The typed client: one method per HTTP verb, paths and bodies typed from the relay's OpenAPI document. */
export type RelayClient = Client<paths>;

export interface RelayClientOptions {
  /** A relay API key (`Authorization: Bearer`), or the admin key. */
  apiKey: string;
  /** With the admin key: the tenant the tenant routes act for (the `Relay-Tenant` header). */
  tenant?: string;
  /** Another fetch (tests, a service binding's `fetch`); it gets one `Request`. */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * A client of the relay's API (openapi-fetch over the types generated from its OpenAPI document):
 * `relay.POST("/v1/tasks", { body })`, `relay.GET("/v1/tasks/{task_id}", { params: { path: { task_id } } })`.
 * Each call resolves to `{ data }` or `{ error }` (the error envelope); `unwrap` turns that into the
 * body or a thrown `RelayApiError`.
 */
export function createRelayClient(baseUrl: string, options: RelayClientOptions): RelayClient {
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}` };
  if (options.tenant) headers["relay-tenant"] = options.tenant;
  return createClient<paths>({ baseUrl, headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

/** One field the relay refused, as the error envelope's `details` lists it. */
export interface FieldError {
  field: string;
  message: string;
}

/** The API's error envelope (`{ error: { code, message, details? } }`), thrown by `unwrap`. */
export class RelayApiError extends Error {
  override name = "RelayApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
  ) {
    super(message);
  }
}

/** What an openapi-fetch call resolves to: the body of a 2xx answer, or the body of another. */
type Answer = { data?: unknown; error?: unknown; response: Response };

/** The success branch's body (a 204's is `undefined`). */
type SuccessBody<R> = R extends { data: infer T; error?: never } ? T : never;

/** The body of a 2xx answer, typed; any other answer throws `RelayApiError` with its envelope. */
export async function unwrap<R extends Answer>(pending: Promise<R> | R): Promise<SuccessBody<R>> {
  const { data, error, response } = await pending;
  if (response.ok) return data as SuccessBody<R>;
  const envelope = (error as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  throw new RelayApiError(
    response.status,
    typeof envelope?.code === "string" ? envelope.code : "unknown",
    typeof envelope?.message === "string" ? envelope.message : `HTTP ${response.status}`,
    Array.isArray(envelope?.details) ? (envelope.details as FieldError[]) : undefined,
  );
}

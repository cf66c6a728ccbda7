/**
 * What an app imports: the typed client of the relay's API and the webhook verifier. The API's
 * types are generated from the relay's OpenAPI document (`api.ts`), so nothing here needs the
 * Worker's code or its types: an ordinary strict tsconfig (`lib: ["es2022", "dom"]`) is enough.
 */
import type { components } from "./api.js";

export type { components, operations, paths, webhooks } from "./api.js";
export { createRelayClient, type FieldError, RelayApiError, type RelayClient, type RelayClientOptions, unwrap } from "./relay-client.js";
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookHeaders,
  WebhookVerificationError,
} from "./verify-webhook.js";

type Schemas = components["schemas"];
/** A task as `GET /v1/tasks/{task_id}` answers it: upstream's state and each subscription's deliveries. */
export type Task = Schemas["Task"];
/** A subscription as `POST /v1/tasks` answers it. */
export type Subscription = Schemas["Subscription"];
/** A subscription with its deliveries (the task view's and `GET /v1/subscriptions/{id}`'s). */
export type SubscriptionView = Schemas["SubscriptionWithDeliveries"];
/** One webhook of a subscription: its state and attempts. */
export type Delivery = Schemas["Delivery"];
/** The body of `POST /v1/tasks`. */
export type Registration = Schemas["Registration"];
/** An endpoint: where a tenant's webhooks go, and how they are signed. */
export type Endpoint = Schemas["Endpoint"];

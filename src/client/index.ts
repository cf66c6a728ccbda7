/**
 * What an app imports: the typed API client and the webhook verifier. Only types come from the
 * Worker's code, so importing this pulls in `hono/client` and nothing else.
 */

export type {
  DeliveryBody as Delivery,
  SubscriptionBody as Subscription,
  SubscriptionView,
  TaskView as Task,
  WebhookEvent,
} from "../api-kit/api-schemas";
export type { RegistrationInput as Registration } from "../api-kit/registration-schema";
export { createRelayClient, RelayApiError, type RelayClient, unwrap } from "./relay-client";
export { type VerifyWebhookOptions, verifyWebhook, type WebhookHeaders, WebhookVerificationError } from "./verify-webhook";

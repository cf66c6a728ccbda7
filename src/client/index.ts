/**
 * What an app imports: the typed API client and the webhook verifier. Only types come from the
 * Worker's code, so importing this pulls in `hono/client` and nothing else.
 */
export { createRelayClient, RelayApiError, unwrap, type RelayClient } from "./relay-client";
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders } from "./verify-webhook";
export type { DeliveryBody as Delivery, SubscriptionBody as Subscription, SubscriptionView, TaskView as Task, WebhookEvent } from "../http/api-schemas";
export type { RegistrationInput as Registration } from "../http/registration-schema";

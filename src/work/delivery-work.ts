import { checkCallbackUrl } from "../domain/callback-url";
import { type DeliveryExchange, type MessageUpdate, planDelivery } from "../domain/delivery-plan";
import type { HealthOutcome } from "../domain/endpoint-health";
import { type EndpointKeys, signingSecrets } from "../domain/endpoint-signing";
import type { TenantId } from "../domain/ids";
import { openEndpointKeys } from "../domain/sealed-endpoint-keys";
import type { ClaimedMessage } from "../storage/claim-messages";
import type { DeliveryOutcome } from "../storage/defer-messages";
import { sendWebhook } from "../webhooks/send-webhook";
import { waitForSlot } from "./pace-send";
import type { WorkContext } from "./work-context";

/**
 * The per-message work of delivering, shared by the in-tick pipeline and the queue consumer: sign
 * and POST one webhook, plan the message's next state, count it in the report. A message whose
 * endpoint has a rate limit first waits for its slot, or is put off without an attempt (pace-send.ts).
 * @example const outcome = await deliverMessage(ctx, message);
 */
export async function deliverMessage(ctx: WorkContext, message: ClaimedMessage): Promise<DeliveryOutcome> {
  const { config, clock, report } = ctx;
  const deferred = await waitForSlot(ctx, message);
  if (deferred) return deferred;
  const attemptedAt = clock.now();
  const { exchange, sent } = await sendSigned(ctx, {
    url: message.callbackUrl,
    endpointId: message.endpointId,
    keys: message.keys,
    tenantId: message.tenantId,
    messageId: message.id,
    body: message.body,
  });
  const planned = planDelivery(message.scheduleStep, exchange, clock.now(), config.deliveryRetryScheduleMs, clock.random);
  const health = sent ? healthOf(exchange) : null;
  // A failed probe says the endpoint is still down, nothing of the webhook: it keeps its step of
  // its retry schedule (so it is not failed by the probes' pace) and waits, parked, with the others.
  const update: MessageUpdate =
    message.probe && health === "fail"
      ? {
          ...planned,
          status: "pending",
          scheduleStep: message.scheduleStep,
          nextAttemptAt: planned.nextAttemptAt ?? clock.now(),
          subscriptionFailure: null,
        }
      : planned;
  if (update.status === "delivered") report.delivered += 1;
  else if (update.status === "pending") report.retried += 1;
  else report.failed += 1;
  return {
    messageId: message.id,
    subscriptionId: message.subscriptionId,
    taskKey: message.taskKey,
    taskFinished: message.taskFinished,
    firstAttemptKeptUntil: message.firstAttemptKeptUntil,
    endpointId: message.endpointId,
    attemptedAt,
    update,
    health,
  };
}

/** An answer is the endpoint's health: a 2xx, or a deliberate 410 (it is up, and wants no more of this). */
const healthOf = (exchange: DeliveryExchange): HealthOutcome =>
  exchange.kind === "response" && ((exchange.status >= 200 && exchange.status < 300) || exchange.status === 410) ? "ok" : "fail";

/** One signed POST as every sender of the relay makes it: to whom, as which message, with what. */
export interface SignedSend {
  url: string;
  /** The endpoint whose keys sign it (what its sealed keys are bound to). */
  endpointId: string;
  keys: EndpointKeys;
  tenantId: TenantId;
  /** The `webhook-id`. */
  messageId: string;
  body: string;
}

/**
 * Checks the URL again, opens the endpoint's keys, signs and POSTs: a webhook, or an operational
 * event (src/operations/). `sent`: whether the request went out (a refused URL or a key that
 * cannot be opened sends nothing, and gives its subrequest back).
 */
export async function sendSigned(ctx: WorkContext, send: SignedSend): Promise<{ exchange: DeliveryExchange; sent: boolean }> {
  // Checked again at send time: the rules (or ALLOW_INSECURE_CALLBACKS) may have changed since
  // the URL was registered, and a relay must never be turned against its own network.
  const check = checkCallbackUrl(send.url, { allowInsecure: ctx.config.allowInsecureCallbacks });
  if (!check.ok) {
    ctx.budget.refund(1);
    return { exchange: { kind: "refused", message: check.reason }, sent: false };
  }
  const now = ctx.clock.now();
  let keys: EndpointKeys;
  try {
    keys = await openEndpointKeys(ctx.config.secretsKeyring, send.endpointId, send.keys, now);
  } catch (error) {
    // SECRETS_KEY lacks the key that sealed them: nothing is sent, and the message is retried on
    // its schedule (as after a network error) until the operator restores the key. The error
    // names the key id and the endpoint, never a secret.
    ctx.budget.refund(1);
    return { exchange: { kind: "network", message: (error as Error).message, durationMs: 0 }, sent: false };
  }
  const exchange = await sendWebhook({
    url: check.url,
    messageId: send.messageId,
    body: send.body,
    secrets: signingSecrets(keys, send.tenantId, ctx.config.webhookSecrets, now),
    timeoutMs: ctx.config.deliveryTimeoutMs,
  });
  return { exchange, sent: true };
}

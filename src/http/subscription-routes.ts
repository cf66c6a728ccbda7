import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { SubscriptionWithDeliveriesSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { openDb } from "../storage/db";
import { findSubscription, loadSubscriptionView } from "../storage/read-models";
import { redeliverSubscription } from "../storage/redeliver-subscription";
import { cancelSubscription } from "../storage/subscriptions";
import { presentDelivery, presentSubscription } from "./present";
import { SubscriptionIdParams, type V1Env } from "./v1-params";

async function subscriptionView(c: { env: Env }, tenantId: TenantId, id: string) {
  const view = await loadSubscriptionView(openDb(c.env.DB), tenantId, id);
  if (!view) throw new ApiError("not_found", `no subscription ${id}`);
  return { ...presentSubscription(view.subscription, view.task), deliveries: view.deliveries.map(presentDelivery) };
}

/** `/v1/subscriptions/{id}`: read, cancel and redeliver one subscription of the caller's tenant. */
export const subscriptionRoutes = new OpenAPIHono<V1Env>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{id}",
      tags: ["subscriptions"],
      summary: "One subscription with its deliveries",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: { 200: json(SubscriptionWithDeliveriesSchema, "The subscription"), ...errors([401, 404, 429, 503]) },
    }),
    async (c) => c.json(await subscriptionView(c, c.get("tenantId"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/subscriptions/{id}",
      tags: ["subscriptions"],
      summary: "Cancel a subscription",
      description: "Its pending messages stop; a task with no active subscription stops being polled. Cancelling twice is fine.",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: { 204: { description: "Cancelled" }, ...errors([401, 404, 429, 503]) },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { id } = c.req.valid("param");
      const subscription = await findSubscription(db, c.get("tenantId"), id);
      if (!subscription) throw new ApiError("not_found", `no subscription ${id}`);
      if (subscription.status !== "cancelled") await cancelSubscription(db, subscription, systemClock.now());
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{id}/redeliver",
      tags: ["subscriptions"],
      summary: "Send the latest event again",
      description:
        "A new attempt of the same message (same webhook-id) with a fresh retry schedule, also after it failed. The subscription becomes active again. A task.succeeded of an archived task gets its archived_url links signed anew.",
      ...authenticated,
      request: { params: SubscriptionIdParams },
      responses: {
        202: json(SubscriptionWithDeliveriesSchema, "Queued for delivery"),
        ...errors([401, 404, 409, 429, 503], { 409: "Nothing was sent yet, or the subscription is cancelled" }),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await redeliverSubscription(openDb(c.env.DB), c.get("tenantId"), id, systemClock.now(), loadConfig(c.env));
      switch (result.kind) {
        case "not_found":
          throw new ApiError("not_found", `no subscription ${id}`);
        case "cancelled":
          throw new ApiError("conflict", "the subscription is cancelled; register it again instead");
        case "nothing_sent":
          throw new ApiError("conflict", "no webhook has been created for this subscription yet");
        case "redelivered":
          return c.json(await subscriptionView(c, c.get("tenantId"), id), 202);
      }
    },
  );

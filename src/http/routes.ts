import { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfig } from "../config";
import { exactMemberText } from "../lib/exact-json";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { findSubscription, loadSubscriptionView, loadTaskView } from "../storage/read-models";
import { redeliverSubscription } from "../storage/redeliver-subscription";
import { cancelSubscription, registerSubscription } from "../storage/subscriptions";
import { ApiError } from "./api-error";
import { bodyReadByRelay, cancelSubscriptionRoute, getSubscriptionRoute, getTaskRoute, redeliverRoute, registerTaskRoute } from "./api-routes";
import type { AuthVariables } from "./bearer-auth";
import { presentDelivery, presentSubscription, presentTask } from "./present";
import { MAX_METADATA_BYTES, registrationSchemaFor } from "./registration-schema";
import { validationHook, type JsonBodyVariables } from "./validation";

const newSubscriptionId = () => `sub_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

type V1Env = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

/**
 * The metadata's JSON text as the app wrote it (numbers untouched: see `exactMemberText`), held to
 * its size limit in that form, since that is what is stored and sent.
 */
function exactMetadata(bodyText: string, metadata: Record<string, unknown> | null | undefined): string | null {
  if (metadata == null) return null;
  const text = exactMemberText(bodyText, "metadata");
  if (text === null) throw new ApiError("invalid_request", "invalid request: the body repeats a key", [{ field: "", message: "repeats a key" }]);
  const exact = text ?? JSON.stringify(metadata);
  if (new TextEncoder().encode(exact).length > MAX_METADATA_BYTES) {
    const message = `must be at most ${MAX_METADATA_BYTES} bytes of JSON`;
    throw new ApiError("invalid_request", `invalid request: metadata ${message}`, [{ field: "metadata", message }]);
  }
  return exact;
}

async function subscriptionView(c: { env: Env }, id: string) {
  const view = await loadSubscriptionView(openDb(c.env.DB), id);
  if (!view) throw new ApiError("not_found", `no subscription ${id}`);
  return { ...presentSubscription(view.subscription, view.task), deliveries: view.deliveries.map(presentDelivery) };
}

const v1Base = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
v1Base.openAPIRegistry.registerPath(registerTaskRoute);

/** The `/v1` API. Handlers only read and write D1: polling and delivery belong to the tick. */
export const v1 = v1Base
  .openapi(
    bodyReadByRelay(registerTaskRoute, (c) => registrationSchemaFor(loadConfig(c.env))),
    async (c) => {
      const body = c.req.valid("json");
      const result = await registerSubscription(
        openDb(c.env.DB),
        {
          id: newSubscriptionId(),
          taskId: body.task_id,
          action: body.action,
          action2: body.action2,
          callbackUrl: body.callback_url,
          events: body.events,
          metadata: exactMetadata(c.get("jsonBodyText"), body.metadata),
        },
        Date.now(),
      );
      if (result.kind === "action_pair_conflict") {
        throw new ApiError("conflict", `task ${body.task_id} is already registered as ${result.task.action}/${result.task.action2}`);
      }
      const subscription = presentSubscription(result.subscription, result.task);
      return result.kind === "created" ? c.json(subscription, 201) : c.json(subscription, 200);
    },
  )
  .openapi(
    getTaskRoute,
    async (c) => {
      const { task_id: taskId } = c.req.valid("param");
      const view = await loadTaskView(openDb(c.env.DB), taskId);
      if (!view) throw new ApiError("not_found", `no task ${taskId} is registered`);
      return c.json(
        {
          ...presentTask(view.task),
          subscriptions: view.subscriptions.map((s) => ({ ...presentSubscription(s.subscription, view.task), deliveries: s.deliveries.map(presentDelivery) })),
        },
        200,
      );
    },
    // The message this route has always answered for a malformed id.
    (result) => {
      if (!result.success) {
        throw new ApiError("invalid_request", "task_id must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'", [{ field: "task_id", message: "invalid format" }]);
      }
      return undefined;
    },
  )
  .openapi(getSubscriptionRoute, async (c) => c.json(await subscriptionView(c, c.req.valid("param").id), 200))
  .openapi(cancelSubscriptionRoute, async (c) => {
    const db = openDb(c.env.DB);
    const { id } = c.req.valid("param");
    const subscription = await findSubscription(db, id);
    if (!subscription) throw new ApiError("not_found", `no subscription ${id}`);
    if (subscription.status !== "cancelled") await cancelSubscription(db, subscription, Date.now());
    return c.body(null, 204);
  })
  .openapi(redeliverRoute, async (c) => {
    const { id } = c.req.valid("param");
    const result = await redeliverSubscription(openDb(c.env.DB), id, Date.now());
    switch (result.kind) {
      case "not_found":
        throw new ApiError("not_found", `no subscription ${id}`);
      case "cancelled":
        throw new ApiError("conflict", "the subscription is cancelled; register it again instead");
      case "nothing_sent":
        throw new ApiError("conflict", "no webhook has been created for this subscription yet");
      case "redelivered":
        return c.json(await subscriptionView(c, id), 202);
    }
  });

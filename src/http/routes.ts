import { Hono } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { findSubscription, loadSubscriptionView, loadTaskView } from "../storage/read-models";
import { cancelSubscription, redeliverLatest, registerSubscription } from "../storage/subscriptions";
import { ApiError } from "./api-error";
import type { AuthVariables } from "./bearer-auth";
import { presentDelivery, presentSubscription, presentTask } from "./present";
import { readJsonBody } from "./read-json-body";
import { parseOrThrow, registrationSchema, TASK_ID_PATTERN } from "./registration-schema";

const newSubscriptionId = () => `sub_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** The `/v1` API. Handlers only read and write D1: polling and delivery belong to the tick. */
export const v1 = new Hono<{ Bindings: Env; Variables: AuthVariables }>()
  .post("/tasks", async (c) => {
    const config = loadConfig(c.env);
    const body = parseOrThrow(registrationSchema({ allowInsecureCallbacks: config.allowInsecureCallbacks }), await readJsonBody(c));
    const result = await registerSubscription(
      openDb(c.env.DB),
      {
        id: newSubscriptionId(),
        taskId: body.task_id,
        action: body.action,
        action2: body.action2,
        callbackUrl: body.callback_url,
        events: body.events,
        metadata: body.metadata ?? null,
      },
      Date.now(),
    );
    if (result.kind === "action_pair_conflict") {
      throw new ApiError("conflict", `task ${body.task_id} is already registered as ${result.task.action}/${result.task.action2}`);
    }
    return c.json(presentSubscription(result.subscription, result.task), result.kind === "created" ? 201 : 200);
  })
  .get("/tasks/:task_id", async (c) => {
    const taskId = c.req.param("task_id");
    if (!TASK_ID_PATTERN.test(taskId)) {
      throw new ApiError("invalid_request", "task_id must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'", [{ field: "task_id", message: "invalid format" }]);
    }
    const view = await loadTaskView(openDb(c.env.DB), taskId);
    if (!view) throw new ApiError("not_found", `no task ${taskId} is registered`);
    return c.json({
      ...presentTask(view.task),
      subscriptions: view.subscriptions.map((s) => ({ ...presentSubscription(s.subscription, view.task), deliveries: s.deliveries.map(presentDelivery) })),
    });
  })
  .get("/subscriptions/:id", async (c) => {
    const view = await loadSubscriptionView(openDb(c.env.DB), c.req.param("id"));
    if (!view) throw new ApiError("not_found", `no subscription ${c.req.param("id")}`);
    return c.json({ ...presentSubscription(view.subscription, view.task), deliveries: view.deliveries.map(presentDelivery) });
  })
  .delete("/subscriptions/:id", async (c) => {
    const db = openDb(c.env.DB);
    const subscription = await findSubscription(db, c.req.param("id"));
    if (!subscription) throw new ApiError("not_found", `no subscription ${c.req.param("id")}`);
    if (subscription.status !== "cancelled") await cancelSubscription(db, subscription, Date.now());
    return c.body(null, 204);
  })
  .post("/subscriptions/:id/redeliver", async (c) => {
    const db = openDb(c.env.DB);
    const subscription = await findSubscription(db, c.req.param("id"));
    if (!subscription) throw new ApiError("not_found", `no subscription ${c.req.param("id")}`);
    if (subscription.status === "cancelled") throw new ApiError("conflict", "the subscription is cancelled; register it again instead");
    if (!(await redeliverLatest(db, subscription, Date.now()))) throw new ApiError("conflict", "no webhook has been created for this subscription yet");
    const view = await loadSubscriptionView(db, subscription.id);
    return c.json({ ...presentSubscription(view!.subscription, view!.task), deliveries: view!.deliveries.map(presentDelivery) }, 202);
  });

import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "../api-kit/validation";
import { registerBatchRoutes } from "./register-batch-route";
import { registerTaskRoutes } from "./register-task-route";
import { subscriptionRoutes } from "./subscription-routes";
import { taskRoutes } from "./task-routes";
import type { V1Env } from "./v1-params";

/**
 * The `/v1` tasks and subscriptions, in the order the OpenAPI document lists them. Each route's
 * definition (`createRoute`: its request and response schemas, which type the handler and make the
 * document) is next to its handler. Handlers only read and write D1: creating upstream and polling
 * come from the request's services (api-kit/services.ts, set by src/app.ts), delivery belongs to
 * the work core.
 */
export const v1Routes = new OpenAPIHono<V1Env>({ defaultHook: validationHook })
  .route("/", registerTaskRoutes)
  .route("/", registerBatchRoutes)
  .route("/", taskRoutes)
  .route("/", subscriptionRoutes);

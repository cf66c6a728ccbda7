import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../api-kit/api-error";
import { MAX_CREATE_BODY_BYTES, MAX_METADATA_DEPTH } from "../api-kit/registration-schema";
import { validJsonBody } from "../api-kit/validation";
import { exceedsJsonDepth } from "../domain/json-depth";
import { TASK_ID_PATTERN } from "../domain/kling";
import { type DropInEnv, productPair } from "./dropin-answers";
import { createForDropIn } from "./dropin-create";
import { answerDropInQuery } from "./dropin-query";

/**
 * A create body as CometAPI defines it: any object, nested no deeper than a registration's `create`
 * (a deeper one would exhaust the stack of whatever walks it, and SQLite refuses depth past 1000).
 */
const DropInCreateSchema = z
  .looseObject({})
  .refine((b) => !exceedsJsonDepth(b, MAX_METADATA_DEPTH), `must nest at most ${MAX_METADATA_DEPTH} levels deep`);

/** The API's JSON body reading (415, 413 past 10 MiB, 400), for a body CometAPI defines. */
const [jsonContentType, limitBody, parseBody] = validJsonBody(() => DropInCreateSchema, MAX_CREATE_BODY_BYTES) as unknown as [
  MiddlewareHandler<DropInEnv>,
  MiddlewareHandler<DropInEnv>,
  MiddlewareHandler<DropInEnv>,
];

/**
 * CometAPI's own Kling paths, served by the relay for an app that speaks CometAPI: it changes only
 * its base URL (to the relay's) and its key (to a relay key). Mounted by src/app.ts behind the
 * API's auth (`authenticate`, `scopeTenant`); errors answer the relay's envelope.
 *
 * - `POST /kling/v1/{action}/{action2}`: the create, in CometAPI's shapes. A `callback_url` in the
 *   body becomes a subscription (signed and retried as any); upstream gets the relay's inbound URL
 *   instead. `Idempotency-Key` as on `POST /v1/tasks`. Upstream gets the relay's own external id;
 *   the app's `external_task_id` is only echoed in the answer. The create itself is the API's
 *   (api-kit/create-task-for-tenant.ts): only the answer's shape is CometAPI's.
 * - `GET /kling/v1/{action}/{action2}/{task_id}`: answers from the relay's last view of the task
 *   when it is at most `POLL_MIN_INTERVAL_SECONDS` old (or final), otherwise polls upstream once
 *   (under a claim, as a tick would) and answers that; a task the relay does not know is passed
 *   through to upstream as it is, when the tenant may reach it there (`taskAccess`), at most
 *   `caps.passthrough_per_minute` a minute (`takePassThrough`).
 */
export const dropInRoutes = new Hono<DropInEnv>()
  .post("/kling/v1/:action/:action2", jsonContentType, limitBody, parseBody, async (c) => createForDropIn(c, productPair(c)))
  .get("/kling/v1/:action/:action2/:task_id", async (c) => {
    const { action, action2 } = productPair(c);
    const taskId = c.req.param("task_id");
    if (!TASK_ID_PATTERN.test(taskId)) throw new ApiError("not_found", "no such task");
    return answerDropInQuery(c.env, { tenantId: c.get("tenantId"), action, action2, taskId });
  });

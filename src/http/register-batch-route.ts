import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { BatchRegistrationResultsSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { takeRegistrations } from "../api-kit/rate-limit";
import {
  BatchEnvelopeSchema,
  BatchRegistrationSchema,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_REGISTRATIONS,
  MAX_METADATA_BYTES,
} from "../api-kit/registration-schema";
import { bodyReadByRelay, validationHook } from "../api-kit/validation";
import { registerBatch } from "./register-batch";
import type { V1Env } from "./v1-params";

const registerTasksRoute = createRoute({
  method: "post",
  path: "/tasks/batch",
  tags: ["tasks"],
  summary: `Register callbacks for up to ${MAX_BATCH_REGISTRATIONS} tasks at once`,
  description: `Each item is a registration exactly as POST /v1/tasks takes it, and gets the answer POST /v1/tasks would give it, in \`results\` in the same order: 201 or 200 with the subscription, or 400 or 409 with the error. A bad item fails only itself. The valid items are written together, in one transaction. An item naming the same (provider, task_id, callback_url) as an earlier valid item answers 409 and is not written. Every item counts against the registration rate limit, valid or not. The body: 1-${MAX_BATCH_REGISTRATIONS} items, at most ${MAX_BATCH_BODY_BYTES / 1024} KiB (metadata still at most ${MAX_METADATA_BYTES} bytes per item).`,
  ...authenticated,
  request: { body: { required: true, content: { "application/json": { schema: BatchRegistrationSchema } } } },
  responses: {
    200: json(BatchRegistrationResultsSchema, "One result per item, in order"),
    ...errors([400, 401, 413, 415, 429, 503], {
      400: `The body is not an object with \`tasks\`, an array of 1-${MAX_BATCH_REGISTRATIONS} items (a bad item answers in \`results\`)`,
      413: `Body over ${MAX_BATCH_BODY_BYTES / 1024} KiB`,
      429: "Too many failed API key checks from this address or with this key prefix, or the items do not fit in this API key's registration rate limit (nothing is written); `Retry-After` says when to retry",
    }),
  },
});

const base = new OpenAPIHono<V1Env>({ defaultHook: validationHook });
// Documented as defined; served with the body read by `validJsonBody` (see `bodyReadByRelay`).
base.openAPIRegistry.registerPath(registerTasksRoute);

/** `POST /v1/tasks/batch`: every item answered as `POST /v1/tasks` would, the valid ones written together. */
export const registerBatchRoutes = base.openapi(
  bodyReadByRelay(registerTasksRoute, () => BatchEnvelopeSchema, MAX_BATCH_BODY_BYTES),
  async (c) => {
    // Only the envelope was validated (`BatchEnvelopeSchema`): each item is validated by `registerBatch`.
    const { tasks: items } = c.req.valid("json") as unknown as z.output<typeof BatchEnvelopeSchema>;
    await takeRegistrations(c.env, c.get("apiKeyId"), items.length);
    return c.json({ results: await registerBatch(c, items) }, 200);
  },
);

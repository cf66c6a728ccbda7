import { z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import type { ServiceVariables } from "../api-kit/services";
import { invalidRequest, type JsonBodyVariables } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import { PROVIDERS, TASK_ID_PATTERN } from "../domain/kling";
import type { Env } from "../env";

/**
 * The `/v1` task and subscription routes' context (the caller and its tenant, the JSON body as
 * read, the services) and the parameters they share.
 */
export type V1Env = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables & ServiceVariables };

export const TaskIdParams = z.object({
  task_id: z
    .string()
    .regex(TASK_ID_PATTERN, "invalid format")
    .openapi({ param: { name: "task_id", in: "path" }, description: "1-128 characters of A-Z a-z 0-9 _ -", example: "878106242831892487" }),
});

/** A list's page size, `?limit=`: what every list route takes. */
export const pageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(200)
  .default(50)
  .openapi({ param: { name: "limit", in: "query" }, description: "1-200, default 50" });

export const ProviderQuery = z.object({
  provider: z
    .enum(PROVIDERS)
    .default("cometapi")
    .openapi({ param: { name: "provider", in: "query" }, description: "The task's provider (default `cometapi`)" }),
});

export const noTask = (taskId: string, provider: string) =>
  new ApiError("not_found", `no task ${taskId} is registered with provider ${provider}`);

/** A task route's request part that fails: for a malformed id the message the task view has always answered. */
export const taskRequestError = (target: string, error: z.ZodError) =>
  target === "param"
    ? new ApiError("invalid_request", "task_id must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'", [
        { field: "task_id", message: "invalid format" },
      ])
    : invalidRequest(error);

export const SubscriptionIdParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sub_6f1c0d2e9a8b4c7d5e3f1a2b" }),
});

import type { z } from "@hono/zod-openapi";
import { archiveUnavailable, loadConfig } from "../config";
import { newId, newTaskKey, type TenantId } from "../domain/ids";
import { NO_ACTION } from "../domain/kling";
import type { UpstreamAccount } from "../domain/upstream-access";
import { newWebhookSecret } from "../domain/webhook-secret";
import type { Env } from "../env";
import type { Registration } from "../storage/subscriptions";
import { ApiError } from "./api-error";
import { MAX_METADATA_BYTES, type registrationSchemaFor } from "./registration-schema";

/**
 * The metadata's JSON text as the app wrote it (numbers untouched: see `exactMemberText`), held to
 * its size limit in that form, since that is what is stored and sent. `exactText` reads it from the
 * registration's own JSON text: null when that text repeats a key (no one exact reading of it).
 */
export function exactMetadata(
  exactText: () => string | null | undefined,
  metadata: Record<string, unknown> | null | undefined,
): string | null {
  if (metadata == null) return null;
  const text = exactText();
  if (text === null)
    throw new ApiError("invalid_request", "invalid request: the body repeats a key", [{ field: "", message: "repeats a key" }]);
  const exact = text ?? JSON.stringify(metadata);
  if (new TextEncoder().encode(exact).length > MAX_METADATA_BYTES) {
    const message = `must be at most ${MAX_METADATA_BYTES} bytes of JSON`;
    throw new ApiError("invalid_request", `invalid request: metadata ${message}`, [{ field: "metadata", message }]);
  }
  return exact;
}

export type RegistrationBody = z.output<ReturnType<typeof registrationSchemaFor>>;

/**
 * A validated registration of upstream task `taskId` as storage takes it, with fresh ids for what
 * it may create, on the upstream account admission chose (api-kit/admission.ts).
 */
export const registrationOf = (
  tenantId: TenantId,
  taskId: string,
  body: Pick<RegistrationBody, "provider" | "action" | "action2" | "callback_url" | "events">,
  metadata: string | null,
  archive: boolean,
  upstreamAccount: UpstreamAccount,
): Registration => ({
  id: newId("sub"),
  tenantId,
  taskKeyIfNew: newTaskKey(),
  newEndpoint: { id: newId("ep"), secret: newWebhookSecret() },
  taskId,
  provider: body.provider,
  action: body.action,
  action2: body.action2,
  callbackUrl: body.callback_url,
  events: body.events,
  metadata,
  archive,
  upstreamAccount,
});

/**
 * Whether a registration archives its task's files: what it says, else `ARCHIVE_DEFAULT` when the
 * relay can archive. Asking for it where the relay cannot is a 400 naming what is missing.
 */
export function archiveOf(env: Env, requested: boolean | undefined): boolean {
  const config = loadConfig(env);
  const unavailable = archiveUnavailable(config, env);
  if (requested === true && unavailable !== null)
    throw new ApiError("invalid_request", `invalid request: archive: ${unavailable}`, [{ field: "archive", message: unavailable }]);
  return requested ?? (config.archiveDefault && unavailable === null);
}

/** 409: the task is registered with another action pair. */
export function actionPairConflict(taskId: string, task: { action: string; action2: string }): ApiError {
  const kind = task.action === NO_ACTION ? "a task of Kling's new API" : `${task.action}/${task.action2}`;
  return new ApiError("conflict", `task ${taskId} is already registered as ${kind}`);
}

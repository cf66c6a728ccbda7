import type { PollCalledBack } from "../api-kit/services";
import { pollRegisteredNow } from "./push-work";

/**
 * The registration routes' `pollCalledBack` service (api-kit/services.ts, wired by src/app.ts):
 * polls, in the request's `waitUntil`, the tasks upstream called back about before they were
 * registered.
 */
export const pollInBackground: PollCalledBack = (request, tasks) =>
  request.executionCtx.waitUntil(
    pollRegisteredNow(
      request.env,
      tasks.map((t) => ({ key: t.id, provider: t.provider, taskId: t.taskId })),
    ).catch((error: unknown) => {
      // Nothing is lost: the tasks are due at once, and the tick polls them.
      console.error(JSON.stringify({ event: "registration_after_callback_failed", error: String(error) }));
    }),
  );

import type { MiddlewareHandler } from "hono";
import type { CalledBackVariables } from "../api-kit/called-back";
import type { Env } from "../env";
import { pollRegisteredNow } from "./push-work";

/**
 * Lets the registration routes poll, in the request's `waitUntil`, the tasks upstream called back
 * about before they were registered (see api-kit/called-back.ts). Mounted on `/v1/*` by src/app.ts.
 */
export const calledBackPolling = (): MiddlewareHandler<{ Bindings: Env; Variables: CalledBackVariables }> =>
  async function setPollCalledBack(c, next) {
    c.set("pollCalledBack", (tasks) =>
      c.executionCtx.waitUntil(
        pollRegisteredNow(
          c.env,
          tasks.map((t) => ({ key: t.id, provider: t.provider, taskId: t.taskId })),
        ).catch((error: unknown) => {
          // Nothing is lost: the tasks are due at once, and the tick polls them.
          console.error(JSON.stringify({ event: "registration_after_callback_failed", error: String(error) }));
        }),
      ),
    );
    await next();
  };

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { isKnownKey } from "../auth/keys";
import { verifyWebhook } from "../client/verify-webhook";
import { loadConfig } from "../config";
import { readCallback } from "../domain/callback-body";
import { PROVIDERS, type Provider } from "../domain/kling";
import type { Env } from "../env";
import { ApiError } from "../http/api-error";
import { errors, json } from "../http/openapi-document";
import { readBoundedText } from "../lib/read-bounded";
import { actOnCallback } from "./push-work";

/** Kling's callbacks carry one task object (a few KiB with its outputs): far more is not one. */
export const MAX_CALLBACK_BYTES = 64 * 1024;
/** Standard Webhooks: a signed callback more than this far from now is refused (replay). */
const SIGNATURE_TOLERANCE_SECONDS = 300;

const tooLarge = () => new ApiError("payload_too_large", `the body must be at most ${MAX_CALLBACK_BYTES} bytes`);
/** The same answer for a wrong token, an unknown provider and callbacks switched off: nothing to learn from it. */
const noRoute = () => new ApiError("not_found", "no route for POST /inbound/{provider}/{token}");

const route = createRoute({
  method: "post",
  path: "/inbound/{provider}/{token}",
  tags: ["inbound"],
  summary: "Upstream callback",
  description: [
    "Where upstream calls back when a task changes (the `callback_url` the relay gives on creates, or that you give Kling and CometAPI yourself: `{PUBLIC_BASE_URL}/inbound/{provider}/{INBOUND_TOKEN}`).",
    "The body is the provider's callback: the legacy query's `data` object (`task_id`, `task_status`, ...) or the new API's task object (`id`, `status`, ...).",
    "The callback is a hint: the named task (every tenant's task of that provider and id) is polled at once and its webhooks go out right away; a callback for a task not registered yet is remembered for 10 minutes. With `KLING_WEBHOOK_SECRET` set, a `kling` callback must be signed (Standard Webhooks, 5 minutes of tolerance) and is then taken as the task's state without a poll.",
    "Answers 200 at once, whatever the task; 404 when `INBOUND_TOKEN` is unset or the token is wrong.",
  ].join("\n\n"),
  request: {
    params: z.object({
      provider: z.enum(PROVIDERS).openapi({ param: { name: "provider", in: "path" } }),
      token: z.string().openapi({ param: { name: "token", in: "path" }, description: "`INBOUND_TOKEN`" }),
    }),
    body: { content: { "application/json": { schema: z.looseObject({}) } }, required: true },
  },
  responses: {
    200: json(z.object({ received: z.literal(true) }), "Received: the task is polled (or its state taken) in the background"),
    ...errors([400, 401, 404, 413], {
      400: "The body is not a callback (no task id or status)",
      401: "A `kling` callback without a valid signature while `KLING_WEBHOOK_SECRET` is set",
      404: "Callbacks off (`INBOUND_TOKEN` unset), a wrong token, or an unknown provider",
      413: "Body over 64 KiB",
    }),
  },
});

/**
 * `POST /inbound/{provider}/{token}`: the one way upstream callbacks come in. Checks the token
 * (constant time), the size, and Kling's signature when its secret is set, answers at once, and
 * leaves the work to `actOnCallback` in `waitUntil`. Mounted by http/app.ts.
 */
export const inboundRoutes = new OpenAPIHono<{ Bindings: Env }>().openapi(
  {
    ...route,
    // Read raw by the handler (the signature covers the exact bytes), with no content-type rule.
    request: { params: route.request.params },
    middleware: [
      async function checkToken(c, next) {
        const { inboundTokens } = loadConfig(c.env);
        const { provider, token } = c.req.param() as { provider: string; token: string };
        if (inboundTokens.length === 0 || !(PROVIDERS as readonly string[]).includes(provider) || !(await isKnownKey(token, inboundTokens)))
          throw noRoute();
        await next();
      },
      bodyLimit({
        maxSize: MAX_CALLBACK_BYTES,
        onError: () => {
          throw tooLarge();
        },
      }),
    ],
  },
  async (c) => {
    const config = loadConfig(c.env);
    const provider = c.req.param("provider") as Provider;
    // bodyLimit believes a declared length: a body that lies about it is counted again here.
    const { text, truncated } = await readBoundedText(c.req.raw.body, MAX_CALLBACK_BYTES);
    if (truncated) throw tooLarge();
    const signed = provider === "kling" && config.klingWebhookSecrets.length > 0;
    if (signed) {
      try {
        await verifyWebhook(text, c.req.raw.headers, config.klingWebhookSecrets, { toleranceSeconds: SIGNATURE_TOLERANCE_SECONDS });
      } catch (error) {
        throw new ApiError("unauthorized", `the callback's signature does not verify: ${(error as Error).message}`);
      }
    }
    const callback = readCallback(text, Date.now());
    if (typeof callback === "string") throw new ApiError("invalid_request", `not a callback: ${callback}`);
    c.executionCtx.waitUntil(
      actOnCallback(c.env, provider, callback, signed).catch((error: unknown) => {
        // Nothing is lost: the task keeps its schedule, and polling finds what the callback said.
        console.error(JSON.stringify({ event: "inbound_callback_failed", provider, task_id: callback.taskId, error: String(error) }));
      }),
    );
    return c.json({ received: true as const }, 200);
  },
);

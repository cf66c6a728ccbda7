import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { verifyWebhook } from "../../packages/client/src/verify-webhook";
import { ApiError } from "../api-kit/api-error";
import { errors, json } from "../api-kit/openapi-document";
import { isKnownKey } from "../auth/keys";
import { ConfigError, loadConfig } from "../config";
import { readCallback } from "../domain/callback-body";
import { isTenantId, type TenantId } from "../domain/ids";
import { PROVIDERS, type Provider } from "../domain/kling";
import { tenantInboundToken } from "../domain/tenant-inbound";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { readBoundedText } from "../lib/read-bounded";
import { openDb } from "../storage/db";
import type { CallbackScope } from "../storage/inbound-callbacks";
import { loadTenantCredentials } from "../storage/tenant-credentials";
import { actOnCallback } from "./push-work";

/** Kling's callbacks carry one task object (a few KiB with its outputs): far more is not one. */
export const MAX_CALLBACK_BYTES = 64 * 1024;
/** Standard Webhooks: a signed callback more than this far from now is refused (replay). */
const SIGNATURE_TOLERANCE_SECONDS = 300;

const tooLarge = () => new ApiError("payload_too_large", `the body must be at most ${MAX_CALLBACK_BYTES} bytes`);
/** The same answer for a wrong token, an unknown provider and callbacks switched off: nothing to learn from it. */
const noRoute = () => new ApiError("not_found", "no route for POST /inbound/{provider}/{token}");

// What both callback routes share: the provider in the path, a JSON body, the answer.
const providerParam = z.enum(PROVIDERS).openapi({ param: { name: "provider", in: "path" } });
const callbackBody = { content: { "application/json": { schema: z.looseObject({}) } }, required: true };
const received = json(z.object({ received: z.literal(true) }), "Received: the task is polled (or its state taken) in the background");

const route = createRoute({
  method: "post",
  path: "/inbound/{provider}/{token}",
  tags: ["inbound"],
  summary: "Upstream callback",
  description: [
    "Where upstream calls back when a task changes (the `callback_url` the relay gives on creates, or that you give Kling and CometAPI yourself: `{PUBLIC_BASE_URL}/inbound/{provider}/{INBOUND_TOKEN}`).",
    "The body is the provider's callback: the legacy query's `data` object (`task_id`, `task_status`, ...) or the new API's task object (`id`, `status`, ...).",
    "The callback is a hint: the named task (every tenant's task of that provider and id) is polled at once and its webhooks go out right away; a callback for a task not registered yet is remembered for 10 minutes. With `KLING_WEBHOOK_SECRET` set, a `kling` callback must be signed (Standard Webhooks, 5 minutes of tolerance) and is then taken as the task's state without a poll.",
    "A task is polled at most once per `POLL_MIN_INTERVAL_SECONDS`: a callback that comes sooner after its last poll is confirmed when that interval ends, still in the callback's own invocation, so its webhook follows within the interval and a few seconds; only an interval that ends more than 15 s after the callback is left to the next cron tick.",
    "Answers 200 at once, whatever the task; 404 when `INBOUND_TOKEN` is unset or the token is wrong.",
  ].join("\n\n"),
  request: {
    params: z.object({
      provider: providerParam,
      token: z.string().openapi({ param: { name: "token", in: "path" }, description: "`INBOUND_TOKEN`" }),
    }),
    body: callbackBody,
  },
  responses: {
    200: received,
    ...errors([400, 401, 404, 413], {
      400: "The body is not a callback (no task id or status)",
      401: "A `kling` callback without a valid signature while `KLING_WEBHOOK_SECRET` is set",
      404: "Callbacks off (`INBOUND_TOKEN` unset), a wrong token, or an unknown provider",
      413: "Body over 64 KiB",
    }),
  },
});

const callbackBodyLimit = bodyLimit({
  maxSize: MAX_CALLBACK_BYTES,
  onError: () => {
    throw tooLarge();
  },
});

/**
 * Reads a callback (its exact bytes: a signature covers them), verifies it with `secrets` when
 * there are any (401 otherwise, nothing acted on), answers at once and leaves the work to
 * `actOnCallback` in `waitUntil`, for the tasks on the account `scope` names.
 */
async function receive(c: Context<{ Bindings: Env }>, provider: Provider, secrets: readonly string[], scope: CallbackScope) {
  // bodyLimit believes a declared length: a body that lies about it is counted again here.
  const { text, truncated } = await readBoundedText(c.req.raw.body, MAX_CALLBACK_BYTES);
  if (truncated) throw tooLarge();
  const signed = secrets.length > 0;
  const now = systemClock.now();
  if (signed) {
    try {
      await verifyWebhook(text, c.req.raw.headers, [...secrets], { toleranceSeconds: SIGNATURE_TOLERANCE_SECONDS, now });
    } catch (error) {
      throw new ApiError("unauthorized", `the callback's signature does not verify: ${(error as Error).message}`);
    }
  }
  const callback = readCallback(text, now);
  if (typeof callback === "string") throw new ApiError("invalid_request", `not a callback: ${callback}`);
  c.executionCtx.waitUntil(
    actOnCallback(c.env, provider, callback, signed, undefined, scope).catch((error: unknown) => {
      // Nothing is lost: the task keeps its schedule, and polling finds what the callback said.
      console.error(JSON.stringify({ event: "inbound_callback_failed", provider, task_id: callback.taskId, error: String(error) }));
    }),
  );
  return c.json({ received: true as const }, 200);
}

/** Whether `token` is one a tenant's URL is given under any INBOUND_TOKEN: hashed to one length, compared in constant time, every one. */
async function isTenantToken(token: string, tenantId: TenantId, inboundTokens: readonly string[]): Promise<boolean> {
  const digest = async (text: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const presented = await digest(token);
  let match = false;
  for (const inbound of inboundTokens)
    match = crypto.subtle.timingSafeEqual(presented, await digest(await tenantInboundToken(inbound, tenantId))) || match;
  return match;
}

const tenantRoute = createRoute({
  method: "post",
  path: "/inbound/{provider}/t/{tenant}/{token}",
  tags: ["inbound"],
  summary: "Upstream callback from a tenant's own account",
  description: [
    "The callback URL the relay gives upstream for a task created on a tenant's own account (`PUT /v1/credentials/{provider}`): it names the tenant, with a token of its own derived from `INBOUND_TOKEN`.",
    "It reaches only that tenant's tasks on its own account. When the tenant's credentials hold a `webhook_secret`, the callback must be signed with it (Standard Webhooks, 5 minutes of tolerance) and is then taken as the task's state; otherwise it is a hint, and the task is polled with the tenant's credentials.",
    "Answers 200 at once; 404 when callbacks are off, the token is wrong, or the tenant has no credentials for the provider.",
  ].join("\n\n"),
  request: {
    params: z.object({
      provider: providerParam,
      tenant: z.string().openapi({ param: { name: "tenant", in: "path" }, description: "The tenant's id" }),
      token: z.string().openapi({ param: { name: "token", in: "path" }, description: "The tenant's token, derived from `INBOUND_TOKEN`" }),
    }),
    body: callbackBody,
  },
  responses: {
    200: received,
    ...errors([400, 401, 404, 413, 503], {
      400: "The body is not a callback (no task id or status)",
      401: "A callback without a valid signature while the tenant's credentials hold a `webhook_secret`",
      404: "Callbacks off (`INBOUND_TOKEN` unset), a wrong token, an unknown provider, or no credentials of the tenant for it",
      413: "Body over 64 KiB",
      503: "The tenant's credentials are sealed with a key SECRETS_KEY does not hold (see the logs)",
    }),
  },
});

/**
 * Both inbound routes' guard: callbacks on (`INBOUND_TOKEN` set), a known provider, and the route's
 * own token check (`tokenMatches`, constant time); anything else answers the same 404 as a route
 * that does not exist.
 */
const requireToken = (
  tokenMatches: (params: Record<string, string>, tokens: string[]) => boolean | Promise<boolean>,
): MiddlewareHandler<{ Bindings: Env }> =>
  async function checkToken(c, next) {
    const { inboundTokens } = loadConfig(c.env);
    const params = c.req.param() as Record<string, string>;
    if (
      inboundTokens.length === 0 ||
      !(PROVIDERS as readonly string[]).includes(params.provider ?? "") ||
      !(await tokenMatches(params, inboundTokens))
    )
      throw noRoute();
    await next();
  };

/**
 * `POST /inbound/{provider}/{token}` (the operator's account) and
 * `POST /inbound/{provider}/t/{tenant}/{token}` (a tenant's own): the ways upstream callbacks
 * come in. Each checks its token (constant time), the size, and the signature of the account's
 * secret when it has one, answers at once, and leaves the work to `actOnCallback` in
 * `waitUntil`, for tasks on that account only. Mounted by src/app.ts.
 */
export const inboundRoutes = new OpenAPIHono<{ Bindings: Env }>()
  .openapi(
    {
      ...route,
      // Read raw by the handler (the signature covers the exact bytes), with no content-type rule.
      request: { params: route.request.params },
      middleware: [requireToken(({ token = "" }, tokens) => isKnownKey(token, tokens)), callbackBodyLimit],
    },
    async (c) => {
      const config = loadConfig(c.env);
      const provider = c.req.param("provider") as Provider;
      // CometAPI never signs; Kling does once the operator's account has a secret.
      return receive(c, provider, provider === "kling" ? config.klingWebhookSecrets : [], null);
    },
  )
  .openapi(
    {
      ...tenantRoute,
      request: { params: tenantRoute.request.params },
      middleware: [
        // A segment not of a tenant id's shape names no tenant: refused like a wrong token.
        requireToken(
          ({ token = "", tenant = "" }, tokens) => tenant.length <= 64 && isTenantId(tenant) && isTenantToken(token, tenant, tokens),
        ),
        callbackBodyLimit,
      ],
    },
    async (c) => {
      const config = loadConfig(c.env);
      const provider = c.req.param("provider") as Provider;
      const tenantId = c.req.param("tenant");
      // Checked by requireToken already; checked again so that the type says so.
      if (!isTenantId(tenantId)) throw noRoute();
      const own = await loadTenantCredentials(openDb(c.env.DB), config.secretsKeyring, tenantId, provider).catch((error: Error) => {
        // SECRETS_KEY lacks the key that sealed them: the operator's to fix (logged), not upstream's.
        throw ConfigError.of("SECRETS_KEY", error.message);
      });
      // No account of its own (any more): nothing here this URL may reach.
      if (!own) throw noRoute();
      return receive(c, provider, own.webhookSecret === null ? [] : [own.webhookSecret], { tenantId });
    },
  );

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError, errorResponse, handleError } from "./api-kit/api-error";
import { HealthSchema } from "./api-kit/api-schemas";
import { describeExtras, errors, json, openApiDocument } from "./api-kit/openapi-document";
import { registrationRateLimit } from "./api-kit/rate-limit";
import { provideServices, type Services, type ServiceVariables } from "./api-kit/services";
import { validationHook } from "./api-kit/validation";
import type { AuthVariables } from "./auth/auth-variables";
import { authenticate } from "./auth/authenticate";
import { checkKey } from "./auth/guess-limit";
import { requireAdmin } from "./auth/require-admin";
import { scopeTenant } from "./auth/scope-tenant";
import { loadConfig } from "./config";
import { dashboard } from "./dashboard/dashboard-routes";
import type { Env } from "./env";
import { dropInRoutes } from "./gateway/dropin-routes";
import { createOnAccount } from "./gateway/gateway-services";
import { docsRoutes } from "./http/docs/docs-routes";
import { fileRoutes } from "./http/file-routes";
import { v1Api } from "./http/v1-routes";
import { pollInBackground } from "./inbound/called-back-polling";
import { inboundRoutes } from "./inbound/inbound-routes";
import { operationsEndpointRoutes } from "./operations/operations-endpoint-routes";

/**
 * What handlers may not do themselves, built once: create upstream (the gateway's) and poll the
 * tasks upstream called back about before their registration (inbound's).
 */
const services: Services = { createTask: createOnAccount, pollCalledBack: pollInBackground };

const root = new OpenAPIHono<{ Bindings: Env; Variables: AuthVariables & ServiceVariables }>({
  defaultHook: validationHook,
});
describeExtras(root);
root.use("*", provideServices(services));
// Every key is checked behind the guessing limit (`checkKey`, the dashboard's login too); then
// `/v1/admin` is the admin's alone, and every other route acts for one tenant.
const authenticated = authenticate({ checkKey });
root.use("/v1/*", authenticated);
root.use("/v1/admin/*", requireAdmin());
root.use("/v1/*", scopeTenant({ except: (path) => path === "/v1/admin" || path.startsWith("/v1/admin/") }));
// CometAPI's own paths (src/gateway/dropin-routes.ts): a relay key and the same tenant rules.
root.use("/kling/*", authenticated, scopeTenant());
root.post("/v1/tasks", registrationRateLimit());

/** The API: what `/openapi.json` describes and the typed client (`packages/client`, typed from that document) calls. */
const api = root
  .openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["health"],
      summary: "Health check",
      description:
        "No authentication. 200: the Worker is up and its configuration valid; it also says whether secrets are sealed at rest (SECRETS_KEY). 503 `misconfigured` while a setting is invalid: `details` names each one (never its value), as every other route answers then.",
      responses: {
        200: json(HealthSchema, "The Worker is up and its configuration valid"),
        ...errors([503], { 503: "The relay is misconfigured: `details` names each invalid setting and what it must be, never a value" }),
      },
    }),
    (c) => c.json({ ok: true as const, secrets_sealed: loadConfig(c.env).secretsKeyring !== null }, 200),
  )
  .route("/v1", v1Api)
  // The tenant's operations endpoint (src/operations/): under /v1, behind the same keys and scopeTenant.
  .route("/v1", operationsEndpointRoutes)
  .route("/", inboundRoutes)
  .openapi(
    createRoute({
      method: "get",
      path: "/openapi.json",
      tags: ["reference"],
      summary: "This document",
      description: "OpenAPI 3.1, generated from the zod schemas that validate requests. An interactive reference is served at /docs.",
      responses: { 200: json(z.looseObject({ openapi: z.string() }), "The OpenAPI document") },
    }),
    (c) => c.json(openApiDocument(root) as { openapi: string }, 200),
  );

export type RelayApi = typeof api;

/**
 * The Worker's HTTP surface, the composition root of src/: `/healthz` and `/openapi.json` are open,
 * everything under `/v1` (src/http) needs an API key; `/kling/...` are CometAPI's own paths
 * (src/gateway) behind the same keys; `/inbound/{provider}/{token}` takes upstream callbacks
 * (src/inbound, its token for a key); `/files/...` serves archived outputs behind signed links; the
 * reference (`/docs`) and the dashboard (`/`, `/dashboard/...`, src/dashboard, behind a session made
 * from an API key) are HTML pages of the same app. Those rooms import none of each other: this
 * module mounts them side by side and wires in what their handlers may not do themselves (poll,
 * create upstream).
 */
export const app = api
  .route("/", dropInRoutes)
  .route("/", fileRoutes)
  .route("/", docsRoutes())
  .route("/", dashboard)
  .notFound((c) => errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`)))
  .onError(handleError);

export type App = typeof app;

import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "../api-kit/validation";
import type { Env } from "../env";
import { adminCredentialRoutes } from "./admin-credential-routes";
import { adminKeyRoutes } from "./admin-key-routes";
import { adminTenantRoutes } from "./admin-tenant-routes";
import { adminAuditRoutes, tenantAuditRoutes } from "./audit-routes";
import { tenantCredentialRoutes } from "./credential-routes";
import { endpointHealthRoutes } from "./endpoint-health-routes";
import { endpointRecoverRoutes } from "./endpoint-recover-route";
import { endpointRoutes } from "./endpoint-routes";
import { endpointSecretRoutes } from "./endpoint-secret-routes";
import { messageRoutes } from "./message-routes";
import { registerBatchRoutes } from "./register-batch-route";
import { registerTaskRoutes } from "./register-task-route";
import { subscriptionRoutes } from "./subscription-routes";
import { taskRoutes } from "./task-routes";
import { tenantLifecycleRoutes } from "./tenant-lifecycle-routes";

/**
 * The `/v1` API, in the order the OpenAPI document lists it: a tenant's tasks, subscriptions,
 * endpoints, messages (the attempts log), credentials and audit log, then the admin's (`/v1/admin`: tenants, keys, any tenant's
 * credentials, suspension and deletion, the whole audit log). Each route's definition
 * (`createRoute`: its request and response schemas, which type the handler and make the document)
 * is next to its handler. Who may call which routes is src/app.ts's to say where it mounts this
 * (auth/: `authenticate`, `requireAdmin`, `scopeTenant`). Handlers only read and write D1:
 * creating upstream and polling come from the request's services (api-kit/services.ts), delivery
 * belongs to the work core.
 */
export const v1Api = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook })
  .route("/", registerTaskRoutes)
  .route("/", registerBatchRoutes)
  .route("/", taskRoutes)
  .route("/", subscriptionRoutes)
  .route("/", endpointRoutes)
  .route("/", endpointSecretRoutes)
  .route("/", endpointHealthRoutes)
  .route("/", endpointRecoverRoutes)
  .route("/", messageRoutes)
  .route("/", tenantCredentialRoutes)
  .route("/", tenantAuditRoutes)
  .route("/admin", adminTenantRoutes)
  .route("/admin", adminKeyRoutes)
  .route("/admin", adminCredentialRoutes)
  .route("/admin", tenantLifecycleRoutes)
  .route("/admin", adminAuditRoutes);

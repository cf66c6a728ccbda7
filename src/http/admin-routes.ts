import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "../api-kit/validation";
import { adminKeyRoutes } from "./admin-key-routes";
import type { AdminEnv } from "./admin-params";
import { adminTenantRoutes } from "./admin-tenant-routes";

/** The admin API's tenants and keys (see admin-params.ts), in the order the OpenAPI document lists them. */
export const adminRoutes = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook })
  .route("/", adminTenantRoutes)
  .route("/", adminKeyRoutes);

import { createMiddleware } from "hono/factory";
import { ApiError } from "../api-kit/api-error";
import type { CallerVariables } from "./auth-variables";

/**
 * Lets only the admin (`ADMIN_API_KEY`) on, after `authenticate`: anyone else gets the 404 of a
 * route that does not exist, so the admin API is not even seen to be there.
 */
export const requireAdmin = () =>
  createMiddleware<{ Variables: CallerVariables }>(async function adminOnly(c, next) {
    if (c.get("caller").kind !== "admin") throw new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    await next();
  });

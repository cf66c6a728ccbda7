import { Hono } from "hono";
import type { Env } from "../env";
import { ApiError, errorResponse, handleError } from "./api-error";
import { bearerAuth, type AuthVariables } from "./bearer-auth";
import { registrationRateLimit } from "./rate-limit";
import { v1 } from "./routes";

/** The Worker's HTTP surface: `/healthz` is open, everything under `/v1` needs an API key. */
export const app = new Hono<{ Bindings: Env; Variables: AuthVariables }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .use("/v1/*", bearerAuth())
  .post("/v1/tasks", registrationRateLimit())
  .route("/v1", v1)
  .notFound((c) => errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`)))
  .onError(handleError);

export type App = typeof app;

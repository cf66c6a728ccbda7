import { ApiError } from "../api-kit/api-error";
import type { ServiceVariables } from "../api-kit/services";
import type { JsonBodyVariables } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import { isProductPath } from "../domain/kling";
import type { Env } from "../env";

/** The drop-in routes' context: the caller and its tenant (as on `/v1`), the JSON body as read, the services. */
export type DropInEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables & ServiceVariables };

/** CometAPI's success envelope around a task object's exact JSON text. */
export const envelope = (data: string) => `{"code":0,"message":"SUCCEED","request_id":"relay-${crypto.randomUUID()}","data":${data}}`;
export const jsonResponse = (text: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(text, { status, headers: { "content-type": "application/json", ...headers } });

/** The product a drop-in path names (`/kling/v1/{action}/{action2}`): one of CometAPI's Kling products, or 404. */
export function productPair(c: { req: { param(name: string): string | undefined } }): { action: string; action2: string } {
  const action = c.req.param("action") ?? "";
  const action2 = c.req.param("action2") ?? "";
  if (!isProductPath("cometapi", action, action2))
    throw new ApiError("not_found", `no route: ${action}/${action2} is not one of CometAPI's Kling products`);
  return { action, action2 };
}

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../api-kit/api-error";
import { PROVIDERS, type Provider } from "../domain/kling";
import { isWebhookSecret } from "../domain/webhook-secret";

/** What the tenant's and the admin's credential routes take (credential-routes.ts, admin-credential-routes.ts), and say. */

// Keys are opaque tokens: printable ASCII, no spaces, of a length no real key is outside of.
const key = (name: string) =>
  z
    .string()
    .min(8, "must be at least 8 characters")
    .max(512, "must be at most 512 characters")
    .regex(/^[\x21-\x7e]+$/, `${name} must be printable ASCII without spaces`);
const webhookSecret = z
  .string()
  .max(512, "must be at most 512 characters")
  .refine(isWebhookSecret, "must be a whsec_ secret (whsec_ followed by base64), as Kling's console shows it")
  .optional()
  .openapi({
    description:
      "Kling only: the account's callback signing secret from Kling's console (callbacks must then carry its signature). Refused for cometapi, whose callbacks are never signed",
  });

const ApiKeyBody = z.strictObject({ api_key: key("api_key"), webhook_secret: webhookSecret });
const KeyPairBody = z.strictObject({ access_key: key("access_key"), secret_key: key("secret_key"), webhook_secret: webhookSecret });

/** CometAPI: an API key. Kling: an API key (legacy and new API), or the legacy access/secret key pair (a JWT). */
export const CredentialsBodySchema = z.union([ApiKeyBody, KeyPairBody]).openapi("UpstreamCredentialsBody", {
  description:
    "`{api_key}` (CometAPI, or Kling), or `{access_key, secret_key}` (Kling's legacy API only); optional `webhook_secret` (Kling only)",
  example: { api_key: "sk-...", webhook_secret: "whsec_..." },
});

/** The schema a provider's body is validated with; an unknown provider answers 404 before its body is read. */
export function bodySchemaFor(c: Context): z.ZodType {
  const provider = providerOr404(c.req.param("provider") ?? "");
  // One object with every field, then the rule: zod's union would word a mistake as two.
  return z
    .strictObject({
      api_key: key("api_key").optional(),
      access_key: key("access_key").optional(),
      secret_key: key("secret_key").optional(),
      webhook_secret: webhookSecret,
    })
    .superRefine((b, ctx) => {
      // Stored, it would make the tenant's inbound URL refuse every cometapi callback (401): none carries a signature.
      if (provider === "cometapi" && b.webhook_secret !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["webhook_secret"],
          message: "is for Kling's own API only: CometAPI does not sign its callbacks",
        });
      const pair = b.access_key !== undefined || b.secret_key !== undefined;
      if (provider === "cometapi" && pair)
        ctx.addIssue({
          code: "custom",
          path: [b.access_key !== undefined ? "access_key" : "secret_key"],
          message: "CometAPI takes an api_key only",
        });
      else if (b.api_key !== undefined && pair)
        ctx.addIssue({ code: "custom", path: ["api_key"], message: "give either api_key or access_key and secret_key, not both" });
      else if (b.api_key === undefined && !pair)
        ctx.addIssue({
          code: "custom",
          path: ["api_key"],
          message: provider === "cometapi" ? "is required" : "is required (or access_key and secret_key)",
        });
      else if (pair && (b.access_key === undefined || b.secret_key === undefined))
        ctx.addIssue({
          code: "custom",
          path: [b.access_key === undefined ? "access_key" : "secret_key"],
          message: "is required with the other key of the pair",
        });
    });
}

export function providerOr404(value: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(value))
    throw new ApiError("not_found", `no provider ${value}: one of ${PROVIDERS.join(", ")}`);
  return value as Provider;
}

const ProviderParam = z
  .string()
  .max(32)
  .openapi({ param: { name: "provider", in: "path" }, example: "kling", description: "`cometapi` or `kling`" });
export const TenantParams = z.object({ provider: ProviderParam });
export const AdminParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
  provider: ProviderParam,
});

export const putDescription =
  "Replaces any before. From now on every upstream call for this tenant's tasks of the provider (creates, polls, queries) uses them, and upstream decides which task ids it may reach. Stored AES-256-GCM sealed under SECRETS_KEY: without it, 400 and nothing is stored. Never shown again: `GET` answers only the last 4 characters.";
export const deleteDescription =
  "Its tasks on its own account wait (a configuration error) until it stores credentials again; new registrations of the provider answer 400 `upstream_not_configured` unless the operator lends its account (`shared_upstream`). Deleting twice is fine.";

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import { PROVIDERS, type Provider } from "../domain/kling";
import type { StoredCredentialSecrets } from "../domain/upstream-credentials";
import { isWebhookSecret } from "../domain/webhook-secret";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import {
  type CredentialsStatus,
  deleteTenantCredentials,
  putTenantCredentials,
  tenantCredentialsStatus,
} from "../storage/tenant-credentials";
import { findTenant } from "../storage/tenants";
import { ApiError } from "./api-error";
import { UpstreamCredentialsSchema } from "./api-schemas";
import { auditEntry } from "./audit";
import type { AuthVariables } from "./bearer-auth";
import { authenticated, errors, json } from "./openapi-document";
import { tenantIdOr404 } from "./tenant-param";
import { bodyReadByRelay, type JsonBodyVariables, validationHook } from "./validation";

/**
 * A tenant's own upstream account (`/v1/credentials/{provider}`, and the admin's
 * `/v1/admin/tenants/{id}/credentials/{provider}`): credentials the relay uses for every upstream
 * call made for that tenant's tasks of the provider instead of the operator's. They are written,
 * never read back: `GET` says only whether there are any, their hint (last 4 characters) and when
 * they changed. Stored sealed under SECRETS_KEY (never in clear: without it, 400). A tenant reaches
 * only its own (its key names it); the admin any tenant's.
 */

type CredentialsEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

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
const CredentialsBodySchema = z.union([ApiKeyBody, KeyPairBody]).openapi("UpstreamCredentialsBody", {
  description:
    "`{api_key}` (CometAPI, or Kling), or `{access_key, secret_key}` (Kling's legacy API only); optional `webhook_secret` (Kling only)",
  example: { api_key: "sk-...", webhook_secret: "whsec_..." },
});

/** The schema a provider's body is validated with; an unknown provider answers 404 before its body is read. */
function bodySchemaFor(c: Context): z.ZodType {
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

function providerOr404(value: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(value))
    throw new ApiError("not_found", `no provider ${value}: one of ${PROVIDERS.join(", ")}`);
  return value as Provider;
}

const ProviderParam = z
  .string()
  .max(32)
  .openapi({ param: { name: "provider", in: "path" }, example: "kling", description: "`cometapi` or `kling`" });
const TenantParams = z.object({ provider: ProviderParam });
const AdminParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "ten_9b1deb4d3b7d4bad9bdd2b0d" }),
  provider: ProviderParam,
});

const present = (provider: Provider, s: CredentialsStatus) => ({
  provider,
  configured: s.configured,
  hint: s.hint,
  updated_at: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
});

const putDescription =
  "Replaces any before. From now on every upstream call for this tenant's tasks of the provider (creates, polls, queries) uses them, and upstream decides which task ids it may reach. Stored AES-256-GCM sealed under SECRETS_KEY: without it, 400 and nothing is stored. Never shown again: `GET` answers only the last 4 characters.";
const deleteDescription =
  "Its tasks on its own account wait (a configuration error) until it stores credentials again; new registrations of the provider answer 400 `upstream_not_configured` unless the operator lends its account (`shared_upstream`). Deleting twice is fine.";

type Ctx = Context<CredentialsEnv>;

async function putFor(c: Ctx, tenantId: TenantId, provider: Provider, body: StoredCredentialSecrets) {
  const keyring = loadConfig(c.env).secretsKeyring;
  if (!keyring)
    throw new ApiError(
      "invalid_request",
      "storing upstream credentials needs SECRETS_KEY (they are kept only sealed): the operator must set it first",
      [{ field: "", message: "SECRETS_KEY is not set" }],
    );
  const secrets: StoredCredentialSecrets = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  const db = openDb(c.env.DB);
  const status = await putTenantCredentials(db, keyring, { tenantId, provider, secrets, now: systemClock.now() });
  await recordAudit(db, auditEntry(c, tenantId, "credentials.put", provider, { provider, hint: status.hint }));
  c.header("cache-control", "no-store");
  return c.json(present(provider, status), 200);
}

async function getFor(c: Ctx, tenantId: TenantId, provider: Provider) {
  return c.json(present(provider, await tenantCredentialsStatus(openDb(c.env.DB), tenantId, provider)), 200);
}

async function deleteFor(c: Ctx, tenantId: TenantId, provider: Provider) {
  const db = openDb(c.env.DB);
  const hint = await deleteTenantCredentials(db, tenantId, provider);
  if (hint !== null) await recordAudit(db, auditEntry(c, tenantId, "credentials.delete", provider, { provider, hint }));
  return c.body(null, 204);
}

async function tenantOr404(c: Ctx, id: string) {
  const tenant = await findTenant(openDb(c.env.DB), tenantIdOr404(id));
  if (!tenant) throw new ApiError("not_found", `no tenant ${id}`);
  return tenant.id;
}

const tenantTags = { tags: ["credentials"], ...authenticated };
const adminTags = { tags: ["admin"], ...authenticated };
const body = { required: true, content: { "application/json": { schema: CredentialsBodySchema } } };

const tenantPut = createRoute({
  ...tenantTags,
  method: "put",
  path: "/credentials/{provider}",
  summary: "Store this tenant's own upstream credentials for a provider",
  description: putDescription,
  request: { params: TenantParams, body },
  responses: { 200: json(UpstreamCredentialsSchema, "Stored: what GET shows of them"), ...errors([400, 401, 404, 413, 415, 429]) },
});
const adminPut = createRoute({
  ...adminTags,
  method: "put",
  path: "/tenants/{id}/credentials/{provider}",
  summary: "Store a tenant's own upstream credentials for a provider",
  description: putDescription,
  request: { params: AdminParams, body },
  responses: {
    200: json(UpstreamCredentialsSchema, "Stored: what GET shows of them"),
    ...errors([400, 401, 404, 413, 415, 429], {}, false),
  },
});

const tenantBase = new OpenAPIHono<CredentialsEnv>({ defaultHook: validationHook });
tenantBase.openAPIRegistry.registerPath(tenantPut);

export const tenantCredentialRoutes = tenantBase
  .openapi(bodyReadByRelay(tenantPut, bodySchemaFor), async (c) =>
    putFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider), c.req.valid("json")),
  )
  .openapi(
    createRoute({
      ...tenantTags,
      method: "get",
      path: "/credentials/{provider}",
      summary: "Whether this tenant has its own upstream credentials for a provider",
      description: "Never a value: only whether they exist, the last 4 characters of the key, and when they changed.",
      request: { params: TenantParams },
      responses: { 200: json(UpstreamCredentialsSchema, "What the relay shows of them"), ...errors([401, 404, 429]) },
    }),
    async (c) => getFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider)),
  )
  .openapi(
    createRoute({
      ...tenantTags,
      method: "delete",
      path: "/credentials/{provider}",
      summary: "Delete this tenant's own upstream credentials for a provider",
      description: deleteDescription,
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errors([401, 404, 429]) },
    }),
    async (c) => deleteFor(c, c.get("tenantId"), providerOr404(c.req.valid("param").provider)),
  );

const adminBase = new OpenAPIHono<CredentialsEnv>({ defaultHook: validationHook });
adminBase.openAPIRegistry.registerPath(adminPut);

export const adminCredentialRoutes = adminBase
  .openapi(bodyReadByRelay(adminPut, bodySchemaFor), async (c) => {
    const { id, provider } = c.req.valid("param");
    return putFor(c, await tenantOr404(c, id), providerOr404(provider), c.req.valid("json"));
  })
  .openapi(
    createRoute({
      ...adminTags,
      method: "get",
      path: "/tenants/{id}/credentials/{provider}",
      summary: "Whether a tenant has its own upstream credentials for a provider",
      description: "Never a value: only whether they exist, the last 4 characters of the key, and when they changed.",
      request: { params: AdminParams },
      responses: { 200: json(UpstreamCredentialsSchema, "What the relay shows of them"), ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const { id, provider } = c.req.valid("param");
      const p = providerOr404(provider);
      return getFor(c, await tenantOr404(c, id), p);
    },
  )
  .openapi(
    createRoute({
      ...adminTags,
      method: "delete",
      path: "/tenants/{id}/credentials/{provider}",
      summary: "Delete a tenant's own upstream credentials for a provider",
      description: deleteDescription,
      request: { params: AdminParams },
      responses: { 204: { description: "Deleted" }, ...errors([401, 404, 429], {}, false) },
    }),
    async (c) => {
      const { id, provider } = c.req.valid("param");
      const p = providerOr404(provider);
      return deleteFor(c, await tenantOr404(c, id), p);
    },
  );

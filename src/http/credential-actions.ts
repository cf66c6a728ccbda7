import type { Context } from "hono";
import { ApiError } from "../api-kit/api-error";
import type { JsonBodyVariables } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import type { StoredCredentialSecrets } from "../domain/upstream-credentials";
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
import { auditEntry } from "./audit";

/**
 * A tenant's own upstream account (`/v1/credentials/{provider}`, and the admin's
 * `/v1/admin/tenants/{id}/credentials/{provider}`): credentials the relay uses for every upstream
 * call made for that tenant's tasks of the provider instead of the operator's. They are written,
 * never read back: `GET` says only whether there are any, their hint (last 4 characters) and when
 * they changed. Stored sealed under SECRETS_KEY (never in clear: without it, 400). A tenant reaches
 * only its own (its key names it); the admin any tenant's.
 */

export type CredentialsEnv = { Bindings: Env; Variables: AuthVariables & JsonBodyVariables };

const present = (provider: Provider, s: CredentialsStatus) => ({
  provider,
  configured: s.configured,
  hint: s.hint,
  updated_at: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
});

export type Ctx = Context<CredentialsEnv>;

export async function putFor(c: Ctx, tenantId: TenantId, provider: Provider, body: StoredCredentialSecrets) {
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

export async function getFor(c: Ctx, tenantId: TenantId, provider: Provider) {
  return c.json(present(provider, await tenantCredentialsStatus(openDb(c.env.DB), tenantId, provider)), 200);
}

export async function deleteFor(c: Ctx, tenantId: TenantId, provider: Provider) {
  const db = openDb(c.env.DB);
  const hint = await deleteTenantCredentials(db, tenantId, provider);
  if (hint !== null) await recordAudit(db, auditEntry(c, tenantId, "credentials.delete", provider, { provider, hint }));
  return c.body(null, 204);
}

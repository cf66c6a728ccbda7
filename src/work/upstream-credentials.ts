import type { Config } from "../config";
import type { TenantId } from "../domain/ids";
import type { KlingCredentials, Provider } from "../domain/kling";
import { DEFAULT_TENANT } from "../domain/tenancy";
import type { UpstreamAccount } from "../domain/upstream-access";
import { accountKeyOf, type TenantUpstreamCredentials } from "../domain/upstream-credentials";
import type { Db } from "../storage/db";
import { openTenantCredentials } from "../storage/tenant-credentials";
import { loadTenantAccounts, type TenantAccounts } from "../storage/upstream-accounts";

/**
 * Which credentials an upstream call for a task uses: the operator's (COMETAPI_KEY, KLING_*) for a
 * task on the operator's account, and only while its tenant is lent it (`shared_upstream`; the
 * built-in `default` always is); the tenant's own, opened from D1, for a task on its own account.
 * Never another tenant's, never the operator's for a task on the tenant's own account: when the
 * right ones are missing the task waits on a configuration error that is its tenant's alone
 * (`scope: "tenant"`), which stops nobody else's polls.
 *
 * One resolver serves one invocation (a tick, a queue batch, a request): what it read of a tenant
 * is kept for the rest of it, so a claimed batch costs at most one D1 round trip (`prepare`).
 */

export type Resolution =
  | {
      kind: "ok";
      credentials: KlingCredentials;
      /** Groups tasks that one request may query together (never two accounts' ids in one batch). */
      accountKey: string;
      scope: "operator" | "tenant";
    }
  | { kind: "unconfigured"; error: string; scope: "operator" | "tenant" };

export interface CredentialResolver {
  /**
   * Reads, in one D1 round trip, the accounts these tasks need and not read yet: none for the
   * built-in tenant's tasks on the operator's account (always lent it), so a relay of one tenant
   * reads nothing more.
   */
  prepare(tasks: Iterable<{ tenantId: TenantId; upstreamAccount: string | null }>): Promise<void>;
  /** The credentials for a task of `provider` of `tenantId` on `account`. */
  resolve(task: { tenantId: TenantId; provider: string; account: UpstreamAccount }): Promise<Resolution>;
  /** A tenant's own credentials for `provider` (with its webhook secret), or undefined; throws when they do not open. */
  own(tenantId: TenantId, provider: Provider): Promise<TenantUpstreamCredentials | undefined>;
}

/** The operator's credentials for a provider, or what is missing. */
export function operatorCredentials(config: Config, provider: string): KlingCredentials | string {
  if (provider === "cometapi") return config.cometapiKey !== "" ? { apiKey: config.cometapiKey } : "COMETAPI_KEY is not set";
  return config.klingCredentials ?? "no Kling credentials (KLING_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY)";
}

/** `account` of a task row (`tasks.upstream_account`): `own`, or null for the operator's. */
export const accountOfRow = (upstreamAccount: string | null): UpstreamAccount => (upstreamAccount === "own" ? "own" : "operator");

export function credentialResolver(db: Db, config: Config): CredentialResolver {
  const accounts = new Map<string, TenantAccounts | null>();
  const opened = new Map<string, Promise<TenantUpstreamCredentials>>();

  async function load(tenantIds: Iterable<string>) {
    const missing = [...new Set(tenantIds)].filter((id) => !accounts.has(id));
    if (missing.length === 0) return;
    const found = await loadTenantAccounts(db, missing);
    for (const id of missing) accounts.set(id, found.get(id) ?? null);
  }

  const prepare = (tasks: Iterable<{ tenantId: TenantId; upstreamAccount: string | null }>) =>
    load([...tasks].filter((t) => t.upstreamAccount !== null || t.tenantId !== DEFAULT_TENANT).map((t) => t.tenantId));

  async function accountsOf(tenantId: TenantId) {
    await load([tenantId]);
    return accounts.get(tenantId) ?? null;
  }

  async function own(tenantId: TenantId, provider: Provider) {
    const sealed = (await accountsOf(tenantId))?.sealed.get(provider);
    if (sealed === undefined) return undefined;
    const key = `${tenantId}\n${provider}`;
    let found = opened.get(key);
    if (!found) {
      found = openTenantCredentials(config.secretsKeyring, tenantId, provider, sealed);
      opened.set(key, found);
    }
    return found;
  }

  async function resolve(task: { tenantId: TenantId; provider: string; account: UpstreamAccount }): Promise<Resolution> {
    const provider = task.provider as Provider;
    if (task.account === "own") {
      let mine: TenantUpstreamCredentials | undefined;
      try {
        mine = await own(task.tenantId, provider);
      } catch (error) {
        // Names the tenant, the provider and the key id, never a secret (sealed-secrets.ts).
        return { kind: "unconfigured", error: (error as Error).message, scope: "tenant" };
      }
      if (!mine)
        return {
          kind: "unconfigured",
          error: `tenant ${task.tenantId} has no ${provider} credentials of its own any more: its tasks on its own account wait until it stores them (PUT /v1/credentials/${provider})`,
          scope: "tenant",
        };
      return { kind: "ok", credentials: mine.credentials, accountKey: `${provider}:${accountKeyOf(mine.credentials)}`, scope: "tenant" };
    }
    if (task.tenantId !== DEFAULT_TENANT && !(await accountsOf(task.tenantId))?.sharedUpstream)
      return {
        kind: "unconfigured",
        error: `tenant ${task.tenantId} is no longer lent the operator's ${provider} account (shared_upstream): its tasks there wait`,
        scope: "tenant",
      };
    const credentials = operatorCredentials(config, provider);
    if (typeof credentials === "string") return { kind: "unconfigured", error: credentials, scope: "operator" };
    return { kind: "ok", credentials, accountKey: `${provider}:operator`, scope: "operator" };
  }

  return { prepare, resolve, own };
}

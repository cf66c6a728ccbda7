import type { TenantId } from "./ids";
import type { Provider } from "./kling";
import { DEFAULT_TENANT } from "./tenancy";

/**
 * Whose upstream account serves a tenant, and which task ids it may reach there. The operator's
 * account (COMETAPI_KEY, KLING_*) is lent, never shared: a tenant the admin lends it to
 * (`shared_upstream`) may create on it, and what it creates is its alone; only a `trusted` tenant
 * (the operator's own apps) may register or query there ids the relay did not create for it. A
 * tenant with its own credentials for a provider uses them, and upstream decides what it may reach.
 */
export interface UpstreamPolicy {
  tenantId: TenantId;
  sharedUpstream: boolean;
  trusted: boolean;
  /** Providers the tenant has its own credentials for. */
  ownProviders: ReadonlySet<Provider>;
}

/** `own`: the tenant's credentials; `operator`: the operator's, lent. */
export type UpstreamAccount = "own" | "operator";

/** The built-in tenant is the operator's own: always lent the account, always trusted. */
export const policyOf = (
  tenant: { id: TenantId; sharedUpstream: boolean; trusted: boolean },
  ownProviders: ReadonlySet<Provider>,
): UpstreamPolicy => {
  const builtIn = tenant.id === DEFAULT_TENANT;
  return { tenantId: tenant.id, sharedUpstream: builtIn || tenant.sharedUpstream, trusted: builtIn || tenant.trusted, ownProviders };
};

/** The account a tenant's new tasks of `provider` go on, or null when it has none. */
export const accountFor = (policy: UpstreamPolicy, provider: Provider): UpstreamAccount | null =>
  policy.ownProviders.has(provider) ? "own" : policy.sharedUpstream ? "operator" : null;

/** Why a tenant may not reach a task id upstream. */
export type AccessRefusal = "upstream_not_configured" | "own_credentials_required" | "task_not_found";

export type TaskAccess = { kind: "allowed"; account: UpstreamAccount } | { kind: "refused"; refusal: AccessRefusal };

/**
 * Whether a tenant may register (or query upstream) task `owner`'s id of `provider`, where `owner`
 * is the tenant that created it through the relay on the operator's account (undefined: nobody
 * did). On the operator's account an untrusted tenant reaches only what it created, and is told
 * the same for every other id, so the answer says nothing of which ids exist or whose they are.
 */
export function taskAccess(policy: UpstreamPolicy, provider: Provider, owner: string | undefined): TaskAccess {
  const account = accountFor(policy, provider);
  if (account === null) return { kind: "refused", refusal: "upstream_not_configured" };
  if (account === "own" || owner === policy.tenantId) return { kind: "allowed", account };
  if (!policy.trusted) return { kind: "refused", refusal: "own_credentials_required" };
  return owner === undefined ? { kind: "allowed", account } : { kind: "refused", refusal: "task_not_found" };
}

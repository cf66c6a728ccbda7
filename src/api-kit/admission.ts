import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import { type Admission, admitRegistrations } from "../domain/registration-admission";
import { accountFor, type UpstreamAccount } from "../domain/upstream-access";
import type { Db } from "../storage/db";
import { loadAdmissionFacts } from "../storage/registration-facts";
import { loadTenantLimits, type TenantLimits } from "../storage/tenant-policy";
import { ApiError } from "./api-error";

/** A registration as admission takes it; `createdOn`: the relay just created it for this tenant there. */
export interface AdmissionRequest {
  provider: Provider;
  taskId: string;
  callbackUrl: string;
  createdOn?: UpstreamAccount;
}

/** The tenant's limits, or 404 when the tenant is gone (its key was checked a moment ago). */
export async function tenantLimits(db: Db, tenantId: TenantId): Promise<TenantLimits> {
  const limits = await loadTenantLimits(db, tenantId);
  if (!limits) throw new ApiError("not_found", `no tenant ${tenantId}`);
  return limits;
}

/**
 * Decides a tenant's registrations before anything is written (one D1 round trip), or 404 when
 * the tenant is gone: whether it may reach each task upstream and whether each fits its caps.
 * Checked before writing, not inside the write: registrations running at the same moment may pass
 * a cap by as many as run at once.
 */
export async function admit(db: Db, tenantId: TenantId, items: readonly AdmissionRequest[]): Promise<Admission[]> {
  const loaded = await loadAdmissionFacts(db, tenantId, items);
  if (!loaded) throw new ApiError("not_found", `no tenant ${tenantId}`);
  return admitRegistrations(loaded.limits.policy, loaded.limits.caps, loaded.facts, items);
}

/** The answer for a registration admission refused, saying what the tenant (or its operator) can do. */
export function admissionError(admission: Extract<Admission, { kind: "refused" }>, item: { provider: Provider; taskId: string }): ApiError {
  const { provider, taskId } = item;
  switch (admission.refusal) {
    case "upstream_not_configured":
      return upstreamNotConfigured(provider);
    case "own_credentials_required":
      return new ApiError(
        "own_credentials_required",
        `on the relay's ${provider} account this tenant reaches only the tasks the relay created for it: to register or query other task ids, store the tenant's own ${provider} credentials (PUT /v1/credentials/${provider})`,
      );
    case "task_not_found":
      return new ApiError("task_not_found", `no task ${taskId} with provider ${provider} is available to this tenant`);
    case "endpoint_disabled":
      return new ApiError(
        "endpoint_disabled",
        `endpoint ${admission.endpointId} (this callback_url) is disabled: it failed for too long, or was disabled by hand. Fix the receiver, then turn it on again with POST /v1/endpoints/${admission.endpointId}/enable`,
        [{ field: "callback_url", message: "is a disabled endpoint" }],
      );
    case "endpoint_limit_reached":
      return new ApiError(
        "endpoint_limit_reached",
        "this tenant has as many endpoints as its cap allows: delete one it no longer uses (DELETE /v1/endpoints/{id}), or ask the operator to raise caps.endpoints",
      );
    case "subscription_limit_reached":
      return new ApiError(
        "subscription_limit_reached",
        `task ${taskId} has as many active subscriptions as this tenant's cap allows: cancel one, or ask the operator to raise caps.subscriptions_per_task`,
      );
    case "active_task_limit_reached":
      return new ApiError(
        "active_task_limit_reached",
        "this tenant has as many unfinished tasks as its cap allows: retry when some have finished, or ask the operator to raise caps.active_tasks",
        undefined,
        60,
      );
  }
}

/** 400: no upstream account serves this tenant for `provider`. */
export const upstreamNotConfigured = (provider: Provider) =>
  new ApiError(
    "upstream_not_configured",
    `this tenant has no upstream account for provider ${provider}: store its own credentials (PUT /v1/credentials/${provider}), or ask the operator to lend the relay's (shared_upstream)`,
    [{ field: "provider", message: "has no upstream account for this tenant" }],
  );

/** Throws the refusal, if the one registration was refused; else its account. */
export function admittedOrThrow(admission: Admission, item: { provider: Provider; taskId: string }): UpstreamAccount {
  if (admission.kind === "refused") throw admissionError(admission, item);
  return admission.account;
}

/**
 * Before a create through the relay: the account it goes on (400 when the tenant has none for the
 * provider), and the refusal the task would meet when registered (a cap), so that nothing is
 * created upstream that could not be registered. `callbackUrl` null: the task is only remembered.
 */
export async function admitCreate(db: Db, tenantId: TenantId, provider: Provider, callbackUrl: string | null): Promise<UpstreamAccount> {
  if (callbackUrl === null) {
    const account = accountFor((await tenantLimits(db, tenantId)).policy, provider);
    if (account === null) throw upstreamNotConfigured(provider);
    return account;
  }
  // The task is new: an id no task has stands for it. One round trip reads the limits with the
  // facts; the account is known only from them, so the item is decided once it is.
  const item = { provider, taskId: "", callbackUrl };
  const loaded = await loadAdmissionFacts(db, tenantId, [item]);
  if (!loaded) throw new ApiError("not_found", `no tenant ${tenantId}`);
  const { policy, caps } = loaded.limits;
  const account = accountFor(policy, provider);
  if (account === null) throw upstreamNotConfigured(provider);
  const created = { ...item, createdOn: account };
  const [admission] = admitRegistrations(policy, caps, loaded.facts, [created]);
  return admittedOrThrow(admission!, created);
}

import type { Provider } from "./kling";
import type { TenantCaps } from "./tenant-caps";
import { type AccessRefusal, type TaskAccess, taskAccess, type UpstreamAccount, type UpstreamPolicy } from "./upstream-access";

/** What storage read for a tenant's registrations (storage/registration-facts.ts). */
export interface RegistrationFacts {
  /** `provider\ntask id` -> the tenant that created it through the relay on the operator's account. */
  owners: ReadonlyMap<string, string>;
  /** The tenant's tasks among the registrations (`provider\ntask id`), each with its active subscriptions' URLs. */
  activeUrlsOfTask: ReadonlyMap<string, ReadonlySet<string>>;
  /** The registrations' URLs that already are endpoints of the tenant. */
  endpointUrls: ReadonlySet<string>;
  /** Those of them that are disabled (`POST /v1/endpoints/{id}/enable` turns one on again), with their ids. */
  disabledEndpoints: ReadonlyMap<string, string>;
  /** The tenant's endpoints and unsettled tasks, each counted up to its cap + 1. */
  endpoints: number;
  activeTasks: number;
}

/** A cap a registration would pass. */
export type CapRefusal = "endpoint_limit_reached" | "active_task_limit_reached" | "subscription_limit_reached";

export type Admission =
  | { kind: "allowed"; account: UpstreamAccount }
  | { kind: "refused"; refusal: AccessRefusal | CapRefusal }
  /** The URL is an endpoint of the tenant that is disabled: nothing is sent to it until it is enabled. */
  | { kind: "refused"; refusal: "endpoint_disabled"; endpointId: string };

/**
 * Decides a tenant's registrations in order, each as if the ones admitted before it were stored
 * (a batch's new endpoints and tasks count against the caps of the items after them): first whether
 * the tenant may reach the task upstream (`taskAccess`), then its caps. Re-registering what exists
 * (the same task, URL or active subscription) never counts as new. `created`: the relay has just
 * created the task for this tenant (its creator), on the account `createdOn`.
 */
export function admitRegistrations(
  policy: UpstreamPolicy,
  caps: TenantCaps,
  facts: RegistrationFacts,
  items: readonly { provider: Provider; taskId: string; callbackUrl: string; createdOn?: UpstreamAccount }[],
): Admission[] {
  let endpoints = facts.endpoints;
  let activeTasks = facts.activeTasks;
  const newUrls = new Set<string>();
  const activeUrls = new Map<string, Set<string>>();
  return items.map((item): Admission => {
    const name = `${item.provider}\n${item.taskId}`;
    const access: TaskAccess =
      item.createdOn !== undefined
        ? { kind: "allowed", account: item.createdOn }
        : taskAccess(policy, item.provider, facts.owners.get(name));
    if (access.kind === "refused") return access;
    const disabled = facts.disabledEndpoints.get(item.callbackUrl);
    if (disabled !== undefined) return { kind: "refused", refusal: "endpoint_disabled", endpointId: disabled };
    const known = facts.activeUrlsOfTask.get(name);
    const urls = activeUrls.get(name) ?? new Set(known ?? []);
    const newTask = known === undefined && !activeUrls.has(name);
    const newEndpoint = !facts.endpointUrls.has(item.callbackUrl) && !newUrls.has(item.callbackUrl);
    const newSubscription = !urls.has(item.callbackUrl);
    if (newTask && activeTasks >= caps.active_tasks) return { kind: "refused", refusal: "active_task_limit_reached" };
    if (newEndpoint && endpoints >= caps.endpoints) return { kind: "refused", refusal: "endpoint_limit_reached" };
    if (newSubscription && urls.size >= caps.subscriptions_per_task) return { kind: "refused", refusal: "subscription_limit_reached" };
    if (newTask) activeTasks += 1;
    if (newEndpoint) {
      endpoints += 1;
      newUrls.add(item.callbackUrl);
    }
    urls.add(item.callbackUrl);
    activeUrls.set(name, urls);
    return access;
  });
}

/**
 * What one tenant may hold at once, so that one tenant cannot make the relay work for it without
 * bound (2,000 endpoints, 2,000 subscriptions on one task: 2,000 signed POSTs for one event). The
 * defaults fit an ordinary app many times over; the admin raises or lowers them per tenant
 * (`PATCH /v1/admin/tenants/{id}` `{"caps": {...}}`).
 */

/** The caps as the API names them. */
export const CAP_NAMES = ["endpoints", "subscriptions_per_task", "active_tasks", "passthrough_per_minute"] as const;
export type CapName = (typeof CAP_NAMES)[number];
export type TenantCaps = Record<CapName, number>;

export const DEFAULT_CAPS: Readonly<TenantCaps> = {
  /** Callback URLs (each with its own secret). */
  endpoints: 100,
  /** Active subscriptions on one task: the webhooks one event can fan out to. */
  subscriptions_per_task: 10,
  /** Tasks not settled yet (still polled, or waiting to be). */
  active_tasks: 100_000,
  /** Drop-in queries of tasks the relay does not have, passed through to upstream, a minute. */
  passthrough_per_minute: 120,
};

/** Largest value the admin may set: beyond it a cap stops meaning anything and counts grow costly. */
export const MAX_CAP = 10_000_000;

/**
 * The tenant's caps: the defaults with the admin's overrides (the `caps` column's JSON). A value
 * that is not a whole number in range is ignored (the admin API never stores one).
 */
export function capsOf(overrides: string | null): TenantCaps {
  const caps = { ...DEFAULT_CAPS };
  if (overrides === null) return caps;
  let parsed: unknown;
  try {
    parsed = JSON.parse(overrides);
  } catch {
    return caps;
  }
  if (parsed === null || typeof parsed !== "object") return caps;
  for (const name of CAP_NAMES) {
    const value = (parsed as Record<string, unknown>)[name];
    if (Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_CAP) caps[name] = value as number;
  }
  return caps;
}

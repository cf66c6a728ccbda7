import { PARKED_FROM } from "./parked-time";

/**
 * An endpoint's health and circuit (Svix's and Hookdeck's "endpoint health", the circuit breaker
 * of resilience libraries). Every attempt counts for its endpoint: a success ends the failure
 * streak; ENDPOINT_CIRCUIT_FAILURES failures in a row open the circuit. While it is open, due
 * webhooks wait, parked (like a suspended tenant's: storage/parking.ts), and spend no attempts; one
 * of them at a time, the oldest, is sent as a probe, after a wait that doubles with each failed
 * probe (ENDPOINT_PROBE_MIN_SECONDS up to ENDPOINT_PROBE_MAX_SECONDS). The probe's success closes
 * the circuit and releases what waited. Failing for ENDPOINT_DISABLE_AFTER_HOURS disables the
 * endpoint: what waited ends `failed` (`endpoint_disabled`), until it is enabled again.
 */

/** What an endpoint shows of its health (the API's `health.state`). */
export type EndpointState = "healthy" | "failing" | "circuit_open" | "disabled";

/** What one attempt says of its endpoint's health: it answered (any 2xx, or a deliberate 410), it failed, or it was never sent. */
export type HealthOutcome = "ok" | "fail" | null;

/**
 * Where an endpoint's parked webhooks wait: past any real time like a tenant's (PARKED_FROM) and
 * 2^44 ms (557 years) above every tenant's value, so the two never meet; plus the endpoint's
 * `created_at`, one value per endpoint, found again by an equality search of `messages_due`.
 * 2^52 + 2^44 + a date is still an exact integer in a double.
 */
export const CIRCUIT_PARKED_FROM = PARKED_FROM + 2 ** 44;

/** The wait before the probe after `failedProbes` failed ones: doubling from `minMs`, at most `maxMs`. */
export const probeWaitMs = (failedProbes: number, minMs: number, maxMs: number): number =>
  Math.min(maxMs, minMs * 2 ** Math.min(failedProbes, 30));

export interface EndpointHealthFacts {
  consecutiveFailures: number;
  circuitOpenedAt: number | null;
  disabledAt: number | null;
}

/** The state an endpoint's columns say. */
export function endpointState(e: EndpointHealthFacts): EndpointState {
  if (e.disabledAt !== null) return "disabled";
  if (e.circuitOpenedAt !== null) return "circuit_open";
  return e.consecutiveFailures > 0 ? "failing" : "healthy";
}

/** One attempt of a round, as the health update reads it. */
export interface AttemptHealth {
  endpointId: string;
  attemptedAt: number;
  outcome: HealthOutcome;
  /** The failure's reason (`http_500`, `timeout`, ...), for a failed one. */
  error: string | null;
}

/** What a round of attempts changes of one endpoint's health (storage/endpoint-health.ts writes it). */
export interface EndpointHealthChange {
  endpointId: string;
  /** The last success of the round, if any: the failure streak restarts after it. */
  okAt: number | null;
  /** Failures after the last success (all of them, without one). */
  failures: number;
  /** The first of those failures. */
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  lastFailureReason: string | null;
}

/**
 * Sums a round of attempts per endpoint, in the order they were made (a round may end with a
 * success after failures, or the other way round); attempts never sent count for nothing.
 * @example healthChanges([{ endpointId: "ep_1", attemptedAt: 1, outcome: "fail", error: "http_500" }])
 */
export function healthChanges(attempts: readonly AttemptHealth[]): EndpointHealthChange[] {
  const byEndpoint = new Map<string, EndpointHealthChange>();
  for (const a of [...attempts].sort((x, y) => x.attemptedAt - y.attemptedAt)) {
    if (a.outcome === null) continue;
    const change = byEndpoint.get(a.endpointId) ?? {
      endpointId: a.endpointId,
      okAt: null,
      failures: 0,
      firstFailureAt: null,
      lastFailureAt: null,
      lastFailureReason: null,
    };
    if (a.outcome === "ok") {
      change.okAt = a.attemptedAt;
      change.failures = 0;
      change.firstFailureAt = null;
    } else {
      change.failures += 1;
      change.firstFailureAt ??= a.attemptedAt;
      change.lastFailureAt = a.attemptedAt;
      change.lastFailureReason = a.error;
    }
    byEndpoint.set(a.endpointId, change);
  }
  return [...byEndpoint.values()];
}

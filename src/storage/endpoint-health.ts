import { type SQL, sql } from "drizzle-orm";
import { CIRCUIT_PARKED_FROM, type EndpointHealthChange } from "../domain/endpoint-health";
import { asJson, type Db, prebuilt, statement } from "./db";
import { messageIn } from "./message-sql";
import { endpointEventData, recordOperationEvents } from "./operation-events";

/** What the circuit follows (from ENDPOINT_CIRCUIT_FAILURES and ENDPOINT_PROBE_*). */
export interface CircuitPolicy {
  /** Failures in a row that open the circuit. */
  failures: number;
  probeMinMs: number;
  probeMaxMs: number;
}

/** The circuit's policy of a configuration. */
export const circuitPolicy = (c: { endpointCircuitFailures: number; endpointProbeMinMs: number; endpointProbeMaxMs: number }) => ({
  failures: c.endpointCircuitFailures,
  probeMinMs: c.endpointProbeMinMs,
  probeMaxMs: c.endpointProbeMaxMs,
});

/** `probeWaitMs` in SQL, for the wait after `failedProbes` (a SQL expression) failed probes. */
export const probeWaitSql = (failedProbes: SQL, p: CircuitPolicy): SQL =>
  sql`min(${p.probeMaxMs}, ${p.probeMinMs} * (1 << min(${failedProbes}, 30)))`;

/** Where the endpoint `e` (an `endpoints` row in scope under that name) parks its webhooks while its circuit is open. */
export const circuitParkedAt = (e: string): SQL => sql`(${CIRCUIT_PARKED_FROM} + ${sql.raw(e)}.created_at)`;

/**
 * Whether a due message (`messages` in scope) waits for its endpoint instead of being sent: the
 * endpoint's circuit is open (and the message is not its probe) or it is disabled. The value is
 * where it waits (`circuitParkedAt`), NULL when it goes. Looked up by key among the endpoints
 * that hold theirs (`endpoints_holding`, empty while all are healthy): a row read less than the
 * endpoint's own row.
 */
export const heldByEndpoint = sql`(SELECT ${circuitParkedAt("e")} FROM endpoints e INDEXED BY endpoints_holding
  WHERE e.id = messages.endpoint_id AND (e.circuit_opened_at IS NOT NULL OR e.disabled_at IS NOT NULL) AND e.probe_message_id IS NOT messages.id)`;

/**
 * The statements that write a round of attempts into their endpoints' health, in the round's D1
 * batch, in this order:
 * 1. the streak, the last success and failure (a success restarts the streak);
 * 2. a circuit whose endpoint answered closes: its parked webhooks are released by the tick (`release`);
 * 3. a failed probe: the next waits twice as long;
 * 4. a closed circuit whose streak reached `failures` opens: the first probe after `probeMinMs`;
 * 5. the round's failed webhooks of an open circuit are parked with the rest.
 * Opening and closing record `endpoint.circuit_opened` and `endpoint.recovered` (operation_events),
 * once per circuit opened (the occurrence is the endpoint and when it opened).
 * An attempt counts whatever became of its message's lease: it was made, and the endpoint answered it
 * or not. `failedIds`: the messages whose attempt failed (one of them may be a probe).
 */
export function endpointHealthStatements(
  db: Db,
  changes: readonly EndpointHealthChange[],
  failedIds: readonly string[],
  policy: CircuitPolicy,
  now: number,
): D1PreparedStatement[] {
  if (changes.length === 0) return [];
  const rows = asJson(
    changes.map((c) => ({
      id: c.endpointId,
      ok_at: c.okAt,
      failures: c.failures,
      first_failure_at: c.firstFailureAt,
      last_failure_at: c.lastFailureAt,
      last_failure_reason: c.lastFailureReason,
    })),
  );
  return healthWrites(db, {
    rows,
    failedIds: asJson(failedIds),
    now,
    firstProbeAt: now + policy.probeMinMs,
    probeMinMs: policy.probeMinMs,
    probeMaxMs: policy.probeMaxMs,
    failures: policy.failures,
  });
}

/** The values `endpointHealthStatements` binds: the round as JSON, the time, the circuit's policy. */
type HealthValues = {
  rows: string;
  failedIds: string;
  now: number;
  firstProbeAt: number;
  probeMinMs: number;
  probeMaxMs: number;
  failures: number;
};
const healthStandIn = (n: number): HealthValues => ({
  rows: `[${n}]`,
  failedIds: `[${n + 1}]`,
  now: n + 2,
  firstProbeAt: n + 3,
  probeMinMs: n + 4,
  probeMaxMs: n + 5,
  failures: n + 6,
});

/** `endpointHealthStatements`' statements, built by drizzle once (`prebuilt`): every recorded round of deliveries runs them. */
const healthWrites = prebuilt(
  [healthStandIn(-10), healthStandIn(-20)],
  (db, { rows, failedIds, now, firstProbeAt, probeMinMs, probeMaxMs, failures }) => {
    const policy: CircuitPolicy = { failures, probeMinMs, probeMaxMs };
    const inRound = sql`id IN (SELECT value ->> 'id' FROM json_each(${rows}))`;
    return [
      statement(
        db,
        sql`UPDATE endpoints SET
        consecutive_failures = CASE WHEN h.ok_at IS NOT NULL THEN h.failures ELSE endpoints.consecutive_failures + h.failures END,
        failing_since = CASE WHEN h.ok_at IS NOT NULL THEN h.first_failure_at ELSE coalesce(endpoints.failing_since, h.first_failure_at) END,
        last_success_at = coalesce(max(h.ok_at, coalesce(endpoints.last_success_at, 0)), endpoints.last_success_at),
        last_failure_at = CASE WHEN h.last_failure_at >= coalesce(endpoints.last_failure_at, 0) THEN h.last_failure_at ELSE endpoints.last_failure_at END,
        last_failure_reason = CASE WHEN h.last_failure_at >= coalesce(endpoints.last_failure_at, 0) THEN h.last_failure_reason
          ELSE endpoints.last_failure_reason END
      FROM (SELECT value ->> 'id' AS id, value ->> 'ok_at' AS ok_at, value ->> 'failures' AS failures,
          value ->> 'first_failure_at' AS first_failure_at, value ->> 'last_failure_at' AS last_failure_at,
          value ->> 'last_failure_reason' AS last_failure_reason
        FROM json_each(${rows})) AS h
      WHERE endpoints.id = h.id`,
      ),
      // `endpoint.recovered`, about the circuits the next statement closes (while it still says when each opened).
      recordOperationEvents(
        db,
        "endpoint.recovered",
        sql`SELECT e.tenant_id, e.id || ':' || e.circuit_opened_at AS occurrence, ${endpointEventData("e")} AS data FROM endpoints e
      WHERE e.${inRound} AND e.circuit_opened_at IS NOT NULL AND e.consecutive_failures = 0 AND e.disabled_at IS NULL`,
        now,
      ),
      statement(
        db,
        sql`UPDATE endpoints SET circuit_opened_at = NULL, probe_step = 0, next_probe_at = NULL, probe_message_id = NULL, pending_drain = 'release'
      WHERE ${inRound} AND circuit_opened_at IS NOT NULL AND consecutive_failures = 0 AND disabled_at IS NULL`,
      ),
      statement(
        db,
        sql`UPDATE endpoints SET probe_step = probe_step + 1, next_probe_at = ${now} + ${probeWaitSql(sql`probe_step + 1`, policy)},
        probe_message_id = NULL
      WHERE ${inRound} AND circuit_opened_at IS NOT NULL AND disabled_at IS NULL
        AND probe_message_id IN (SELECT value FROM json_each(${failedIds}))`,
      ),
      statement(
        db,
        sql`UPDATE endpoints SET circuit_opened_at = ${now}, probe_step = 0, next_probe_at = ${firstProbeAt}, probe_message_id = NULL,
        pending_drain = NULL
      WHERE ${inRound} AND circuit_opened_at IS NULL AND disabled_at IS NULL AND consecutive_failures >= ${policy.failures}`,
      ),
      // The round's failed webhooks of an endpoint whose circuit is (now) open wait with the others,
      // parked, rather than on their own retry times: the first success releases them all together.
      statement(
        db,
        sql`UPDATE messages SET next_attempt_at = h.at
      FROM (SELECT id, ${heldByEndpoint} AS at FROM messages
        WHERE id IN (SELECT value FROM json_each(${failedIds})) AND ${messageIn("state", "scheduled")}) AS h
      WHERE messages.id = h.id AND h.at IS NOT NULL`,
      ),
      recordOperationEvents(
        db,
        "endpoint.circuit_opened",
        sql`SELECT e.tenant_id, e.id || ':' || e.circuit_opened_at AS occurrence, ${endpointEventData("e")} AS data FROM endpoints e
      WHERE e.${inRound} AND e.circuit_opened_at = ${now}`,
        now,
      ),
    ];
  },
);

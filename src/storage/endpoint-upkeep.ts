import { type SQL, sql } from "drizzle-orm";
import { CIRCUIT_PARKED_FROM } from "../domain/endpoint-health";
import { OPEN_MESSAGE_STATES } from "../domain/message-states";
import { asJson, type Db, keySet, runBatch, statement } from "./db";
import { type CircuitPolicy, circuitParkedAt, probeWaitSql } from "./endpoint-health";
import { messageIn, moveTo } from "./message-sql";
import { endpointEventData, recordOperationEvents } from "./operation-events";
import { column, readAll, rowSchema } from "./rows";
import { subscriptions } from "./schema";
import { settleTasks } from "./settle";

/** Parked webhooks of recovered endpoints made due per tick, and subscriptions of disabled ones failed per tick. */
export const DRAIN_BATCH = 1_000;

/** What the endpoints' upkeep did in one tick (every figure 0 on most ticks). */
export interface EndpointUpkeep {
  /** Endpoints disabled for failing since ENDPOINT_DISABLE_AFTER_HOURS. */
  disabled: number;
  /** Probes made due. */
  probes: number;
  /** Parked webhooks of recovered (or enabled) endpoints made due. */
  released: number;
  /** Subscriptions of disabled endpoints ended `failed`. */
  failed: number;
}

interface UpkeepOptions {
  now: number;
  circuit: CircuitPolicy;
  /** ENDPOINT_DISABLE_AFTER_HOURS in ms; 0: never. */
  disableAfterMs: number;
}

/** `endpointWorkLook`'s flags. */
const DUE = 1;
const RELEASE = 2;
const FAIL = 4;

/**
 * What the endpoints' upkeep has to do, as flags (due probes or disabling 1, a release 2, a failing
 * 4), each an index lookup in the two partial indexes that are empty while every endpoint is
 * healthy (`endpoints_probe`, `endpoints_drain`). A column of the tick's one upkeep look
 * (storage/tenant-upkeep.ts), so an idle tick pays no statement for it.
 */
export const endpointWorkLook = (now: number, disableAfterMs: number): SQL => {
  const cutoff = disableAfterMs > 0 ? now - disableAfterMs : null;
  return sql`(EXISTS (SELECT 1 FROM endpoints WHERE next_probe_at <= ${now}
      ${cutoff === null ? sql`` : sql`OR (next_probe_at IS NOT NULL AND failing_since <= ${cutoff})`}) * ${DUE}
    + EXISTS (SELECT 1 FROM endpoints WHERE pending_drain = 'release') * ${RELEASE}
    + EXISTS (SELECT 1 FROM endpoints WHERE pending_drain = 'fail') * ${FAIL})`;
};

/**
 * The tick's upkeep of endpoint circuits (domain/endpoint-health.ts), each part bounded: disable
 * the endpoints failing for too long, make the due probes due, release the parked webhooks of
 * endpoints that recovered, fail the subscriptions of disabled ones; only what `work`
 * (`endpointWorkLook`'s flags, looked at by the tick's upkeep look) says there is.
 */
export async function endpointUpkeep(db: Db, o: UpkeepOptions, work: number): Promise<EndpointUpkeep> {
  const done: EndpointUpkeep = { disabled: 0, probes: 0, released: 0, failed: 0 };
  const cutoff = o.disableAfterMs > 0 ? o.now - o.disableAfterMs : null;
  if (work & DUE) Object.assign(done, await probeAndDisable(db, o, cutoff));
  if (work & RELEASE) done.released = await releaseParked(db, o.now);
  if (work & FAIL || done.disabled > 0) done.failed = await failDisabled(db, o.now);
  return done;
}

/** Where the endpoint `endpoints` parks, and whether message `m` waits there. */
const parkedHere = sql`m.next_attempt_at = ${circuitParkedAt("endpoints")} AND m.endpoint_id = endpoints.id`;

async function probeAndDisable(db: Db, o: UpkeepOptions, cutoff: number | null) {
  const [, disabled, probes] = await runBatch(db, [
    // Time with no webhook waiting is not time failing: an open circuit with nothing parked behind
    // it and no probe out (its subscriptions cancelled) starts its failing time again with its next
    // failure. Otherwise a quiet spell past ENDPOINT_DISABLE_AFTER_HOURS would disable the endpoint
    // as soon as a new webhook parked, before that webhook was ever tried.
    statement(
      db,
      sql`UPDATE endpoints SET failing_since = NULL
      WHERE next_probe_at IS NOT NULL AND failing_since IS NOT NULL AND probe_message_id IS NULL AND disabled_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE ${parkedHere})`,
    ),
    statement(
      db,
      cutoff === null
        ? sql`SELECT 0 WHERE 0`
        : sql`UPDATE endpoints SET disabled_at = ${o.now}, next_probe_at = NULL, probe_message_id = NULL, pending_drain = 'fail'
          WHERE next_probe_at IS NOT NULL AND failing_since <= ${cutoff} AND disabled_at IS NULL`,
    ),
    // The probe is the endpoint's oldest parked webhook (the index keeps equal due times in row
    // order). Until its outcome is recorded, the next probe waits as long as this one would: a
    // probe whose worker died is replaced then.
    statement(
      db,
      sql`UPDATE endpoints SET probe_message_id = (SELECT m.id FROM messages m WHERE ${parkedHere} LIMIT 1),
        next_probe_at = ${o.now} + ${probeWaitSql(sql`probe_step`, o.circuit)}
      WHERE next_probe_at <= ${o.now} AND disabled_at IS NULL`,
    ),
    statement(
      db,
      sql`UPDATE messages SET next_attempt_at = ${o.now}
      WHERE id IN (SELECT probe_message_id FROM endpoints WHERE next_probe_at IS NOT NULL AND probe_message_id IS NOT NULL)
        AND next_attempt_at >= ${CIRCUIT_PARKED_FROM}`,
    ),
    // `endpoint.disabled`, about the endpoints the first statement disabled (the ones disabled by
    // hand, through the API or the dashboard, are not announced: their tenant did it).
    recordOperationEvents(
      db,
      "endpoint.disabled",
      sql`SELECT e.tenant_id, e.id || ':' || e.disabled_at AS occurrence, ${endpointEventData("e")} AS data FROM endpoints e
      WHERE e.pending_drain = 'fail' AND e.disabled_at = ${o.now}`,
      o.now,
    ),
  ]);
  return { disabled: disabled?.meta.changes ?? 0, probes: probes?.meta.changes ?? 0 };
}

/** Makes due up to DRAIN_BATCH parked webhooks of endpoints whose circuit closed; an endpoint with none left is done. */
async function releaseParked(db: Db, now: number): Promise<number> {
  const [released] = await runBatch(db, [
    statement(
      db,
      sql`UPDATE messages SET next_attempt_at = ${now} WHERE id IN (SELECT m.id FROM endpoints JOIN messages m ON ${parkedHere}
        WHERE endpoints.pending_drain = 'release' LIMIT ${DRAIN_BATCH})`,
    ),
    statement(
      db,
      sql`UPDATE endpoints SET pending_drain = NULL
      WHERE pending_drain = 'release' AND NOT EXISTS (SELECT 1 FROM messages m WHERE ${parkedHere})`,
    ),
  ]);
  return released?.meta.changes ?? 0;
}

const Failing = rowSchema({ id: column(subscriptions.id), task_key: column(subscriptions.taskKey) });

/**
 * Ends `failed` (`endpoint_disabled`) up to DRAIN_BATCH active subscriptions of disabled endpoints,
 * with their open webhooks; their tasks stop polling if nobody else waits. An endpoint with no
 * active subscription left is done.
 */
async function failDisabled(db: Db, now: number): Promise<number> {
  const failing = await readAll(
    db,
    Failing,
    "the subscriptions of disabled endpoints",
    sql`SELECT s.id, s.task_key FROM endpoints e JOIN subscriptions s ON s.endpoint_id = e.id
    WHERE e.pending_drain = 'fail' AND s.status = 'active' LIMIT ${DRAIN_BATCH}`,
  );
  const ids = asJson(failing.map((s) => s.id));
  await runBatch(db, [
    // Leased ones too: an attempt in flight finds its lease gone and changes nothing.
    statement(
      db,
      sql`UPDATE messages SET ${moveTo("failed")}, next_attempt_at = NULL, lease_token = NULL, last_error = 'endpoint_disabled', updated_at = ${now}
      WHERE subscription_id IN (SELECT value FROM json_each(${ids})) AND ${messageIn("state", ...OPEN_MESSAGE_STATES)}`,
    ),
    statement(
      db,
      sql`UPDATE subscriptions SET status = 'failed', status_reason = 'endpoint_disabled', updated_at = ${now}
      WHERE id IN (SELECT value FROM json_each(${ids})) AND status = 'active'`,
    ),
    ...settleTasks(db, keySet([...new Set(failing.map((s) => s.task_key))]), now),
    statement(
      db,
      sql`UPDATE endpoints SET pending_drain = NULL
      WHERE pending_drain = 'fail' AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.endpoint_id = endpoints.id AND s.status = 'active')`,
    ),
  ]);
  return failing.length;
}

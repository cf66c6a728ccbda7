import { sql } from "drizzle-orm";
import type { MessageUpdate } from "../domain/delivery-plan";
import type { EndpointKeys } from "../domain/endpoint-signing";
import type { LeaseToken, TenantId } from "../domain/ids";
import type { Db } from "./db";
import { ENDPOINT_KEY_FIELDS, endpointKeyColumns, endpointKeysOf } from "./endpoint-keys";
import { tenantHalted } from "./parking";
import { column, int, readAll, rowSchema } from "./rows";
import { endpoints, operationEvents } from "./schema";
import { writeOnceMore } from "./storage-errors";

/** A claimed operational event with where it goes: its endpoint's URL and keys (as stored: sealed or in clear). */
export interface ClaimedOperationEvent {
  id: string;
  tenantId: TenantId;
  type: string;
  /** The `data` object as JSON text. */
  data: string;
  createdAt: number;
  /** Failed attempts so far: the retry schedule's step (a delivered event is never claimed again). */
  attempts: number;
  /** Null: the endpoint was deleted since; the event cannot be sent. */
  target: { endpointId: string; url: string; keys: EndpointKeys } | null;
}

/** How long a halted (suspended or deleted) tenant's due event waits before it is looked at again. */
const HALTED_WAIT_MS = 3_600_000;

const ClaimedRow = rowSchema({
  id: column(operationEvents.id),
  tenant_id: column(operationEvents.tenantId),
  event_type: column(operationEvents.eventType),
  data: column(operationEvents.data),
  created_at: column(operationEvents.createdAt),
  attempts: column(operationEvents.attempts),
  endpoint_id: column(operationEvents.endpointId),
  halted: int,
});

const TargetRow = rowSchema({
  id: column(endpoints.id),
  url: column(endpoints.url),
  ...ENDPOINT_KEY_FIELDS,
  tenant_id: column(endpoints.tenantId),
});

/**
 * Claims up to `limit` due events (`scheduled` whose time came, or `leased` whose lease ran out)
 * under `leaseToken` until `now + leaseMs`, in one guarded statement over the `operation_events_due`
 * index, as messages are claimed; an event of a suspended or deleted tenant is not taken but
 * looked at again an hour later. Then reads their endpoints, each only as the event's own tenant's.
 */
export async function claimDueOperationEvents(
  db: Db,
  o: { now: number; limit: number; leaseToken: LeaseToken; leaseMs: number },
): Promise<ClaimedOperationEvent[]> {
  if (o.limit <= 0) return [];
  const claimed = await readAll(
    db,
    ClaimedRow,
    "claim due operational events",
    sql`UPDATE operation_events SET state = CASE WHEN c.halted THEN 'scheduled' ELSE 'leased' END,
      lease_token = CASE WHEN c.halted THEN NULL ELSE ${o.leaseToken} END,
      next_attempt_at = CASE WHEN c.halted THEN ${o.now + HALTED_WAIT_MS} ELSE ${o.now + o.leaseMs} END,
      updated_at = ${o.now}
    FROM (SELECT id, ${tenantHalted(sql`operation_events.tenant_id`)} AS halted FROM operation_events
      WHERE next_attempt_at <= ${o.now} AND state IN ('scheduled', 'leased') ORDER BY next_attempt_at LIMIT ${o.limit}) AS c
    WHERE operation_events.id = c.id
    -- SQLite's RETURNING reads only the updated table: an event left without a lease was not taken.
    RETURNING id, tenant_id, event_type, data, created_at, attempts, endpoint_id, lease_token IS NULL AS halted`,
  );
  const taken = claimed.filter((r) => r.halted === 0);
  if (taken.length === 0) return [];
  const pairs = JSON.stringify(taken.map((r) => ({ id: r.endpoint_id, tenant_id: r.tenant_id })));
  const targets = await readAll(
    db,
    TargetRow,
    "the endpoints of claimed operational events",
    sql`SELECT e.id, e.url, ${endpointKeyColumns("e")}, e.tenant_id
    FROM json_each(${pairs}) p JOIN endpoints e ON e.id = p.value ->> 'id' AND e.tenant_id = p.value ->> 'tenant_id'`,
  );
  const byId = new Map(targets.map((t) => [t.id, t]));
  return taken.map((r) => {
    const t = r.endpoint_id === null ? undefined : byId.get(r.endpoint_id);
    return {
      id: r.id,
      tenantId: r.tenant_id,
      type: r.event_type,
      data: r.data,
      createdAt: r.created_at,
      attempts: r.attempts,
      target:
        t === undefined || t.tenant_id !== r.tenant_id
          ? null
          : {
              endpointId: t.id,
              url: t.url,
              keys: endpointKeysOf(t),
            },
    };
  });
}

/**
 * Records one attempt of a claimed event, only while it is still leased under `leaseToken`:
 * `delivered`, `scheduled` again at `nextAttemptAt`, or `failed` for good. The event was sent:
 * when D1 cannot answer for now, the statement runs again once (the lease makes that safe, had it
 * committed), so that a fault there does not send the event a second time at its lease's end.
 */
export async function recordOperationEventAttempt(
  db: Db,
  id: string,
  leaseToken: LeaseToken,
  update: Pick<MessageUpdate, "status" | "nextAttemptAt" | "statusCode" | "error">,
  now: number,
): Promise<void> {
  const state = update.status === "pending" ? "scheduled" : update.status;
  const record = sql`UPDATE operation_events SET state = ${state}, attempts = attempts + 1,
      next_attempt_at = ${update.nextAttemptAt}, lease_token = NULL,
      last_status_code = ${update.statusCode}, last_error = ${update.error},
      delivered_at = CASE WHEN ${state} = 'delivered' THEN ${now} ELSE delivered_at END, updated_at = ${now}
    WHERE id = ${id} AND lease_token = ${leaseToken}`;
  await writeOnceMore(() => db.run(record));
}

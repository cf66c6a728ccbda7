import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { type Db, runBatch, statement } from "./db";
import { batchRows, column, rowSchema } from "./rows";
import { idempotencyKeys } from "./schema";

const KeyRow = rowSchema({
  request_hash: column(idempotencyKeys.requestHash),
  state: column(idempotencyKeys.state),
  response_status: column(idempotencyKeys.responseStatus),
  response_body: column(idempotencyKeys.responseBody),
});

/** How long an `Idempotency-Key` answers its first result again. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * A `pending` key older than this belongs to a request that died (a create waits at most two
 * upstream timeouts): the next request with that key takes it over.
 */
export const IDEMPOTENCY_STALE_MS = 120_000;

export type IdempotencyClaim =
  /**
   * This request goes ahead. `afterLostAnswer`: an earlier one with this key lost upstream's
   * answer, or died mid-way: its create may exist.
   */
  | { kind: "fresh"; afterLostAnswer: boolean }
  /** The first request's answer, to send again. */
  | { kind: "replay"; status: number; body: string }
  /** The first request with this key is still running. */
  | { kind: "in_progress" }
  /** The key was used with another body. */
  | { kind: "mismatch" };

/**
 * Claims `key` for this tenant and request, in one D1 batch: an expired or abandoned claim is
 * dropped first; then either this request inserts it as `pending`, or takes over a `lost` one with
 * the same body, or the existing row says what to answer. Two concurrent requests with one key:
 * exactly one gets `fresh`. `key` is already scoped by the caller (method and path: see
 * api-kit/idempotent.ts), so the same key on another route is another key.
 */
export async function claimIdempotencyKey(
  db: Db,
  o: { tenantId: TenantId; key: string; requestHash: string; now: number },
): Promise<IdempotencyClaim> {
  const mine = sql`tenant_id = ${o.tenantId} AND key = ${o.key}`;
  const [dropped, inserted, resumed, found] = await runBatch(db, [
    statement(
      db,
      sql`DELETE FROM idempotency_keys WHERE ${mine}
        AND (created_at <= ${o.now - IDEMPOTENCY_TTL_MS} OR (state = 'pending' AND updated_at <= ${o.now - IDEMPOTENCY_STALE_MS}))`,
    ),
    statement(
      db,
      sql`INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at, updated_at)
        VALUES (${o.tenantId}, ${o.key}, ${o.requestHash}, 'pending', ${o.now}, ${o.now}) ON CONFLICT DO NOTHING`,
    ),
    // A retry after a lost answer goes ahead as the key's request (and looks its create up first).
    statement(
      db,
      sql`UPDATE idempotency_keys SET state = 'pending', updated_at = ${o.now}
        WHERE ${mine} AND state = 'lost' AND request_hash = ${o.requestHash}`,
    ),
    statement(db, sql`SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE ${mine}`),
  ]);
  if ((inserted?.meta.changes ?? 0) === 1) return { kind: "fresh", afterLostAnswer: (dropped?.meta.changes ?? 0) > 0 };
  if ((resumed?.meta.changes ?? 0) === 1) return { kind: "fresh", afterLostAnswer: true };
  const [row] = batchRows(KeyRow, "an idempotency key", found);
  // Deleted between the statements cannot happen (one transaction): a missing row is a bug.
  if (!row) throw new Error("idempotency key neither inserted nor found");
  if (row.request_hash !== o.requestHash) return { kind: "mismatch" };
  if (row.state !== "done" || row.response_status === null || row.response_body === null) return { kind: "in_progress" };
  return { kind: "replay", status: row.response_status, body: row.response_body };
}

/** Stores the answer a claimed key gives from now on. */
export async function finishIdempotencyKey(db: Db, o: { tenantId: TenantId; key: string; status: number; body: string; now: number }) {
  await db.run(sql`UPDATE idempotency_keys SET state = 'done', response_status = ${o.status}, response_body = ${o.body}, updated_at = ${o.now}
    WHERE tenant_id = ${o.tenantId} AND key = ${o.key} AND state = 'pending'`);
}

/**
 * Keeps a claimed key as `lost`: upstream may have created the task, nobody could tell. A retry
 * with the same body goes ahead and looks the create up by its external id first; another body is
 * still refused (its create would be another task under the same external id).
 */
export async function loseIdempotencyKey(db: Db, o: { tenantId: TenantId; key: string; now: number }) {
  await db.run(sql`UPDATE idempotency_keys SET state = 'lost', updated_at = ${o.now}
    WHERE tenant_id = ${o.tenantId} AND key = ${o.key} AND state = 'pending'`);
}

/** Gives a claimed key up (nothing was created): a retry with it goes ahead as a first request. */
export async function releaseIdempotencyKey(db: Db, o: { tenantId: TenantId; key: string }) {
  await db.run(sql`DELETE FROM idempotency_keys WHERE tenant_id = ${o.tenantId} AND key = ${o.key} AND state = 'pending'`);
}

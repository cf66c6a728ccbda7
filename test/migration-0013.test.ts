/**
 * Migration 0013 (a message's state as one column, `messages.state`) applied while the Worker of
 * before still runs: wrangler applies it before the new Worker deploys, so for a while the old one
 * goes on writing messages its way, naming only `status`, `next_attempt_at` and `lease_token`.
 * Runs in the migration pool (test/harness/vitest.migration.config.ts), whose `DB` starts empty:
 * the test applies 0000-0012, writes messages with the old Worker's statements (copied here as
 * they were, literal SQL), applies 0013 and checks every state; then the old statements again, on
 * the migrated table (with every migration up to 0019: 0020 drops the triggers); then the new
 * Worker's own statements after 0020, each leaving the old columns saying what the state says.
 */

import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { leaseToken, taskKey } from "../src/domain/ids";
import { DEFAULT_TENANT } from "../src/domain/tenancy";
import { forgetArchivedObjects, settleArchives } from "../src/storage/archive-files";
import { claimDueMessages } from "../src/storage/claim-messages";
import { type Db, keySet, openDb, runBatch } from "../src/storage/db";
import { deleteEndpoint } from "../src/storage/delete-endpoint";
import { fanOutTaskEvents } from "../src/storage/fan-out";
import { recordDeliveries, releaseMessages } from "../src/storage/record-deliveries";
import { subscriptions } from "../src/storage/schema";
import { cancelSubscription, redeliverLatest } from "../src/storage/subscriptions";

const NOW = Date.now();
const migrationNumber = (name: string) => Number.parseInt(name, 10);

/** What the old columns say a message's state is: the meaning the old Worker gave them. */
const STATE_OF_OLD_COLUMNS = `CASE WHEN status <> 'pending' THEN status WHEN lease_token IS NOT NULL THEN 'leased'
  WHEN next_attempt_at IS NULL THEN 'held' ELSE 'scheduled' END`;

const stateOf = async (id: string) =>
  (await env.DB.prepare("SELECT state FROM messages WHERE id = ?").bind(id).first<{ state: string }>())?.state;
const statesOf = async () =>
  Object.fromEntries(
    (await env.DB.prepare("SELECT id, state FROM messages ORDER BY id").all<{ id: string; state: string }>()).results.map((r) => [
      r.id,
      r.state,
    ]),
  );
/** Messages whose state and old columns disagree. */
const disagreeing = async () =>
  (
    await env.DB.prepare(
      `SELECT id, state, status, next_attempt_at, lease_token FROM messages WHERE state IS NOT ${STATE_OF_OLD_COLUMNS}`,
    ).all()
  ).results;

/** A task, its endpoint and one subscription per event list, as the relay of 0012 stored them. */
async function seedTask(key: string, archive: string | null, lastEvent: string | null) {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, last_event, last_event_at, archive, next_poll_at, created_at, updated_at)
      VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', 'succeed', ?, ?, ?, NULL, ?, ?)`,
    ).bind(key, `9${key.slice(4)}`, lastEvent, NOW, archive, NOW, NOW),
    env.DB.prepare(
      "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES (?, 'default', ?, 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=', ?, ?)",
    ).bind(`ep_${key}`, `https://hooks.example.com/${key}`, NOW, NOW),
    env.DB.prepare(
      `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, metadata, status, created_at, updated_at)
      VALUES (?, 'default', ?, ?, ?, '["task.succeeded","task.failed"]', NULL, 'active', ?, ?)`,
    ).bind(`sub_${key}`, key, `ep_${key}`, `https://hooks.example.com/${key}`, NOW, NOW),
  ]);
}

// The old Worker's statements (migrations 0009-0012), as it runs them.
const OLD = {
  /** storage/fan-out.ts: held while its task's files are archived, due now otherwise. */
  fanOut: (taskKey: string, now: number) =>
    env.DB.prepare(
      `INSERT INTO messages (id, subscription_id, event_type, event_at, metadata, reason, data, archive, status, attempts, schedule_step, next_attempt_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(12))), s.id, t.last_event, t.last_event_at, s.metadata, t.finish_reason, t.data, t.archive_outputs,
      'pending', 0, 0, CASE WHEN t.last_event = 'task.succeeded' AND t.archive IN ('requested', 'copying') THEN NULL ELSE ?1 END, ?1, ?1
    FROM tasks t JOIN subscriptions s ON s.task_key = t.id
    WHERE t.id = ?2 AND t.last_event IS NOT NULL AND s.status = 'active'
      AND EXISTS (SELECT 1 FROM json_each(s.events) e WHERE e.value = t.last_event)
    ON CONFLICT (subscription_id, event_type) DO UPDATE SET
      event_at = excluded.event_at, metadata = excluded.metadata, reason = excluded.reason, data = excluded.data, body = NULL,
      archive = excluded.archive, status = 'pending', schedule_step = 0, next_attempt_at = excluded.next_attempt_at, lease_token = NULL,
      updated_at = ?1
    WHERE messages.status = 'cancelled'`,
    ).bind(now, taskKey),
  /** storage/claim-messages.ts: leased until the lease's end (parked for a halted tenant). */
  claim: (lease: string, now: number) =>
    env.DB.prepare(
      `UPDATE messages SET lease_token = CASE WHEN NOT EXISTS (SELECT 1 FROM tenants h WHERE h.id = (SELECT s.tenant_id FROM subscriptions s WHERE s.id = messages.subscription_id) AND h.suspended_at IS NULL AND h.deleted_at IS NULL) THEN NULL ELSE ?1 END,
        next_attempt_at = CASE WHEN NOT EXISTS (SELECT 1 FROM tenants h WHERE h.id = (SELECT s.tenant_id FROM subscriptions s WHERE s.id = messages.subscription_id) AND h.suspended_at IS NULL AND h.deleted_at IS NULL) THEN 4503599627370496 ELSE ?2 END
      WHERE id IN (SELECT id FROM messages WHERE next_attempt_at <= ?3 ORDER BY next_attempt_at LIMIT 50)`,
    ).bind(lease, now + 60_000, now),
  /** storage/record-deliveries.ts, one record: an attempt's outcome, the lease cleared. */
  record: (id: string, lease: string, status: string, nextAttemptAt: number | null, now: number) =>
    env.DB.prepare(
      `UPDATE messages SET status = ?1, attempts = attempts + 1, schedule_step = 1, next_attempt_at = ?2, lease_token = NULL,
        last_status_code = 500, delivered_at = CASE WHEN ?1 = 'delivered' THEN ?3 ELSE delivered_at END, updated_at = ?3
      WHERE messages.id = ?4 AND messages.lease_token = ?5`,
    ).bind(status, nextAttemptAt, now, id, lease),
  /** storage/record-deliveries.ts `releaseMessages`: claimed but not started, due at once. */
  release: (id: string, lease: string, now: number) =>
    env.DB.prepare("UPDATE messages SET lease_token = NULL, next_attempt_at = ?1, updated_at = ?1 WHERE id = ?2 AND lease_token = ?3").bind(
      now,
      id,
      lease,
    ),
  /** storage/archive-files.ts: a done task's held messages due now. */
  releaseHeld: (taskKey: string, now: number) =>
    env.DB.prepare(
      `UPDATE messages SET next_attempt_at = ?1, updated_at = ?1
      WHERE status = 'pending' AND next_attempt_at IS NULL AND lease_token IS NULL
        AND subscription_id IN (SELECT s.id FROM subscriptions s WHERE s.task_key = ?2)`,
    ).bind(now, taskKey),
  /** storage/archive-files.ts `forgetArchivedObjects`: a task.succeeded nobody attempted held again. */
  holdAgain: (taskKey: string, now: number) =>
    env.DB.prepare(
      `UPDATE messages SET next_attempt_at = NULL, updated_at = ?1
      WHERE status = 'pending' AND event_type = 'task.succeeded' AND attempts = 0 AND lease_token IS NULL AND next_attempt_at IS NOT NULL
        AND subscription_id IN (SELECT s.id FROM subscriptions s WHERE s.task_key = ?2)`,
    ).bind(now, taskKey),
  /** storage/subscriptions.ts `cancelSubscription`. */
  cancel: (subscriptionId: string, now: number) =>
    env.DB.prepare(
      "UPDATE messages SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL, updated_at = ?1 WHERE subscription_id = ?2 AND status = 'pending'",
    ).bind(now, subscriptionId),
  /** storage/subscriptions.ts `redeliverLatest` (its task not holding). */
  redeliver: (id: string, now: number) =>
    env.DB.prepare(
      "UPDATE messages SET status = 'pending', schedule_step = 0, lease_token = NULL, updated_at = ?1, next_attempt_at = ?1 WHERE id = ?2",
    ).bind(now, id),
};

/** One message of each state, inserted as the old Worker's fan-out and record statements left them. */
function oldRows(): D1PreparedStatement[] {
  const insert = (id: string, status: string, nextAttemptAt: number | null, lease: string | null, attempts: number) =>
    env.DB.prepare(
      `INSERT INTO messages (id, subscription_id, event_type, event_at, status, attempts, schedule_step, next_attempt_at, lease_token, created_at, updated_at)
      VALUES (?, ?, 'task.succeeded', ?, ?, ?, 0, ?, ?, ?, ?)`,
    ).bind(id, `sub_${id}`, NOW, status, attempts, nextAttemptAt, lease, NOW, NOW);
  return [
    insert("msg_held", "pending", null, null, 0),
    insert("msg_scheduled", "pending", NOW, null, 0),
    insert("msg_retrying", "pending", NOW + 60_000, null, 2),
    insert("msg_parked", "pending", 2 ** 52 + 1, null, 0),
    insert("msg_leased", "pending", NOW + 30_000, "lease_old", 1),
    insert("msg_delivered", "delivered", null, null, 1),
    insert("msg_failed", "failed", null, null, 9),
    insert("msg_cancelled", "cancelled", null, null, 0),
  ];
}

describe.skipIf(!env.MIGRATION_TEST)("migration 0013 (messages.state) beside the Worker of before", () => {
  let before: Record<string, unknown>[];

  beforeAll(async () => {
    const migrations = env.TEST_MIGRATIONS;
    expect(migrations.map((m) => migrationNumber(m.name))).toContain(13);
    await applyD1Migrations(
      env.DB,
      migrations.filter((m) => migrationNumber(m.name) <= 12),
    );
    await env.DB.batch(oldRows());
    before = (await env.DB.prepare("SELECT * FROM messages ORDER BY id").all()).results;
    // Every later one the old Worker may still run beside: 0020 drops the triggers that serve it.
    await applyD1Migrations(
      env.DB,
      migrations.filter((m) => migrationNumber(m.name) < 20),
    );
  });

  it("gives every existing message the state its old columns said, and changes nothing else", async () => {
    expect(await statesOf()).toEqual({
      msg_cancelled: "cancelled",
      msg_delivered: "delivered",
      msg_failed: "failed",
      msg_held: "held",
      msg_leased: "leased",
      msg_parked: "scheduled",
      msg_retrying: "scheduled",
      msg_scheduled: "scheduled",
    });
    const after = (await env.DB.prepare("SELECT * FROM messages ORDER BY id").all()).results;
    // Migrations 0014 and 0018 (applied too) add each message's tenant and endpoint, and its kept
    // first attempt: not 0013's change.
    expect(after.map(({ state: _, tenant_id: _t, endpoint_id: _e, first_attempt: _f, ...rest }) => rest)).toEqual(before);
  });

  it("gives the rows the old Worker writes after it the state their old columns say", async () => {
    await env.DB.prepare("DELETE FROM messages").run();
    const now = NOW + 1_000;
    await seedTask("tsk_old_archived", "copying", "task.succeeded");
    await seedTask("tsk_old_plain", null, "task.succeeded");

    // Its fan-out inserts a held message and a due one.
    await env.DB.batch([OLD.fanOut("tsk_old_archived", now), OLD.fanOut("tsk_old_plain", now)]);
    const id = async (taskKey: string) =>
      (await env.DB.prepare("SELECT id FROM messages WHERE subscription_id = ?").bind(`sub_${taskKey}`).first<{ id: string }>())!.id;
    const held = await id("tsk_old_archived");
    const plain = await id("tsk_old_plain");
    expect([await stateOf(held), await stateOf(plain)]).toEqual(["held", "scheduled"]);

    // Its claim leases the due one only; a retry schedules it again; a claim, then a 2xx delivers it.
    await OLD.claim("lease_a", now).run();
    expect([await stateOf(held), await stateOf(plain)]).toEqual(["held", "leased"]);
    await OLD.record(plain, "lease_a", "pending", now + 5_000, now).run();
    expect(await stateOf(plain)).toBe("scheduled");
    await OLD.claim("lease_b", now + 5_000).run();
    expect(await stateOf(plain)).toBe("leased");
    await OLD.release(plain, "lease_b", now + 5_000).run();
    expect(await stateOf(plain)).toBe("scheduled");
    await OLD.claim("lease_c", now + 5_000).run();
    await OLD.record(plain, "lease_c", "delivered", null, now + 5_000).run();
    expect(await stateOf(plain)).toBe("delivered");
    // Redelivered: scheduled again.
    await OLD.redeliver(plain, now + 6_000).run();
    expect(await stateOf(plain)).toBe("scheduled");

    // The archive releases the held one, and holds it again when a file it links to is deleted.
    await OLD.releaseHeld("tsk_old_archived", now).run();
    expect(await stateOf(held)).toBe("scheduled");
    await OLD.holdAgain("tsk_old_archived", now).run();
    expect(await stateOf(held)).toBe("held");

    // Cancelled, then revived by a fan-out for a subscription registered again.
    await OLD.cancel("sub_tsk_old_archived", now).run();
    expect(await stateOf(held)).toBe("cancelled");
    await OLD.fanOut("tsk_old_archived", now).run();
    expect(await stateOf(held)).toBe("held");

    // A suspended tenant's due message is parked: scheduled, at its parked time.
    await env.DB.prepare("UPDATE tenants SET suspended_at = ? WHERE id = 'default'").bind(now).run();
    await OLD.redeliver(plain, now + 7_000).run();
    await OLD.claim("lease_d", now + 7_000).run();
    expect(await env.DB.prepare("SELECT state, next_attempt_at AS at FROM messages WHERE id = ?").bind(plain).first()).toEqual({
      state: "scheduled",
      at: 2 ** 52,
    });
    await env.DB.prepare("UPDATE tenants SET suspended_at = NULL WHERE id = 'default'").run();
    expect(await disagreeing()).toEqual([]);
  });

  it("writes the old columns with the state from the new Worker's own statements, without the triggers", async () => {
    await env.DB.batch(
      ["DELETE FROM messages", "DELETE FROM subscriptions", "DELETE FROM endpoints", "DELETE FROM tasks"].map((q) => env.DB.prepare(q)),
    );
    // 0020 drops the triggers: only the new statements write now.
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    expect((await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()).results).toEqual([]);
    const db: Db = openDb(env.DB);
    const now = NOW + 10_000;
    await seedTask("tsk_new_archived", "copying", "task.succeeded");
    await seedTask("tsk_new_plain", null, "task.succeeded");
    const expectStates = async (step: string, states: Record<string, string>) => {
      expect(await disagreeing(), step).toEqual([]);
      const got = Object.fromEntries(
        (
          await env.DB.prepare("SELECT s.task_key AS k, m.state FROM messages m JOIN subscriptions s ON s.id = m.subscription_id").all<{
            k: string;
            state: string;
          }>()
        ).results.map((r) => [r.k, r.state]),
      );
      expect(got, step).toEqual(states);
    };

    await runBatch(db, [fanOutTaskEvents(db, keySet(["tsk_new_archived", "tsk_new_plain"]), now)]);
    await expectStates("fan-out", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });

    const [claimed] = await claimDueMessages(db, { now, limit: 10, leaseToken: leaseToken("lease_1"), leaseMs: 60_000 });
    expect(claimed?.taskKey).toBe("tsk_new_plain");
    await expectStates("claim", { tsk_new_archived: "held", tsk_new_plain: "leased" });
    await releaseMessages(db, [claimed!.id], leaseToken("lease_1"), now);
    await expectStates("release", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });

    const retry = { statusCode: 500, error: null, durationMs: 3, responseBody: null, subscriptionFailure: null };
    const record = (status: "pending" | "delivered", nextAttemptAt: number | null) =>
      recordDeliveries(
        db,
        [
          {
            messageId: claimed!.id,
            subscriptionId: claimed!.subscriptionId,
            taskKey: claimed!.taskKey,
            taskFinished: claimed!.taskFinished,
            // Recorded twice from one claim: the delivery is its second attempt, logged.
            firstAttemptKeptUntil: null,
            endpointId: claimed!.endpointId,
            attemptedAt: now,
            update: { ...retry, status, scheduleStep: 1, nextAttemptAt },
            health: status === "delivered" ? "ok" : "fail",
          },
        ],
        leaseToken("lease_2"),
        now,
        { failures: 5, probeMinMs: 60_000, probeMaxMs: 3_600_000 },
      );
    await claimDueMessages(db, { now, limit: 10, leaseToken: leaseToken("lease_2"), leaseMs: 60_000 });
    await record("pending", now + 5_000);
    await expectStates("a retry", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });
    await claimDueMessages(db, { now: now + 5_000, limit: 10, leaseToken: leaseToken("lease_2"), leaseMs: 60_000 });
    await record("delivered", null);
    await expectStates("delivered", { tsk_new_archived: "held", tsk_new_plain: "delivered" });

    // Parked while its tenant is suspended.
    const [plainSub] = await db.select().from(subscriptions).where(eq(subscriptions.id, "sub_tsk_new_plain"));
    const links = { publicBaseUrl: null, archiveLinkSecrets: [], archiveLinkTtlSeconds: 3600 };
    expect(await redeliverLatest(db, plainSub!, now + 6_000, links)).toBe(true);
    await expectStates("redelivered", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });
    await env.DB.prepare("UPDATE tenants SET suspended_at = ? WHERE id = 'default'").bind(now).run();
    expect(await claimDueMessages(db, { now: now + 6_000, limit: 10, leaseToken: leaseToken("lease_3"), leaseMs: 60_000 })).toEqual([]);
    await expectStates("parked", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });
    await env.DB.prepare("UPDATE tenants SET suspended_at = NULL WHERE id = 'default'").run();

    // The archive: copies ended (none listed), the held one released; a copied file deleted holds it again.
    await settleArchives(db, [{ taskKey: taskKey("tsk_new_archived"), archiveOutputs: "[]" }], now);
    await expectStates("released", { tsk_new_archived: "scheduled", tsk_new_plain: "scheduled" });
    await env.DB.prepare(
      `INSERT INTO archive_files (id, task_key, output_index, field, source_url, r2_key, status, created_at, updated_at, copied_at)
      VALUES ('arc_1', 'tsk_new_archived', 0, 'url', 'https://cdn.example/v.mp4', 'k', 'copied', ?1, ?1, ?1)`,
    )
      .bind(now)
      .run();
    await runBatch(db, forgetArchivedObjects(db, ["arc_1"], now));
    await expectStates("held again", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });

    const [archivedSub] = await db.select().from(subscriptions).where(eq(subscriptions.id, "sub_tsk_new_archived"));
    await cancelSubscription(db, archivedSub!, now);
    await expectStates("cancelled", { tsk_new_archived: "cancelled", tsk_new_plain: "scheduled" });
    // Active again and fanned out again: revived, held (its task is copying again).
    await env.DB.prepare("UPDATE subscriptions SET status = 'active' WHERE id = 'sub_tsk_new_archived'").run();
    await runBatch(db, [fanOutTaskEvents(db, keySet(["tsk_new_archived"]), now)]);
    await expectStates("revived", { tsk_new_archived: "held", tsk_new_plain: "scheduled" });

    await deleteEndpoint(db, DEFAULT_TENANT, "ep_tsk_new_plain", now);
    await expectStates("endpoint deleted", { tsk_new_archived: "held", tsk_new_plain: "cancelled" });
  });
});

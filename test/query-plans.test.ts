import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { tenantId } from "../src/domain/ids";
import { listAudit } from "../src/storage/audit-log";
import { openDb } from "../src/storage/db";
import { deleteEndpoint } from "../src/storage/delete-endpoint";
import { listAttempts, listMessages } from "../src/storage/list-messages";
import { recoverEndpoint } from "../src/storage/recover-endpoint";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import {
  api,
  lingeringClock,
  manualClock,
  pollOnly,
  receiver,
  register,
  resetDb,
  tenantWithKey,
  tick,
  upstreamTask,
} from "./support/relay";

// kind_stats is left out on purpose: at most ten rows (one per action pair), read whole once per
// tick; so are tenants and tenant_credentials (a relay has few tenants, and every statement reads
// them by primary key or whole: the re-sealing after a rotation reads the credentials in key order).
const TABLES =
  /\b(tasks|subscriptions|messages|delivery_attempts|archive_files|endpoints|api_keys|idempotency_keys|audit_log|upstream_owners)\b/;
/**
 * The archive's to-do lists: partial indexes holding only tasks with archive work left (empty most
 * of the time), read whole on purpose.
 */
const TODO_LISTS = /USING (COVERING )?INDEX (tasks_archive_to_list|tasks_archive_copying)\b/;

describe("query plans", () => {
  beforeEach(resetDb);

  it("finds every row the tick touches through an index: no statement scans a table", async () => {
    const log: Recorded[] = [];
    const hook = await receiver([{ status: 500 }, { status: 200 }]);
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
      await register({ task_id: task.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] });
    }
    // An endpoint from before SECRETS_KEY, its secret in clear: the tick seals it again.
    await env.DB.prepare("INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES (?, 'default', ?, ?, 0, 0)")
      .bind("ep_clear", "https://example.com/clear", "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=")
      .run();
    // A lingering tick runs every statement: claims, records, fan-out, settling, learned
    // durations, the naps' next-due lookups, and finally retention and the re-sealing.
    const clock = lingeringClock();
    const DB = recordingD1(env.DB, log);
    await tick(clock, { DB });
    clock.advance(8 * 86_400_000);
    // During a rotation of SECRETS_KEY (the new key first) the re-sealing also looks for the old key's rows.
    const rotated = `${btoa("q".repeat(32))} ${env.SECRETS_KEY}`;
    await tick(clock, { DB, RETENTION_DAYS: "1", SECRETS_KEY: rotated });

    expect(await scansOf(log)).toEqual([]);
    // The re-sealing's statements were among them: its UPDATE, and its lookups by the sealing key,
    // which search the expression index (a range of the primary key from '' would read every row).
    expect(log.some(({ sql }) => sql.includes("was_secret"))).toBe(true);
    const lookups = log.filter(({ sql }) => sql.includes("substr(secret, 11, 8)"));
    // Rows in clear (key id null), and during the rotation those of the old key.
    expect(new Set(lookups.map(({ params }) => params[0]))).toEqual(new Set([null, loadConfig(env).secretsKeyring?.current.id]));
    for (const { sql, params } of lookups) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      expect(plan.results.map((r) => r.detail)).toEqual([
        expect.stringMatching(/^SEARCH endpoints USING INDEX endpoints_sealed_with \(<expr>=\? AND id>\?\)$/),
      ]);
    }
  });

  it("keeps an endpoint's circuit through indexes: opening it, probing, restarting its failing time, disabling", async () => {
    const log: Recorded[] = [];
    const DB = recordingD1(env.DB, log);
    const settings = { ENDPOINT_CIRCUIT_FAILURES: "2", ENDPOINT_PROBE_MIN_SECONDS: "60", ENDPOINT_DISABLE_AFTER_HOURS: "1" };
    const dead = await receiver(Array.from({ length: 10 }, () => ({ status: 503 })));
    const quiet = await receiver(Array.from({ length: 10 }, () => ({ status: 503 })));
    const quietSubs: string[] = [];
    for (const hook of [dead, dead, quiet, quiet]) {
      const task = await upstreamTask([{ status: "succeed" }]);
      const { body } = await register({ task_id: task.id, callback_url: hook.url });
      if (hook === quiet) quietSubs.push(body.id);
    }
    const clock = manualClock();
    await tick(clock, { DB, ...settings });
    // One endpoint's webhooks are cancelled: nothing waits behind its circuit.
    for (const id of quietSubs) expect((await api(`/v1/subscriptions/${id}`, { method: "DELETE" })).status).toBe(204);
    for (const step of [60_000, 3_600_000, 60_000]) {
      clock.advance(step);
      await tick(clock, { DB, ...settings });
    }
    expect(log.some(({ sql }) => sql.includes("SET failing_since = NULL"))).toBe(true);
    expect(log.some(({ sql }) => sql.includes("SET disabled_at"))).toBe(true);
    expect(await scansOf(log)).toEqual([]);
  });

  it("parks, unparks and removes a tenant's rows, deletes an endpoint and lists the audit log through indexes", async () => {
    const log: Recorded[] = [];
    const DB = recordingD1(env.DB, log);
    const db = openDb(DB);
    const hook = await receiver();
    const tenant = await tenantWithKey("ten_plans", "plans");
    const now = Date.now();
    await env.DB.prepare("UPDATE tenants SET suspended_at = ? WHERE id = ?").bind(now, tenant.id).run();
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      await register({ task_id: task.id, callback_url: hook.url });
    }
    // The default tenant's rows become the suspended one's: parked by the claims, then unparked.
    await env.DB.prepare("UPDATE tasks SET tenant_id = ?").bind(tenant.id).run();
    await env.DB.prepare("UPDATE subscriptions SET tenant_id = ?").bind(tenant.id).run();
    await env.DB.prepare("UPDATE endpoints SET tenant_id = ?").bind(tenant.id).run();
    const clock = manualClock();
    await tick(clock, { DB });
    await env.DB.prepare("UPDATE tenants SET suspended_at = NULL WHERE id = ?").bind(tenant.id).run();
    await tick(clock, { DB });
    await pollOnly(clock);
    const [endpoint] = (await env.DB.prepare("SELECT id FROM endpoints").all<{ id: string }>()).results;
    await deleteEndpoint(db, tenant.id, endpoint!.id, now);
    await listAudit(db, { limit: 10 });
    await listAudit(db, { tenant: tenant.id, limit: 10, after: { key: 1_000, rowid: 1_000 } });
    await env.DB.prepare("UPDATE tenants SET deleted_at = ? WHERE id = ?").bind(now, tenant.id).run();
    await tick(clock, { DB });
    await tick(clock, { DB });
    const sqls = log.map((s) => s.sql).join("\n");
    // The tick's selection of due tasks, its parking of the halted tenant's, the unparking.
    for (const statement of [
      "AS refused FROM tasks",
      "UPDATE tasks SET lease_token = NULL, next_poll_at = coalesce(",
      "UPDATE tasks SET next_poll_at",
      "DELETE FROM endpoints",
      "FROM audit_log",
    ])
      expect(sqls).toContain(statement);
    expect(await scansOf(log)).toEqual([]);
  });

  it("lists a tenant's messages, by endpoint and status, and a message's attempts down their indexes, never sorting", async () => {
    const log: Recorded[] = [];
    const db = openDb(recordingD1(env.DB, log));
    const hook = await receiver();
    for (let i = 0; i < 3; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      await register({ task_id: task.id, callback_url: hook.url });
    }
    await tick(manualClock());
    const tenant = tenantId("default");
    const [message] = (await env.DB.prepare("SELECT id FROM messages").all<{ id: string }>()).results;
    const [endpoint] = (await env.DB.prepare("SELECT id FROM endpoints").all<{ id: string }>()).results;
    const after = { createdAt: Date.now(), id: "msg_ffffffffffffffffffffffff" };
    await listMessages(db, tenant, { limit: 10 });
    await listMessages(db, tenant, { status: "delivered", limit: 10, after });
    await listMessages(db, tenant, { endpointId: endpoint!.id, limit: 10 });
    await listMessages(db, tenant, { endpointId: endpoint!.id, status: "failed", limit: 10, after });
    expect(await listAttempts(db, tenant, message!.id)).toHaveLength(1);
    expect(log).toHaveLength(6);
    const plans = await Promise.all(log.map(({ sql, params }) => planOf(sql, params)));
    for (const plan of plans) {
      expect(plan.filter((detail) => detail.startsWith("SCAN"))).toEqual([]);
      expect(plan.filter((detail) => detail.includes("TEMP B-TREE"))).toEqual([]);
    }
    const [tenantPage, tenantAfter, endpointPage, endpointAfter] = plans.map((plan) => plan.find((d) => /^SEARCH m\b/.test(d)));
    expect(tenantPage).toMatch(/^SEARCH m USING INDEX messages_tenant_created \(tenant_id=\?\)$/);
    expect(tenantAfter).toMatch(/^SEARCH m USING INDEX messages_tenant_created \(tenant_id=\? AND created_at<\?\)$/);
    expect(endpointPage).toMatch(/^SEARCH m USING INDEX messages_endpoint_created \(endpoint_id=\?\)$/);
    expect(endpointAfter).toMatch(/^SEARCH m USING INDEX messages_endpoint_created \(endpoint_id=\? AND created_at<\?\)$/);

    // A recovery reads the endpoint's messages from `since` on, then moves what it found by key.
    log.length = 0;
    await env.DB.prepare("UPDATE messages SET state = 'failed', status = 'failed'").run();
    expect(await recoverEndpoint(db, tenant, endpoint!.id, Date.now() - 60_000, Date.now(), loadConfig(env))).toEqual({
      recovered: 3,
      more: false,
    });
    expect(await scansOf(log, 4)).toEqual([]);
    const [found] = await Promise.all(log.slice(0, 1).map(({ sql, params }) => planOf(sql, params)));
    expect(found?.find((d) => /^SEARCH m\b/.test(d))).toMatch(
      /^SEARCH m USING INDEX messages_endpoint_created \(endpoint_id=\? AND created_at>\?\)$/,
    );
    expect(found?.filter((d) => d.includes("TEMP B-TREE"))).toEqual([]);
  });
});

async function planOf(sql: string, params: unknown[]): Promise<string[]> {
  const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return plan.results.map((r) => r.detail);
}

/** Every table scan in the plans of the recorded statements (each distinct statement planned once). */
async function scansOf(log: Recorded[], atLeast = 9): Promise<string[]> {
  const statements = new Map(log.map((s) => [s.sql, s]));
  expect(statements.size).toBeGreaterThanOrEqual(atLeast);
  const scans: string[] = [];
  for (const { sql, params } of statements.values()) {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    for (const { detail } of plan.results) {
      // `SCAN <alias>` of a json_each parameter is the id list itself; a table scan is not allowed.
      const scanned = /^SCAN (\S+)/.exec(detail)?.[1];
      if (scanned && (TABLES.test(scanned) || ["t", "s", "m", "a"].includes(scanned)) && !TODO_LISTS.test(detail))
        scans.push(`${detail}  <=  ${sql.replace(/\s+/g, " ").slice(0, 160)}`);
    }
  }
  return scans;
}

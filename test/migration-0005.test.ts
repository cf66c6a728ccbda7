/**
 * Upgrading a deployment to tenants (migrations/0005_tenants.sql) with the rows the relay wrote
 * before them. Runs in its own pool (test/harness/vitest.migration.config.ts), whose `DB` starts
 * with no migration applied: the test applies 0000-0004 as `wrangler d1 migrations apply` would
 * have, writes what the relay of that schema wrote (tasks polling, finished and expired;
 * subscriptions in every status; messages never attempted, retrying, delivered, and one written
 * with its `body` only, by a Worker from before 0004), applies 0005 and checks every row, then
 * drives the real Worker (its fetch and its cron) on the result: an upgrade must change nothing
 * an app or a receiver can see. The default pool has every migration applied and skips it.
 */

import { applyD1Migrations, createScheduledController } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { is, SQL } from "drizzle-orm";
import { getTableConfig, SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { outputsJson } from "../src/domain/task-outputs";
import worker from "../src/index";
import * as schema from "../src/storage/schema";
import { receiver, upstreamTask } from "./support/relay";

const OLD_SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const [KEY_ONE, KEY_TWO] = ["relay-test-key-one-0123456789", "relay-test-key-two-0123456789"];

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const hex24 = (seed: string) => seed.padEnd(24, "0").slice(0, 24);

// Kling task ids as CometAPI hands them out.
const POLLING = "821104563871526912";
const FINISHED = "821103998776750080";
const EXPIRED = "821101287340019712";
const LEGACY = "820998812345602048";

const finishedData = `{"task_id":"${FINISHED}","task_status":"succeed","task_status_msg":"","task_result":{"images":[{"index":0,"url":"https://cdn.klingai.example/img/${FINISHED}-0.png","seed":12345678901234567890123}]},"final_unit_deduction":0.1000000000000000000001,"created_at":${NOW - 3 * HOUR},"updated_at":${NOW - 3 * HOUR + 41_217}}`;
const expiredData = `{"task_id":"${EXPIRED}","task_status":"processing","task_status_msg":"","created_at":${NOW - 27 * HOUR},"updated_at":${NOW - 27 * HOUR + 5_000}}`;
const legacyData = `{"task_id":"${LEGACY}","task_status":"succeed","task_result":{"videos":[{"id":"v0","url":"https://cdn.klingai.example/v/${LEGACY}.mp4","duration":"5.1"}]},"final_unit_deduction":12345678901234567890123,"created_at":${NOW - 5 * HOUR}}`;
const pollingNow = `{"task_id":"${POLLING}","task_status":"succeed","task_result":{"videos":[{"id":99999999999999999999999,"url":"https://cdn.klingai.example/v/${POLLING}.mp4","duration":"10.0"}]},"created_at":${NOW - 12 * MIN}}`;

/** Receivers for the URLs that get a webhook in this test; set in beforeAll. */
let hooks: Record<"a" | "b" | "c" | "f", Awaited<ReturnType<typeof receiver>>>;
const URL_D = "https://hooks.example.com/kling/cancelled";
const URL_E = "https://app.example.org/webhooks/kling?tenant=7";
const URL_G = "https://old.example.net/hook";

const SUB = {
  pollA: `sub_${hex24("a1")}`,
  pollB: `sub_${hex24("b1")}`,
  doneA: `sub_${hex24("a2")}`,
  doneC: `sub_${hex24("c2")}`,
  doneD: `sub_${hex24("d2")}`,
  expG: `sub_${hex24("e3")}`,
  expE: `sub_${hex24("f3")}`,
  legF: `sub_${hex24("04")}`,
};
const MSG = {
  delivered: `msg_${hex24("1d")}`,
  pending: `msg_${hex24("2e")}`,
  cancelled: `msg_${hex24("3c")}`,
  failed: `msg_${hex24("4f")}`,
  retrying: `msg_${hex24("5a")}`,
  legacy: `msg_${hex24("6b")}`,
};
const finishedEventAt = NOW - 3 * HOUR + 52_004;
const legacyEventAt = NOW - 4 * HOUR + 1_234;
/** What a Worker from before 0004 stored and signed (and never sent yet): sent as it is. */
const legacyBody = `{"type":"task.succeeded","timestamp":"${iso(legacyEventAt)}","subscription_id":"${SUB.legF}","task_id":"${LEGACY}","metadata":{"order":98765432109876543210987,"note":"caf\u00e9 \u2713"},"reason":null,"data":${legacyData}}`;

/** The rows the relay of migrations 0000-0004 wrote, as its statements wrote them. */
function seedStatements(): D1PreparedStatement[] {
  const task = (cols: Record<string, string | number | null>) => {
    const names = Object.keys(cols);
    return env.DB.prepare(`INSERT INTO tasks (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).bind(
      ...Object.values(cols),
    );
  };
  const sub = (id: string, taskId: string, url: string, status: string, reason: string | null, createdAt: number, updatedAt: number) =>
    env.DB.prepare(
      "INSERT INTO subscriptions (id, task_id, callback_url, events, metadata, status, status_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(
      id,
      taskId,
      url,
      '["task.succeeded","task.failed","task.expired"]',
      id === SUB.doneC ? '{"user":12345678901234567890123,"f":1e400}' : null,
      status,
      reason,
      createdAt,
      updatedAt,
    );
  const msg = (cols: Record<string, string | number | null>) => {
    const names = Object.keys(cols);
    return env.DB.prepare(`INSERT INTO messages (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).bind(
      ...Object.values(cols),
    );
  };
  const attempt = (messageId: string, at: number, status: number | null, error: string | null, ms: number) =>
    env.DB.prepare("INSERT INTO delivery_attempts (message_id, attempted_at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)").bind(
      messageId,
      at,
      status,
      error,
      ms,
    );
  const hour = Math.floor(NOW / HOUR);
  return [
    task({
      task_id: POLLING,
      action: "videos",
      action2: "text2video",
      task_status: "processing",
      data: `{"task_id":"${POLLING}","task_status":"processing","task_status_msg":"","created_at":${NOW - 12 * MIN}}`,
      polls: 4,
      error_streak: 1,
      last_error: "upstream HTTP 502",
      upstream_created_at: NOW - 12 * MIN,
      last_polled_at: NOW - 2 * MIN,
      next_poll_at: NOW - 30_000,
      created_at: NOW - 10 * MIN,
      updated_at: NOW - 2 * MIN,
    }),
    task({
      task_id: FINISHED,
      action: "images",
      action2: "generations",
      task_status: "succeed",
      data: finishedData,
      polls: 7,
      upstream_created_at: NOW - 3 * HOUR,
      last_polled_at: finishedEventAt,
      last_event: "task.succeeded",
      last_event_at: finishedEventAt,
      finished_at: finishedEventAt,
      settled_at: finishedEventAt,
      created_at: NOW - 3 * HOUR + 800,
      updated_at: finishedEventAt,
    }),
    task({
      task_id: EXPIRED,
      action: "videos",
      action2: "image2video",
      task_status: "processing",
      data: expiredData,
      polls: 61,
      not_found_streak: 0,
      upstream_created_at: NOW - 27 * HOUR,
      last_polled_at: NOW - 3 * HOUR,
      last_event: "task.expired",
      last_event_at: NOW - 3 * HOUR,
      finish_reason: "max_age",
      finished_at: NOW - 3 * HOUR,
      settled_at: NOW - 3 * HOUR,
      created_at: NOW - 27 * HOUR + 2_000,
      updated_at: NOW - 3 * HOUR,
    }),
    task({
      task_id: LEGACY,
      action: "videos",
      action2: "text2video",
      task_status: "succeed",
      data: legacyData,
      polls: 9,
      upstream_created_at: NOW - 5 * HOUR,
      last_polled_at: legacyEventAt,
      last_event: "task.succeeded",
      last_event_at: legacyEventAt,
      finished_at: legacyEventAt,
      settled_at: legacyEventAt,
      created_at: NOW - 5 * HOUR + 300,
      updated_at: legacyEventAt,
    }),
    // One task with two URLs; hook A also serves the finished task: two tasks share one URL.
    sub(SUB.pollA, POLLING, hooks.a.url, "active", null, NOW - 10 * MIN, NOW - 10 * MIN),
    sub(SUB.pollB, POLLING, hooks.b.url, "active", null, NOW - 9 * MIN, NOW - 9 * MIN),
    sub(SUB.doneA, FINISHED, hooks.a.url, "delivered", null, NOW - 3 * HOUR + 800, finishedEventAt + 9_000),
    sub(SUB.doneC, FINISHED, hooks.c.url, "active", null, NOW - 3 * HOUR + 900, NOW - 3 * HOUR + 900),
    sub(SUB.doneD, FINISHED, URL_D, "cancelled", null, NOW - 3 * HOUR + 1_000, NOW - 3 * HOUR + 20_000),
    sub(SUB.expG, EXPIRED, URL_G, "failed", "gone", NOW - 27 * HOUR + 2_000, NOW - 3 * HOUR + 700),
    sub(SUB.expE, EXPIRED, URL_E, "active", null, NOW - 27 * HOUR + 2_100, NOW - 27 * HOUR + 2_100),
    sub(SUB.legF, LEGACY, hooks.f.url, "active", null, NOW - 5 * HOUR + 300, NOW - 5 * HOUR + 300),
    msg({
      id: MSG.delivered,
      subscription_id: SUB.doneA,
      event_type: "task.succeeded",
      event_at: finishedEventAt,
      data: finishedData,
      status: "delivered",
      attempts: 2,
      schedule_step: 1,
      last_status_code: 200,
      created_at: finishedEventAt,
      updated_at: finishedEventAt + 9_000,
      delivered_at: finishedEventAt + 9_000,
    }),
    attempt(MSG.delivered, finishedEventAt + 40, 500, "HTTP 500", 812),
    attempt(MSG.delivered, finishedEventAt + 9_000, 200, null, 143),
    msg({
      id: MSG.pending,
      subscription_id: SUB.doneC,
      event_type: "task.succeeded",
      event_at: finishedEventAt,
      metadata: '{"user":12345678901234567890123,"f":1e400}',
      data: finishedData,
      status: "pending",
      next_attempt_at: NOW - 20_000,
      created_at: NOW - 20_000,
      updated_at: NOW - 20_000,
    }),
    msg({
      id: MSG.cancelled,
      subscription_id: SUB.doneD,
      event_type: "task.succeeded",
      event_at: finishedEventAt,
      data: finishedData,
      status: "cancelled",
      created_at: finishedEventAt,
      updated_at: NOW - 3 * HOUR + 20_000,
    }),
    msg({
      id: MSG.failed,
      subscription_id: SUB.expG,
      event_type: "task.expired",
      event_at: NOW - 3 * HOUR,
      reason: "max_age",
      data: expiredData,
      status: "failed",
      attempts: 1,
      schedule_step: 1,
      last_status_code: 410,
      last_error: "HTTP 410",
      created_at: NOW - 3 * HOUR,
      updated_at: NOW - 3 * HOUR + 700,
    }),
    attempt(MSG.failed, NOW - 3 * HOUR + 650, 410, "HTTP 410", 97),
    msg({
      id: MSG.retrying,
      subscription_id: SUB.expE,
      event_type: "task.expired",
      event_at: NOW - 3 * HOUR,
      reason: "max_age",
      data: expiredData,
      status: "pending",
      attempts: 2,
      schedule_step: 2,
      next_attempt_at: NOW + 25 * MIN,
      last_status_code: 503,
      last_error: "HTTP 503",
      created_at: NOW - 3 * HOUR,
      updated_at: NOW - 5 * MIN,
    }),
    attempt(MSG.retrying, NOW - 3 * HOUR + 30, null, "timed out after 10000 ms", 10_004),
    attempt(MSG.retrying, NOW - 5 * MIN, 503, "HTTP 503", 55),
    // Written by a Worker still on the code before 0004 while the new one deployed: its body, no
    // facts (event_at keeps its default 0), never attempted yet.
    msg({
      id: MSG.legacy,
      subscription_id: SUB.legF,
      event_type: "task.succeeded",
      body: legacyBody,
      status: "pending",
      next_attempt_at: NOW - 10_000,
      created_at: NOW - 10_000,
      updated_at: NOW - 10_000,
    }),
    env.DB.prepare("INSERT INTO kind_stats (action, action2, samples, mean_log, var_log, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
      "videos",
      "text2video",
      12,
      11.523451234512345,
      0.0841,
      legacyEventAt,
    ),
    env.DB.prepare("INSERT INTO kind_stats (action, action2, samples, mean_log, var_log, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
      "images",
      "generations",
      40,
      9.87,
      0.3125,
      finishedEventAt,
    ),
    env.DB.prepare("INSERT INTO activity_hourly (hour, polls, upstream_errors, delivery_attempts, delivered) VALUES (?, ?, ?, ?, ?)").bind(
      hour - 3,
      118,
      3,
      9,
      7,
    ),
    env.DB.prepare("INSERT INTO activity_hourly (hour, polls, upstream_errors, delivery_attempts, delivered) VALUES (?, ?, ?, ?, ?)").bind(
      hour - 1,
      64,
      1,
      2,
      0,
    ),
  ];
}

type Snapshot = Record<string, string>[];

const columnsOf = async (table: string) =>
  (await env.DB.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").bind(table).all<{ name: string }>()).results.map(
    (c) => c.name,
  );

/** Every row of `table`, every column as SQLite's `quote()` writes it: type and bytes both compared. */
async function snapshot(table: string, orderBy: string): Promise<Snapshot> {
  const select = (await columnsOf(table)).map((c) => `quote("${c}") AS "${c}"`).join(", ");
  return (await env.DB.prepare(`SELECT ${select} FROM "${table}" ORDER BY ${orderBy}`).all<Record<string, string>>()).results;
}

const without = (row: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(Object.entries(row).filter(([k]) => !names.includes(k)));
const unquote = (quoted: string) => quoted.slice(1, -1).replaceAll("''", "'");

const migrationNumber = (name: string) => Number.parseInt(name, 10);

let before: Record<"tasks" | "subscriptions" | "messages" | "delivery_attempts" | "kind_stats" | "activity_hourly", Snapshot>;
let endpointRows: { id: string; tenant_id: string; url: string; secret: string; created_at: number; updated_at: number }[];

describe.skipIf(!env.MIGRATION_TEST)("migration 0005 on a database of the relay before tenants", () => {
  beforeAll(async () => {
    const migrations = env.TEST_MIGRATIONS;
    expect(migrations.map((m) => migrationNumber(m.name)).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    hooks = { a: await receiver(), b: await receiver(), c: await receiver(), f: await receiver() };

    await applyD1Migrations(
      env.DB,
      migrations.filter((m) => migrationNumber(m.name) <= 4),
    );
    await env.DB.batch(seedStatements());
    before = {
      tasks: await snapshot("tasks", "task_id"),
      subscriptions: await snapshot("subscriptions", "id"),
      messages: await snapshot("messages", "id"),
      delivery_attempts: await snapshot("delivery_attempts", "id"),
      kind_stats: await snapshot("kind_stats", "action, action2"),
      activity_hourly: await snapshot("activity_hourly", "hour"),
    };
    expect(before.tasks).toHaveLength(4);
    expect(before.subscriptions).toHaveLength(8);
    expect(before.messages).toHaveLength(6);

    await applyD1Migrations(
      env.DB,
      migrations.filter((m) => migrationNumber(m.name) <= 5),
    );
    endpointRows = (await env.DB.prepare("SELECT id, tenant_id, url, secret, created_at, updated_at FROM endpoints").all<any>()).results;
  });

  it("gives every task and subscription to the default tenant, under keys of their own", async () => {
    expect((await env.DB.prepare("SELECT id, name FROM tenants").all()).results).toEqual([{ id: "default", name: "default" }]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first())?.n).toBe(0);

    const tasks = await snapshot("tasks", "task_id");
    expect(tasks.map((t) => t.tenant_id)).toEqual(tasks.map(() => "'default'"));
    const keys = tasks.map((t) => unquote(t.id!));
    for (const key of keys) expect(key).toMatch(/^tsk_[0-9a-f]{24}$/);
    expect(new Set(keys).size).toBe(keys.length);
    // Every other column as it was, byte for byte and type for type (data's big numbers too).
    expect(tasks.map((t) => without(t, "id", "tenant_id"))).toEqual(before.tasks);
    expect(tasks.find((t) => t.task_id === `'${FINISHED}'`)?.data).toBe(`'${finishedData}'`);

    const subscriptions = await snapshot("subscriptions", "id");
    const keyOf = new Map(tasks.map((t) => [t.task_id, t.id]));
    expect(subscriptions.map((s) => s.tenant_id)).toEqual(subscriptions.map(() => "'default'"));
    expect(subscriptions.map((s) => s.task_key)).toEqual(before.subscriptions.map((s) => keyOf.get(s.task_id!)));
    expect(subscriptions.map((s) => without(s, "tenant_id", "task_key", "endpoint_id"))).toEqual(
      before.subscriptions.map((s) => without(s, "task_id")),
    );
  });

  it("makes one endpoint per callback URL, each with a secret of 32 random bytes of its own", async () => {
    const urls = [...new Set(before.subscriptions.map((s) => unquote(s.callback_url!)))].sort();
    expect(urls).toHaveLength(7);
    expect(endpointRows.map((e) => e.url).sort()).toEqual(urls);
    for (const e of endpointRows) {
      expect(e.id).toMatch(/^ep_[0-9a-f]{24}$/);
      expect(e.tenant_id).toBe("default");
      // Created when its URL was first registered.
      const first = Math.min(...before.subscriptions.filter((s) => unquote(s.callback_url!) === e.url).map((s) => Number(s.created_at)));
      expect([e.created_at, e.updated_at]).toEqual([first, first]);
      expect(e.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const bytes = Uint8Array.from(atob(e.secret.slice("whsec_".length)), (c) => c.charCodeAt(0));
      expect(bytes).toHaveLength(32);
      // Canonical base64: encoding the bytes again gives the same text (no stray bits in the last character).
      expect(`whsec_${btoa(String.fromCharCode(...bytes))}`).toBe(e.secret);
    }
    expect(new Set(endpointRows.map((e) => e.id)).size).toBe(endpointRows.length);
    expect(new Set(endpointRows.map((e) => e.secret)).size).toBe(endpointRows.length);
    expect(endpointRows.map((e) => e.secret)).not.toContain(OLD_SECRET);

    const links = (
      await env.DB.prepare(
        "SELECT s.callback_url, s.endpoint_id, e.url FROM subscriptions s LEFT JOIN endpoints e ON e.id = s.endpoint_id",
      ).all<any>()
    ).results;
    expect(links).toHaveLength(8);
    for (const link of links) expect(link.url).toBe(link.callback_url);
    const endpointOf = new Map(links.map((l) => [l.callback_url, l.endpoint_id]));
    expect(endpointOf.size).toBe(7);
  });

  it("leaves messages, delivery attempts, kind_stats and activity_hourly exactly as they were", async () => {
    expect(await snapshot("messages", "id")).toEqual(before.messages);
    expect(await snapshot("delivery_attempts", "id")).toEqual(before.delivery_attempts);
    expect(await snapshot("kind_stats", "action, action2")).toEqual(before.kind_stats);
    expect(await snapshot("activity_hourly", "hour")).toEqual(before.activity_hourly);
    expect(before.messages.find((m) => m.id === `'${MSG.legacy}'`)).toMatchObject({ body: `'${legacyBody}'`, event_at: "0", data: "NULL" });
  });

  it("has, with the later migrations applied too, the tables, columns and indexes that src/storage/schema.ts declares", async () => {
    // schema.ts is the schema after every migration; a deployment applies them all before the new
    // Worker runs.
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    const dialect = new SQLiteSyncDialect();
    const tables = Object.values(schema).flatMap((v) => (is(v, SQLiteTable) ? [v as SQLiteTable] : []));
    const declared = tables.map((t) => getTableConfig(t));
    const stored = (
      await env.DB.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name",
      ).all<{ name: string }>()
    ).results.map((t) => t.name);
    expect(stored).toEqual(declared.map((t) => t.name).sort());

    for (const table of declared) {
      const columns = (
        await env.DB.prepare('SELECT name, lower(type) AS type, "notnull", pk FROM pragma_table_info(?) ORDER BY name')
          .bind(table.name)
          .all<{ name: string; type: string; notnull: number; pk: number }>()
      ).results.map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1 || c.pk > 0, primary: c.pk > 0 }));
      const compositeKey = table.primaryKeys.flatMap((k) => k.columns.map((c) => c.name));
      const expected = table.columns
        .map((c) => ({
          name: c.name,
          type: c.getSQLType().toLowerCase(),
          notNull: c.notNull || c.primary || compositeKey.includes(c.name),
          primary: c.primary || compositeKey.includes(c.name),
        }))
        .sort((x, y) => x.name.localeCompare(y.name));
      expect(columns, table.name).toEqual(expected);

      const indexes = (
        await env.DB.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name")
          .bind(table.name)
          .all<{ name: string; sql: string }>()
      ).results;
      const actual = [];
      for (const index of indexes) {
        const cols = (
          await env.DB.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").bind(index.name).all<{ name: string }>()
        ).results.map((c) => c.name ?? "<expression>");
        const where = index.sql.match(/ WHERE (.+)$/s)?.[1] ?? null;
        actual.push({ name: index.name, unique: /^CREATE UNIQUE INDEX/i.test(index.sql), columns: cols, where });
      }
      const wanted = table.indexes
        .map((i) => ({
          name: i.config.name,
          unique: i.config.unique,
          columns: i.config.columns.map((c) => (is(c, SQL) ? "<expression>" : (c as { name: string }).name)),
          where: i.config.where ? dialect.sqlToQuery(i.config.where).sql : null,
        }))
        .sort((x, y) => x.name.localeCompare(y.name));
      expect(actual, table.name).toEqual(wanted);
      // An expression is used by a query only when spelled as the index spells it: the migration's
      // text must be the schema's (a query writes the schema's).
      for (const i of table.indexes)
        for (const c of i.config.columns)
          if (is(c, SQL)) expect(indexes.find((x) => x.name === i.config.name)?.sql, i.config.name).toContain(dialect.sqlToQuery(c).sql);
    }
    // The ones 0005 made or remade, by name (the loop above would pass on an empty schema.ts too),
    // but those 0019 dropped (tasks_settled, tasks_tenant_created, subscriptions_delivered).
    const names = (await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all<{ name: string }>()).results.map(
      (i) => i.name,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        "api_keys_hash",
        "api_keys_tenant",
        "endpoints_tenant_url",
        "endpoints_tenant_created",
        "tasks_tenant_provider_task",
        "tasks_due_batch",
        "tasks_due_single",
        "tasks_created",
        "tasks_kind_created",
        "subscriptions_task_callback",
        "subscriptions_endpoint",
        "subscriptions_active",
        "subscriptions_failed",
        "messages_subscription_event",
        "messages_due",
        "delivery_attempts_message",
      ]),
    );
    for (const dropped of ["tasks_settled", "tasks_tenant_created", "subscriptions_delivered"]) expect(names).not.toContain(dropped);
    // The triggers 0013 and 0014 made for the Worker before them are gone with 0020: their presence
    // made every update of a message read its rows twice.
    const triggers = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all<{ name: string }>();
    expect(triggers.results).toEqual([]);
  });

  it("serves the old rows to RELAY_API_KEYS, and its cron delivers the old messages signed with WEBHOOK_SECRETS and each endpoint's secret", async () => {
    // Any later migration too, as a deployment would apply them before the new Worker runs.
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    const endpointId = (url: string) => endpointRows.find((e) => e.url === url)!.id;

    for (const key of [KEY_ONE, KEY_TWO]) {
      const res = await exports.default.fetch(
        new Request(`http://relay.test/v1/tasks/${FINISHED}`, { headers: { authorization: `Bearer ${key}` } }),
      );
      expect(res.status).toBe(200);
      const view = (await res.json()) as Record<string, any>;
      expect(view).toMatchObject({
        task_id: FINISHED,
        action: "images",
        action2: "generations",
        task_status: "succeed",
        polls: 7,
        next_poll_at: null,
        finished_at: iso(finishedEventAt),
        data: { task_id: FINISHED, task_status: "succeed" },
      });
      const subs = Object.fromEntries((view.subscriptions as any[]).map((s) => [s.id, s]));
      expect(Object.keys(subs).sort()).toEqual([SUB.doneA, SUB.doneC, SUB.doneD].sort());
      expect(subs[SUB.doneA]).toMatchObject({ endpoint_id: endpointId(hooks.a.url), callback_url: hooks.a.url, status: "delivered" });
      expect(subs[SUB.doneC]).toMatchObject({ endpoint_id: endpointId(hooks.c.url), status: "active" });
      expect(subs[SUB.doneD]).toMatchObject({ endpoint_id: endpointId(URL_D), status: "cancelled" });
      expect(subs[SUB.doneA].deliveries).toEqual([
        expect.objectContaining({
          webhook_id: MSG.delivered,
          status: "delivered",
          attempt_count: 2,
          attempts: [
            expect.objectContaining({ status_code: 500, error: "HTTP 500", duration_ms: 812 }),
            expect.objectContaining({ status_code: 200, error: null, duration_ms: 143 }),
          ],
        }),
      ]);
    }
    const failed = (await (
      await exports.default.fetch(
        new Request(`http://relay.test/v1/subscriptions/${SUB.expG}`, { headers: { authorization: `Bearer ${KEY_ONE}` } }),
      )
    ).json()) as Record<string, any>;
    expect(failed).toMatchObject({ task_id: EXPIRED, endpoint_id: endpointId(URL_G), status: "failed", status_reason: "gone" });

    // The task still polling finishes upstream on the cron's next poll.
    const upstream = await upstreamTask([{ http: 200, body: `{"code":0,"message":"SUCCEED","data":${pollingNow}}` }], { id: POLLING });

    // The Worker's own cron handler; its tick would linger 58 s for work falling due: 3 s here.
    const cronEnv = { ...env, TICK_WALL_BUDGET_SECONDS: "3" };
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), cronEnv);
    expect(await upstream.polls()).toBe(1);

    // The endpoints' own secrets, as their tenant reads them: GET /v1/endpoints/{id}/secret.
    const secretOf = async (url: string) => {
      const row = endpointRows.find((e) => e.url === url)!;
      const res = await exports.default.fetch(
        new Request(`http://relay.test/v1/endpoints/${row.id}/secret`, { headers: { authorization: `Bearer ${KEY_ONE}` } }),
      );
      expect(res.status).toBe(200);
      const { key } = (await res.json()) as { key: string };
      expect(key).toBe(row.secret);
      return key;
    };
    const verified = async (hook: { url: string; deliveries(): Promise<{ headers: Record<string, string>; body: string }[]> }) => {
      const deliveries = await hook.deliveries();
      expect(deliveries, hook.url).toHaveLength(1);
      const [d] = deliveries;
      const own = await secretOf(hook.url);
      expect(new Webhook(OLD_SECRET).verify(d!.body, d!.headers)).toBeTruthy();
      expect(new Webhook(own).verify(d!.body, d!.headers)).toBeTruthy();
      // A secret of another endpoint does not verify it.
      const other = endpointRows.find((e) => e.url !== hook.url)!.secret;
      expect(() => new Webhook(other).verify(d!.body, d!.headers)).toThrow();
      return d!;
    };

    // The message written before 0005 (facts, never attempted).
    const pending = await verified(hooks.c);
    expect(pending.headers["webhook-id"]).toBe(MSG.pending);
    // Built as bodies are now (migration 0006 added provider, outputs and failure_message).
    expect(pending.body).toBe(
      `{"type":"task.succeeded","timestamp":"${iso(finishedEventAt)}","subscription_id":"${SUB.doneC}","provider":"cometapi","task_id":"${FINISHED}","metadata":{"user":12345678901234567890123,"f":1e400},"reason":null,"outputs":${outputsJson(finishedData, true)},"failure_message":null,"data":${finishedData}}`,
    );
    // The message of a Worker from before 0004: its stored bytes.
    const legacy = await verified(hooks.f);
    expect(legacy.headers["webhook-id"]).toBe(MSG.legacy);
    expect(legacy.body).toBe(legacyBody);
    // The task that was polling: one new message per URL, through the endpoints 0005 made.
    for (const [hook, sub] of [
      [hooks.a, SUB.pollA],
      [hooks.b, SUB.pollB],
    ] as const) {
      const d = await verified(hook);
      expect(d.body).toBe(
        `{"type":"task.succeeded","timestamp":"${JSON.parse(d.body).timestamp}","subscription_id":"${sub}","provider":"cometapi","task_id":"${POLLING}","metadata":null,"reason":null,"outputs":${outputsJson(pollingNow, true)},"failure_message":null,"data":${pollingNow}}`,
      );
    }

    const after = (
      await env.DB.prepare("SELECT id, status, attempts, delivered_at IS NOT NULL AS delivered FROM messages ORDER BY id").all<any>()
    ).results;
    expect(Object.fromEntries(after.map((m) => [m.id, [m.status, m.attempts, m.delivered]]))).toMatchObject({
      [MSG.pending]: ["delivered", 1, 1],
      [MSG.legacy]: ["delivered", 1, 1],
      [MSG.retrying]: ["pending", 2, 0],
      [MSG.delivered]: ["delivered", 2, 1],
      [MSG.failed]: ["failed", 1, 0],
      [MSG.cancelled]: ["cancelled", 0, 0],
    });
    expect(after).toHaveLength(8);
    const subs = (await env.DB.prepare("SELECT id, status FROM subscriptions ORDER BY id").all<{ id: string; status: string }>()).results;
    expect(Object.fromEntries(subs.map((s) => [s.id, s.status]))).toEqual({
      [SUB.pollA]: "delivered",
      [SUB.pollB]: "delivered",
      [SUB.doneA]: "delivered",
      [SUB.doneC]: "delivered",
      [SUB.doneD]: "cancelled",
      [SUB.expG]: "failed",
      [SUB.expE]: "active",
      [SUB.legF]: "delivered",
    });

    // Registering again finds the old task and subscription; a new task on an old URL gets the
    // endpoint 0005 made for that URL.
    const registerAs = async (taskId: string, url: string) => {
      const res = await exports.default.fetch(
        new Request("http://relay.test/v1/tasks", {
          method: "POST",
          headers: { authorization: `Bearer ${KEY_TWO}`, "content-type": "application/json" },
          body: JSON.stringify({ task_id: taskId, action: "videos", action2: "text2video", callback_url: url }),
        }),
      );
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    expect(await registerAs(LEGACY, hooks.f.url)).toMatchObject({
      status: 200,
      body: { id: SUB.legF, endpoint_id: endpointId(hooks.f.url), status: "delivered" },
    });
    const fresh = await registerAs("821200000000000001", hooks.a.url);
    expect(fresh).toMatchObject({ status: 201, body: { endpoint_id: endpointId(hooks.a.url), status: "active" } });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM endpoints").first())?.n).toBe(7);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE tenant_id = 'default'").first())?.n).toBe(5);
  });
});

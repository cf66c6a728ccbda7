/**
 * The body built by domain/webhook-body.ts from a message's stored facts against the body the
 * relay used to build in SQL (json_object, before migration 0004): the same bytes; and migration
 * 0004 against the messages it finds: every one is sent with the bytes it had.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { failureMessage, outputsJson } from "../src/domain/task-outputs";
import { type WebhookFacts, webhookBody } from "../src/domain/webhook-body";
import { messageBody, type StoredBody } from "../src/storage/message-body";

/** The body exactly as storage/fan-out.ts built it in SQL before migration 0004. */
const LEGACY_BODY = `json_object(
  'type', ?1,
  'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ?2 / 1000.0, 'unixepoch'),
  'subscription_id', ?3,
  'task_id', ?4,
  'metadata', json(?5),
  'reason', ?6,
  'data', json(?7))`;

const legacyParams = (f: WebhookFacts) => [f.type, f.timestamp, f.subscriptionId, f.taskId, f.metadataJson, f.reason, f.dataJson];

const KLING_DATA =
  '{"task_id":"878106242831892487","task_status":"succeed","task_status_msg":"","task_result":{"videos":[{"id":"v1","url":"https://cdn.example/v.mp4?a=1&b=2","duration":"5.1"}]},"final_unit_deduction":0.1000000000000000000001,"created_at":1777385361501,"updated_at":1777385363321}';
const CASES: WebhookFacts[] = [
  {
    type: "task.succeeded",
    timestamp: 1_781_080_794_935,
    subscriptionId: "sub_6f1c0d2e9a8b4c7d5e3f1a2b",
    provider: "cometapi",
    taskId: "878106242831892487",
    metadataJson: '{"user":42}',
    reason: null,
    dataJson: KLING_DATA,
  },
  {
    type: "task.processing",
    timestamp: 1_781_080_794_001,
    subscriptionId: "sub_1",
    provider: "cometapi",
    taskId: "T-1_x",
    metadataJson: null,
    reason: null,
    dataJson: '{"task_status":"processing"}',
  },
  {
    type: "task.expired",
    timestamp: Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    subscriptionId: "sub_2",
    provider: "cometapi",
    taskId: "T2",
    metadataJson: '{"user":12345678901234567890123,"f":1e400,"g":-1.5E+10,"h":0.1}',
    reason: "max_age",
    dataJson: null,
  },
  {
    type: "task.expired",
    timestamp: 1_700_000_000_000,
    subscriptionId: "sub_3",
    provider: "cometapi",
    taskId: "T3",
    metadataJson: '{"s":"é🚀\\u0000\\n\\"/\\\\","a":[1,{"b":null},[]],"__proto__":{"x":true},"e":{}}',
    reason: "not_found",
    dataJson: null,
  },
  {
    type: "task.failed",
    timestamp: 1_781_080_794_500,
    subscriptionId: "sub_4",
    provider: "cometapi",
    taskId: "T4",
    metadataJson: "{}",
    reason: null,
    dataJson: '{"task_status":"failed","task_status_msg":"Content \\"risk\\" ⚠"}',
  },
];

/**
 * A body from before providers (migration 0006) as the relay builds it now: every byte it had, with
 * `provider` before `task_id` and `outputs` and `failure_message` between `reason` and `data`.
 */
const withProviderFields = (legacy: string, f: WebhookFacts) =>
  legacy
    .replace('"task_id":', `"provider":${JSON.stringify(f.provider)},"task_id":`)
    .replace(
      `"reason":${JSON.stringify(f.reason)},"data":`,
      `"reason":${JSON.stringify(f.reason)},"outputs":${outputsJson(f.dataJson, f.type === "task.succeeded")},` +
        `"failure_message":${JSON.stringify(f.type === "task.failed" ? failureMessage(f.dataJson) : null)},"data":`,
    );

describe("the webhook body built from a message's facts", () => {
  it("keeps every byte of the body the relay built in SQL before, with provider, outputs and failure_message added", async () => {
    for (const facts of CASES) {
      const legacy = await env.DB.prepare(`SELECT ${LEGACY_BODY} AS body`)
        .bind(...legacyParams(facts))
        .first<{ body: string }>();
      const body = webhookBody(facts);
      expect(body, facts.subscriptionId).toBe(withProviderFields(legacy!.body, facts));
      expect(body).not.toBe(legacy!.body);
    }
  });
});

describe("migration 0004 (webhook_facts)", () => {
  it("keeps the bytes of every message it finds, and the body itself of those attempted", async () => {
    const [init] = env.TEST_MIGRATIONS;
    const facts = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0004_"));
    expect(facts).toBeDefined();
    // The messages table as it was before 0004 (0000 made it; nothing changed it since).
    const legacyTable = init!.queries.filter((q) => /CREATE TABLE `messages`|CREATE (UNIQUE )?INDEX `\w+` ON `messages`/.test(q));
    expect(legacyTable).toHaveLength(3);
    // The view over it (migration 0018) would not compile against the old table: it goes too.
    await env.DB.batch([
      env.DB.prepare("DROP VIEW message_attempts"),
      env.DB.prepare("DROP TABLE messages"),
      ...legacyTable.map((q) => env.DB.prepare(q)),
    ]);

    // Each case twice: never attempted, and attempted (or being attempted) by then.
    const rows = CASES.flatMap((f, i) => [
      { id: `msg_new${i}`, f, attempts: 0, lease: null },
      {
        id: `msg_tried${i}`,
        f: { ...f, subscriptionId: `${f.subscriptionId}_b` },
        attempts: i % 2 === 0 ? 1 : 0,
        lease: i % 2 === 0 ? null : "lease-1",
      },
    ]);
    await env.DB.batch(
      rows.map(({ id, f, attempts, lease }) =>
        env.DB.prepare(`INSERT INTO messages (id, subscription_id, event_type, body, status, attempts, lease_token, next_attempt_at, created_at, updated_at)
          SELECT ?8, ?3, ?1, ${LEGACY_BODY}, 'pending', ?9, ?10, 1, 1, 1`).bind(...legacyParams(f), id, attempts, lease),
      ),
    );
    const before = new Map(
      (await env.DB.prepare("SELECT id, body FROM messages").all<{ id: string; body: string }>()).results.map((r) => [r.id, r.body]),
    );

    await env.DB.batch(facts!.queries.map((q) => env.DB.prepare(q)));

    for (const { id, f, attempts, lease } of rows) {
      const row = (await env.DB.prepare("SELECT *, ?2 AS task_id, 'cometapi' AS provider FROM messages WHERE id = ?1")
        .bind(id, f.taskId)
        .first<StoredBody>())!;
      // An attempted message keeps its bytes; one never attempted is built as bodies are now.
      const sent = attempts > 0 || lease !== null ? before.get(id) : withProviderFields(before.get(id)!, f);
      expect(messageBody(row), id).toBe(sent);
      expect(
        webhookBody({
          ...f,
          timestamp: row.event_at,
          metadataJson: row.metadata,
          reason: row.reason as WebhookFacts["reason"],
          dataJson: row.data,
        }),
        id,
      ).toBe(withProviderFields(before.get(id)!, f));
      expect(row, id).toMatchObject({ event_at: f.timestamp, metadata: f.metadataJson, reason: f.reason, data: f.dataJson });
      expect(row.body, id).toBe(attempts > 0 || lease !== null ? before.get(id) : null);
    }
    const indexes = (
      await env.DB.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name",
      ).all<{ name: string }>()
    ).results;
    expect(indexes.map((i) => i.name)).toEqual(["messages_due", "messages_subscription_event"]);
  });
});

describe("a Worker still on the code before migration 0004", () => {
  it("can insert a message the old way (a body, no facts) while the new code deploys, and it is sent with that body", async () => {
    const body =
      '{"type":"task.succeeded","timestamp":"2026-11-24T05:07:00.123Z","subscription_id":"sub_old","task_id":"T","metadata":null,"reason":null,"data":null}';
    await env.DB.prepare(
      `INSERT INTO messages (id, subscription_id, event_type, body, status, attempts, schedule_step, next_attempt_at, created_at, updated_at)
       VALUES ('msg_old_code', 'sub_old', 'task.succeeded', ?1, 'pending', 0, 0, 1, 1, 1)`,
    )
      .bind(body)
      .run();
    const row = await env.DB.prepare(
      "SELECT subscription_id, 'T' AS task_id, event_type, event_at, metadata, reason, data, body FROM messages WHERE id = 'msg_old_code'",
    ).first<StoredBody>();
    expect(row!.event_at).toBe(0);
    expect(messageBody(row!)).toBe(body);
  });
});

/**
 * The webhook body is built by one pure function; every body it builds must be valid against the
 * one schema /openapi.json publishes for webhooks, and keep the JSON texts it splices byte for byte.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebhookEventSchema } from "../../src/api-kit/api-schemas";
import { EVENT_TYPES, FINISH_REASONS } from "../../src/domain/kling";
import { type WebhookFacts, webhookBody } from "../../src/domain/webhook-body";
import { exactMemberText } from "../../src/lib/exact-json";

/** A JSON object as the relay stores one: minified text, numbers as written (see exact-json.ts). */
const objectText = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
  fc.constantFrom(
    '{"big":12345678901234567890123,"f":1e400,"tiny":1E-400,"neg":-0.0}',
    '{"__proto__":{"x":1},"s":"\\u0000\\"\\\\/é🚀"}',
    "{}",
  ),
);
const facts: fc.Arbitrary<WebhookFacts> = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  // Years 1970 to 9999: toISOString's plain form.
  timestamp: fc.integer({ min: 0, max: 253_402_300_799_999 }),
  subscriptionId: fc.string(),
  provider: fc.constantFrom("cometapi", "kling"),
  taskId: fc.string(),
  metadataJson: fc.option(objectText),
  reason: fc.option(fc.constantFrom(...FINISH_REASONS)),
  dataJson: fc.option(objectText),
});

describe("webhookBody", () => {
  it("builds the documented body, key by key in order", () => {
    const body = webhookBody({
      type: "task.expired",
      timestamp: 1_781_080_794_935,
      subscriptionId: "sub_6f1c0d2e9a8b4c7d5e3f1a2b",
      provider: "cometapi",
      taskId: "878106242831892487",
      metadataJson: '{"user":12345678901234567890123}',
      reason: "max_age",
      dataJson: '{"task_id":"878106242831892487","task_status":"processing","n":1e400}',
    });
    expect(body).toBe(
      '{"type":"task.expired","timestamp":"2026-06-10T08:39:54.935Z","subscription_id":"sub_6f1c0d2e9a8b4c7d5e3f1a2b","provider":"cometapi","task_id":"878106242831892487",' +
        '"metadata":{"user":12345678901234567890123},"reason":"max_age","outputs":[],"failure_message":null,"data":{"task_id":"878106242831892487","task_status":"processing","n":1e400}}',
    );
  });

  it("writes null for absent metadata, reason and data", () => {
    const body = webhookBody({
      type: "task.succeeded",
      timestamp: 0,
      subscriptionId: "sub_1",
      provider: "cometapi",
      taskId: "T",
      metadataJson: null,
      reason: null,
      dataJson: null,
    });
    expect(body).toBe(
      '{"type":"task.succeeded","timestamp":"1970-01-01T00:00:00.000Z","subscription_id":"sub_1","provider":"cometapi","task_id":"T","metadata":null,"reason":null,"outputs":[],"failure_message":null,"data":null}',
    );
  });

  it("builds only bodies valid against the published WebhookEvent schema, with the facts it was given", () => {
    fc.assert(
      fc.property(facts, (f) => {
        const body = webhookBody(f);
        const parsed: unknown = JSON.parse(body);
        expect(WebhookEventSchema.safeParse(parsed).error).toBeUndefined();
        expect(Object.keys(parsed as object)).toEqual([
          "type",
          "timestamp",
          "subscription_id",
          "provider",
          "task_id",
          "metadata",
          "reason",
          "outputs",
          "failure_message",
          "data",
        ]);
        expect(parsed).toMatchObject({
          type: f.type,
          subscription_id: f.subscriptionId,
          provider: f.provider,
          task_id: f.taskId,
          reason: f.reason,
        });
        // Results only once the task succeeded; a reason only when it failed.
        if (f.type !== "task.succeeded") expect((parsed as { outputs: unknown[] }).outputs).toEqual([]);
        if (f.type !== "task.failed") expect((parsed as { failure_message: unknown }).failure_message).toBeNull();
        expect(Date.parse((parsed as { timestamp: string }).timestamp)).toBe(f.timestamp);
        // The JSON texts come out exactly as they went in: every number as written.
        expect(exactMemberText(body, "metadata")).toBe(f.metadataJson ?? "null");
        expect(exactMemberText(body, "data")).toBe(f.dataJson ?? "null");
      }),
      { numRuns: 500 },
    );
  });
});

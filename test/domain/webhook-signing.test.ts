import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { isWebhookSecret } from "../../src/domain/webhook-secret";
import { signWebhook } from "../../src/webhooks/sign";

const VECTOR = {
  secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
  id: "9876543210",
  timestamp: 1781080794,
  body: '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}',
  signature: "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=",
};
const SECOND = `whsec_${btoa("another-32-byte-secret-for-tests")}`;
const STRANGER = `whsec_${btoa("a secret nobody signed with here")}`;
const BODY = JSON.stringify({ type: "task.succeeded", timestamp: "2026-06-01T12:00:00Z", data: { task_id: "42", task_status: "succeed" } });

const headers = (id: string, timestamp: number, signature: string) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature,
});

describe("signWebhook", () => {
  it("reproduces The published test vector", async () => {
    expect(await signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("agrees with the standardwebhooks package's own signer", async () => {
    const theirs = new Webhook(SECOND).sign("msg_abc", new Date(VECTOR.timestamp * 1000), BODY);
    expect(await signWebhook([SECOND], "msg_abc", VECTOR.timestamp, BODY)).toBe(theirs);
  });

  it("depends on the id, the timestamp and the body", async () => {
    const base = await signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect(await signWebhook([VECTOR.secret], "9876543211", VECTOR.timestamp, VECTOR.body)).not.toBe(base);
    expect(await signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp + 1, VECTOR.body)).not.toBe(base);
    expect(await signWebhook([VECTOR.secret], VECTOR.id, VECTOR.timestamp, `${VECTOR.body} `)).not.toBe(base);
  });

  it("signs with each secret during a rotation, in order", async () => {
    const header = await signWebhook([VECTOR.secret, SECOND], VECTOR.id, VECTOR.timestamp, VECTOR.body);
    const entries = header.split(" ");
    expect(entries).toHaveLength(2);
    for (const entry of entries) expect(entry).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(entries[0]).toBe(VECTOR.signature);
    expect(entries[1]).toBe(await signWebhook([SECOND], VECTOR.id, VECTOR.timestamp, VECTOR.body));
  });
});

describe("signWebhook verified by the standardwebhooks package", () => {
  it.each([
    ["the first secret", VECTOR.secret],
    ["the second secret", SECOND],
  ])("a two-secret header verifies with %s alone", async (_name, secret) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signWebhook([VECTOR.secret, SECOND], "msg_rotation", timestamp, BODY);
    const payload = new Webhook(secret).verify(BODY, headers("msg_rotation", timestamp, signature));
    expect(payload).toEqual(JSON.parse(BODY));
  });

  it("a changed body byte fails verification", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signWebhook([VECTOR.secret, SECOND], "msg_1", timestamp, BODY);
    const tampered = BODY.replace('"42"', '"43"');
    expect(tampered).not.toBe(BODY);
    expect(tampered).toHaveLength(BODY.length);
    for (const secret of [VECTOR.secret, SECOND]) {
      expect(() => new Webhook(secret).verify(tampered, headers("msg_1", timestamp, signature))).toThrow();
    }
    // Control: the untouched body verifies with the same headers.
    expect(() => new Webhook(VECTOR.secret).verify(BODY, headers("msg_1", timestamp, signature))).not.toThrow();
  });

  it("a wrong secret fails verification", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signWebhook([VECTOR.secret, SECOND], "msg_2", timestamp, BODY);
    expect(() => new Webhook(STRANGER).verify(BODY, headers("msg_2", timestamp, signature))).toThrow();
  });

  it("a changed id fails verification", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signWebhook([VECTOR.secret], "msg_3", timestamp, BODY);
    expect(() => new Webhook(VECTOR.secret).verify(BODY, headers("msg_4", timestamp, signature))).toThrow();
  });
});

describe("isWebhookSecret", () => {
  it.each([VECTOR.secret, SECOND, `whsec_${btoa("k")}`, "whsec_c2VjcmV0"])("accepts %s", (secret) => {
    expect(isWebhookSecret(secret)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["no prefix", "dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="],
    ["prefix only", "whsec_"],
    ["upper-case prefix", "WHSEC_dGVzdHNlY3JldA=="],
    ["other prefix", "sk_dGVzdHNlY3JldA=="],
    ["not base64", "whsec_***not-base64***"],
    ["impossible base64 length", "whsec_a"],
    ["prefix without underscore", "whsecdGVzdHNlY3JldA=="],
  ])("refuses %s", (_name, secret) => {
    expect(isWebhookSecret(secret)).toBe(false);
  });
});

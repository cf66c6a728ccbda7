import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { isSigningKey, isWebhookSecret, newSigningKeyPair, newWebhookSecret } from "../../src/domain/webhook-secret";
import { signWebhook } from "../../src/webhooks/sign";

const VECTOR = {
  secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
  id: "9876543210",
  timestamp: 1781080794,
  body: '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}',
  signature: "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=",
};
/**
 * The known answer of the Standard Webhooks reference Go library for `v1a`
 * (libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign): its key is a 32-byte seed.
 */
const ED25519_VECTOR = {
  secretKey: "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
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

const bytesOf = (key: string) => Uint8Array.from(atob(key.slice(key.indexOf("_") + 1)), (c) => c.charCodeAt(0));

async function ed25519Verifies(publicKey: string, entry: string, content: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", bytesOf(publicKey), { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify("Ed25519", key, bytesOf(entry.replace(",", "_")), new TextEncoder().encode(content));
}

describe("signWebhook with an Ed25519 key (v1a)", () => {
  it("reproduces the reference library's known answer", async () => {
    expect(await signWebhook([ED25519_VECTOR.secretKey], ED25519_VECTOR.id, ED25519_VECTOR.timestamp, ED25519_VECTOR.body)).toBe(
      ED25519_VECTOR.signature,
    );
  });

  it("signs with a fresh pair's secret key, and the signature verifies with its public key only", async () => {
    const pair = await newSigningKeyPair();
    const other = await newSigningKeyPair();
    const entry = await signWebhook([pair.secretKey], "msg_kp", VECTOR.timestamp, BODY);
    expect(entry).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const content = `msg_kp.${VECTOR.timestamp}.${BODY}`;
    expect(await ed25519Verifies(pair.publicKey, entry, content)).toBe(true);
    expect(await ed25519Verifies(other.publicKey, entry, content)).toBe(false);
    expect(await ed25519Verifies(pair.publicKey, entry, content.replace('"42"', '"43"'))).toBe(false);
  });

  it("mixes v1 and v1a entries in the order of the keys", async () => {
    const pair = await newSigningKeyPair();
    const header = await signWebhook([VECTOR.secret, pair.secretKey, SECOND], VECTOR.id, VECTOR.timestamp, VECTOR.body);
    const [hmac, ed25519, hmac2] = header.split(" ");
    expect(hmac).toBe(VECTOR.signature);
    expect(ed25519).toBe(await signWebhook([pair.secretKey], VECTOR.id, VECTOR.timestamp, VECTOR.body));
    expect(ed25519).toMatch(/^v1a,/);
    expect(hmac2).toBe(await signWebhook([SECOND], VECTOR.id, VECTOR.timestamp, VECTOR.body));
    expect(header.split(" ")).toHaveLength(3);
  });

  it.each([
    ["a 64-byte seed+public key", `whsk_${btoa("k".repeat(64))}`],
    ["a 31-byte key", `whsk_${btoa("k".repeat(31))}`],
    ["not base64", "whsk_***"],
  ])("refuses %s", async (_name, key) => {
    await expect(signWebhook([key], "msg_1", VECTOR.timestamp, BODY)).rejects.toThrow(/whsk_/);
  });
});

describe("new keys", () => {
  it("newWebhookSecret makes distinct whsec_ secrets of 32 random bytes", () => {
    const secrets = new Set(Array.from({ length: 20 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(isWebhookSecret(secret)).toBe(true);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(bytesOf(secret)).toHaveLength(32);
    }
  });

  it("newSigningKeyPair makes distinct whsk_ (32-byte seed) and whpk_ (32-byte public key) pairs", async () => {
    const [a, b] = await Promise.all([newSigningKeyPair(), newSigningKeyPair()]);
    for (const pair of [a, b]) {
      expect(pair.secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
      expect(pair.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
      expect(isSigningKey(pair.secretKey)).toBe(true);
      expect(isWebhookSecret(pair.secretKey)).toBe(false);
    }
    expect(a.secretKey).not.toBe(b.secretKey);
    expect(a.publicKey).not.toBe(b.publicKey);
  });

  it("the whpk_ is the public half of the whsk_ seed (the same public key Web Crypto derives from the seed)", async () => {
    const pair = await newSigningKeyPair();
    const header = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    const pkcs8 = new Uint8Array([...header, ...bytesOf(pair.secretKey)]);
    const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
    const { x } = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
    expect(x).toBe(pair.publicKey.slice("whpk_".length).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""));
  });
});

describe("isSigningKey", () => {
  it("accepts the reference library's key", () => {
    expect(isSigningKey(ED25519_VECTOR.secretKey)).toBe(true);
  });

  it.each([
    ["a whsec_ secret", VECTOR.secret],
    ["a whpk_ public key", ED25519_VECTOR.secretKey.replace("whsk_", "whpk_")],
    ["no prefix", ED25519_VECTOR.secretKey.slice("whsk_".length)],
    ["a 64-byte key", `whsk_${btoa("k".repeat(64))}`],
    ["a 16-byte key", `whsk_${btoa("k".repeat(16))}`],
    ["not base64", "whsk_***not-base64***"],
    ["prefix only", "whsk_"],
  ])("refuses %s", (_name, key) => {
    expect(isSigningKey(key)).toBe(false);
  });
});

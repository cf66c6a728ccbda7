/** verifyWebhook: the published test vector, the standardwebhooks library and the relay's own signer agree. */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "../packages/client/src/verify-webhook";
import { newSigningKeyPair, newWebhookSecret } from "../src/domain/webhook-secret";
import { signWebhook } from "../src/webhooks/sign";

// The published Standard Webhooks test vector.
const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const ID = "9876543210";
const TIMESTAMP = 1781080794;
const BODY = '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}';
const SIGNATURE = "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=";
const NOW = TIMESTAMP * 1000;

const headers = (signature = SIGNATURE, timestamp = String(TIMESTAMP), id = ID) => ({
  "webhook-id": id,
  "webhook-timestamp": timestamp,
  "webhook-signature": signature,
});

describe("verifyWebhook", () => {
  it("accepts the published test vector and returns the parsed body", async () => {
    expect(await verifyWebhook(BODY, headers(), SECRET, { now: NOW })).toEqual(JSON.parse(BODY));
    expect(await verifyWebhook(new TextEncoder().encode(BODY), new Headers(headers()), [SECRET], { now: NOW })).toEqual(JSON.parse(BODY));
  });

  it("reads Node-style header objects in any case, and any of several signatures (rotation)", async () => {
    const node = {
      "Webhook-Id": ID,
      "WEBHOOK-TIMESTAMP": String(TIMESTAMP),
      "webhook-signature": [`v1,${btoa("x".repeat(32))}`, SIGNATURE],
    };
    expect(await verifyWebhook(BODY, node, SECRET, { now: NOW })).toMatchObject({ id: "1234567890" });
    expect(await verifyWebhook(BODY, headers(), ["whsec_b3RoZXI=", SECRET], { now: NOW })).toMatchObject({ status: "succeeded" });
  });

  it.each([
    ["a wrong secret", BODY, headers(), "whsec_b3RoZXJzZWNyZXQ=", NOW],
    ["a tampered body", BODY.replace("succeeded", "failed"), headers(), SECRET, NOW],
    ["a tampered id", BODY, headers(SIGNATURE, String(TIMESTAMP), "9876543211"), SECRET, NOW],
    ["a signature of another version", BODY, headers(SIGNATURE.replace("v1,", "v2,")), SECRET, NOW],
    ["a timestamp 6 minutes old", BODY, headers(), SECRET, NOW + 360_000],
    ["a timestamp 6 minutes ahead", BODY, headers(), SECRET, NOW - 360_000],
    ["a non-numeric timestamp", BODY, headers(SIGNATURE, "17810807e4"), SECRET, NOW],
    ["missing headers", BODY, { "webhook-id": ID }, SECRET, NOW],
    ["a secret that is not base64", BODY, headers(), "whsec_!!!", NOW],
  ] as const)("refuses %s", async (_name, body, hdrs, secret, now) => {
    await expect(verifyWebhook(body, hdrs, secret, { now })).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it("verifies what the standardwebhooks library signs, and the library verifies what the relay signs", async () => {
    const body = JSON.stringify({ type: "task.succeeded", task_id: "t1", data: { task_status: "succeed" } });
    const library = new Webhook(SECRET);
    const now = new Date();
    const signed = library.sign("msg_abc", now, body);
    expect(await verifyWebhook(body, headers(signed, String(Math.floor(now.getTime() / 1000)), "msg_abc"), SECRET)).toMatchObject({
      task_id: "t1",
    });

    const timestamp = Math.floor(Date.now() / 1000);
    const relaySigned = await signWebhook(["whsec_b3RoZXI=", SECRET], "msg_def", timestamp, body);
    const relayHeaders = headers(relaySigned, String(timestamp), "msg_def");
    expect(library.verify(body, relayHeaders)).toMatchObject({ type: "task.succeeded" });
    expect(await verifyWebhook(body, relayHeaders, SECRET)).toMatchObject({ type: "task.succeeded" });
  });
});

// The reference Go library's v1a known answer (libraries/go/webhook_asymmetric_test.go): a 32-byte seed.
const ED25519 = {
  seed: "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
};

/** The whpk_ of a 32-byte seed, derived by Web Crypto itself (PKCS #8 import, JWK export). */
async function publicKeyOfSeed(seedBase64: string): Promise<string> {
  const header = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
  const pkcs8 = new Uint8Array([...header, ...Uint8Array.from(atob(seedBase64), (c) => c.charCodeAt(0))]);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const { x } = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  return `whpk_${btoa(atob(x!.replaceAll("-", "+").replaceAll("_", "/")))}`;
}

describe("verifyWebhook with a whpk_ public key (v1a, Ed25519)", () => {
  const edHeaders = (signature: string, id = ED25519.id, timestamp = ED25519.timestamp) => headers(signature, String(timestamp), id);
  const ED_NOW = ED25519.timestamp * 1000;

  it("accepts the reference library's known answer", async () => {
    const publicKey = await publicKeyOfSeed(ED25519.seed);
    expect(await verifyWebhook(ED25519.body, edHeaders(ED25519.signature), publicKey, { now: ED_NOW })).toEqual({ test: 2432232314 });
  });

  it("accepts what the relay signs with the whsk_ of the pair, whoever else signed too", async () => {
    const pair = await newSigningKeyPair();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "task.succeeded", task_id: "t2" });
    const signature = await signWebhook([pair.secretKey], "msg_v1a", timestamp, body);
    expect(await verifyWebhook(body, edHeaders(signature, "msg_v1a", timestamp), pair.publicKey)).toMatchObject({ task_id: "t2" });
    expect(await verifyWebhook(body, edHeaders(signature, "msg_v1a", timestamp), [newWebhookSecret(), pair.publicKey])).toMatchObject({
      task_id: "t2",
    });
  });

  it("a mixed v1 + v1a header verifies with the whsec_ alone, the whpk_ alone, or both", async () => {
    const pair = await newSigningKeyPair();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "task.failed", task_id: "t3" });
    const signature = await signWebhook([SECRET, pair.secretKey], "msg_mixed", timestamp, body);
    expect(signature).toMatch(/^v1,\S+ v1a,\S+$/);
    const mixed = edHeaders(signature, "msg_mixed", timestamp);
    for (const keys of [SECRET, pair.publicKey, [pair.publicKey, SECRET]]) {
      expect(await verifyWebhook(body, mixed, keys)).toMatchObject({ task_id: "t3" });
    }
    // The standardwebhooks library (v1 only) skips the v1a entry and still verifies the v1 one.
    expect(new Webhook(SECRET).verify(body, mixed)).toMatchObject({ task_id: "t3" });
    // Each key checks only its own scheme's entries.
    const [v1, v1a] = signature.split(" ");
    await expect(verifyWebhook(body, edHeaders(v1!, "msg_mixed", timestamp), pair.publicKey)).rejects.toThrow("no matching signature");
    await expect(verifyWebhook(body, edHeaders(v1a!, "msg_mixed", timestamp), SECRET)).rejects.toThrow("no matching signature");
  });

  it.each([
    ["another pair's public key", async (p: KeyPair) => ({ ...p, publicKey: (await newSigningKeyPair()).publicKey })],
    ["a tampered body", async (p: KeyPair) => ({ ...p, body: p.body.replace("t4", "t5") })],
    ["a tampered id", async (p: KeyPair) => ({ ...p, id: "msg_other" })],
    ["a timestamp 6 minutes old", async (p: KeyPair) => ({ ...p, now: p.now + 360_000 })],
    ["a signature cut short", async (p: KeyPair) => ({ ...p, signature: p.signature.slice(0, -4) })],
    ["a signature that is not base64", async (p: KeyPair) => ({ ...p, signature: "v1a,***" })],
    ["the v1a signature sent as v1", async (p: KeyPair) => ({ ...p, signature: p.signature.replace("v1a,", "v1,") })],
    ["a whpk_ that is not 32 bytes", async (p: KeyPair) => ({ ...p, publicKey: `whpk_${btoa("short")}` })],
    ["a whpk_ that is not base64", async (p: KeyPair) => ({ ...p, publicKey: "whpk_!!!" })],
  ])("refuses %s", async (_name, change) => {
    const pair = await newSigningKeyPair();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "task.succeeded", task_id: "t4" });
    const signature = await signWebhook([pair.secretKey], "msg_t4", timestamp, body);
    const genuine: KeyPair = { publicKey: pair.publicKey, body, id: "msg_t4", signature, now: Date.now() };
    // Control: unchanged, it verifies.
    await expect(verifyWebhook(body, edHeaders(signature, "msg_t4", timestamp), pair.publicKey)).resolves.toMatchObject({ task_id: "t4" });
    const c = await change(genuine);
    await expect(verifyWebhook(c.body, edHeaders(c.signature, c.id, timestamp), c.publicKey, { now: c.now })).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });
});

interface KeyPair {
  publicKey: string;
  body: string;
  id: string;
  signature: string;
  now: number;
}

/** verifyWebhook: the published test vector, the standardwebhooks library and the relay's own signer agree. */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "../src/client/verify-webhook";
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

#!/usr/bin/env node
/**
 * Verifies a webhook from kling-webhook-relay (Standard Webhooks) with node:crypto only.
 * `verify` is the part to paste into an app; the rest is a small command line around it:
 *
 *   WEBHOOK_KEY=whsec_... WEBHOOK_ID=msg_... WEBHOOK_TIMESTAMP=1781080794 \
 *   WEBHOOK_SIGNATURE='v1,...' node verify.mjs < body.json
 *
 * prints `verified` and exits 0, or prints why not and exits 1. WEBHOOK_KEY is a `whsec_` secret
 * (checks `v1` HMAC-SHA256 signatures) or a `whpk_` public key (checks `v1a` Ed25519 ones).
 */
// BEGIN verify
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature } from "node:crypto";

const TOLERANCE_SECONDS = 5 * 60;

/**
 * Whether a webhook is genuine. `key`: your `whsec_...` secret or `whpk_...` public key.
 * `id`, `timestamp`, `signatureHeader`: the webhook-id, webhook-timestamp and webhook-signature
 * headers. `body`: the raw body, exactly as received (a Buffer, or a string).
 */
function verify(key, id, timestamp, signatureHeader, body, now = Date.now() / 1000) {
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)]);
  // Any one matching entry of the space-separated list will do ("v1,<base64> v1a,<base64> ...").
  const entries = signatureHeader.split(" ").map((entry) => entry.split(","));
  if (key.startsWith("whsec_")) {
    const expected = createHmac("sha256", Buffer.from(key.slice("whsec_".length), "base64"))
      .update(content)
      .digest();
    return entries.some(([version, signature]) => {
      if (version !== "v1" || !signature) return false;
      const presented = Buffer.from(signature, "base64");
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
  }
  if (key.startsWith("whpk_")) {
    const x = Buffer.from(key.slice("whpk_".length), "base64").toString("base64url");
    const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    return entries.some(
      ([version, signature]) =>
        version === "v1a" && Boolean(signature) && verifySignature(null, content, publicKey, Buffer.from(signature, "base64")),
    );
  }
  return false;
}
// END verify

const NAMES = ["WEBHOOK_KEY", "WEBHOOK_ID", "WEBHOOK_TIMESTAMP", "WEBHOOK_SIGNATURE"];
const missing = NAMES.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.log(`missing ${missing.join(", ")}`);
  process.exit(1);
}
const { WEBHOOK_KEY: key, WEBHOOK_ID: id, WEBHOOK_TIMESTAMP: timestamp, WEBHOOK_SIGNATURE: signature } = process.env;
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const body = Buffer.concat(chunks);

if (verify(key, id, timestamp, signature, body)) {
  console.log("verified");
  process.exit(0);
}
if (!key.startsWith("whsec_") && !key.startsWith("whpk_")) console.log("WEBHOOK_KEY is neither whsec_... nor whpk_...");
else if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
  console.log("webhook-timestamp is not within 5 minutes of now");
else console.log("no matching signature");
process.exit(1);

/**
 * The sample app's run (test/sample-app.test.ts): importing the README's example (example.ts, which
 * the test writes from ../../README.md) registers a task with the relay at argv[2]; then the
 * example's webhook handler gets a webhook the relay's stand-in signed, and the same one tampered.
 */
import { WebhookVerificationError } from "@kling-webhook-relay/client";
import { onWebhook } from "./example.js";

// Node's argv, declared here: the app compiles with no types at all (no @types/node).
declare const process: { argv: string[] };
const relayUrl = process.argv[2];

const signed = (await (await fetch(`${relayUrl}/_sample/webhook`)).json()) as { body: string; headers: Record<string, string> };
const delivery = (body: string) => new Request("https://app.example/hooks/kling", { method: "POST", body, headers: signed.headers });

console.log(`verified: ${(await onWebhook(delivery(signed.body))).status}`);
try {
  await onWebhook(delivery(signed.body.replace("task.succeeded", "task.failed")));
  console.log("tampered: accepted");
} catch (error) {
  console.log(`tampered: ${error instanceof WebhookVerificationError ? error.message : String(error)}`);
}

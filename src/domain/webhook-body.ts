import { withArchive } from "./archive-plan";
import type { EventType, FinishReason } from "./kling";
import { failureMessage, outputsJson } from "./task-outputs";

/** What a webhook says: the facts a message stores, from which its body is built. */
export interface WebhookFacts {
  type: EventType;
  /** When the relay saw the change (epoch ms). */
  timestamp: number;
  subscriptionId: string;
  provider: string;
  taskId: string;
  /** The registration's metadata as JSON text, exactly as the app wrote it, or null. */
  metadataJson: string | null;
  reason: FinishReason | null;
  /** The upstream `data` object as JSON text, exactly as last received, or null. */
  dataJson: string | null;
  /**
   * What became of the task's archived files (domain/archive-plan.ts `ArchiveResult[]` as JSON),
   * or null when it was not archived: each output then carries `archived_url` or `archive_error`.
   */
  archiveJson?: string | null;
}

/**
 * The exact bytes of a webhook: the same facts always make the same body, so every attempt of a
 * message signs and sends the same bytes. `metadataJson` and `dataJson` are spliced in verbatim
 * (both are stored minified, with every number as it was written: see lib/exact-json.ts), which
 * `JSON.stringify` of parsed values could not do for 12345678901234567890123 or 1e400. `outputs`
 * (the results in one shape, whatever API produced them: task-outputs.ts) and `failure_message`
 * are derived from the same data, so they too are the same on every attempt.
 * @example webhookBody({ type: "task.succeeded", timestamp: 0, subscriptionId: "sub_1", provider: "cometapi", taskId: "T", metadataJson: null, reason: null, dataJson: '{"n":1e400}' })
 * // '{"type":"task.succeeded","timestamp":"1970-01-01T00:00:00.000Z","subscription_id":"sub_1","provider":"cometapi","task_id":"T","metadata":null,"reason":null,"outputs":[],"failure_message":null,"data":{"n":1e400}}'
 */
export function webhookBody(f: WebhookFacts): string {
  const succeeded = f.type === "task.succeeded";
  const outputs = withArchive(outputsJson(f.dataJson, succeeded), succeeded ? (f.archiveJson ?? null) : null);
  const failure = f.type === "task.failed" ? failureMessage(f.dataJson) : null;
  return (
    `{"type":${JSON.stringify(f.type)},"timestamp":${JSON.stringify(new Date(f.timestamp).toISOString())},` +
    `"subscription_id":${JSON.stringify(f.subscriptionId)},"provider":${JSON.stringify(f.provider)},"task_id":${JSON.stringify(f.taskId)},` +
    `"metadata":${f.metadataJson ?? "null"},"reason":${JSON.stringify(f.reason)},"outputs":${outputs},` +
    `"failure_message":${JSON.stringify(failure)},"data":${f.dataJson ?? "null"}}`
  );
}

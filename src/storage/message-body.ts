import { sql } from "drizzle-orm";
import type { EventType, FinishReason } from "../domain/kling";
import { webhookBody } from "../domain/webhook-body";

/** A message's body columns as a statement returns them (see `bodyColumns`), with its task's id. */
export interface StoredBody {
  subscription_id: string;
  provider: string;
  task_id: string;
  event_type: string;
  event_at: number;
  metadata: string | null;
  reason: string | null;
  data: string | null;
  body: string | null;
  archive: string | null;
}

/** The columns of `messages` a body is built from, optionally qualified (`m.`). */
export const bodyColumns = (prefix: "" | "m." = "") =>
  sql.raw(["event_type", "event_at", "metadata", "reason", "data", "body", "archive"].map((c) => `${prefix}${c}`).join(", "));

/**
 * The bytes a message is sent with: built from its stored facts by the domain (columns written by
 * the relay itself, so their values are the domain's), or the body kept from before the facts
 * existed (migration 0004), as it is.
 */
export const messageBody = (m: StoredBody): string =>
  m.body ??
  webhookBody({
    type: m.event_type as EventType,
    timestamp: m.event_at,
    subscriptionId: m.subscription_id,
    provider: m.provider,
    taskId: m.task_id,
    metadataJson: m.metadata,
    reason: m.reason as FinishReason | null,
    dataJson: m.data,
    archiveJson: m.archive,
  });

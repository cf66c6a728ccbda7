import type { EventType, FinishReason } from "../domain/kling";
import { webhookBody } from "../domain/webhook-body";
import { column, type RowOf, rowSchema, selectList } from "./rows";
import { messages } from "./schema";

/** The columns of `messages` a body is built from. */
export const BodyRow = rowSchema({
  event_type: column(messages.eventType),
  event_at: column(messages.eventAt),
  metadata: column(messages.metadata),
  reason: column(messages.reason),
  data: column(messages.data),
  body: column(messages.body),
  archive: column(messages.archive),
});

/** A message's body columns as a statement returns them (see `bodyColumns`), with its task's id. */
export type StoredBody = RowOf<typeof BodyRow> & { subscription_id: string; provider: string; task_id: string };

/** The columns of `BodyRow` as a select list, optionally qualified (`m.`). */
export const bodyColumns = (prefix: "" | "m." = "") => selectList(BodyRow, prefix);

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

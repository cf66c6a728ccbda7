import type { LeaseToken } from "../domain/ids";
import type { Env } from "../env";
import type { SendOptions, SendResult, WorkDispatcher, WorkDispatchers } from "../work/work-dispatcher";
import { IDS_PER_MESSAGE, type WorkKind, type WorkMessage } from "../work/work-message";

/** Queues takes at most 100 messages per `sendBatch` call. */
export const SEND_BATCH_MAX_MESSAGES = 100;
/**
 * ... and at most 256 KB per call (1 KB = 1,000 bytes). Kept a little under, since the platform
 * counts its own encoding of each body.
 */
export const SEND_BATCH_MAX_BYTES = 250_000;
/** Each message counts up to about 100 bytes of internal metadata against the limits. */
const MESSAGE_METADATA_BYTES = 100;

const encoder = new TextEncoder();
const weight = (body: WorkMessage) => encoder.encode(JSON.stringify(body)).byteLength + MESSAGE_METADATA_BYTES;

/** Cuts claimed ids into messages of at most IDS_PER_MESSAGE (or `idsPerMessage`) ids, all under one lease token. */
export function packMessages(
  kind: WorkKind,
  leaseToken: LeaseToken,
  ids: readonly string[],
  idsPerMessage = IDS_PER_MESSAGE,
): WorkMessage[] {
  const messages: WorkMessage[] = [];
  for (let i = 0; i < ids.length; i += idsPerMessage) messages.push({ kind, leaseToken, ids: ids.slice(i, i + idsPerMessage) });
  return messages;
}

/** Groups messages into `sendBatch` calls that respect both the count and the size limit. */
export function sendBatches(messages: readonly WorkMessage[]): WorkMessage[][] {
  const batches: WorkMessage[][] = [];
  let current: WorkMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = weight(message);
    if (current.length === SEND_BATCH_MAX_MESSAGES || (current.length > 0 && bytes + size > SEND_BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Sends claimed ids to a queue: messages of IDS_PER_MESSAGE ids, as few `sendBatch` calls as the
 * limits allow. Never throws: a refused call (e.g. the queue's 5,000 messages/s limit, or an
 * outage) stops the send and returns the ids not sent, for the caller to release.
 * @example const sent = await sendWork(env.POLL_QUEUE, "poll", leaseToken, ids);
 */
export async function sendWork<Id extends string>(
  queue: Queue<WorkMessage>,
  kind: WorkKind,
  leaseToken: LeaseToken,
  ids: readonly Id[],
  idsPerMessage = IDS_PER_MESSAGE,
  options: SendOptions = {},
): Promise<SendResult<Id>> {
  const batches = sendBatches(packMessages(kind, leaseToken, ids, idsPerMessage));
  let messages = 0;
  // Messages keep the ids' order, so those not sent are the ids after the ones sent.
  let sentIds = 0;
  for (const [index, batch] of batches.entries()) {
    try {
      await queue.sendBatch(batch.map((body) => ({ body, ...options })));
      messages += batch.length;
      sentIds += batch.reduce((n, m) => n + m.ids.length, 0);
    } catch (error) {
      const unsent = ids.slice(sentIds);
      return { ok: false, messages, calls: index, unsent, error: error instanceof Error ? error.message : String(error) };
    }
  }
  return { ok: true, messages, calls: batches.length };
}

/**
 * A queue producer as the tick's dispatcher: one full `sendBatch` call of IDS_PER_MESSAGE-id
 * messages per D1 claim.
 */
export const queueDispatcher = (queue: Queue<WorkMessage>, idsPerMessage = IDS_PER_MESSAGE): WorkDispatcher => ({
  idsPerSend: idsPerMessage * SEND_BATCH_MAX_MESSAGES,
  send: (kind, leaseToken, ids, options) => sendWork(queue, kind, leaseToken, ids, idsPerMessage, options),
});

/**
 * The dispatchers the env's queue bindings make: POLL_QUEUE takes polls, DELIVERY_QUEUE
 * deliveries; an unbound one leaves that kind of work to the tick.
 * @example await runTick(env, systemClock, queueDispatchers(env))
 */
export const queueDispatchers = (env: Pick<Env, "POLL_QUEUE" | "DELIVERY_QUEUE" | "ARCHIVE">): WorkDispatchers => ({
  poll: env.POLL_QUEUE ? queueDispatcher(env.POLL_QUEUE) : undefined,
  deliver: env.DELIVERY_QUEUE ? queueDispatcher(env.DELIVERY_QUEUE) : undefined,
  // Copies gate deliveries (a held webhook waits for them): they travel with the deliveries, one
  // file per message, since one copy can take a consumer's whole byte allowance.
  archive: env.DELIVERY_QUEUE && env.ARCHIVE ? queueDispatcher(env.DELIVERY_QUEUE, 1) : undefined,
});

import { exactArrayItemTexts } from "../lib/exact-json";
import { exceedsJsonDepth } from "./json-depth";
import { readTaskStatus } from "./kling";
import { epochMs, MAX_DATA_DEPTH, type PollOutcome, readEnvelope, type UpstreamExchange, type UpstreamFailure } from "./poll-outcome";

/**
 * Judges one answer of Kling's batch query (`GET /tasks?task_ids=a,b,c`, the new API), whose
 * envelope is `{ code, message, request_id, data: [ { id, status, message, create_time,
 * update_time, external_id, outputs, billing } ] }`, as one `PollOutcome` per id asked.
 *
 * - An entry for an asked id: `status` (`succeeded` read as the stored `succeed`), `data` = the
 *   entry's exact JSON text (numbers as written), `createdAt`/`updatedAt` from
 *   `create_time`/`update_time` (epoch ms, numbers or digit strings, plausibility as
 *   `classifyPoll`'s). Entries for ids not asked are ignored.
 * - A malformed entry (no status, too deep) is transient for its id only. An entry no id can be
 *   read from makes every asked id the answer lacks transient too, not missing: it may be theirs.
 * - An asked id the answer lacks: `missing` / `not_found` (confirmed a few times, as a 404 is).
 * - A whole-request failure (timeout, network, 429/5xx, a non-zero `code`, not JSON, `data` not an
 *   array) is the same outcome for every id, by `classifyPoll`'s table, except that verdicts about
 *   one task (missing, rejected) become `configuration`: a batch that 404s or is refused with
 *   1200/1201 (say, more ids than Kling takes) says nothing about any one of its tasks.
 *   Codes 1003/1004 are `configuration` (`isTokenRejection`: the caller renews its token).
 *
 * Duplicate ids (asked or answered) are one id; of two entries for one id the one with the later
 * `update_time` wins (the first when neither is later).
 * @example classifyBatch({ kind: "timeout" }, ["a", "b"], clock.now()).get("b") // { kind: "transient", error: "timeout", ... }
 */
export function classifyBatch(exchange: UpstreamExchange, taskIds: readonly string[], now: number): Map<string, PollOutcome> {
  const outcomes = new Map<string, PollOutcome>();
  const everyId = (outcome: PollOutcome) => {
    for (const id of taskIds) outcomes.set(id, outcome);
    return outcomes;
  };

  const reading = readEnvelope(exchange, now);
  if (reading.kind === "failed") return everyId(forTheWholeBatch(reading.outcome, reading.retryAfterMs));
  const { envelope, body, retryAfterMs } = reading;
  const entries = envelope.data;
  if (!Array.isArray(entries)) return everyId({ kind: "transient", error: "malformed: no data array", retryAfterMs });

  // Numbers as written: from the same document, so item i is entry i. A document that repeats a key
  // has no one exact text: JSON.parse's reading (the last one wins) is kept, as classifyPoll does.
  const exact = exactArrayItemTexts(body, "data");
  const texts = exact && exact.length === entries.length ? exact : null;

  const asked = new Set(taskIds);
  const found = new Map<string, { outcome: PollOutcome; updatedAt: number | null }>();
  let unattributed = 0;
  entries.forEach((entry: unknown, index) => {
    const id = entryId(entry);
    if (id === null) {
      unattributed += 1;
      return;
    }
    if (!asked.has(id)) return;
    const fields = entry as Record<string, unknown>;
    const updatedAt = timestamp(fields.update_time, now);
    const earlier = found.get(id);
    if (earlier && !(updatedAt !== null && (earlier.updatedAt === null || updatedAt > earlier.updatedAt))) return;
    found.set(id, { outcome: readEntry(fields, texts?.[index] ?? JSON.stringify(entry), updatedAt, retryAfterMs, now), updatedAt });
  });

  const absent: PollOutcome =
    unattributed > 0
      ? { kind: "transient", error: `malformed: ${unattributed} data entries without an id`, retryAfterMs }
      : { kind: "missing", reason: "not_found", error: "not_found: the batch answer has no entry for this id" };
  for (const id of taskIds) outcomes.set(id, found.get(id)?.outcome ?? absent);
  return outcomes;
}

/** A failure of the whole request, said of each of its tasks: never a verdict on one of them. */
function forTheWholeBatch(outcome: UpstreamFailure, retryAfterMs: number | null): UpstreamFailure {
  if (outcome.kind !== "missing" && outcome.kind !== "rejected") return outcome;
  return { kind: "configuration", error: `${outcome.error} (the whole batch request)`, retryAfterMs };
}

/** An entry's id: a non-empty string, or an integer JSON.parse read exactly; null for anything else. */
function entryId(entry: unknown): string | null {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return null;
  const id = (entry as Record<string, unknown>).id;
  if (typeof id === "string" && id !== "") return id;
  if (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) return String(id);
  return null;
}

/** An epoch-ms time as a number or a string of digits (Kling sends both); null when implausible. */
function timestamp(value: unknown, now: number): number | null {
  if (typeof value === "string" && /^\d{1,16}$/.test(value)) return epochMs(Number(value), now);
  return epochMs(value, now);
}

function readEntry(
  fields: Record<string, unknown>,
  text: string,
  updatedAt: number | null,
  retryAfterMs: number | null,
  now: number,
): PollOutcome {
  if (exceedsJsonDepth(fields, MAX_DATA_DEPTH))
    return { kind: "transient", error: `malformed: data nests deeper than ${MAX_DATA_DEPTH} levels`, retryAfterMs };
  // A status the relay does not know is still an answer: it is kept (and shown), never dropped.
  const status = readTaskStatus(fields.status);
  if (status === null) return { kind: "transient", error: "malformed: no status in the entry", retryAfterMs };
  return { kind: "status", status, data: text, createdAt: timestamp(fields.create_time, now), updatedAt };
}

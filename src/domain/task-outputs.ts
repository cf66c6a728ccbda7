import { isLosslessNumber, parse, stringify } from "lossless-json";

/**
 * One output shape for both of Kling's dialects (/work/shared/KLING.md, "`data.task_result` by
 * endpoint" and "New generation"): the new API's `outputs[]` union on `type`, which legacy
 * `task_result` groups are renamed into. Pure: it reads the stored `data` text and never throws.
 *
 * Choices:
 * - Which dialect: `data.outputs` being an array makes a new-API entry (its outputs win even if a
 *   `task_result` came along too); otherwise `data.task_result` is read as legacy.
 * - New API: every entry that is a JSON object is kept as it came (its keys, their order, unknown
 *   types such as `voice`, `element` or newer ones, every number as written).
 * - Legacy: each group (`videos`, then `images`, then `audios`) is read only when it is an array;
 *   each entry that is a JSON object becomes one output with `type` first and then the listed
 *   fields in their listed order. A field the entry lacks is left out (never written as null), a
 *   field it has is copied as it came (a null stays null, a string duration stays a string), an
 *   entry missing its `url` or `id` is still kept with the fields it has, and fields outside the
 *   list are dropped: the normalised shape is the list.
 * - Anything that is not a JSON object (null, a string, a number, an array) in either list is
 *   skipped; malformed text, a repeated key, or no object at the top gives `[]`.
 */

/** Legacy group -> output type, with `[legacy field, output field]` in output order. */
const LEGACY_GROUPS: readonly (readonly [group: string, type: string, fields: readonly (readonly [from: string, to: string])[]])[] = [
  [
    "videos",
    "video",
    [
      ["id", "id"],
      ["url", "url"],
      ["watermark_url", "watermark_url"],
      ["duration", "duration"],
    ],
  ],
  [
    "images",
    "image",
    [
      ["url", "url"],
      ["watermark_url", "watermark_url"],
      ["index", "index"],
    ],
  ],
  [
    "audios",
    "audio",
    [
      ["id", "id"],
      ["url_mp3", "mp3_url"],
      ["url_wav", "wav_url"],
      ["duration_mp3", "mp3_duration"],
      ["duration_wav", "wav_duration"],
    ],
  ],
];

/** The longest failure message kept, in UTF-16 code units (what `.length` counts). */
export const MAX_FAILURE_MESSAGE_LENGTH = 500;

type JsonObject = Record<string, unknown>;

/** A JSON object. Not a number: lossless-json parses every number into a LosslessNumber object. */
const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value);

/** The parsed top-level object (numbers as lossless-json's exact values), or null. */
function parseObject(dataJson: string | null): JsonObject | null {
  if (dataJson === null) return null;
  try {
    const value: unknown = parse(dataJson);
    return isObject(value) ? value : null;
  } catch {
    // Malformed text, a repeated key, or nesting deep enough to exhaust the parser's stack.
    return null;
  }
}

/** `object[key]` when it is the object's own member (so `__proto__` or `constructor` never leak in). */
const own = (object: JsonObject, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);

function normalise(data: JsonObject): unknown[] {
  const outputs = own(data, "outputs");
  if (Array.isArray(outputs)) return outputs.filter(isObject);
  const result = own(data, "task_result");
  if (!isObject(result)) return [];
  const normalised: JsonObject[] = [];
  for (const [group, type, fields] of LEGACY_GROUPS) {
    const entries = own(result, group);
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (!isObject(entry)) continue;
      const output: JsonObject = { type };
      for (const [from, to] of fields) if (Object.hasOwn(entry, from)) output[to] = entry[from];
      normalised.push(output);
    }
  }
  return normalised;
}

/**
 * The exact JSON text of a task's normalised `outputs` array: `[]` unless `succeeded`, and `[]`
 * for data that is absent, malformed or carries no results. See the module comment for the rules.
 * @example outputsJson('{"task_result":{"videos":[{"id":"v","url":"u","duration":"5.1"}]}}', true)
 * // '[{"type":"video","id":"v","url":"u","duration":"5.1"}]'
 */
export function outputsJson(dataJson: string | null, succeeded: boolean): string {
  if (!succeeded) return "[]";
  try {
    const data = parseObject(dataJson);
    return data === null ? "[]" : (stringify(normalise(data)) ?? "[]");
  } catch {
    // stringify can only fail on a stack too deep for it; no outputs beats a thrown tick.
    return "[]";
  }
}

/**
 * Why a task failed, as upstream said it: legacy `task_status_msg`, else the new API entry's own
 * `message` (the new API's envelope `message` is not part of `data`). Trimmed; cut to
 * MAX_FAILURE_MESSAGE_LENGTH without leaving half a surrogate pair; null when neither is a
 * non-blank string. The caller decides when a task's message matters (failed tasks).
 * @example failureMessage('{"task_status":"failed","task_status_msg":" Failure to pass the risk control system "}')
 * // "Failure to pass the risk control system"
 */
export function failureMessage(dataJson: string | null): string | null {
  const data = parseObject(dataJson);
  if (data === null) return null;
  for (const key of ["task_status_msg", "message"]) {
    const value = own(data, key);
    if (typeof value !== "string") continue;
    const trimmed = value.trim();
    if (trimmed === "") continue;
    return cut(trimmed);
  }
  return null;
}

function cut(text: string): string {
  if (text.length <= MAX_FAILURE_MESSAGE_LENGTH) return text;
  let end = MAX_FAILURE_MESSAGE_LENGTH;
  const last = text.charCodeAt(end - 1);
  // A high surrogate whose low half falls past the cut: drop it rather than keep half a character.
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end).trimEnd();
}

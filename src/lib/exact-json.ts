import { parse, stringify } from "lossless-json";

/**
 * The JSON text of `document[key]` with every number exactly as it was written. `JSON.parse` turns
 * 12345678901234567890123 into 1.2345678901234568e+22 and 1e400 into Infinity (which
 * `JSON.stringify` then writes as null); apps and upstream must reach receivers with the values
 * they sent, so the relay stores this text instead. Whitespace is dropped; strings, key order and
 * number spellings are kept. `lossless-json` keeps `__proto__` as an ordinary key.
 *
 * Returns undefined when `document` is not a JSON object with that member, and null when the
 * document repeats a key somewhere (`JSON.parse` silently keeps the last one: there is no one
 * exact text to keep).
 * @example exactMemberText('{"m":{"n":1e400}}', "m") // '{"n":1e400}'
 */
export function exactMemberText(document: string, key: string): string | null | undefined {
  const member = losslessMember(document, key);
  return member === null || member === undefined ? member : (stringify(member.value) ?? undefined);
}

/**
 * `document[key]` parsed without losing a number: `{ value }`, undefined when `document` is not a
 * JSON object with that member, null when it is not JSON or repeats a key somewhere.
 */
function losslessMember(document: string, key: string): { value: unknown } | null | undefined {
  let value: unknown;
  try {
    value = parse(document);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
  return { value: (value as Record<string, unknown>)[key] };
}

/**
 * The exact JSON text of each item of the array `document[key]`, in order, with numbers as
 * written (see `exactMemberText`). Returns undefined when `document` is not a JSON object whose
 * `key` is an array, and null when the document repeats a key somewhere (or is not JSON).
 * @example exactArrayItemTexts('{"data":[{"n":1e400},2]}', "data") // ['{"n":1e400}', "2"]
 */
export function exactArrayItemTexts(document: string, key: string): string[] | null | undefined {
  const member = losslessMember(document, key);
  if (member === null || member === undefined) return member;
  if (!Array.isArray(member.value)) return undefined;
  return member.value.map((item) => stringify(item) ?? "null");
}

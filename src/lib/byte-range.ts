/**
 * HTTP range and conditional requests (RFC 9110 §13, §14) for serving one stored object: which
 * bytes a `Range` asks for, and whether an `If-None-Match` or `If-Range` names its entity tag.
 */

/** `offset` and `length` in bytes, as R2's `get(key, { range })` takes them (never empty). */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * The one range of `header` within an object of `size` bytes: `bytes=a-b` (b past the end is cut
 * to it), `bytes=a-`, `bytes=-n` (the last n, the whole object when n is larger);
 * `"unsatisfiable"` when it starts at or past the end or asks for the last 0 bytes (416); null
 * when the whole object is to be sent: no header, another unit, a malformed or backwards range,
 * or several ranges (a server may ignore Range, and multipart answers are not made).
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const offset = Number(first);
  if (last !== "" && Number(last) < offset) return null;
  if (offset >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { offset, length: end - offset + 1 };
}

const opaque = (tag: string) => tag.trim().replace(/^W\//, "");

/** `If-None-Match`: `*`, or a list naming `etag` (weak comparison: `W/` is ignored on both sides). */
export function noneMatchHits(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => opaque(tag) === opaque(etag));
}

/**
 * `If-Range`: whether the range may be served. Only a strong entity tag equal to `etag` keeps it;
 * a weak tag or a date (which this server does not compare) means the whole object.
 */
export function ifRangeHolds(header: string | null | undefined, etag: string): boolean {
  if (!header) return true;
  const tag = header.trim();
  return !tag.startsWith("W/") && tag === etag;
}

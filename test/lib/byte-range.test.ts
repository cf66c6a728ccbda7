/** Range and conditional request headers (src/lib/byte-range.ts). */
import { describe, expect, it } from "vitest";
import { ifRangeHolds, noneMatchHits, parseRange } from "../../src/lib/byte-range";

describe("parseRange", () => {
  it.each([
    ["bytes=0-0", 10, { offset: 0, length: 1 }],
    ["bytes=0-9", 10, { offset: 0, length: 10 }],
    ["bytes=2-", 10, { offset: 2, length: 8 }],
    ["bytes=5-1000", 10, { offset: 5, length: 5 }],
    ["bytes=-3", 10, { offset: 7, length: 3 }],
    ["bytes=-30", 10, { offset: 0, length: 10 }],
    ["Bytes = 1 - 2", 10, { offset: 1, length: 2 }],
    ["bytes=9-99999999999999999999", 10, { offset: 9, length: 1 }],
  ])("%j of %i bytes is %o", (header, size, range) => {
    expect(parseRange(header, size)).toEqual(range);
  });

  it.each([
    ["bytes=10-", 10],
    ["bytes=10-20", 10],
    ["bytes=99999999999999999999-", 10],
    ["bytes=-0", 10],
    ["bytes=0-", 0],
    ["bytes=-5", 0],
  ])("%j of %i bytes is unsatisfiable", (header, size) => {
    expect(parseRange(header, size)).toBe("unsatisfiable");
  });

  it.each([undefined, null, "", "bytes=", "bytes=-", "bytes=3-1", "bytes=0-1,3-4", "items=0-1", "bytes=a-", "bytes=1.5-2", "bytes 0-1"])(
    "%j means the whole object",
    (header) => {
      expect(parseRange(header, 10)).toBeNull();
    },
  );
});

describe("conditional headers", () => {
  const etag = '"abc123"';

  it("If-None-Match: *, the tag, its weak form, or a list naming it", () => {
    for (const header of ["*", etag, `W/${etag}`, `"x", ${etag}`, ` "x" ,W/${etag} `])
      expect(noneMatchHits(header, etag), header).toBe(true);
    for (const header of [null, undefined, "", '"x"', '"abc"', "abc123"]) expect(noneMatchHits(header, etag), String(header)).toBe(false);
  });

  it("If-Range: only the same strong tag keeps the range (or no If-Range at all)", () => {
    expect(ifRangeHolds(null, etag)).toBe(true);
    expect(ifRangeHolds(etag, etag)).toBe(true);
    expect(ifRangeHolds(`W/${etag}`, etag)).toBe(false);
    expect(ifRangeHolds('"other"', etag)).toBe(false);
    expect(ifRangeHolds("Wed, 21 Oct 2015 07:28:00 GMT", etag)).toBe(false);
  });
});

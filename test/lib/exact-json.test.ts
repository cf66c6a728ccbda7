import { describe, expect, it } from "vitest";
import { exactArrayItemTexts, exactMemberText } from "../../src/lib/exact-json";

describe("exactMemberText", () => {
  it("keeps every number as written, where JSON.parse would change it", () => {
    const document = '{"m": {"user": 12345678901234567890123, "f": 1e400, "g": 1.50, "h": -0.0, "i": 0.1000000000000000000001}}';
    expect(JSON.stringify(JSON.parse(document).m)).not.toContain("12345678901234567890123");
    expect(exactMemberText(document, "m")).toBe(
      '{"user":12345678901234567890123,"f":1e400,"g":1.50,"h":-0.0,"i":0.1000000000000000000001}',
    );
  });

  it("keeps strings, key order, nesting and __proto__ as an ordinary key", () => {
    expect(exactMemberText('{"m":{"z":"é😀\\n","a":[1,{"__proto__":{"x":true}}],"n":null}}', "m")).toBe(
      '{"z":"é😀\\n","a":[1,{"__proto__":{"x":true}}],"n":null}',
    );
  });

  it("says undefined for a missing member or a document that is not an object, null for a repeated key", () => {
    expect(exactMemberText('{"a":1}', "m")).toBeUndefined();
    expect(exactMemberText("[1,2]", "m")).toBeUndefined();
    expect(exactMemberText('{"m":{"a":1,"a":2}}', "m")).toBeNull();
    expect(exactMemberText("not json", "m")).toBeNull();
  });
});

describe("exactArrayItemTexts", () => {
  it("gives each item of an array member its exact text, in order", () => {
    expect(exactArrayItemTexts('{"data": [{"n": 12345678901234567890123, "f": 1e400}, 1.50, "x", null], "code": 0}', "data")).toEqual([
      '{"n":12345678901234567890123,"f":1e400}',
      "1.50",
      '"x"',
      "null",
    ]);
  });

  it("says undefined when the member is missing or not an array, null for a repeated key or not JSON", () => {
    expect(exactArrayItemTexts('{"data":{}}', "data")).toBeUndefined();
    expect(exactArrayItemTexts('{"a":[]}', "data")).toBeUndefined();
    expect(exactArrayItemTexts("[[]]", "data")).toBeUndefined();
    expect(exactArrayItemTexts('{"data":[{"a":1,"a":2}]}', "data")).toBeNull();
    expect(exactArrayItemTexts("{", "data")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { isActionPair } from "../../src/domain/kling";

describe("isActionPair", () => {
  it("knows the ten pairs and nothing inherited", () => {
    expect(isActionPair("videos", "text2video")).toBe(true);
    expect(isActionPair("images", "text2video")).toBe(false);
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) expect(isActionPair(name, "includes")).toBe(false);
  });
});

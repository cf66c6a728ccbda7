import { describe, expect, it } from "vitest";
import { isProductPath } from "../../src/domain/kling";
import { ACTION_PAIR_LIST, ALL_ACTION2S, ALL_ACTIONS, KLING_ONLY_PAIRS, KLING_PRODUCT_PATHS } from "../../src/domain/product-paths";

describe("the product paths, one list", () => {
  it("gives CometAPI's eleven pairs and Kling's seven more, eighteen paths in all", () => {
    expect(ACTION_PAIR_LIST).toHaveLength(11);
    expect(KLING_ONLY_PAIRS).toHaveLength(7);
    expect(KLING_PRODUCT_PATHS).toEqual([...ACTION_PAIR_LIST, ...KLING_ONLY_PAIRS].map(([a, b]) => `${a}/${b}`));
    expect(ALL_ACTIONS).toEqual(["images", "videos", "audio", "general"]);
    expect(ALL_ACTION2S).toHaveLength(18);
  });

  it("serves Kling's own paths through provider kling only", () => {
    for (const [action, action2] of ACTION_PAIR_LIST) {
      expect(isProductPath("cometapi", action, action2)).toBe(true);
      expect(isProductPath("kling", action, action2)).toBe(true);
    }
    for (const [action, action2] of KLING_ONLY_PAIRS) {
      expect(isProductPath("cometapi", action, action2)).toBe(false);
      expect(isProductPath("kling", action, action2)).toBe(true);
    }
    expect(isProductPath("kling", "toString", "includes")).toBe(false);
    expect(isProductPath("kling", "videos", "avatar")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import pkg from "../package.json";
import { USER_AGENT, VERSION } from "../src/version";

describe("version", () => {
  it("sends the package's version in the user-agent", () => {
    expect(VERSION).toBe(pkg.version);
    expect(USER_AGENT).toBe(`kling-webhook-relay/${pkg.version}`);
  });
});

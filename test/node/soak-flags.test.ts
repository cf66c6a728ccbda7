import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envFromFlags, SOAK_SWITCHES, SOAK_VALUE_FLAGS } from "../soak/soak-flags";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("npm run soak's flags", () => {
  it("set the SOAK_* env vars of the same meaning, in both spellings, and only those given", () => {
    expect(envFromFlags(["--tasks", "20000", "--minutes=25", "--queues", "--new-api-share", "1"])).toEqual({
      SOAK_TASKS: "20000",
      SOAK_MINUTES: "25",
      SOAK_QUEUES: "1",
      SOAK_NEW_API_SHARE: "1",
    });
    expect(envFromFlags([])).toEqual({});
  });

  it("refuse a misspelt flag, a flag without its value and a stray argument, with the usage line", () => {
    expect(() => envFromFlags(["--task", "20000"])).toThrow(/--task[\s\S]*usage: npm run soak -- .*--tasks N/);
    expect(() => envFromFlags(["--tasks"])).toThrow(/usage/);
    expect(() => envFromFlags(["20000"])).toThrow(/usage/);
  });

  it("each stand for an env var that the soak reads", () => {
    const source = readFileSync(path.join(ROOT, "test/soak/soak-run.ts"), "utf8");
    for (const name of [...Object.values(SOAK_VALUE_FLAGS), ...Object.values(SOAK_SWITCHES)]) expect(source).toContain(`"${name}"`);
  });
});

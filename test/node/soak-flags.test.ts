import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { capacityProblem, DEFAULT_TICK_SUBREQUESTS, envFromFlags, SOAK_SWITCHES, SOAK_VALUE_FLAGS } from "../soak/soak-flags";
import { FULL_SOAK } from "../soak/soak-run";

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

  it("say before a run starts that the default deploy cannot carry it, with the flags of one it can", () => {
    const run = { ...FULL_SOAK, ...{ tasks: 20_000 } };
    // `npm run soak -- --tasks 20000`: 2,500 webhooks a minute, against 12 ticks of 45 subrequests.
    expect(capacityProblem(run)).toMatch(/2500 final webhooks a minute[\s\S]*at most 540[\s\S]*--queues/);
    expect(capacityProblem({ ...run, queues: true })).toBeNull();
    // The full soak as it is, and the 20,000-task run's own command line.
    expect(capacityProblem(FULL_SOAK)).toBeNull();
    expect(capacityProblem({ ...run, minutes: 30, tickEverySeconds: 60, queues: true })).toBeNull();
  });

  it("count a tick's subrequests as the relay's SUBREQUEST_BUDGET default does", () => {
    const settings = readFileSync(path.join(ROOT, "src/config/settings.ts"), "utf8");
    expect(settings).toMatch(new RegExp(`SUBREQUEST_BUDGET: varSetting\\(\\s*count\\(${DEFAULT_TICK_SUBREQUESTS},`));
  });
});

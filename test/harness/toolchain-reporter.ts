/**
 * A vitest reporter for the e2e and browser runs: for each test file of the run that skipped tests
 * for want of a toolchain (toolchains.ts), one line before the summary saying which, and how to
 * get it: `skipped: 2 tests of test/e2e/verify-other-stacks.e2e.test.ts: go not found; install it
 * with ...`. The summary's skipped count then has its reason beside it. Under CI=true nothing
 * skips for that reason (the file fails, saying so), so nothing is printed.
 */
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { ALL_TOOLCHAINS, byTestFile, isCI, missingToolchains, skipLine } from "./toolchains.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

export function toolchainReporter(): Reporter {
  return {
    onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
      if (isCI(process.env)) return;
      for (const [file, missing] of byTestFile(missingToolchains(ALL_TOOLCHAINS, process.env))) {
        const module = testModules.find((candidate) => path.relative(ROOT, candidate.moduleId) === file);
        if (!module) continue;
        const skipped = [...module.children.allTests("skipped")].length;
        if (skipped > 0) console.log(skipLine(file, missing, skipped));
      }
    },
  };
}

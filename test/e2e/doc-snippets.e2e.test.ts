/**
 * The Python, Go, PHP and Ruby blocks of the README and docs/*.md (test/node/doc-snippets.test.ts
 * checks the rest, and the notes): each parses, runs as pasted unless noted `not-run (why)`, and a
 * `verify-function` block, pasted into a program on its own, accepts a webhook signed here and
 * refuses it with its body changed (the Python one once failed so: `NameError: time`, its imports
 * left out). Here because `npm run test:e2e` installs the interpreters where it can
 * (test/harness/ensure-toolchains.ts); a missing one skips its blocks and the run says why in one
 * line (test/harness/toolchain-reporter.ts); under CI=true it fails them instead.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planOf, signedWebhook, verifyProgram } from "../../tools/doc-snippet-checks";
import { codeBlocks, docFiles, ROOT } from "../../tools/markdown-docs";
import { ciErrorLine, DOC_SNIPPETS_TEST, isCI, missingToolchains, type ToolchainName } from "../harness/toolchains";

interface Language {
  lang: string;
  tool: ToolchainName;
  extension: string;
  /** Whether the file parses (no run). */
  check: (file: string) => [string, string[]];
  run: (file: string) => [string, string[]];
  /** A pasted block needs this in front to be a program of its own. */
  prelude: string;
  verified: string;
}

const LANGUAGES: Language[] = [
  {
    lang: "python",
    tool: "python3",
    extension: ".py",
    check: (file) => ["python3", ["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", file]],
    run: (file) => ["python3", [file]],
    prelude: "",
    verified: "True False",
  },
  {
    lang: "go",
    tool: "go",
    extension: ".go",
    check: (file) => ["gofmt", ["-e", "-l", file]],
    run: (file) => ["go", ["run", file]],
    prelude: "package main\n\n",
    verified: "true false",
  },
  {
    lang: "php",
    tool: "php",
    extension: ".php",
    check: (file) => ["php", ["-l", file]],
    run: (file) => ["php", [file]],
    prelude: "<?php\n",
    verified: "true false",
  },
  {
    lang: "ruby",
    tool: "ruby",
    extension: ".rb",
    check: (file) => ["ruby", ["-c", file]],
    run: (file) => ["ruby", [file]],
    prelude: "",
    verified: "true false",
  },
];

const work = mkdtempSync(path.join(tmpdir(), "doc-snippets-e2e-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function exec([command, args]: [string, string[]]) {
  // Go's first build of a program takes a few seconds; the others, well under one.
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, GOFLAGS: "-mod=mod" } });
  return { status: result.status, stdout: result.stdout.trim(), output: `${result.stdout}${result.stderr}`.trim() };
}

describe.each(LANGUAGES)("$lang blocks of the README and docs", (language) => {
  const blocks = docFiles().flatMap((file) => codeBlocks(file).filter((block) => block.lang === language.lang));
  const missing = missingToolchains([language.tool], process.env).length > 0;
  const named = blocks.map((block) => ({ ...block, where: `${block.file}:${block.line}` }));

  it.skipIf((missing && !isCI(process.env)) || named.length === 0).each(named)(
    "$where parses, and runs as noted",
    { timeout: 90_000 },
    (block) => {
      if (missing) throw new Error(ciErrorLine(DOC_SNIPPETS_TEST, [language.tool]));
      const plan = planOf(block);
      expect(plan).not.toBeInstanceOf(Error);
      if (plan instanceof Error) return;
      const base = path.join(work, `${block.file.replace(/\W/g, "-")}-${block.line}`);
      const source = `${base}${language.extension}`;
      writeFileSync(
        source,
        plan.run === "verify-function"
          ? verifyProgram(language.lang, block.code, signedWebhook(Date.now() / 1000))
          : `${language.prelude}${block.code}`,
      );
      const parsed = exec(language.check(source));
      expect(parsed.status, parsed.output).toBe(0);
      if (plan.run === "not-run") return;
      const ran = exec(language.run(source));
      expect(ran.status, ran.output).toBe(0);
      if (plan.run === "verify-function") expect(ran.stdout).toBe(language.verified);
    },
  );
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { CODE_LANGS, DATA_LANGS, planOf, signedWebhook, verifyProgram } from "../../tools/doc-snippet-checks";
import { codeBlocks, docFiles, ROOT } from "../../tools/markdown-docs";

/**
 * Every fenced block of the README and docs/*.md: labelled with a language this test knows, its
 * note (if any) well formed, and checked: JSON parses; shell, JavaScript and TypeScript parse, and
 * run as pasted unless noted `not-run (why)`; a `verify-function` block is called with a webhook
 * signed here, and must accept it and refuse it with its body changed. Python, Go, PHP and Ruby
 * blocks are run by test/e2e/doc-snippets.e2e.test.ts, where their interpreters are installed.
 */

const blocks = docFiles().flatMap((file) => codeBlocks(file).map((block) => ({ ...block, where: `${block.file}:${block.line}` })));
const work = mkdtempSync(path.join(tmpdir(), "doc-snippets-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], input?: string) {
  const result = spawnSync(command, args, { cwd: ROOT, input, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function fileFor(block: { file: string; line: number }, extension: string, code: string): string {
  const file = path.join(work, `${block.file.replace(/\W/g, "-")}-${block.line}${extension}`);
  writeFileSync(file, code);
  return file;
}

describe("the README's and docs' code blocks", () => {
  it("finds the blocks it checks", () => {
    expect(blocks.length).toBeGreaterThan(25);
  });

  it.each(blocks)("$where ($lang): a known language and a well-formed note", (block) => {
    expect([...CODE_LANGS, ...DATA_LANGS], `label the block (\`\`\`${[...CODE_LANGS, ...DATA_LANGS].join(", ")})`).toContain(block.lang);
    const plan = planOf(block);
    expect(plan).not.toBeInstanceOf(Error);
    if ((DATA_LANGS as readonly string[]).includes(block.lang)) expect(block.note, "a data block takes no snippet note").toBeNull();
    if (plan instanceof Error || plan.run !== "verify-function") return;
    expect(["js", "python", "go", "php", "ruby"]).toContain(block.lang);
  });

  const json = blocks.filter((block) => block.lang === "json");
  it.each(json)("$where: the JSON parses", ({ code }) => {
    expect(() => JSON.parse(code)).not.toThrow();
  });

  const shell = blocks.filter((block) => block.lang === "sh" || block.lang === "bash");
  it.each(shell)("$where: the shell parses, and runs unless noted", (block) => {
    const parsed = run("bash", ["-n"], block.code);
    expect(parsed.output).toBe("");
    expect(parsed.status).toBe(0);
    if (block.note !== null) return;
    const ran = run("bash", ["-euo", "pipefail"], block.code);
    expect(ran.status, ran.output).toBe(0);
  });

  const javascript = blocks.filter((block) => block.lang === "js");
  it.each(javascript)("$where: the JavaScript parses, and runs unless noted", (block) => {
    const file = fileFor(block, ".mjs", block.code);
    const parsed = run(process.execPath, ["--check", file]);
    expect(parsed.status, parsed.output).toBe(0);
    const plan = planOf(block);
    if (plan instanceof Error || plan.run === "not-run") return;
    if (plan.run === "as-pasted") {
      const ran = run(process.execPath, [file]);
      expect(ran.status, ran.output).toBe(0);
      return;
    }
    const program = fileFor(block, ".verify.mjs", verifyProgram("js", block.code, signedWebhook(Date.now() / 1000)));
    const ran = run(process.execPath, [program]);
    expect(ran).toEqual({ status: 0, output: "true false" });
  });

  const typescript = blocks.filter((block) => block.lang === "ts");
  it.each(typescript)("$where: the TypeScript parses, and is noted (this test runs no TypeScript yet)", (block) => {
    const out = ts.transpileModule(block.code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
    expect((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
    expect(block.note, "a TypeScript block this test cannot run: note it not-run (why)").toMatch(/^not-run \(/);
  });
});

describe("the checks themselves", () => {
  it("refuse a bad note, and a verify-function that does not verify", () => {
    expect(planOf({ file: "x.md", line: 1, lang: "sh", code: "", note: "skip" })).toBeInstanceOf(Error);
    const wrong = "function verify() { return true; }";
    const program = fileFor({ file: "self", line: 1 }, ".mjs", verifyProgram("js", wrong, signedWebhook(Date.now() / 1000)));
    expect(run(process.execPath, [program]).output).toBe("true true");
  });
});

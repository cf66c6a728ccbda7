import { createHmac, randomBytes } from "node:crypto";
import type { CodeBlock } from "./markdown-docs";

/**
 * What the doc tests do with each fenced block of the README and docs/ (tools/markdown-docs.ts
 * reads them). A block of code runs as pasted unless the line right before it says otherwise:
 *
 *   <!-- snippet: not-run (why: needs a Cloudflare account, a server that runs until stopped, ...) -->
 *   <!-- snippet: verify-function -->  a webhook `verify` to paste into an app: the test calls it
 *
 * Every block of code is syntax-checked either way; data blocks (json) must parse.
 * test/node/doc-snippets.test.ts checks the notes, JSON, shell, JavaScript and TypeScript;
 * test/e2e/doc-snippets.e2e.test.ts runs Python, Go, PHP and Ruby (the e2e project installs them).
 */

/** Languages whose blocks are code, each checked or run. */
export const CODE_LANGS = ["sh", "bash", "js", "ts", "python", "go", "php", "ruby"] as const;
/** Blocks that are not code: data or pictures (json must parse). */
export const DATA_LANGS = ["json", "toml", "text", "mermaid"] as const;

export type Plan = { run: "as-pasted" } | { run: "not-run"; reason: string } | { run: "verify-function" };

/** How a block is checked, from its note; an error says what is wrong with the note. */
export function planOf(block: CodeBlock): Plan | Error {
  if (block.note === null) return { run: "as-pasted" };
  if (block.note === "verify-function") return { run: "verify-function" };
  const notRun = /^not-run \((.+)\)$/.exec(block.note);
  if (notRun) return { run: "not-run", reason: notRun[1]! };
  return new Error(`unknown snippet note "${block.note}": use "not-run (<why>)" or "verify-function"`);
}

export interface SignedWebhook {
  key: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A webhook signed as the relay signs it (Standard Webhooks `v1`), now. */
export function signedWebhook(nowSeconds: number): SignedWebhook {
  const secret = randomBytes(32);
  const id = `msg_${randomBytes(8).toString("hex")}`;
  const timestamp = String(Math.floor(nowSeconds));
  const body = JSON.stringify({ type: "task.succeeded", task_id: "878106242831892487" });
  const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { key: `whsec_${secret.toString("base64")}`, id, timestamp, signature: `v1,${signature}`, body };
}

/**
 * A program: the pasted `verify` block, then calls of it with the webhook as sent and with its body
 * changed; it prints both answers, which must be "true false" (Python: "True False").
 */
export function verifyProgram(lang: string, block: string, w: SignedWebhook): string {
  const [key, id, ts, sig, body, tampered] = [w.key, w.id, w.timestamp, w.signature, w.body, `${w.body} `].map((s) => JSON.stringify(s));
  switch (lang) {
    case "js":
      return `${block}\nconsole.log(verify(${key}, ${id}, ${ts}, ${sig}, Buffer.from(${body})), verify(${key}, ${id}, ${ts}, ${sig}, Buffer.from(${tampered})));\n`;
    case "python":
      return `${block}\nprint(verify(${key}, ${id}, ${ts}, ${sig}, ${body}.encode()), verify(${key}, ${id}, ${ts}, ${sig}, ${tampered}.encode()))\n`;
    case "go":
      return `package main\n\nimport "fmt"\n\n${block}\nfunc main() {\n\tfmt.Println(verify(${key}, ${id}, ${ts}, ${sig}, []byte(${body}), time.Now()), verify(${key}, ${id}, ${ts}, ${sig}, []byte(${tampered}), time.Now()))\n}\n`;
    case "php":
      return `<?php\n${block}\nvar_export(verify(${key}, ${id}, ${ts}, ${sig}, ${body}));\necho " ";\nvar_export(verify(${key}, ${id}, ${ts}, ${sig}, ${tampered}));\n`;
    case "ruby":
      return `${block}\nputs [verify(${key}, ${id}, ${ts}, ${sig}, ${body}), verify(${key}, ${id}, ${ts}, ${sig}, ${tampered})].join(" ")\n`;
    default:
      throw new Error(`no verify-function program for ${lang}`);
  }
}

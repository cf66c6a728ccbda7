import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Reads the README and docs/*.md the way the doc tests need: their fenced code blocks (with the
 * `<!-- snippet: ... -->` note right before each), their links and their headings' anchors.
 * Used by test/node/doc-links.test.ts, test/node/doc-snippets.test.ts and
 * test/e2e/doc-snippets.e2e.test.ts.
 */

export const ROOT = path.resolve(import.meta.dirname, "..");

/** The README and every page of docs/, as paths relative to the repository. */
export function docFiles(): string[] {
  const pages = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...pages];
}

export function readDoc(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** What `<!-- snippet: ... -->` on the last non-blank line before the fence says, or null. */
  note: string | null;
}

const FENCE = /^(\s*)(`{3,})(.*)$/;
const NOTE = /^<!--\s*snippet:\s*(.*?)\s*-->$/;

export function codeBlocks(file: string, text = readDoc(file)): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) {
      body.push(lines[j]!.slice(Math.min(indent, lines[j]!.length - lines[j]!.trimStart().length)));
      j++;
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    const note = k >= 0 ? (NOTE.exec(lines[k]!.trim())?.[1] ?? null) : null;
    blocks.push({ file, line: i + 1, lang: open[3]!.trim(), code: `${body.join("\n")}\n`, note });
    i = j;
  }
  return blocks;
}

/** The text outside fenced blocks, code spans blanked, so links and headings are read from prose only. */
function prose(text: string): string[] {
  const lines = text.split("\n");
  let fence: string | null = null;
  return lines.map((line) => {
    const open = /^\s*(`{3,})/.exec(line);
    if (fence) {
      if (open && line.trimStart().startsWith(fence)) fence = null;
      return "";
    }
    if (open) {
      fence = open[1]!;
      return "";
    }
    return line.replace(/`+[^`]*`+/g, (span) => " ".repeat(span.length));
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fence: string | null = null;
  for (const line of text.split("\n")) {
    const open = /^\s*(`{3,})/.exec(line);
    if (fence || open) {
      if (!fence) fence = open![1]!;
      else if (open && line.trimStart().startsWith(fence)) fence = null;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/<[^>]*>/g, "")
      .replace(/[^\p{Letter}\p{Number}\p{Mark}\s_-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images, `[text](target)`, outside code. */
export function links(file: string, text = readDoc(file)): Link[] {
  const found: Link[] = [];
  prose(text).forEach((line, i) => {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ file, line: i + 1, target: match[1]! });
  });
  return found;
}

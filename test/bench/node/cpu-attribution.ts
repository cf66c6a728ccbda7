/**
 * Where a CPU profile of the Worker's isolate spent its time: per function, and per owner (our
 * src/, each library, the D1 binding's client, the runtime), read from the bundle wrangler dev
 * runs, in which esbuild marks where each module starts (`// node_modules/zod/...`, `// src/...`).
 */
import { readFileSync } from "node:fs";
import type { CpuProfile, ProfileNode } from "./isolate-profiler.ts";

/** Libraries reported one by one; any other package is "other packages". */
const NAMED_LIBRARIES: Record<string, string> = {
  zod: "zod",
  hono: "hono",
  "@hono/zod-openapi": "hono",
  "@hono/zod-validator": "hono",
  "@asteasolutions/zod-to-openapi": "hono",
  "drizzle-orm": "drizzle-orm",
  "lossless-json": "lossless-json",
  tldts: "tldts",
  "tldts-core": "tldts",
};
export const OURS = "ours (src/)";
export const D1_CLIENT = "D1 binding (client)";
export const WRANGLER_SHIMS = "wrangler dev shims";
export const GC = "(garbage collector)";
export const PROGRAM = "(program)";

/** Who a bundled module belongs to, from its path as esbuild wrote it. */
export function ownerOfModule(modulePath: string): string {
  const at = modulePath.lastIndexOf("node_modules/");
  if (at < 0) return modulePath.includes("wrangler") || modulePath.startsWith(".wrangler") ? WRANGLER_SHIMS : OURS;
  const parts = modulePath.slice(at + "node_modules/".length).split("/");
  const name = parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  if (name === "wrangler") return WRANGLER_SHIMS;
  return NAMED_LIBRARIES[name] ?? "other packages";
}

/** The bundle's module starts: (0-based line, module path), in line order. */
export function bundleModules(bundlePath: string): { line: number; path: string }[] {
  const starts: { line: number; path: string }[] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((text, line) => {
      // A path relative to where wrangler ran (`../main/node_modules/zod/...` when node_modules is a link).
      const match = /^\/\/ (\S*\/\S+\.(?:[cm]?[jt]sx?|json))$/.exec(text);
      if (match) starts.push({ line, path: match[1]! });
    });
  return starts;
}

function moduleAt(starts: { line: number; path: string }[], line: number): string | null {
  let lo = 0;
  let hi = starts.length - 1;
  let found: string | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]!.line <= line) {
      found = starts[mid]!.path;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface CpuSummary {
  /** The isolate's busy time (ms): every sample but `(idle)`, GC and `(program)` included. */
  totalMs: number;
  /** ms by owner (GC and `(program)` as owners of their own). */
  byOwner: Map<string, number>;
  /** ms by function (`name (owner)`), self time. */
  byFunction: Map<string, number>;
  /** The sampling period this profile achieved (µs): the median time between samples. */
  intervalUs: number;
  samples: number;
}

/**
 * V8 samples the isolate only while it is entered (running JS, or a runtime call made from JS):
 * while the thread waits on I/O or runs another isolate (local D1's SQLite runs in its own), no
 * sample is taken and the gap lands in the next sample's time delta. So each sample is counted as
 * one sampling period (the median delta), not as its delta: the sum is the isolate's busy time.
 * A runtime function (no script URL: fetch, Response, crypto) is counted as its caller's owner:
 * the D1 client's `fetch` to the D1 service is the D1 binding's cost, a `Response` made by hono
 * is hono's. `periodUs`: the period measured in another window of the same run, for a window of
 * requests so short that most of its deltas are the waits between them (their median is no period).
 */
export function summarize(profile: CpuProfile, starts: { line: number; path: string }[], bundleUrl: string, periodUs?: number): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const ownerMemo = new Map<number, string>();
  const ownerOf = (node: ProfileNode): string => {
    const memo = ownerMemo.get(node.id);
    if (memo) return memo;
    const { url, functionName, lineNumber } = node.callFrame;
    let owner: string;
    if (functionName === "(garbage collector)") owner = GC;
    else if (functionName === "(program)") owner = PROGRAM;
    else if (url.startsWith("cloudflare-internal:d1")) owner = D1_CLIENT;
    else if (url.endsWith(bundleUrl)) owner = ownerOfModule(moduleAt(starts, lineNumber) ?? "");
    else if (url === "" && parent.get(node.id) && parent.get(node.id)!.callFrame.functionName !== "(root)")
      owner = ownerOf(parent.get(node.id)!);
    else owner = "runtime";
    ownerMemo.set(node.id, owner);
    return owner;
  };
  // Our functions by file (src/...), so that a table of the costliest says where to look.
  const ourFile = (node: ProfileNode) => {
    const at = node.callFrame.url.endsWith(bundleUrl) ? (moduleAt(starts, node.callFrame.lineNumber) ?? "") : "";
    const src = at.lastIndexOf("src/");
    return src < 0 ? OURS : at.slice(src);
  };
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const intervalUs = periodUs ?? sorted[sorted.length >> 1] ?? 0;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)" || node.callFrame.functionName === "(root)") continue;
    busy += 1;
    const owner = ownerOf(node);
    const name = `${node.callFrame.functionName || "(anonymous)"} (${owner === OURS ? ourFile(node) : owner})`;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + intervalUs / 1000);
    byFunction.set(name, (byFunction.get(name) ?? 0) + intervalUs / 1000);
  }
  return { totalMs: (busy * intervalUs) / 1000, byOwner, byFunction, intervalUs, samples: busy };
}

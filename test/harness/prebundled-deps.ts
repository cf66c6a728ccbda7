import fs from "node:fs";
import path from "node:path";
import type { Plugin } from "vitest/config";

/**
 * The Worker's npm dependencies, pre-bundled for the Workers pools (vite's dependency optimizer):
 * workerd loads every module of a test file's graph one by one over the pool's socket, and without
 * this the Worker's dependencies alone were ~290 modules (drizzle-orm 111, zod 95, hono 48, ...),
 * loaded again into each file's own workerd. Bundled, they are ~25, and a file's setup (importing
 * the Worker) costs about a fifth less CPU.
 *
 * The list is every bare import of src/ that names a package of package.json's `dependencies`
 * (each subpath too: a subpath left out would be served unbundled, a second copy of what the
 * bundle holds, and a class of it would fail `instanceof` against the bundle's), and the JSX
 * runtime that tsconfig.json's `jsxImportSource` names. It is read from the files at each start,
 * so a new import needs no change here.
 *
 * The bundles go to the checkout's own .tmp/vite (vitest's cache, in a folder per project name),
 * not to node_modules/.vite, which checkouts sharing one node_modules would share too.
 */
export function prebundledDeps(root: string): Plugin {
  return {
    name: "kling-relay:prebundled-deps",
    config: () => ({
      cacheDir: path.join(root, ".tmp/vite"),
      test: { deps: { optimizer: { ssr: { enabled: true, include: workerDependencyImports(root) } } } },
    }),
  };
}

export function workerDependencyImports(root: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
  const packageOf = (specifier: string) =>
    specifier
      .split("/")
      .slice(0, specifier.startsWith("@") ? 2 : 1)
      .join("/");
  const found = new Set<string>();
  for (const file of fs.readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })) {
    if (!/\.tsx?$/.test(file)) continue;
    const text = fs.readFileSync(path.join(root, "src", file), "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      const specifier = match[1]!;
      if (dependencies.has(packageOf(specifier))) found.add(specifier);
    }
  }
  const tsconfig = fs.readFileSync(path.join(root, "tsconfig.json"), "utf8");
  const jsxSource = /"jsxImportSource"\s*:\s*"([^"]+)"/.exec(tsconfig)?.[1];
  if (jsxSource !== undefined && dependencies.has(packageOf(jsxSource))) {
    found.add(`${jsxSource}/jsx-runtime`);
    found.add(`${jsxSource}/jsx-dev-runtime`);
  }
  return [...found].sort();
}

import { execFileSync } from "node:child_process";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startLoopbackNetwork } from "../../tools/loopback-network";

export const UPSTREAM_KEY = "test-cometapi-key";

/**
 * Puts Scalar's bundle into the static assets folder (public/, wrangler.toml's `[assets]`), as
 * wrangler's build command does before `wrangler dev`: the Workers pool serves `[assets]` but does
 * not run the build command (it starts without the folder, and then the bundle answers 404, which
 * test/docs-page.test.ts catches). Every global setup of a Workers pool calls it (this one, bench-setup.ts).
 */
export function copyScalarAssets() {
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, "../../tools/scalar-assets.mjs")], { stdio: "inherit" });
}

/** Copies the static assets, then starts the loopback network once for the run; tests reach it through `FAKE_URL`. */
export default async function setup(project: TestProject) {
  copyScalarAssets();
  const network = await startLoopbackNetwork({ apiKey: UPSTREAM_KEY });
  project.provide("fakeUrl", network.url);
  return () => network.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeUrl: string;
  }
}

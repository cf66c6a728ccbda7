import { execFileSync } from "node:child_process";
import path from "node:path";

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

/**
 * The global setup of the test pools (vitest.config.ts, vitest.queues.config.ts,
 * vitest.migration.config.ts): copies the static assets. Their loopback network is started per
 * test file by the pool itself (workers-pool.ts, `network: "per-file"`); the benchmarks' global
 * setup (bench-setup.ts) starts one for the run and provides it as `fakeUrl`.
 */
export default function setup() {
  copyScalarAssets();
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeUrl: string;
  }
}

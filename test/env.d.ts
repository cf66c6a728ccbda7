import type { D1Migration } from "cloudflare:test";

// Cloudflare.Env (the `env` of cloudflare:test) is generated from wrangler.toml with the Worker's
// own (src/worker-configuration.d.ts); the test pools add these.
declare global {
  namespace Cloudflare {
    interface Env {
      /** Bound by the test pools (test/harness/workers-pool.ts), as `npm start` binds it. */
      ARCHIVE?: R2Bucket;
      TEST_MIGRATIONS: D1Migration[];
      FAKE_URL: string;
      /** Where benchmarks report their tables (test/bench/bench-support.ts); set when a global setup provides a network. */
      BENCH_URL?: string;
      /** Set only by test/harness/vitest.migration.config.ts, whose DB starts with no migration applied. */
      MIGRATION_TEST?: string;
    }
  }
}

import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      FAKE_URL: string;
      /** Set only by test/harness/vitest.migration.config.ts, whose DB starts with no migration applied. */
      MIGRATION_TEST?: string;
    }
  }
}

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}

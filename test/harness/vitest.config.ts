import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
          FAKE_URL: inject("fakeUrl"),
          UPSTREAM_BASE_URL: inject("fakeUrl"),
          RELAY_API_KEYS: "test-key-1,test-key-2",
          WEBHOOK_SECRETS: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
          COMETAPI_KEY: "test-cometapi-key",
          ALLOW_INSECURE_CALLBACKS: "true",
        },
      },
    })),
  ],
  test: {
    root,
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "**/node_modules/**"],
    // The tick logs one JSON line per run: show logs only for tests that fail.
    silent: "passed-only",
    globalSetup: [path.join(root, "test/harness/global-setup.ts")],
    setupFiles: [path.join(root, "test/support/apply-migrations.ts")],
  },
});

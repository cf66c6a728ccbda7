import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { workerdNoiseFilter } from "./workerd-noise";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * The Workers pool for suites that run inside workerd: the real wrangler.toml, migrations for the
 * setup file to apply, test secrets, and the loopback network (started by a global setup that
 * provides `fakeUrl`) as the upstream. workerd's expected connection-reset noise goes to a log
 * file under .tmp/ (workerd-noise.ts), not to the terminal.
 */
export function relayWorkersPool(extraBindings: Record<string, string> = {}, options: { environment?: string } = {}) {
  const pool = cloudflareTest(async ({ inject }) => ({
    wrangler: { configPath: path.join(ROOT, "wrangler.toml"), environment: options.environment },
    miniflare: {
      bindings: {
        TEST_MIGRATIONS: await readD1Migrations(path.join(ROOT, "migrations")),
        FAKE_URL: inject("fakeUrl"),
        UPSTREAM_BASE_URL: inject("fakeUrl"),
        RELAY_API_KEYS: "relay-test-key-one-0123456789,relay-test-key-two-0123456789",
        // The admin's key (every tenant): test/support/relay.ts's ADMIN_KEY.
        ADMIN_API_KEY: "relay-test-admin-key-0123456789",
        WEBHOOK_SECRETS: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
        COMETAPI_KEY: "test-cometapi-key",
        // Kling's own API: the simulator's default credentials (tools/kling-auth.ts).
        KLING_BASE_URL: inject("fakeUrl"),
        KLING_API_KEY: "sim-kling-api-key",
        ALLOW_INSECURE_CALLBACKS: "true",
        // Links to archived files (test/archive-files.test.ts), served from the ARCHIVE bucket below.
        ARCHIVE_LINK_SECRET: "archive-link-test-secret-0123456789abcdef",
        ...extraBindings,
      },
      r2Buckets: ["ARCHIVE"],
    },
  }));
  return [pool, workerdNoiseFilter()];
}

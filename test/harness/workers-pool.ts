import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vitest/config";
import { type LoopbackNetwork, startLoopbackNetwork } from "../../tools/loopback-network.ts";
import { UPSTREAM_KEY } from "./global-setup.ts";
import { packageSourcemaps } from "./package-sourcemaps.ts";
import { prebundledDeps } from "./prebundled-deps.ts";
import { workerdNoiseFilter } from "./workerd-noise.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface RelayWorkersPoolOptions {
  /** A named environment of wrangler.toml (`queues`). */
  environment?: string;
  /**
   * Where the loopback network (the Kling simulator, webhook receivers) comes from:
   * - `"per-file"`: a network of its own for every test file, started with the file's workerd
   *   (the pool starts one Miniflare per file) and closed when the run ends. Files that run in
   *   parallel then share nothing, not even the simulator's run-wide counters (`/_sim/batches`).
   * - `"provided"` (default): the one network a global setup started and provided as `fakeUrl`
   *   (bench-setup.ts: the benchmarks report their results through it).
   */
  network?: "per-file" | "provided";
  /** The per-file network's simulator seed (the provided one's is its global setup's). */
  networkSeed?: number;
}

/** The per-file networks still open, closed by the plugin below when the run ends. */
const openNetworks = new Set<LoopbackNetwork>();

function closeNetworksAtEnd(): Plugin {
  return {
    name: "kling-relay:per-file-networks",
    configureVitest({ vitest }) {
      vitest.onClose(async () => {
        const closing = [...openNetworks].map((network) => network.close());
        openNetworks.clear();
        await Promise.all(closing);
      });
    },
  };
}

/**
 * The Workers pool for suites that run inside workerd: the real wrangler.toml, migrations for the
 * setup file to apply, test secrets, and the loopback network (options.network) as the upstream.
 * workerd's expected connection-reset noise goes to a log file under .tmp/ (workerd-noise.ts),
 * not to the terminal; packages' source maps that point to missing sources are not read
 * (package-sourcemaps.ts); the Worker's npm dependencies are pre-bundled (prebundled-deps.ts).
 */
export function relayWorkersPool(extraBindings: Record<string, string> = {}, options: RelayWorkersPoolOptions = {}) {
  const pool = cloudflareTest(async ({ inject }) => {
    let fakeUrl: string;
    // Where benchmarks report (bench-support.ts): the provided network, which prints what all reported.
    let benchUrl: string | undefined;
    if (options.network === "per-file") {
      const network = await startLoopbackNetwork({ apiKey: UPSTREAM_KEY, seed: options.networkSeed });
      openNetworks.add(network);
      fakeUrl = network.url;
      benchUrl = inject("fakeUrl");
    } else {
      fakeUrl = inject("fakeUrl");
      benchUrl = fakeUrl;
    }
    return {
      wrangler: { configPath: path.join(ROOT, "wrangler.toml"), environment: options.environment },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(ROOT, "migrations")),
          FAKE_URL: fakeUrl,
          ...(benchUrl === undefined ? {} : { BENCH_URL: benchUrl }),
          UPSTREAM_BASE_URL: fakeUrl,
          RELAY_API_KEYS: "relay-test-key-one-0123456789,relay-test-key-two-0123456789",
          // The admin's key (every tenant): test/support/relay.ts's ADMIN_KEY.
          ADMIN_API_KEY: "relay-test-admin-key-0123456789",
          WEBHOOK_SECRETS: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=",
          COMETAPI_KEY: UPSTREAM_KEY,
          // Kling's own API: the simulator's default credentials (tools/kling-auth.ts).
          KLING_BASE_URL: fakeUrl,
          KLING_API_KEY: "sim-kling-api-key",
          ALLOW_INSECURE_CALLBACKS: "true",
          // Links to archived files (test/archive-files.test.ts), served from the ARCHIVE bucket below.
          ARCHIVE_LINK_SECRET: "archive-link-test-secret-0123456789abcdef",
          // Secrets sealed at rest, as in production (test/support/relay.ts's SECRETS_KEY). Tests
          // of local development (no SECRETS_KEY) override it with undefined (test/sealed-secrets.test.ts).
          SECRETS_KEY: "cmVsYXktdGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg=",
          ...extraBindings,
        },
        r2Buckets: ["ARCHIVE"],
      },
    };
  });
  return [
    pool,
    workerdNoiseFilter(),
    packageSourcemaps(),
    prebundledDeps(ROOT),
    ...(options.network === "per-file" ? [closeNetworksAtEnd()] : []),
  ];
}

/**
 * The relay as outside apps see it, for the end-to-end and browser suites: the loopback network
 * (Kling simulator, webhook receivers) and the real `wrangler dev` pointed at it, with intervals,
 * timeouts and retries scaled down so that a suite runs in seconds.
 */
import { randomBytes } from "node:crypto";
import { fetchText } from "./http-helpers";
import { type LoopbackNetwork, startLoopbackNetwork } from "./loopback-network";
import { createRelayClient, type RelayClient } from "./relay-client";
import { freePort, startWranglerDev, type WranglerDev } from "./wrangler-dev";

export interface RelayStack {
  network: LoopbackNetwork;
  relay: WranglerDev;
  client: RelayClient;
  /** `INBOUND_TOKEN`: upstream calls the relay back at `{relay.url}/inbound/{provider}/{token}` (a secret). */
  inboundToken: string;
  /** `ARCHIVE_LINK_SECRET`, when started with `archive` (null otherwise): what signs the links to archived files. */
  archiveLinkSecret: string | null;
  /**
   * Starts wrangler dev again, on the same port, vars and state folder (`persistTo`), after
   * `relay.crash()`: `relay` is the new one from then on (the client's URL stays right).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRelayStack(options: {
  apiKey: string;
  secret: string;
  upstreamKey: string;
  seed: number;
  vars?: Record<string, string>;
  /**
   * Archiving on: the `ARCHIVE` bucket bound (kept locally by wrangler dev) and an
   * `ARCHIVE_LINK_SECRET`, so that registrations may ask `archive: true`.
   */
  archive?: boolean;
  /** Keep the relay's state (D1, R2) here, for `restart()` (default: a temp folder of its own). */
  persistTo?: string;
}): Promise<RelayStack> {
  const network = await startLoopbackNetwork({ apiKey: options.upstreamKey, seed: options.seed });
  // Known before the relay starts: it gives upstream its own URL to call back.
  const port = await freePort();
  const inboundToken = randomBytes(24).toString("hex");
  const archiveLinkSecret = options.archive ? randomBytes(24).toString("hex") : null;
  const startRelay = () =>
    startWranglerDev({
      // The sources as they were at start: an edit saved meanwhile does not reload the relay mid-suite.
      snapshot: true,
      port,
      ...(options.persistTo === undefined ? {} : { persistTo: options.persistTo }),
      ...(options.archive ? { r2Buckets: { ARCHIVE: "kling-webhook-relay-archive" } } : {}),
      vars: {
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        INBOUND_TOKEN: inboundToken,
        RELAY_API_KEYS: options.apiKey,
        WEBHOOK_SECRETS: options.secret,
        COMETAPI_KEY: options.upstreamKey,
        UPSTREAM_BASE_URL: network.url,
        ALLOW_INSECURE_CALLBACKS: "true",
        POLL_MIN_INTERVAL_SECONDS: "0.2",
        POLL_MAX_INTERVAL_SECONDS: "0.5",
        UPSTREAM_TIMEOUT_SECONDS: "1",
        DELIVERY_RETRY_SCHEDULE: "0.2,0.2,0.2",
        DELIVERY_TIMEOUT_SECONDS: "2",
        TICK_WALL_BUDGET_SECONDS: "3",
        ...(archiveLinkSecret ? { ARCHIVE_LINK_SECRET: archiveLinkSecret } : {}),
        ...options.vars,
      },
    });
  let relay = await startRelay().catch(async (error: unknown) => {
    await network.close();
    throw error;
  });
  return {
    network,
    get relay() {
      return relay;
    },
    client: createRelayClient(relay.url, options.apiKey),
    inboundToken,
    archiveLinkSecret,
    async restart() {
      await relay.stop();
      relay = await startRelay();
    },
    async stop() {
      await relay.stop();
      await network.close();
    },
  };
}

/**
 * Creates a task on the simulator through its create endpoint, as an app would through CometAPI
 * (within `timeoutMs`, default 5 s; `signal` ends it sooner).
 */
export async function createSimulatedTask(
  baseUrl: string,
  upstreamKey: string,
  action: string,
  action2: string,
  timeline: Record<string, unknown> = {},
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  const { res, text } = await fetchText(`${baseUrl}/kling/v1/${action}/${action2}`, {
    method: "POST",
    headers: { authorization: `Bearer ${upstreamKey}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a cat surfing a wave", x_sim: timeline }),
    timeoutMs: options.timeoutMs ?? 5_000,
    signal: options.signal,
    what: `creating a ${action}/${action2} task on the simulator`,
  });
  if (!res.ok) throw new Error(`creating a ${action}/${action2} task on the simulator answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { data: { task_id: string } }).data.task_id;
}

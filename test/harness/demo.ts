/**
 * `npm start`: the whole product, offline. Starts the Kling simulator, webhook receivers that
 * verify every delivery with the `standardwebhooks` library, and the relay under `wrangler dev`;
 * registers a mixed workload; fires the cron tick every second; shows progress; exits 0 once every
 * expected webhook arrived verified. Ctrl-C stops everything it started.
 */
import { randomBytes } from "node:crypto";
import { startLoopbackNetwork, type LoopbackNetwork } from "./loopback-network";
import { createRelayClient, type RelayClient } from "./relay-client";
import { createSimulatedTask } from "./relay-stack";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev";

const TIME_SCALE = Number(process.env.DEMO_TIME_SCALE ?? "0.05");
const TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_SECONDS ?? "180") * 1000;
const PAIRS: [string, string][] = [
  ["images", "generations"], ["images", "kolors-virtual-try-on"],
  ["videos", "text2video"], ["videos", "image2video"], ["videos", "lip-sync"], ["videos", "effects"],
  ["videos", "multi-image2video"], ["videos", "multi-elements"],
  ["audio", "text-to-audio"], ["audio", "video-to-audio"],
];

interface Expected {
  receiver: string;
  subscriptionId: string;
  taskId: string;
  type: "task.succeeded" | "task.failed";
}

let network: LoopbackNetwork | undefined;
let relay: WranglerDev | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await relay?.stop().catch(() => undefined);
    await network?.close().catch(() => undefined);
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const apiKey = `demo-${randomBytes(12).toString("hex")}`;
  const upstreamKey = `sim-${randomBytes(12).toString("hex")}`;

  network = await startLoopbackNetwork({ apiKey: upstreamKey, timeScale: TIME_SCALE, seed: 7 });
  for (const name of ["app-a", "app-b"]) network.receivers.configure(name, { secret });
  network.receivers.configure("flaky", { secret, steps: [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }] });
  say(`kling simulator and receivers on ${network.url} (durations x${TIME_SCALE})`);

  say("starting the relay under wrangler dev (local D1, migrations applied)...");
  relay = await startWranglerDev({
    vars: {
      RELAY_API_KEYS: apiKey,
      WEBHOOK_SECRETS: secret,
      COMETAPI_KEY: upstreamKey,
      UPSTREAM_BASE_URL: network.url,
      ALLOW_INSECURE_CALLBACKS: "true",
      POLL_MIN_INTERVAL_SECONDS: "1",
      POLL_MAX_INTERVAL_SECONDS: "3",
      DELIVERY_RETRY_SCHEDULE: "1,1,2,2,3",
      // Each fired tick lingers for up to 3 s, working as tasks fall due.
      TICK_WALL_BUDGET_SECONDS: "3",
      UPSTREAM_TIMEOUT_SECONDS: "2",
      DELIVERY_TIMEOUT_SECONDS: "2",
    },
  });
  say(`relay on ${relay.url}`);
  const client = createRelayClient(relay.url, apiKey);
  const hook = (name: string) => `${network!.url}/hooks/${name}`;

  const expected: Expected[] = [];
  const taskIds: string[] = [];
  for (const [index, [action, action2]] of PAIRS.entries()) {
    const outcome = index % 4 === 3 ? "failed" : "succeed";
    const created = await createSimulatedTask(network.url, upstreamKey, action, action2, { outcome });
    taskIds.push(created);
    const type = outcome === "succeed" ? "task.succeeded" : "task.failed";
    const targets = ["app-a", ...(index % 3 === 0 ? ["app-b"] : []), ...(index === 2 || index === 5 ? ["flaky"] : [])];
    for (const receiver of targets) {
      const events = receiver === "app-b" ? ["task.processing", "task.succeeded", "task.failed", "task.expired"] : undefined;
      const sub = await client.register({ task_id: created, action, action2, callback_url: hook(receiver), metadata: { demo: true, receiver }, events });
      expected.push({ receiver, subscriptionId: sub.id, taskId: created, type });
    }
  }
  say(`registered ${taskIds.length} tasks (all ten action pairs, ${expected.filter((e) => e.type === "task.failed").length} failing) with ${expected.length} subscriptions`);
  const forged = await fetch(hook("app-a"), { method: "POST", headers: { "content-type": "application/json", "webhook-id": "msg_forged", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,Zm9yZ2Vk" }, body: "{}" });
  say(`a forged webhook sent to app-a was answered ${forged.status} (bad signature rejected)`);

  const started = Date.now();
  let ticks = 0;
  for (;;) {
    await relay.fireScheduled();
    ticks += 1;
    const progress = await summarize(client, taskIds);
    const arrived = expected.filter((e) => verifiedArrival(network!, e)).length;
    const line = `t+${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s  tick ${String(ticks).padStart(3)}  tasks: ${progress.polling} polling, ${progress.finished} finished  |  subscriptions: ${progress.active} active, ${progress.delivered} delivered, ${progress.failed} failed  |  messages retrying: ${progress.retrying}  |  webhooks verified: ${arrived}/${expected.length}`;
    say(line);
    if (arrived === expected.length && progress.active === 0) break;
    if (Date.now() - started > TIMEOUT_MS) {
      say(`timed out after ${TIMEOUT_MS / 1000}s with ${expected.length - arrived} expected webhooks missing`);
      printSummary(network, expected);
      return shutdown(1);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  printSummary(network, expected);
  const stats = network.simulator.stats();
  say(`\nupstream polls: ${stats.polls} for ${taskIds.length} tasks (${(stats.polls / taskIds.length).toFixed(1)} per task); ticks fired: ${ticks}`);
  say("every expected webhook arrived and was verified: OK");
  return shutdown(0);
}


function verifiedArrival(network: LoopbackNetwork, e: Expected): boolean {
  return network.receivers.deliveries(e.receiver).some((d) => {
    if (d.verified !== true) return false;
    const body = JSON.parse(d.body) as { type: string; subscription_id: string };
    return body.subscription_id === e.subscriptionId && body.type === e.type;
  });
}

async function summarize(client: RelayClient, taskIds: string[]) {
  const views = await Promise.all(taskIds.map((id) => client.task(id)));
  const subs = views.flatMap((v) => v.subscriptions);
  const count = (status: string) => subs.filter((s) => s.status === status).length;
  return {
    polling: views.filter((v) => v.next_poll_at !== null).length,
    finished: views.filter((v) => v.finished_at !== null).length,
    active: count("active"),
    delivered: count("delivered"),
    failed: count("failed"),
    retrying: subs.flatMap((s) => s.deliveries).filter((d) => d.status === "pending" && d.attempt_count > 0).length,
  };
}

function printSummary(network: LoopbackNetwork, expected: Expected[]) {
  say("\nreceiver   received  verified  rejected  duplicates  event types");
  for (const name of ["app-a", "app-b", "flaky"]) {
    const deliveries = network.receivers.deliveries(name).filter((d) => d.headers["webhook-id"] !== "msg_forged");
    const ids = deliveries.map((d) => d.headers["webhook-id"]);
    const types = new Map<string, number>();
    for (const d of deliveries.filter((d) => d.verified)) {
      const type = (JSON.parse(d.body) as { type: string }).type;
      types.set(type, (types.get(type) ?? 0) + 1);
    }
    const expectedHere = expected.filter((e) => e.receiver === name).length;
    say(
      `${name.padEnd(10)} ${String(deliveries.length).padStart(8)}  ${String(deliveries.filter((d) => d.verified).length).padStart(8)}  ${String(deliveries.filter((d) => d.verified === false).length).padStart(8)}  ${String(ids.length - new Set(ids).size).padStart(10)}  ${[...types].map(([t, n]) => `${t} x${n}`).join(", ")} (expected ${expectedHere} final)`,
    );
  }
}

main().catch((error) => {
  say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});

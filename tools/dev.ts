/**
 * `npm run dev`: the relay under `wrangler dev` against the real CometAPI, with secrets from
 * `.dev.vars` and the local D1 in `.wrangler/state` (migrations applied first). wrangler dev does
 * not fire cron triggers, so this fires the scheduled handler on the cron's cadence (every 60 s,
 * or DEV_TICK_SECONDS) and prints each tick's log line.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { startWranglerDev } from "./wrangler-dev";

const ROOT = path.resolve(import.meta.dirname, "..");
const TICK_MS = Number(process.env.DEV_TICK_SECONDS ?? "60") * 1000;
const PORT = Number(process.env.PORT ?? "8787");

if (!existsSync(path.join(ROOT, ".dev.vars"))) {
  console.error("No .dev.vars: copy .dev.vars.example to .dev.vars and put your CometAPI key in it.");
  process.exit(1);
}

const relay = await startWranglerDev({ port: PORT, persistTo: path.join(ROOT, ".wrangler/state"), onLine: (line) => console.log(line) });
console.log(`\nrelay on ${relay.url}; firing the scheduled handler every ${TICK_MS / 1000}s (Ctrl-C to stop)`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await relay.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

const fire = () => relay.fireScheduled().catch((error: unknown) => console.error(`tick failed: ${String(error)}`));
const timer = setInterval(fire, TICK_MS);
await fire();

/**
 * `npm run dev`: the relay under `wrangler dev` against the real CometAPI, with secrets from
 * `.dev.vars` and the local D1 in `.wrangler/state` (migrations applied first). wrangler dev does
 * not fire cron triggers, so this fires the scheduled handler on the cron's cadence (every 60 s,
 * or DEV_TICK_SECONDS) and prints each tick's log line.
 *
 * The first run (no `.dev.vars`) writes one of freshly generated keys and secrets (dev-vars.ts),
 * prints them once, and asks only for the CometAPI key: from COMETAPI_KEY in the environment, else
 * at the terminal; without a terminal it says how to set it and goes on without (CometAPI's tasks
 * wait, as the relay does without the key).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { devVarsText, generateSecrets, isPlainEnvValue, writeDevVarsOnce } from "./dev-vars";
import { startWranglerDev } from "./wrangler-dev";

const ROOT = path.resolve(import.meta.dirname, "..");
const DEV_VARS = path.join(ROOT, ".dev.vars");
const TICK_MS = Number(process.env.DEV_TICK_SECONDS ?? "60") * 1000;
const PORT = Number(process.env.PORT ?? "8787");

/** The CometAPI key for a new .dev.vars, or null: from the environment, else asked at a terminal. */
async function askCometapiKey(): Promise<string | null> {
  const given = process.env.COMETAPI_KEY?.trim();
  if (given && isPlainEnvValue(given)) return given;
  if (!process.stdin.isTTY) {
    console.log(
      "No CometAPI key (stdin is not a terminal): CometAPI's tasks wait until COMETAPI_KEY is set in .dev.vars\n" +
        "(or run `COMETAPI_KEY=sk-... npm run dev` before .dev.vars exists). Going on without it.",
    );
    return null;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const answer = (await prompt.question("Your CometAPI key (sk-...; Enter to go on without one): ")).trim();
      if (answer === "") {
        console.log("No CometAPI key: CometAPI's tasks wait until you set COMETAPI_KEY in .dev.vars (then restart).");
        return null;
      }
      if (isPlainEnvValue(answer)) return answer;
      console.log("That key holds a space, a quote or #: paste the key alone.");
    }
  } finally {
    prompt.close();
  }
}

if (!existsSync(DEV_VARS)) {
  console.log("No .dev.vars yet: writing one with freshly generated keys and secrets.");
  const cometapiKey = await askCometapiKey();
  const secrets = generateSecrets();
  if (writeDevVarsOnce(DEV_VARS, devVarsText(secrets, cometapiKey))) {
    // Printed once, here: afterwards they are in .dev.vars only.
    console.log(`
Wrote .dev.vars (mode 0600, gitignored; never overwritten by npm run dev). Keep what you need:
  API key (Authorization: Bearer ...)   ${secrets.RELAY_API_KEYS}
  admin key (/v1/admin, the dashboard)  ${secrets.ADMIN_API_KEY}
  webhook secret (receivers verify)     ${secrets.WEBHOOK_SECRETS}
`);
  }
}

const relay = await startWranglerDev({
  port: PORT,
  persistTo: path.join(ROOT, ".wrangler/state"),
  onLine: (line) => console.log(line),
}).catch((error: unknown) => {
  // A misconfigured relay's answer names each setting at fault: that, not a stack.
  console.error(`\nThe relay did not start: ${error instanceof Error ? error.message : String(error)}`);
  console.error("Fix .dev.vars (every setting: docs/configuration.md) and run npm run dev again.");
  process.exit(1);
});
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

/**
 * `npm run deploy`: from a Cloudflare login (`npx wrangler login`) to a live relay, and safe to run
 * again (docs/deploying.md; the steps: tools/deploy/run-deploy.ts).
 *
 *   npm run deploy                      # the top-level Worker, polling in its cron tick
 *   npm run deploy -- --with-queues     # [env.queues] instead: the Worker "<name>-queues" and its queues
 *   npm run deploy -- --with-archive    # also the R2 bucket of archived outputs, its binding turned on
 *
 * Runs the `wrangler` on PATH (node_modules/.bin under `npm run`). Environment: COMETAPI_KEY (else
 * asked for), any secret's value to set instead of a made one, RELAY_API_KEYS to check `/v1` with
 * on a later run, DEPLOY_CHECK_SECONDS (how long the live relay may take to answer, 90).
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { runDeploy } from "./deploy/run-deploy";

const { values } = parseArgs({
  options: {
    "with-queues": { type: "boolean", default: false },
    "with-archive": { type: "boolean", default: false },
  },
});

async function ask(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(`  ${question}`)).trim() || undefined;
  } finally {
    rl.close();
  }
}

process.exitCode = await runDeploy(
  { withQueues: values["with-queues"], withArchive: values["with-archive"] },
  { cwd: process.cwd(), env: process.env, log: (line) => console.log(line), error: (line) => console.error(line), ask },
);

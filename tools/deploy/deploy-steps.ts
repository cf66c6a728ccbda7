import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Deployment } from "./deployment";
import { StepError, wranglerStep } from "./wrangler-cli";
import { setVar, varsTable } from "./wrangler-toml";

/**
 * Deploys; answers the Worker's URL. wrangler writes what it deployed to an output file
 * (`WRANGLER_OUTPUT_FILE_PATH`, one JSON object a line): the `deploy` entry's `targets` hold the
 * workers.dev URL (with `https://`), routes, custom domains and `schedule: ...` lines.
 */
export async function deployStep(d: Deployment, name: string): Promise<string | undefined> {
  d.step(name, `wrangler deploy ${d.envFlag()}`);
  const dir = mkdtempSync(path.join(tmpdir(), "relay-deploy-"));
  try {
    const outputFile = path.join(dir, "output.ndjson");
    await wranglerStep(name, ["deploy", d.envFlag()], d.wrangler({ env: { WRANGLER_OUTPUT_FILE_PATH: outputFile } }));
    let entries: { type?: string; targets?: string[] }[];
    try {
      entries = readFileSync(outputFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    } catch (error) {
      throw new StepError(name, `could not read wrangler's output file: ${(error as Error).message}`);
    }
    const targets = entries.findLast((entry) => entry.type === "deploy")?.targets ?? [];
    const url = targets.find((target) => /^https?:\/\//.test(target));
    d.say(url ?? "no URL reported (workers_dev off, and no route?)");
    return url;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes PUBLIC_BASE_URL into wrangler.toml when it is unset; true when it did. The URL is known
 * only once the Worker is deployed (workers.dev names it after the account's subdomain), and a
 * var reaches the Worker only with a deploy: a first run therefore deploys twice. It goes into
 * wrangler.toml, not a `--var`, so that a later `wrangler deploy` by hand keeps it.
 */
export function publicUrlStep(d: Deployment, deployedUrl: string | undefined): boolean {
  const current = d.readConfig().vars.PUBLIC_BASE_URL;
  if (typeof current === "string" && current) return false;
  d.step("public URL", "PUBLIC_BASE_URL (upstream callbacks and archive links point there)");
  const table = varsTable(d.environment);
  if (!deployedUrl) throw new StepError("public URL", `wrangler reported no URL: set PUBLIC_BASE_URL in [${table}] of wrangler.toml`);
  const origin = new URL(deployedUrl).origin;
  d.editConfig(
    "public URL",
    (toml) => setVar(toml, table, "PUBLIC_BASE_URL", origin),
    () => d.readConfig().vars.PUBLIC_BASE_URL === origin,
  );
  d.say(`wrangler.toml: PUBLIC_BASE_URL = "${origin}"`);
  return true;
}

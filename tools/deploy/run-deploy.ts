import { deployStep, publicUrlStep } from "./deploy-steps";
import { type DeployFlags, type DeployIo, Deployment, loadConfigReader } from "./deployment";
import { archiveStep, databaseStep, loginStep, migrationsStep, queuesStep } from "./provision-steps";
import { checkRelay } from "./relay-check";
import { secretsStep } from "./secrets-step";
import { StepError } from "./wrangler-cli";

/**
 * `npm run deploy`, start to end; answers the exit code. Each step is skipped when what it makes
 * is already there, so a second run changes nothing but deploys the code again and checks the
 * relay. The order: what the Worker binds, the schema, a first deploy (it tells the URL, and a
 * Worker must exist before its secrets can be listed), PUBLIC_BASE_URL, the secrets, a second
 * deploy when PUBLIC_BASE_URL was new, then the live relay is asked.
 */
export async function runDeploy(flags: DeployFlags, io: DeployIo): Promise<number> {
  try {
    await loginStep(io);
    const d = new Deployment(flags, io, await loadConfigReader());
    io.log(`\nDeploying ${d.readConfig().name}${d.environment ? ` (${d.envFlag()})` : ""}, configured by ${d.configPath}`);
    const database = await databaseStep(d);
    if (flags.withArchive) await archiveStep(d);
    if (flags.withQueues) await queuesStep(d);
    await migrationsStep(d, database);
    const deployedUrl = await deployStep(d, "deploy");
    const urlIsNew = publicUrlStep(d, deployedUrl);
    const made = await secretsStep(d);
    if (urlIsNew) await deployStep(d, "redeploy");

    const base = deployedUrl ?? String(d.readConfig().vars.PUBLIC_BASE_URL);
    d.step("check", base);
    const relayKey = (made.RELAY_API_KEYS ?? io.env.RELAY_API_KEYS)?.split(",")[0];
    const patienceMs = Number(io.env.DEPLOY_CHECK_SECONDS ?? 90) * 1000;
    for (const line of await checkRelay(base, relayKey, patienceMs)) d.say(line);

    io.log(`\nThe relay is live at ${base} (API reference: ${new URL("/docs", base)}).`);
    if (Object.keys(made).length > 0) {
      io.log("\nKeep these now, somewhere safe: Cloudflare stores them but never shows them again.");
      for (const [name, value] of Object.entries(made)) io.log(`  ${name}=${value}`);
    }
    if (d.configEdited) io.log("\nwrangler.toml now names this deployment's database and URL (neither is a secret): commit it.");
    return 0;
  } catch (error) {
    if (error instanceof StepError) io.error(`\n✗ deploy failed at step "${error.step}": ${error.message}`);
    else io.error(`\n✗ deploy failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

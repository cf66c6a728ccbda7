import type { Deployment } from "./deployment";
import { DEPLOY_SECRETS, GENERATED_SECRETS, type GeneratedSecretName, UPSTREAM_KEY } from "./generated-secrets";
import { parseJsonOutput, runWrangler, StepError, wranglerStep } from "./wrangler-cli";

type Listed = { name: string }[];

/**
 * Sets the secrets the Worker lacks, never one it has (Cloudflare never shows a secret again, so
 * an overwritten one would be lost to whoever kept it); answers the ones it made, to print once.
 * A value comes from the environment when it holds one (`SECRETS_KEY=... npm run deploy`), else
 * it is made (COMETAPI_KEY: asked for, or left unset). Runs after the first deploy: `secret list`
 * fails for a Worker that does not exist yet.
 *
 * The two Workers of wrangler.toml share one D1: SECRETS_KEY seals its rows, the relay keys are
 * the clients', the webhook secrets the receivers'. So a secret the other Worker already has is
 * never made anew here: its value must come from the environment.
 */
export async function secretsStep(d: Deployment): Promise<Record<string, string>> {
  d.step("secrets", `the ${DEPLOY_SECRETS.length} secrets, those missing only`);
  const other = await runWrangler(["secret", "list", "--format", "json", d.envFlag(d.sibling)], d.wrangler());
  // A failure here is the other Worker not existing (the usual case): nothing to agree with.
  const otherHas = new Set(other.code === 0 ? parseJsonOutput<Listed>("secrets", other).map((s) => s.name) : []);
  const listed = await wranglerStep("secrets", ["secret", "list", "--format", "json", d.envFlag()], d.wrangler());
  const has = new Set(parseJsonOutput<Listed>("secrets", listed).map((s) => s.name));
  const missing = DEPLOY_SECRETS.filter((name) => !has.has(name));
  const given = (name: string) => d.io.env[name] || undefined;

  const mustCopy = missing.filter((name) => otherHas.has(name) && !given(name) && name !== UPSTREAM_KEY);
  if (mustCopy.length > 0) {
    throw new StepError(
      "secrets",
      `the other Worker (${d.envFlag(d.sibling)}) has ${mustCopy.join(", ")} and this one not: both use the same D1, so they need the same values. ` +
        `Pass the ones you kept: ${mustCopy.map((n) => `${n}=...`).join(" ")} npm run deploy${d.flags.withQueues ? " -- --with-queues" : ""}`,
    );
  }

  const values: Record<string, string> = {};
  const made: Record<string, string> = {};
  for (const name of missing) {
    const value =
      given(name) ?? (name === UPSTREAM_KEY ? await d.io.ask?.(`${UPSTREAM_KEY} (your CometAPI key; empty to set it later): `) : undefined);
    if (value) values[name] = value;
    else if (name === UPSTREAM_KEY)
      d.say(`${UPSTREAM_KEY} left unset (none in the environment): tasks of provider cometapi wait until it is set`);
    else {
      made[name] = GENERATED_SECRETS[name as GeneratedSecretName]();
      values[name] = made[name];
    }
  }
  const names = Object.keys(values);
  if (names.length === 0) {
    d.say("all set already");
    return made;
  }
  // One JSON object on stdin: no value in an argument (`ps` shows those) or in a file.
  await wranglerStep("secrets", ["secret", "bulk", d.envFlag()], d.wrangler({ input: JSON.stringify(values) }));
  d.say(`set: ${names.join(", ")}`);
  return made;
}

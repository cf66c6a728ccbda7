import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Unstable_Config } from "wrangler";
import { StepError, type WranglerOptions } from "./wrangler-cli";

/** What `npm run deploy` was asked for. */
export interface DeployFlags {
  /** Deploy `[env.queues]` (the Worker "<name>-queues" and its queues) instead of the top level. */
  withQueues: boolean;
  /** Also the R2 bucket of archived outputs, its binding turned on. */
  withArchive: boolean;
}

/** Where a deploy runs and reports: the project folder (its wrangler.toml), its environment, its output. */
export interface DeployIo {
  cwd: string;
  env: EnvVars;
  log: (line: string) => void;
  /** Where the failed step is told (stderr). */
  error: (line: string) => void;
  /** Asks the operator for a value; undefined when nobody can answer (no terminal). */
  ask?: (question: string) => Promise<string | undefined>;
}

/** The queues environment's name in wrangler.toml. */
export const QUEUES_ENV = "queues";

/** wrangler's config reader, loaded on demand. */
export const loadConfigReader = async (): Promise<ConfigReader> => (await import("wrangler")).unstable_readConfig;

/** wrangler.toml as wrangler reads it (env inheritance, defaults), for one environment. */
export type ConfigReader = (args: { config: string; env: string }, options: { hideWarnings: boolean }) => Unstable_Config;

/** Environment variables, as given to a run and to wrangler. */
export type EnvVars = Record<string, string | undefined>;

/** One run's context: the environment it deploys, its wrangler.toml, what it changed. */
export class Deployment {
  /** The environment deployed ("" is the top level). */
  readonly environment: string;
  /** The other deployment of the same D1, which must hold the same secrets. */
  readonly sibling: string;
  readonly configPath: string;
  /** Whether this run wrote wrangler.toml (the summary then says to commit it). */
  configEdited = false;

  /**
   * `readConfig`: wrangler's own reader (env inheritance, validation), given once it is loaded
   * (`loadConfigReader`): loading wrangler takes a second or two, which a run that stops at the
   * login need not wait for.
   */
  constructor(
    readonly flags: DeployFlags,
    readonly io: DeployIo,
    private readonly readWranglerConfig: ConfigReader,
  ) {
    this.environment = flags.withQueues ? QUEUES_ENV : "";
    this.sibling = flags.withQueues ? "" : QUEUES_ENV;
    this.configPath = path.join(io.cwd, "wrangler.toml");
  }

  /**
   * The `--env` of every command that reads an environment's configuration, always explicit
   * (`--env=` is the top level): without it wrangler warns that no target environment was given,
   * since wrangler.toml has more than one.
   */
  envFlag(name = this.environment) {
    return `--env=${name}`;
  }

  /** wrangler.toml as wrangler reads it for an environment (the deployed one by default). */
  readConfig(name = this.environment): Unstable_Config {
    return this.readWranglerConfig({ config: this.configPath, env: name }, { hideWarnings: true });
  }

  /** Edits wrangler.toml, then reads it back through wrangler and checks the edit says what was meant. */
  editConfig(step: string, edit: (toml: string) => string, holds: () => boolean) {
    writeFileSync(this.configPath, edit(readFileSync(this.configPath, "utf8")));
    this.configEdited = true;
    if (!holds()) throw new StepError(step, "wrangler.toml, once edited, does not read as intended: check it by hand");
  }

  /** How wrangler is run here (stdin and extra variables per call). */
  wrangler(extra: { input?: string; env?: EnvVars } = {}): WranglerOptions {
    return { cwd: this.io.cwd, env: { ...this.io.env, ...extra.env }, input: extra.input };
  }

  step(name: string, what: string) {
    this.io.log(`\n▸ ${name}: ${what}`);
  }

  say(line: string) {
    this.io.log(`  ${line}`);
  }
}

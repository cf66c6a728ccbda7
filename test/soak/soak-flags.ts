/**
 * `npm run soak -- --tasks 20000 --minutes 25 --queues`: the flags `npm run soak` takes, each the
 * SOAK_* env var of the same meaning (soak-run.ts `soakOptionsFromEnv` reads and checks them). A
 * flag wins over its env var, so a command line says the whole run. Parsed by node's own
 * `util.parseArgs`, strictly: a misspelt flag stops the run before it starts, not 30 minutes in.
 */
import { parseArgs } from "node:util";

/** Flags with a value, and the env var each stands for. */
export const SOAK_VALUE_FLAGS = {
  tasks: "SOAK_TASKS",
  minutes: "SOAK_MINUTES",
  "tick-every": "SOAK_TICK_EVERY_SECONDS",
  "batch-every": "SOAK_BATCH_EVERY_SECONDS",
  wall: "SOAK_WALL_SECONDS",
  "time-scale": "SOAK_TIME_SCALE",
  drain: "SOAK_DRAIN_SECONDS",
  margin: "SOAK_MARGIN_SECONDS",
  deadline: "SOAK_DEADLINE_SECONDS",
  seed: "SOAK_SEED",
  "d1-fault-rate": "SOAK_D1_FAULT_RATE",
  "new-api-share": "SOAK_NEW_API_SHARE",
} as const;

/** Flags without a value (set: "1"), and the env var each stands for. */
export const SOAK_SWITCHES = {
  queues: "SOAK_QUEUES",
  "echo-relay": "SOAK_ECHO_RELAY",
} as const;

/** The usage line printed when the flags are wrong. */
export const SOAK_USAGE = `usage: npm run soak -- ${[
  ...Object.keys(SOAK_VALUE_FLAGS).map((flag) => `[--${flag} N]`),
  ...Object.keys(SOAK_SWITCHES).map((flag) => `[--${flag}]`),
].join(" ")}`;

/**
 * The SOAK_* env vars the flags set (only those given). Throws on an unknown flag, a value missing,
 * or a positional argument, with the usage line.
 * @example envFromFlags(["--tasks", "20000", "--queues"]) // { SOAK_TASKS: "20000", SOAK_QUEUES: "1" }
 */
export function envFromFlags(argv: readonly string[]): Record<string, string> {
  const options = {
    ...Object.fromEntries(Object.keys(SOAK_VALUE_FLAGS).map((flag) => [flag, { type: "string" as const }])),
    ...Object.fromEntries(Object.keys(SOAK_SWITCHES).map((flag) => [flag, { type: "boolean" as const }])),
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${SOAK_USAGE}`);
  }
  const env: Record<string, string> = {};
  for (const [flag, name] of Object.entries(SOAK_VALUE_FLAGS)) {
    const value = values[flag];
    if (typeof value === "string") env[name] = value;
  }
  for (const [flag, name] of Object.entries(SOAK_SWITCHES)) if (values[flag] === true) env[name] = "1";
  return env;
}

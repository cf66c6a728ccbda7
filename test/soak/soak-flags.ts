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

/** SUBREQUEST_BUDGET's default (src/config/settings.ts): what one tick of the default deploy may spend. */
export const DEFAULT_TICK_SUBREQUESTS = 45;

/**
 * Why the relay as the run configures it cannot carry the run, or null. Without `--queues` every
 * webhook (and every poll) is one of a tick's subrequests, and the soak fires a tick every
 * `tickEverySeconds`: a run asking for more final webhooks a minute than those ticks can send would
 * only measure a backlog, for as long as its deadline lets it. Said before the run starts, with the
 * flags that make such a run one the relay is deployed for.
 * @example capacityProblem({ tasks: 20000, minutes: 10, tickEverySeconds: 5, twoSubscriberShare: 0.25, queues: false }) // "…add --queues…"
 */
export function capacityProblem(o: {
  tasks: number;
  minutes: number;
  tickEverySeconds: number;
  twoSubscriberShare: number;
  queues?: boolean;
}): string | null {
  if (o.queues) return null;
  const webhooksPerMinute = (o.tasks * (1 + o.twoSubscriberShare)) / o.minutes;
  const perMinute = (60 / o.tickEverySeconds) * DEFAULT_TICK_SUBREQUESTS;
  if (webhooksPerMinute <= perMinute) return null;
  return [
    `${o.tasks} tasks over ${o.minutes} minutes need about ${Math.round(webhooksPerMinute)} final webhooks a minute;`,
    `ticks fired every ${o.tickEverySeconds} s with ${DEFAULT_TICK_SUBREQUESTS} subrequests each send at most ${Math.round(perMinute)}, polls included.`,
    "A tenant at this rate runs the queues environment (docs/queues.md): add --queues, e.g.",
    `npm run soak -- --tasks ${o.tasks} --minutes 30 --queues --new-api-share 0.9 --tick-every 60`,
  ].join("\n");
}

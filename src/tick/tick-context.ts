import type { Config } from "../config";
import type { Db } from "../storage/db";
import type { KindStatsEntry } from "../storage/kind-stats";
import type { TickBudget } from "./tick-budget";
import type { TickReport } from "./tick-report";

/** Time and chance come in from outside, so tests and simulations can drive them. */
export interface Clock {
  now(): number;
  random(): number;
  /**
   * Waits. A clock that can wait lets a tick linger until its wall-time budget runs out, working
   * as tasks fall due; without it a tick does one pass over what is due and returns.
   */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What the per-item work (one poll, one webhook) needs, in a tick or in a queue consumer. */
export interface WorkContext {
  config: Config;
  clock: Clock;
  budget: TickBudget;
  report: TickReport;
}

export interface TickContext extends WorkContext {
  db: Db;
  /** One lease token for everything this tick claims: every write it makes checks it. */
  leaseToken: string;
  /** Learned durations per kind, loaded once per tick when it first polls. */
  kindStats?: Map<string, KindStatsEntry>;
}

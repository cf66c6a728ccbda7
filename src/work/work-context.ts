import type { Config } from "../config";
import type { WorkBudget } from "./work-budget";
import type { WorkReport } from "./work-report";

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
  budget: WorkBudget;
  report: WorkReport;
}

import type { Config } from "../config";
import type { Db } from "../storage/db";
import type { TickBudget } from "./tick-budget";
import type { TickReport } from "./tick-report";

/** Time and chance come in from outside, so tests and simulations can drive them. */
export interface Clock {
  now(): number;
  random(): number;
}

export const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };

export interface TickContext {
  db: Db;
  config: Config;
  clock: Clock;
  budget: TickBudget;
  report: TickReport;
}

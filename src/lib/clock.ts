/**
 * The relay's one clock: time and chance come in from outside, so tests and simulations can drive
 * them. This is the only module of src/ that reads `Date.now` (lint/one-clock.grit, a biome plugin,
 * fails `npm run lint` on any other); code with a context takes its
 * `Clock` from it (the tick, the queue consumers, the work core, inbound callbacks), and code with
 * none (HTTP handlers, middlewares, the upstream signers and the webhook sender) reads `systemClock`.
 */
export interface Clock {
  now(): number;
  random(): number;
  /**
   * Waits. A clock that can wait lets a tick linger until its wall-time budget runs out, working
   * as tasks fall due; without it a tick does one pass over what is due and returns.
   */
  sleep?(ms: number): Promise<void>;
}

/** The real clock: wall time, `Math.random` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

import { withJitter } from "./retry-after";

export interface PollBounds {
  pollMinIntervalMs: number;
  pollMaxIntervalMs: number;
}

/**
 * When to poll a task of one kind, as ages in ms: the window where nearly all such tasks finish
 * (about their 4th to 98th percentiles), and the step between polls inside it.
 */
export interface DurationWindow {
  opensAtMs: number;
  closesAtMs: number;
  stepMs: number;
  /**
   * Ages at which a task whose upstream calls back is polled anyway, in case its final callback is
   * lost (lost-callback-watch.ts); none or absent: only the safety net.
   */
  lostCallbackChecksMs?: readonly number[];
}

/** Learned durations of one action pair: exponentially weighted mean and variance of log(ms). */
export interface KindStats {
  samples: number;
  meanLog: number;
  varLog: number;
}

/**
 * Until this many tasks of a kind finished, the prior is used (the first to finish are the short
 * ones, so a handful would teach too short a window). Priors: log-normal fits of docs/upstream.md's
 * typical durations taken whole, ±2σ: images 8-40 s, video 30-330 s (up to 30 s queued, then
 * 30-120 s standard or 60-300 s pro), audio 8-60 s.
 */
const MIN_SAMPLES = 10;
const prior = (lowMs: number, highMs: number): KindStats => ({
  samples: 0,
  meanLog: (Math.log(lowMs) + Math.log(highMs)) / 2,
  varLog: ((Math.log(highMs) - Math.log(lowMs)) / 4) ** 2,
});
const PRIORS: Record<string, KindStats> = { images: prior(8_000, 40_000), videos: prior(30_000, 330_000), audio: prior(8_000, 60_000) };
/**
 * Recent tasks weigh at least this much (about the last 50 count), so the estimate follows a kind
 * that got slower, without chasing the order in which a burst of tasks happens to finish.
 */
const MIN_WEIGHT = 0.02;
/**
 * Where the window opens and closes, in standard deviations of log(duration) from the median
 * (durations are roughly log-normal). The few tasks that finish before it opens wait for the poll
 * at its opening; the few still running after it closes are polled less and less often.
 */
const Z_OPENS = 1.75;
const Z_CLOSES = 2;
/**
 * Polls per median duration inside the window: the added notification delay is then about
 * median/24 on average and median/12 at worst, in proportion to how long the kind takes.
 */
const POLLS_PER_MEDIAN = 12;

/** Folds one observed duration into a kind's statistics. */
export function learnDuration(stats: KindStats | undefined, durationMs: number): KindStats {
  const x = Math.log(Math.max(durationMs, 1));
  if (!stats || stats.samples === 0) return { samples: 1, meanLog: x, varLog: 0 };
  const weight = Math.max(1 / (stats.samples + 1), MIN_WEIGHT);
  const delta = x - stats.meanLog;
  return {
    samples: stats.samples + 1,
    meanLog: stats.meanLog + weight * delta,
    varLog: (1 - weight) * (stats.varLog + weight * delta * delta),
  };
}

/** The log-normal a kind's durations are taken to follow: learned once enough tasks finished, the prior of its action before. */
export function durationFit(action: string, stats: KindStats | undefined): { meanLog: number; sigma: number } {
  const { meanLog, varLog } = stats && stats.samples >= MIN_SAMPLES ? stats : (PRIORS[action] ?? PRIORS.videos!);
  return { meanLog, sigma: Math.sqrt(Math.max(varLog, 0)) };
}

/** The window for a kind: learned once enough tasks finished, the prior of its action before. */
export function durationWindow(action: string, stats: KindStats | undefined): DurationWindow {
  const { meanLog, sigma } = durationFit(action, stats);
  return {
    opensAtMs: Math.exp(meanLog - Z_OPENS * sigma),
    closesAtMs: Math.exp(meanLog + Z_CLOSES * sigma),
    stepMs: Math.exp(meanLog) / POLLS_PER_MEDIAN,
  };
}

/**
 * How long to wait before polling a running task again: until its kind's window opens while it
 * is young; evenly through the window; once past the window, in proportion to how late it is
 * (never faster than inside it). Always within the configured bounds.
 * @example nextPollDelay(60_000, { opensAtMs: 45_000, closesAtMs: 285_000, stepMs: 13_000 }, bounds, Math.random) // ≈ 13 s
 */
export function nextPollDelay(ageMs: number, window: DurationWindow, bounds: PollBounds, random: () => number): number {
  const step = window.stepMs;
  let delay: number;
  if (ageMs < window.opensAtMs) delay = window.opensAtMs - ageMs;
  else if (ageMs <= window.closesAtMs) delay = step;
  else delay = Math.max(step, (ageMs - window.closesAtMs) / 2);
  return Math.min(bounds.pollMaxIntervalMs, Math.max(bounds.pollMinIntervalMs, withJitter(delay, random)));
}

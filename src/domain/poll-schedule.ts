import { withJitter } from "./retry-after";

export interface PollBounds {
  pollMinIntervalMs: number;
  pollMaxIntervalMs: number;
}

/** Where tasks of one kind usually finish, as ages in ms: their 10th and 90th percentiles. */
export interface DurationWindow {
  opensAtMs: number;
  closesAtMs: number;
}

/** Learned durations of one action pair: exponentially weighted mean and variance of log(ms). */
export interface KindStats {
  samples: number;
  meanLog: number;
  varLog: number;
}

/**
 * Until this many tasks of a kind finished, the prior window is used. Priors: KLING.md's typical
 * durations (images 10-30 s, standard video 30-120 s and pro video 60-300 s after up to 30 s
 * queued, audio similar to images).
 */
const MIN_SAMPLES = 5;
const PRIORS: Record<string, DurationWindow> = {
  images: { opensAtMs: 10_000, closesAtMs: 35_000 },
  videos: { opensAtMs: 45_000, closesAtMs: 240_000 },
  audio: { opensAtMs: 10_000, closesAtMs: 45_000 },
};
/** Recent tasks weigh at least this much, so the estimate follows a kind that got slower. */
const MIN_WEIGHT = 0.05;
/** z for the 10th/90th percentiles of a normal distribution (durations are roughly log-normal). */
const Z90 = 1.2816;
/** Polls spread over the window: the expected added delay is about window / (2 × this). */
const POLLS_PER_WINDOW = 16;

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

/** The window for a kind: learned once enough tasks finished, the prior of its action before. */
export function durationWindow(action: string, stats: KindStats | undefined): DurationWindow {
  if (!stats || stats.samples < MIN_SAMPLES) return PRIORS[action] ?? PRIORS.videos!;
  const sigma = Math.sqrt(Math.max(stats.varLog, 0));
  return { opensAtMs: Math.exp(stats.meanLog - Z90 * sigma), closesAtMs: Math.exp(stats.meanLog + Z90 * sigma) };
}

/**
 * How long to wait before polling a running task again: until its kind's window opens while it
 * is young; evenly through the window; in proportion to how late it is once past the window.
 * Always within the configured bounds.
 * @example nextPollDelay(30_000, { opensAtMs: 45_000, closesAtMs: 240_000 }, bounds, Math.random) // ≈ 15 s
 */
export function nextPollDelay(ageMs: number, window: DurationWindow, bounds: PollBounds, random: () => number): number {
  let delay: number;
  if (ageMs < window.opensAtMs) delay = window.opensAtMs - ageMs;
  else if (ageMs <= window.closesAtMs) delay = (window.closesAtMs - window.opensAtMs) / POLLS_PER_WINDOW;
  else delay = (ageMs - window.closesAtMs) / 2;
  return Math.min(bounds.pollMaxIntervalMs, Math.max(bounds.pollMinIntervalMs, withJitter(delay, random)));
}

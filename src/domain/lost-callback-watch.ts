import { durationFit, type KindStats } from "./poll-schedule";

/**
 * What the relay saw of one provider's callbacks for one kind: how many tasks upstream called back
 * about (pushed) reached a final status, and how many of those a poll saw finished before any final
 * callback came (lost, or too late to matter). Stored counts decay (storage/push-stats.ts), so they
 * follow a provider whose callbacks get worse or better.
 */
export interface CallbackTally {
  finished: number;
  lost: number;
}

/** Below this many finishes the share lost is not known: the plain safety net, as before anything was learned. */
export const MIN_FINISHED = 20;
/**
 * The share of final callbacks lost from which pushed tasks are watched. A watch costs about one
 * poll per pushed task (the checks below); at 2 % lost that is some 50 polls for each lost callback
 * found minutes sooner, and below it the lost are too few to matter to a 95th percentile.
 */
export const WATCH_LOST_SHARE = 0.02;
/**
 * Where the checks fall, in standard deviations of log(duration) from the median: where half of the
 * kind's tasks are still running, then a quarter, an eighth, a sixteenth (durations are roughly
 * log-normal, see poll-schedule.ts). Only a task still running at a check (or whose final callback
 * was lost) is polled there: one that was called back is finished and never polled again. So the
 * checks cost 1/2 + 1/4 + 1/8 + 1/16 + 1/44 ≈ 0.96 polls per task, and a lost callback waits at most
 * until the next check, a fraction of the median duration, instead of the safety net's minutes.
 */
const CHECK_Z = [0, 0.674, 1.15, 1.534];
/** The last check, at the close of the kind's window (`Z_CLOSES` in poll-schedule.ts): the safety net takes over after it. */
const CLOSE_Z = 2;

/** The share of final callbacks lost, once enough pushed tasks finished to tell; null before. */
export const lostShare = (tally: CallbackTally | undefined): number | null =>
  tally && tally.finished >= MIN_FINISHED ? tally.lost / tally.finished : null;

/**
 * Ages (ms, from upstream's creation) at which a task whose upstream calls back is polled anyway,
 * in case its final callback is lost: none while its provider and kind lose fewer than
 * WATCH_LOST_SHARE of them (or nothing is learned yet), so a provider whose callbacks arrive costs
 * no more polls than the safety net.
 * @example lostCallbackChecks("videos", stats, { finished: 120, lost: 12 }) // [165_000, 219_000, 268_000, 314_000, 383_000]
 */
export function lostCallbackChecks(action: string, stats: KindStats | undefined, tally: CallbackTally | undefined): number[] {
  const share = lostShare(tally);
  if (share === null || share < WATCH_LOST_SHARE) return [];
  const { meanLog, sigma } = durationFit(action, stats);
  return [...CHECK_Z, CLOSE_Z].map((z) => Math.round(Math.exp(meanLog + z * sigma)));
}

/**
 * The first check still to come for a task polled at `ageMs`, if any. A check closer than half its
 * gap from the check before it (the first check: to the one after it), or than the minimum interval,
 * counts as done by that poll: the checks move a little as the kind's durations are learned, and a
 * poll made for a check could otherwise find the same check a few seconds ahead and poll again.
 */
export function nextCheck(checks: readonly number[], ageMs: number, minIntervalMs: number): number | undefined {
  return checks.find((at, j) => {
    const gap = j > 0 ? at - checks[j - 1]! : (checks[1] ?? at) - at;
    return at - ageMs >= Math.max(minIntervalMs, gap / 2);
  });
}

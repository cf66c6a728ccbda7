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
 * The share of final callbacks lost from which pushed tasks are watched. Below it the lost are too
 * few to matter to a 95th percentile, and a provider whose callbacks arrive (1 % lost, say, a few
 * late ones) costs no more polls than the safety net.
 */
export const WATCH_LOST_SHARE = 0.02;
/**
 * What the watch may spend, in polls of tasks still running, for each lost final callback it finds:
 * about half of what polling a task through its window costs (12 polls a median, POLLS_PER_MEDIAN
 * in poll-schedule.ts), so a provider that loses callbacks still costs far less than polling, and
 * the watch grows with the share lost instead of costing one poll per task from 2 % lost on.
 */
export const POLLS_PER_LOST_CALLBACK = 5;
/**
 * The densest watch (from 20 % lost on): a check where half the kind's tasks are still running,
 * then a quarter, an eighth, a sixteenth (durations are roughly log-normal, see poll-schedule.ts).
 */
const MAX_RUNNING_RATIO = 0.5;
/** The last check, at the close of the kind's window (`Z_CLOSES` in poll-schedule.ts): the safety net takes over after it. */
const CLOSE_Z = 2;
/** The share of a kind's tasks still running at its window's close (the normal's upper tail past 2σ). */
const RUNNING_AT_CLOSE = 0.02275;

/** The share of final callbacks lost, once enough pushed tasks finished to tell; null before. */
export const lostShare = (tally: CallbackTally | undefined): number | null =>
  tally && tally.finished >= MIN_FINISHED ? tally.lost / tally.finished : null;

/**
 * How much of the kind's running tasks each check leaves running for the next (`r`): checks where
 * a share r, r², r³... of them still run. Only a task still running at a check (or whose final
 * callback was lost) is polled there: one that was called back is finished and never polled again.
 * So the checks cost r + r² + ... < r / (1 − r) polls per pushed task, and find `share` lost callbacks
 * per pushed task: r / (1 − r) = POLLS_PER_LOST_CALLBACK × share, at most MAX_RUNNING_RATIO.
 * @example runningRatio(0.1) // 1/3: checks where a third, a ninth of the tasks still run
 */
export function runningRatio(share: number): number {
  const budget = POLLS_PER_LOST_CALLBACK * share;
  return Math.min(MAX_RUNNING_RATIO, budget / (1 + budget));
}

/**
 * The standard normal's z above which a share `upper` (0 < upper <= 0.5) of it lies: Abramowitz and
 * Stegun's 26.2.23, within 0.00045 of the exact value, far finer than a check needs.
 */
export function upperQuantile(upper: number): number {
  const t = Math.sqrt(-2 * Math.log(upper));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/**
 * Where the checks fall, in standard deviations of log(duration) from the median, for a running
 * ratio r: where r, r², ... of the kind's tasks still run, while that is more than twice those
 * still running at the window's close (nearer, the close's check is as good), then the close.
 * @example checkZs(0.5) // [0, 0.674, 1.15, 1.534, 2]
 */
export function checkZs(ratio: number): number[] {
  const zs: number[] = [];
  for (let running = ratio; running > 2 * RUNNING_AT_CLOSE; running *= ratio) zs.push(upperQuantile(running));
  return [...zs, CLOSE_Z];
}

/**
 * Ages (ms, from upstream's creation) at which a task whose upstream calls back is polled anyway,
 * in case its final callback is lost: none while its provider and kind lose fewer than
 * WATCH_LOST_SHARE of them (or nothing is learned yet), so a provider whose callbacks arrive costs
 * no more polls than the safety net; the more they lose, the more checks (`runningRatio`). A lost
 * callback waits at most until the next check, a fraction of the median duration, instead of the
 * safety net's minutes.
 * @example lostCallbackChecks("videos", stats, { finished: 120, lost: 12 }) // [197_773, 275_875, 383_000] (the earlier example: where a third, a ninth still run, then the close)
 */
export function lostCallbackChecks(action: string, stats: KindStats | undefined, tally: CallbackTally | undefined): number[] {
  const share = lostShare(tally);
  if (share === null || share < WATCH_LOST_SHARE) return [];
  const { meanLog, sigma } = durationFit(action, stats);
  return checkZs(runningRatio(share)).map((z) => Math.round(Math.exp(meanLog + z * sigma)));
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

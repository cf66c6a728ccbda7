import { MAX_IN_FLIGHT } from "./work-budget";

/** One kind of leased work (polls, deliveries) as the pipeline drives it. */
export interface PipelineStage<Item, Done> {
  /** How many more items may be claimed now, given `outstanding` claimed and not finished. */
  claimable(outstanding: number): number;
  /** Claims up to `limit` due items; fewer than asked means nothing more is due now. */
  claim(limit: number, outstanding: number): Promise<Item[]>;
  /** Does the I/O for one item; null when there is nothing to record. */
  work(item: Item): Promise<Done | null>;
  /** Records finished items, in one batch. */
  record(done: Done[]): Promise<void>;
  /** Hands back claimed items that were never started, or whose work threw (nothing to record). */
  release(items: Item[]): Promise<void>;
  /** Stop starting new items (e.g. after a configuration error). */
  shouldStop(): boolean;
  /**
   * Record every this many finished items (default RECORD_EVERY). A queue consumer passes
   * Infinity: it records its whole message batch at once, before acknowledging it.
   */
  recordEvery?: number;
}

/** Claims go to D1 in chunks this big, a little ahead of the pool, so the pool never waits. */
const CLAIM_CHUNK = 50;
/** Results are written in batches this big, while the pool keeps working. */
const RECORD_EVERY = 50;

/**
 * Drains one stage: at most 6 items in flight, a new one starting the moment one ends; claims made
 * ahead of need; results recorded in batches, concurrently with the work. Returns the number of
 * items claimed.
 *
 * A failed claim or write, or an item whose work throws, stops new items from starting; the items
 * already in flight finish and everything finished is recorded; the items claimed and not started,
 * and any item whose work threw, are released. Only then does it reject, with the first error.
 */
export async function runPipeline<Item, Done>(stage: PipelineStage<Item, Done>): Promise<number> {
  const queue: Item[] = [];
  let inFlight = 0;
  let claimed = 0;
  let drained = false;
  let failure: unknown = null;
  let claiming: Promise<void> | null = null;
  const finished: Done[] = [];
  /** Items whose work threw: nothing to record, handed back with the unstarted ones. */
  const broken: Item[] = [];
  let recording: Promise<void> = Promise.resolve();
  const recordEvery = stage.recordEvery ?? RECORD_EVERY;

  /** Keeps the first error: it is the one that stopped the work. */
  const fail = (error: unknown) => {
    failure ??= error;
  };

  const refill = (): Promise<void> => {
    claiming ??= (async () => {
      const outstanding = queue.length + inFlight;
      const limit = Math.min(CLAIM_CHUNK, stage.claimable(outstanding));
      if (limit <= 0) {
        drained = true;
        return;
      }
      const items = await stage.claim(limit, outstanding);
      claimed += items.length;
      queue.push(...items);
      if (items.length < limit) drained = true;
    })()
      .catch((error: unknown) => {
        fail(error);
        drained = true;
      })
      .finally(() => (claiming = null));
    return claiming;
  };

  const flush = () => {
    const batch = finished.splice(0);
    if (batch.length > 0) recording = recording.then(() => stage.record(batch)).catch(fail);
  };

  const lane = async () => {
    for (;;) {
      if (failure !== null || stage.shouldStop()) return;
      if (!drained && queue.length <= MAX_IN_FLIGHT) void refill();
      const item = queue.shift();
      if (item === undefined) {
        if (claiming) await claiming;
        else if (drained) return;
        continue;
      }
      inFlight += 1;
      try {
        const done = await stage.work(item);
        if (done !== null) finished.push(done);
      } catch (error) {
        fail(error ?? new Error("an item's work threw nothing"));
        broken.push(item);
      } finally {
        inFlight -= 1;
      }
      if (finished.length >= recordEvery) flush();
    }
  };

  await Promise.all(Array.from({ length: MAX_IN_FLIGHT }, lane));
  if (claiming) await claiming;
  flush();
  await recording;
  const unfinished = [...broken, ...queue.splice(0)];
  // A failed release must not hide the error that stopped the work: the first one is thrown.
  if (unfinished.length > 0) await stage.release(unfinished).catch(fail);
  if (failure !== null) throw failure;
  return claimed;
}

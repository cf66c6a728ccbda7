/**
 * Runs `work` over `items` with at most `concurrency` in flight, starting the next item the
 * moment one finishes (a rolling pool, not lock-step batches). Stops starting new items once
 * `shouldStop()` is true; returns the items it never started.
 */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>, shouldStop: () => boolean = () => false): Promise<T[]> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !shouldStop()) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return items.slice(next);
}

/**
 * Keeps `map` within `maxEntries`: entries that have `ended` go first, then the oldest (a Map
 * iterates in insertion order). For in-memory tables whose keys a client chooses.
 */
export function boundMap<V>(map: Map<string, V>, maxEntries: number, ended: (value: V) => boolean): void {
  if (map.size < maxEntries) return;
  for (const [key, value] of map) if (ended(value)) map.delete(key);
  for (const key of map.keys()) {
    if (map.size < maxEntries) break;
    map.delete(key);
  }
}

export interface FixedWindow {
  startedAt: number;
  count: number;
}

/**
 * Fixed windows of `windowMs` per key, in this isolate's memory: the per-isolate stand-ins for
 * Cloudflare's rate limiting binding. Every isolate counts on its own and forgets when evicted.
 * At most `maxKeys` keys are remembered (ended windows go first, then the oldest).
 */
export class FixedWindows {
  private readonly windows = new Map<string, FixedWindow>();

  constructor(
    readonly windowMs: number,
    private readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {}

  /** The key's current window (the caller counts in it), a fresh one once the last has ended. */
  current(key: string, now: number): FixedWindow {
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      boundMap(this.windows, this.maxKeys, (w) => now - w.startedAt >= this.windowMs);
      // Deleted first, so that a renewed key counts as the newest.
      this.windows.delete(key);
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }
}

/**
 * A D1 binding whose every round trip (a statement's `all`, `run`, `first` or `raw`, a `batch`,
 * an `exec`) gives up after `timeoutMs`, failing as D1 fails when its storage operation runs past
 * its time: a D1 that does not answer must not hold a tick past its wall budget, nor an API
 * request until the platform cuts it. The round trip itself is not cancelled (nothing can cancel
 * it) and may still commit: every write of the relay is guarded by an id, a lease token or a
 * unique key, so whoever retries it finds it done.
 */
export function boundedD1(db: D1Database, timeoutMs: number): D1Database {
  const within = <T>(work: Promise<T>): Promise<T> => {
    let timer = 0;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`D1_ERROR: D1 storage operation exceeded timeout (no answer within ${timeoutMs} ms, D1_TIMEOUT_SECONDS)`)),
        timeoutMs,
      ) as unknown as number;
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };
  // Statements prepared through it go into its `batch` as the real statements they wrap.
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw")
          return (...args: unknown[]) => within((target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") return (statements: D1PreparedStatement[]) => within(target.batch(statements.map((s) => real.get(s) ?? s)));
      if (prop === "exec") return (query: string) => within(target.exec(query));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

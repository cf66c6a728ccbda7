/**
 * A D1 binding whose every round trip (a statement's `all`, `run`, `first` or `raw`, a `batch`, an
 * `exec`) runs through `around`, which starts it when it will and answers for it: how the relay
 * bounds D1 in time (bounded-d1.ts) and how the tests make it fail (test/support/faulty-d1.ts).
 * Statements prepared through it still go into its `batch` as the real statements they wrap (D1's
 * `batch` accepts only its own objects).
 */
export function aroundRoundTrips(db: D1Database, around: <T>(run: () => Promise<T>) => Promise<T>): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw")
          return (...args: unknown[]) => around(() => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
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
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => around(() => target.batch(statements.map((s) => real.get(s) ?? s)));
      if (prop === "exec") return (query: string) => around(() => target.exec(query));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

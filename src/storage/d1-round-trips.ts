/**
 * A D1 binding whose every round trip (a statement's `all`, `run`, `first` or `raw`, a `batch`, an
 * `exec`) runs through `around`, which starts it when it will and answers for it (`sql` names its
 * statements' SQL, for a drill that fails some by what they say): how the relay
 * bounds D1 in time (bounded-d1.ts) and how the tests make it fail (test/support/faulty-d1.ts).
 * Statements prepared through it still go into its `batch` as the real statements they wrap (D1's
 * `batch` accepts only its own objects).
 */
export function aroundRoundTrips(
  db: D1Database,
  around: <T>(run: () => Promise<T>, sql: () => readonly string[]) => Promise<T>,
): D1Database {
  /** Each wrapped statement's own statement (what `batch` takes) and its SQL. */
  const real = new WeakMap<object, { statement: D1PreparedStatement; query: string }>();
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), query);
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw")
          return (...args: unknown[]) =>
            around(
              () => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args),
              () => [query],
            );
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, { statement, query });
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) =>
          around(
            () => target.batch(statements.map((s) => real.get(s)?.statement ?? s)),
            () => statements.map((s) => real.get(s)?.query ?? ""),
          );
      if (prop === "exec")
        return (query: string) =>
          around(
            () => target.exec(query),
            () => [query],
          );
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

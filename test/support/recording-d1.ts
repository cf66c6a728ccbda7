/** A D1 binding that records every statement prepared through it, and runs it for real. */
export interface Recorded {
  sql: string;
  params: unknown[];
}

export function recordingD1(db: D1Database, log: Recorded[]): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== "prepare") {
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (sql: string) => {
        const statement = target.prepare(sql);
        const entry: Recorded = { sql, params: [] };
        log.push(entry);
        return new Proxy(statement, {
          get(s, p) {
            const value = Reflect.get(s, p);
            if (p === "bind") {
              return (...params: unknown[]) => {
                entry.params = params;
                return statement.bind(...params);
              };
            }
            return typeof value === "function" ? value.bind(s) : value;
          },
        });
      };
    },
  });
}

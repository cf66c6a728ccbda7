/** What one tick cost in D1: round trips, and the rows D1 bills for (meta.rows_read/written). */
export interface D1Usage {
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  /**
   * Round trips run through `raw()`, for which D1 reports no rows: their rows are missing from
   * the two figures above. The tick and the consumers run none (a test holds them to it), so that
   * their figures are complete.
   */
  unmetered: number;
}

export const emptyUsage = (): D1Usage => ({ queries: 0, rowsRead: 0, rowsWritten: 0, unmetered: 0 });

function count(usage: D1Usage, result: D1Result | D1Result[]): void {
  for (const r of Array.isArray(result) ? result : [result]) {
    usage.rowsRead += r.meta?.rows_read ?? 0;
    usage.rowsWritten += r.meta?.rows_written ?? 0;
  }
}

/** Each metered statement's real statement: D1's `batch` accepts only its own objects. */
const targets = new WeakMap<object, D1PreparedStatement>();

function meterStatement(statement: D1PreparedStatement, usage: D1Usage): D1PreparedStatement {
  const metered = new Proxy(statement, {
    get(target, prop) {
      if (prop === "bind") return (...values: unknown[]) => meterStatement(target.bind(...values), usage);
      if (prop === "all" || prop === "run") {
        return async () => {
          usage.queries += 1;
          const result = await target.all();
          count(usage, result);
          return result;
        };
      }
      // `raw` answers arrays and no meta. It is passed through as it is: rebuilding it from `all()`
      // would merge same-named columns of a join (drizzle maps raw rows by position).
      if (prop === "raw") {
        return async (options?: { columnNames?: boolean }) => {
          usage.queries += 1;
          usage.unmetered += 1;
          return options?.columnNames ? target.raw({ columnNames: true }) : target.raw();
        };
      }
      // `first` returns no meta: run it as `all` (same query, same rows; objects either way).
      if (prop === "first") {
        return async (column?: string) => {
          usage.queries += 1;
          const result = await target.all<Record<string, unknown>>();
          count(usage, result);
          const row = result.results[0] ?? null;
          return column === undefined || row === null ? row : row[column];
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  targets.set(metered, statement);
  return metered;
}

/**
 * Wraps a D1 binding so every round trip and the rows it read and wrote are added to `usage`.
 * Statements prepared through it still go into its `batch` as the real statements they wrap.
 */
export function meteredD1(db: D1Database, usage: D1Usage): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => meterStatement(target.prepare(sql), usage);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          usage.queries += 1;
          const results = await target.batch(statements.map((s) => targets.get(s) ?? s));
          count(usage, results);
          return results;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

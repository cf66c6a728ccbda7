import { type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

/**
 * Without `schema`: nothing here uses drizzle's relational queries (`db.query`), and with it
 * drizzle walks the whole schema's relations again on every open, once a request and several
 * times a tick (about 0.1 ms of self time in each registration: docs/performance.md, table 12).
 */
export const openDb = (d1: D1Database) => drizzle(d1);
export type Db = ReturnType<typeof openDb>;

/**
 * Row sets travel to SQL as one JSON parameter read with `json_each`, so a whole tick's writes are
 * a few statements whatever their size (D1 allows 100 bound parameters per statement).
 */
export const asJson = (value: unknown) => JSON.stringify(value);

/** Task keys (`tasks.id`) as a SQL set, `(SELECT value FROM json_each(...))`: for `IN`. */
export const keySet = (keys: readonly string[]): SQL => sql`(SELECT value FROM json_each(${asJson(keys)}))`;

const dialect = new SQLiteAsyncDialect();

/** A drizzle query (raw `sql` or a builder) as a D1 statement, for `runBatch`. */
export function statement(db: Db, query: SQL | { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql, params } = "toSQL" in query ? query.toSQL() : dialect.sqlToQuery(query);
  return db.$client.prepare(sql).bind(...params);
}

/**
 * Runs statements as one D1 batch: one round trip, one transaction (D1 rejects interactive
 * transactions). Drizzle's own `batch` cannot carry raw SQL with parameters on D1, hence this.
 */
export const runBatch = (db: Db, statements: D1PreparedStatement[]) => db.$client.batch(statements);

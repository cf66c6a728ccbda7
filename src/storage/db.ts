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

/** A value a prebuilt statement binds per use. */
export type Bindable = string | number;
/** A statement's text, and where each of its parameters comes from: a constant, or a named value. */
type Prebuilt<V> = { text: string; params: ({ constant: unknown } | { key: keyof V })[] }[];

/** A stand-in Db for `prebuilt`: it records what `statement` would prepare, and runs nothing. */
const recorder = {
  $client: { prepare: (text: string) => ({ bind: (...params: unknown[]) => ({ text, params }) }) },
} as unknown as Db;
type Recorded = { text: string; params: unknown[] };

/**
 * Statements of a hot path whose SQL is the same on every use, built by drizzle once (its query
 * building costs the Worker more CPU than D1's binding per statement: docs/performance.md, table
 * 13) and only bound afterwards. `build` is run on first use with two sets of stand-in `values`
 * (`standIns`, every value distinct): a parameter that differs between the two runs must be one of
 * the values, bound from the caller's values on each use; one that does not is a constant. A
 * parameter derived from a value (`now - ttl`) matches neither, and throws: pass it as a value.
 */
export function prebuilt<V extends Record<string, Bindable>>(
  standIns: readonly [V, V],
  build: (db: Db, values: V) => D1PreparedStatement[],
): (db: Db, values: V) => D1PreparedStatement[] {
  let built: Prebuilt<V> | undefined;
  return (db, values) => {
    built ??= compile(standIns, build);
    return built.map(({ text, params }) => db.$client.prepare(text).bind(...params.map((p) => ("key" in p ? values[p.key] : p.constant))));
  };
}

function compile<V extends Record<string, Bindable>>(
  [a, b]: readonly [V, V],
  build: (db: Db, values: V) => D1PreparedStatement[],
): Prebuilt<V> {
  const first = build(recorder, a) as unknown as Recorded[];
  const second = build(recorder, b) as unknown as Recorded[];
  const keys = Object.keys(a) as (keyof V)[];
  const standIns = [...keys.map((k) => a[k]), ...keys.map((k) => b[k])];
  if (new Set(standIns).size !== standIns.length) throw new Error("prebuilt: the stand-in values must all differ");
  if (first.length !== second.length) throw new Error("prebuilt: the statements depend on the values");
  return first.map((one, i) => {
    const other = second[i]!;
    if (one.text !== other.text || one.params.length !== other.params.length)
      throw new Error(`prebuilt: statement ${i}'s SQL depends on the values`);
    return {
      text: one.text,
      params: one.params.map((p, j) => {
        const q = other.params[j];
        if (Object.is(p, q)) return { constant: p };
        const key = keys.find((k) => Object.is(a[k], p) && Object.is(b[k], q));
        if (key === undefined) throw new Error(`prebuilt: statement ${i}'s parameter ${j} is derived from the values: pass it as one`);
        return { key };
      }),
    };
  });
}

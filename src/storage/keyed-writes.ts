import { type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { asJson, type Bindable, type Db } from "./db";

/**
 * Rows a keyed statement names (D1 allows 100 bound parameters a statement). Each row's facts are
 * found by its key among the statement's: at 30 a statement, 900 rows take D1 as long as one
 * `UPDATE ... FROM json_each` of them (measured), at 90 twice as long.
 */
export const KEYED_CHUNK = 30;

/**
 * A round's writes of one table by key: each statement names its rows by id (`id IN (?, ...)`)
 * and reads each one's facts from ?1, a JSON object by id (`factOf`). D1 counts 2 rows read a row
 * so, where a batched `UPDATE ... FROM json_each` reads 4 (SQLite reads such a join back before it
 * writes). A statement a row would read 1 too, but a queue consumer records 900 rows at once, and
 * 900 statements cost it a tenth of its throughput (docs/performance.md).
 *
 * `text(count)` is the statement for `count` rows, its keys bound after ?1 and `bound`
 * (`keyList`); build it once a shape (`textOnce`).
 */
export function keyedWrites<R>(
  db: Db,
  rows: readonly R[],
  keyOf: (row: R) => string,
  factsOf: (row: R) => object,
  text: (count: number) => string,
  bound: readonly Bindable[],
): D1PreparedStatement[] {
  return chunksOf(rows, KEYED_CHUNK).map((chunk) =>
    db.$client
      .prepare(text(chunk.length))
      .bind(asJson(Object.fromEntries(chunk.map((r) => [keyOf(r), factsOf(r)]))), ...bound, ...chunk.map(keyOf)),
  );
}

/** `items` in runs of `size`. */
export const chunksOf = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** The fact `name` of the row of `table` being written, from ?1 by its id (quoted: any id without `"` is a safe JSON path). */
export const factOf =
  (table: string) =>
  (name: string): SQL =>
    sql.raw(`?1 ->> ('$."' || ${table}.id || '".${name}')`);

/** `?first, ..., ?(first + count - 1)`: the keys a statement of `count` rows names. */
export const keyList = (first: number, count: number): SQL => sql.raw(Array.from({ length: count }, (_, i) => `?${first + i}`).join(", "));

const dialect = new SQLiteAsyncDialect();
const texts = new Map<string, string>();

/**
 * A keyed statement's text, built by drizzle once a `shape` (its SQL holds raw text only: the
 * numbered parameters above, no drizzle parameter).
 */
export function textOnce(shape: string, build: () => SQL): string {
  let text = texts.get(shape);
  if (text === undefined) {
    text = dialect.sqlToQuery(build()).sql;
    texts.set(shape, text);
  }
  return text;
}

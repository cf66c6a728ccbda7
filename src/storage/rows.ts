import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";

/**
 * Rows read from D1 through raw SQL, decoded through a row schema instead of cast: a schema names
 * each column a statement returns (by the key D1 gives it: the column's name or its alias) and its
 * kind, and `readAll`/`readOne`/`decodeRows` check every row against it. A column the SQL no
 * longer returns, or of another kind, throws at once, naming the column and what the query was
 * for, instead of an `undefined` travelling on. Where a column is a table's, the schema takes it
 * from schema.ts (`column(tasks.taskStatus)`): its kind, nullability, enum values and type, so
 * renaming it there fails type checking here.
 *
 * Hand-rolled rather than a zod object per row: the tick reads thousands of rows per run. A local
 * timing (not a test; node 22, zod 4, a busy 2-core machine) of 10,000 rows of the 14 columns of
 * a claimed task put both at 3-5 ms, this a little ahead of zod without its eval-compiled parsers
 * (Workers allow no eval). Cost alike, this one checks in place and returns the very rows D1 gave
 * (no copy, nothing stripped), and its errors name the query's purpose.
 */

/** A column's value as D1 returns it: text as a string, integers and reals as numbers. */
type Kind = "string" | "number";

/** One column of a row schema; `T` is its decoded type. */
export interface RowColumn<T> {
  readonly kind: Kind;
  readonly nullable: boolean;
  /** Allowed values (a text enum of schema.ts), or none. */
  readonly values?: readonly string[];
  /** The table column it is read from, when it is one: its SQL name renders select lists. */
  readonly source?: SQLiteColumn;
  /** Type only. */
  readonly _type?: T;
}

const col = <T>(kind: Kind, nullable: boolean): RowColumn<T> => ({ kind, nullable });

/** A column computed in SQL (a count, an `EXISTS`, an alias of an expression). */
export const text = col<string>("string", false);
export const textOrNull = col<string | null>("string", true);
export const int = col<number>("number", false);
export const intOrNull = col<number | null>("number", true);

/** A table column's value read by raw SQL: a boolean-mode integer arrives as 0 or 1. */
type RawValue<C extends SQLiteColumn> =
  | (C["_"]["data"] extends boolean ? number : C["_"]["data"])
  | (C["_"]["notNull"] extends true ? never : null);

/**
 * A column of a table in schema.ts, as raw SQL returns it (under its own name or an alias). Its
 * kind, nullability and enum values come from the table. `nullable` widens it for a column that
 * may come back null anyway (from the outer side of a LEFT JOIN); `notNull` narrows a nullable
 * one the statement's WHERE holds to a value (a lease's token).
 */
export function column<C extends SQLiteColumn>(source: C): RowColumn<RawValue<C>>;
export function column<C extends SQLiteColumn>(source: C, nullable: "nullable"): RowColumn<RawValue<C> | null>;
export function column<C extends SQLiteColumn>(source: C, nullable: "notNull"): RowColumn<NonNullable<RawValue<C>>>;
export function column(source: SQLiteColumn, nullable?: "nullable" | "notNull"): RowColumn<unknown> {
  const kind: Kind = source.dataType === "string" ? "string" : "number";
  const values = source.enumValues && source.enumValues.length > 0 ? source.enumValues : undefined;
  return { kind, nullable: nullable === "nullable" || (nullable === undefined && !source.notNull), values, source };
}

/** A row schema's columns, by the key each has in the rows D1 returns. */
export type RowColumns = Record<string, RowColumn<unknown>>;

/** The type of one decoded row of `S`. */
export type RowOf<S extends RowSchema<RowColumns>> = S extends RowSchema<infer C> ? { [K in keyof C]: ColumnType<C[K]> } : never;
type ColumnType<C> = C extends RowColumn<infer T> ? T : never;

export interface RowSchema<C extends RowColumns> {
  readonly columns: C;
  /** The same schema with more columns (a claim's `parked`, a lease's end). */
  with<M extends RowColumns>(more: M): RowSchema<Omit<C, keyof M> & M>;
}

/** Declares the columns of a row, once, for every statement that returns them. */
export function rowSchema<C extends RowColumns>(columns: C): RowSchema<C> {
  return { columns, with: (more) => rowSchema({ ...columns, ...more }) };
}

/** A broken invariant between a statement and what it was declared to return: not the caller's fault. */
export class RowDecodeError extends Error {
  override name = "RowDecodeError";
}

const describe = (value: unknown) => (value === undefined ? "missing" : value === null ? "null" : `a ${typeof value}`);

/**
 * Checks `rows` (as D1 returned them, for `purpose`) against `schema`, and returns them as they
 * are: columns it does not declare are left on the row, unchecked.
 */
export function decodeRows<C extends RowColumns>(schema: RowSchema<C>, purpose: string, rows: readonly unknown[]): RowOf<RowSchema<C>>[] {
  const keys = Object.keys(schema.columns);
  const columns = keys.map((k) => schema.columns[k] as RowColumn<unknown>);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (typeof row !== "object" || row === null) throw new RowDecodeError(`${purpose}: a row is ${describe(row)}, not an object`);
    for (let i = 0; i < keys.length; i++) {
      const c = columns[i] as RowColumn<unknown>;
      const value = (row as Record<string, unknown>)[keys[i] as string];
      if (value === null ? c.nullable : typeof value === c.kind && (c.values === undefined || c.values.includes(value as string))) continue;
      const expected = `${c.kind}${c.values ? ` (${c.values.join(", ")})` : ""}${c.nullable ? " or null" : ""}`;
      const found = c.values && typeof value === "string" ? `"${value}"` : describe(value);
      throw new RowDecodeError(`${purpose}: column ${keys[i]} is ${found}, expected ${expected}`);
    }
  }
  return rows as RowOf<RowSchema<C>>[];
}

/** Runs `query` and decodes every row it returns through `schema`. */
export async function readAll<C extends RowColumns>(
  db: Db,
  schema: RowSchema<C>,
  purpose: string,
  query: SQL,
): Promise<RowOf<RowSchema<C>>[]> {
  return decodeRows(schema, purpose, await db.all<unknown>(query));
}

/** Runs `query` and decodes its first row through `schema`; undefined when it returned none. */
export async function readOne<C extends RowColumns>(
  db: Db,
  schema: RowSchema<C>,
  purpose: string,
  query: SQL,
): Promise<RowOf<RowSchema<C>> | undefined> {
  const [row] = await readAll(db, schema, purpose, query);
  return row;
}

/**
 * The rows of one statement of a batch (`runBatch`), decoded through `schema`; none when the
 * statement was not in the batch.
 */
export const batchRows = <C extends RowColumns>(schema: RowSchema<C>, purpose: string, result: D1Result | undefined) =>
  decodeRows(schema, purpose, result?.results ?? []);

/**
 * The select list of a schema whose columns are all table columns (`column(...)`), in declaration
 * order, each qualified by `prefix` ("t.") and aliased to its key where the names differ:
 * `task_key AS taskKey`.
 */
export function selectList(schema: RowSchema<RowColumns>, prefix = ""): SQL {
  // Made once per schema and prefix: claims and reads render the same lists on every call.
  let lists = selectLists.get(schema);
  if (!lists) {
    lists = new Map();
    selectLists.set(schema, lists);
  }
  let list = lists.get(prefix);
  if (!list) {
    list = renderSelectList(schema, prefix);
    lists.set(prefix, list);
  }
  return list;
}

const selectLists = new WeakMap<RowSchema<RowColumns>, Map<string, SQL>>();

function renderSelectList(schema: RowSchema<RowColumns>, prefix: string): SQL {
  const items = Object.entries(schema.columns).map(([key, c]) => {
    if (!c.source) throw new Error(`selectList: column ${key} is not a table column`);
    return c.source.name === key ? `${prefix}${key}` : `${prefix}${c.source.name} AS ${key}`;
  });
  return sql.raw(items.join(", "));
}

/** Column types whose raw D1 value is drizzle's value as it is (no boolean, JSON or timestamp mode). */
const UNMAPPED = new Set(["SQLiteText", "SQLiteInteger", "SQLiteReal"]);

/**
 * Every column of `table` under its key in schema.ts (`taskKey`, not `task_key`): with
 * `selectList`, raw SQL reads rows that are drizzle's own `select()` rows (`TaskRow`), e.g. inside
 * a D1 batch of raw statements. Only for tables whose columns drizzle does not map (booleans, JSON,
 * timestamps would arrive raw): any other throws at once.
 */
export function wholeRowSchema<T extends SQLiteTable>(
  table: T,
): RowSchema<{ [K in keyof T["$inferSelect"]]: RowColumn<T["$inferSelect"][K]> }> {
  const columns: RowColumns = {};
  for (const [key, source] of Object.entries(getTableColumns(table)) as [string, SQLiteColumn][]) {
    if (!UNMAPPED.has(source.columnType)) throw new Error(`wholeRowSchema: ${key} is a ${source.columnType}, which drizzle maps`);
    columns[key] = column(source);
  }
  return rowSchema(columns) as never;
}
